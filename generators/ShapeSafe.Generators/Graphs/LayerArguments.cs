using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using ShapeSafe.Generators.Model;
using ShapeSafe.Shapes;

namespace ShapeSafe.Generators.Graphs
{
    /// <summary>
    /// The constructor arguments of a child layer, by parameter name, as the analyzer reads them: the <c>new
    /// Linear(784, hidden)</c> in the member's initializer or the one constructor assignment, an int parameter of the
    /// enclosing module bound to what its own creation passes (<c>new Block(64)</c>), and a <c>[Dim("H")]</c> parameter
    /// nobody binds read as the name H. Sizes are dims; an argument not known at build time is a dim of its own that
    /// equals nothing (printed <c>?</c>).
    /// </summary>
    internal sealed class LayerArguments
    {
        /// <summary>What an argument holds when it is the constant null (a pool's <c>stride: null</c>).</summary>
        static readonly object NullValue = new object();

        readonly Dictionary<string, object?> _values;
        readonly Dictionary<string, Dim> _unknown = new Dictionary<string, Dim>(StringComparer.Ordinal);

        LayerArguments(Dictionary<string, object?> values) => _values = values;

        /// <summary>A size argument; an unknown one is the same unknown dim each time it is asked for.</summary>
        public Dim Int(string name)
        {
            if (_values.TryGetValue(name, out var value) && value is Dim dim) return dim;
            if (!_unknown.TryGetValue(name, out var unknown)) _unknown[name] = unknown = Dim.Anonymous();
            return unknown;
        }

        /// <summary>An int argument known at build time, or null.</summary>
        public int? Constant(string name) =>
            _values.TryGetValue(name, out var value) && value is Dim dim && dim.TryGetConstant(out long v) && v >= int.MinValue && v <= int.MaxValue ? (int)v : null;

        /// <summary>A number argument known at build time (an activation's slope or beta), or null.</summary>
        public double? Number(string name) => _values.TryGetValue(name, out var value) ? value switch
        {
            double d => d,
            Dim dim when dim.TryGetConstant(out long v) => v,
            _ => null,
        } : null;

        /// <summary>A string argument known at build time (GELU's approximate), or null.</summary>
        public string? Text(string name) => _values.TryGetValue(name, out var value) ? value as string : null;

        /// <summary>A bool argument; <paramref name="fallback"/> when it is absent or not known at build time.</summary>
        public bool Flag(string name, bool fallback) => _values.TryGetValue(name, out var value) && value is bool b ? b : fallback;

        /// <summary>
        /// A (height, width) argument written as one int or a pair of ints; <paramref name="fallback"/> when it is
        /// absent or null; null when it is not known at build time.
        /// </summary>
        public int[]? Pair(string name, int[]? fallback)
        {
            if (!_values.TryGetValue(name, out var value) || ReferenceEquals(value, NullValue)) return fallback;
            if (value is Dim dim && dim.TryGetConstant(out long k)) return new[] { (int)k, (int)k };
            return value is Dim[] { Length: 2 } pair && pair.All(d => d.IsConstant)
                ? pair.Select(d => { d.TryGetConstant(out long v); return (int)v; }).ToArray()
                : null;
        }

        /// <summary>A list of sizes written as one size or an array of them (a layer norm's <c>normalizedShape</c>), or null.</summary>
        public Dim[]? Dims(string name) => _values.TryGetValue(name, out var value) switch
        {
            true when value is Dim dim => new[] { dim },
            true when value is Dim[] dims => dims,
            _ => null,
        };

        /// <summary>The arguments of the child at <paramref name="path"/> (<c>block.fc</c>, <c>blocks.0</c>) of <paramref name="root"/>, or null when its creation is not known.</summary>
        public static LayerArguments? Read(string path, INamedTypeSymbol root, ModuleTypes types, Compilation compilation, CancellationToken cancellationToken)
        {
            var segments = path.Split('.');
            var type = root;
            var bound = new Dictionary<ISymbol, object?>(SymbolEqualityComparer.Default);
            for (int i = 0; i < segments.Length; i++)
            {
                var member = ModuleGenerator.Parser.MembersInDeclarationOrder(type)
                    .FirstOrDefault(m => ModuleGenerator.Parser.StateOf(m, types)?.StateName == segments[i]);
                if (member is null) return null;
                IObjectCreationOperation? creation;
                if (ModuleGenerator.Parser.StateOf(member, types)!.Kind == StateKind.ChildList)
                {
                    if (++i >= segments.Length || !int.TryParse(segments[i], out int element)) return null;
                    creation = Element(member, element, compilation, cancellationToken);
                }
                else
                {
                    creation = Creation(member, compilation, cancellationToken);
                }
                if (creation?.Constructor is not { } constructor || creation.Type is not INamedTypeSymbol created) return null;
                var arguments = new Dictionary<ISymbol, object?>(SymbolEqualityComparer.Default);
                foreach (var argument in creation.Arguments)
                {
                    if (argument.Parameter is { } parameter) arguments[parameter] = Evaluate(argument.Value, bound);
                }
                if (i == segments.Length - 1)
                    return new LayerArguments(arguments.ToDictionary(a => a.Key.Name, a => a.Value, StringComparer.Ordinal));
                bound = arguments;
                type = created;
            }
            return null;
        }

        /// <summary>An argument's value: a size (<see cref="Dim"/>), a bool, sizes (an array or a pair), <see cref="NullValue"/>, or null when unknown.</summary>
        static object? Evaluate(IOperation value, Dictionary<ISymbol, object?> bound)
        {
            while (value is IConversionOperation { Conversion.IsImplicit: true } or IConversionOperation { Conversion.IsNumeric: true } or IConversionOperation { Conversion.IsNullable: true })
                value = ((IConversionOperation)value).Operand;
            if (value.ConstantValue.HasValue)
            {
                return value.ConstantValue.Value switch
                {
                    null => NullValue,
                    bool b => b,
                    int i => Dim.Of(i),
                    long l => Dim.Of(l),
                    double d => d,
                    float f => (double)f,
                    string text => text,
                    _ => null,
                };
            }
            switch (value)
            {
                case IDefaultValueOperation { Type: { } type }:
                    // default, or a parameter's default written as default(T): null, 0 or false.
                    return type.IsReferenceType || type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T ? NullValue
                        : type.SpecialType switch
                        {
                            SpecialType.System_Int32 or SpecialType.System_Int64 => Dim.Of(0),
                            SpecialType.System_Boolean => false,
                            _ => null,
                        };
                case IParameterReferenceOperation reference:
                    if (bound.TryGetValue(reference.Parameter, out var known)) return known;
                    // A parameter nobody binds (the compiled module's own constructor's): its [Dim] name, as the analyzer reads it.
                    return reference.Parameter.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == "ShapeSafe.DimAttribute")
                        ?.ConstructorArguments.FirstOrDefault().Value is string name && DimParser.TryParseDim(name, out var dim, out _) ? dim : null;
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract or BinaryOperatorKind.Multiply } arithmetic
                    when Evaluate(arithmetic.LeftOperand, bound) is Dim left && Evaluate(arithmetic.RightOperand, bound) is Dim right:
                    try
                    {
                        return arithmetic.OperatorKind switch
                        {
                            BinaryOperatorKind.Add => left + right,
                            BinaryOperatorKind.Subtract => left - right,
                            _ => left * right,
                        };
                    }
                    catch (ArithmeticException)
                    {
                        return null; // past what a dim holds: unknown, as the analyzer reads it
                    }
                case ITupleOperation tuple:
                    return Sizes(tuple.Elements, bound);
                case IArrayCreationOperation { Initializer: { } initializer }:
                    return Sizes(initializer.ElementValues, bound);
                default:
                    return null;
            }
        }

        static Dim[]? Sizes(IEnumerable<IOperation> elements, Dictionary<ISymbol, object?> bound)
        {
            var sizes = new List<Dim>();
            foreach (var element in elements)
            {
                if (Evaluate(element, bound) is not Dim size) return null;
                sizes.Add(size);
            }
            return sizes.ToArray();
        }

        /// <summary>The creation of a child member: its initializer, else the one assignment the constructors make.</summary>
        internal static IObjectCreationOperation? Creation(ISymbol member, Compilation compilation, CancellationToken cancellationToken)
        {
            var syntax = member.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken);
            var initializer = syntax switch
            {
                VariableDeclaratorSyntax variable => variable.Initializer?.Value,
                PropertyDeclarationSyntax property => property.Initializer?.Value,
                _ => null,
            };
            if (initializer is not null) return ObjectCreation(compilation.GetSemanticModel(initializer.SyntaxTree).GetOperation(initializer, cancellationToken));
            var assigned = new List<IOperation>();
            foreach (var constructor in member.ContainingType.InstanceConstructors)
            {
                foreach (var reference in constructor.DeclaringSyntaxReferences)
                {
                    var body = reference.GetSyntax(cancellationToken);
                    var model = compilation.GetSemanticModel(body.SyntaxTree);
                    foreach (var assignment in body.DescendantNodes().OfType<AssignmentExpressionSyntax>())
                    {
                        if (model.GetOperation(assignment, cancellationToken) is ISimpleAssignmentOperation { Target: var target, Value: var value }
                            && target switch
                            {
                                IFieldReferenceOperation field => SymbolEqualityComparer.Default.Equals(field.Field, member),
                                IPropertyReferenceOperation property => SymbolEqualityComparer.Default.Equals(property.Property, member),
                                _ => false,
                            })
                            assigned.Add(value);
                    }
                }
            }
            return assigned.Count == 1 ? ObjectCreation(assigned[0]) : null;
        }

        /// <summary>Element <paramref name="index"/> of a module array whose initializer lists its elements.</summary>
        static IObjectCreationOperation? Element(ISymbol member, int index, Compilation compilation, CancellationToken cancellationToken)
        {
            var syntax = member.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken);
            var initializer = syntax switch
            {
                VariableDeclaratorSyntax variable => variable.Initializer?.Value,
                PropertyDeclarationSyntax property => property.Initializer?.Value,
                _ => null,
            };
            var items = initializer switch
            {
                InitializerExpressionSyntax braces => braces.Expressions.ToList(),
                ArrayCreationExpressionSyntax { Initializer: { } braces } => braces.Expressions.ToList(),
                ImplicitArrayCreationExpressionSyntax implicitArray => implicitArray.Initializer.Expressions.ToList(),
                CollectionExpressionSyntax brackets => brackets.Elements.OfType<ExpressionElementSyntax>().Select(e => e.Expression).ToList(),
                _ => null,
            };
            if (items is null || index < 0 || index >= items.Count) return null;
            return ObjectCreation(compilation.GetSemanticModel(items[index].SyntaxTree).GetOperation(items[index], cancellationToken));
        }

        static IObjectCreationOperation? ObjectCreation(IOperation? operation)
        {
            while (operation is IConversionOperation conversion) operation = conversion.Operand;
            return operation as IObjectCreationOperation;
        }
    }
}
