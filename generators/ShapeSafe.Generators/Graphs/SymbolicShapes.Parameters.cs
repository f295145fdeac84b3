using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using ShapeSafe.Generators.Model;
using ShapeSafe.Shapes;
using R = ShapeSafe.Shapes.ShapeRules<ShapeSafe.Shapes.Dim, ShapeSafe.Shapes.SymbolicDims>;

namespace ShapeSafe.Generators.Graphs
{
    // The shapes of the module's own parameters and buffers, read from the code that creates them, and the rules of
    // the ops on them (matrix products, F.Linear, t.T).
    internal sealed partial class SymbolicShapes
    {
        /// <summary>How deep sizes are followed through readonly fields (a field set from another field...).</summary>
        const int MaxFieldDepth = 4;

        /// <summary>
        /// The shape of the parameter or buffer at <paramref name="path"/> (<c>weight</c>, <c>block.gamma</c>) from the
        /// code that creates it: the member's initializer or the one assignment the constructors make, when nothing
        /// else assigns it, of <c>new Parameter(t)</c> where <c>t</c> is <c>Tensor.Randn(sizes)</c> (or <c>Rand</c>,
        /// <c>Zeros</c>, <c>Ones</c>, <c>Empty</c>, <c>Full</c>), an <c>Init</c> method of one, or one of those times a
        /// scalar. Sizes are constants, constructor parameters (bound to what the child's creation passes, or their
        /// <c>[Dim]</c> names) and readonly fields set from them; a size not known is a dim of its own. Anything else
        /// is not known (<c>[...]</c>): no diagnostic is guessed from it.
        /// </summary>
        Shape StateShape(string path)
        {
            try
            {
                int dot = path.LastIndexOf('.');
                var owner = dot < 0 ? _root : OwnerType(path.Substring(0, dot));
                if (owner is null) return Shape.Unknown;
                var name = path.Substring(dot + 1);
                var member = ModuleGenerator.Parser.MembersInDeclarationOrder(owner)
                    .FirstOrDefault(m => ModuleGenerator.Parser.StateOf(m, _types) is { Kind: StateKind.Parameter or StateKind.Buffer } s && s.StateName == name);
                if (member is null || AssignedValue(member) is not { } created) return Shape.Unknown;
                var arguments = dot < 0 ? null : Layer(path.Substring(0, dot));
                return TensorShape(created, arguments, 0) ?? Shape.Unknown;
            }
            catch (Exception e) when (e is ArithmeticException or ArgumentException or InvalidOperationException or FormatException)
            {
                return Shape.Unknown;
            }
        }

        /// <summary>The type of the inlined child at <paramref name="path"/>, as its member declares it (an array's or list's element type for <c>blocks.0</c>).</summary>
        INamedTypeSymbol? OwnerType(string path)
        {
            var type = _root;
            var segments = path.Split('.');
            for (int i = 0; i < segments.Length; i++)
            {
                var member = ModuleGenerator.Parser.MembersInDeclarationOrder(type)
                    .FirstOrDefault(m => ModuleGenerator.Parser.StateOf(m, _types)?.StateName == segments[i]);
                var declared = member switch
                {
                    IFieldSymbol field => field.Type,
                    IPropertySymbol property => property.Type,
                    _ => null,
                };
                if (member is null || declared is null) return null;
                if (ModuleGenerator.Parser.StateOf(member, _types)!.Kind == StateKind.ChildList)
                {
                    i++;
                    declared = declared is IArrayTypeSymbol array ? array.ElementType : (declared as INamedTypeSymbol)?.TypeArguments.FirstOrDefault();
                }
                if (declared is not INamedTypeSymbol named) return null;
                type = named;
            }
            return type;
        }

        /// <summary>
        /// The value a member is created with: its initializer, or the one assignment the constructors make; null when
        /// there is none, or when code other than a constructor assigns it too (then its shape may change).
        /// </summary>
        IOperation? AssignedValue(ISymbol member)
        {
            var syntax = member.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken);
            var initializer = syntax switch
            {
                VariableDeclaratorSyntax variable => variable.Initializer?.Value,
                PropertyDeclarationSyntax property => property.Initializer?.Value,
                _ => null,
            };
            var inConstructors = new List<IOperation>();
            foreach (var reference in member.ContainingType.DeclaringSyntaxReferences)
            {
                var type = reference.GetSyntax(_cancellationToken);
                var model = _compilation.GetSemanticModel(type.SyntaxTree);
                foreach (var assignment in type.DescendantNodes().OfType<AssignmentExpressionSyntax>())
                {
                    if (model.GetOperation(assignment, _cancellationToken) is not IAssignmentOperation { Target: var target } operation) continue;
                    var assigned = target switch
                    {
                        IFieldReferenceOperation field => field.Field,
                        IPropertyReferenceOperation property => (ISymbol)property.Property,
                        _ => null,
                    };
                    if (!SymbolEqualityComparer.Default.Equals(assigned, member)) continue;
                    if (!assignment.Ancestors().Any(a => a is ConstructorDeclarationSyntax) || operation is not ISimpleAssignmentOperation simple) return null;
                    inConstructors.Add(simple.Value);
                }
            }
            if (initializer is not null)
                return inConstructors.Count == 0 ? _compilation.GetSemanticModel(initializer.SyntaxTree).GetOperation(initializer, _cancellationToken) : null;
            return inConstructors.Count == 1 ? inConstructors[0] : null;
        }

        static readonly string[] Factories = { "Randn", "Rand", "Zeros", "Ones", "Empty", "Full" };

        /// <summary>The shape of a tensor a parameter or buffer is created from, or null when the code does not show it.</summary>
        Shape? TensorShape(IOperation value, LayerArguments? arguments, int depth)
        {
            while (value is IConversionOperation conversion) value = conversion.Operand;
            switch (value)
            {
                case IObjectCreationOperation { Type: { } created } creation when created.ToDisplayString() == "ShapeSafe.NN.Parameter" && creation.Arguments.Length > 0:
                    return TensorShape(creation.Arguments[0].Value, arguments, depth);
                case IInvocationOperation invocation:
                {
                    var method = invocation.TargetMethod;
                    var containing = method.ContainingType?.ToDisplayString();
                    if (containing == "ShapeSafe.Tensor" && method.IsStatic && Array.IndexOf(Factories, method.Name) >= 0 && invocation.Arguments.Length > 0)
                    {
                        var sizes = invocation.Arguments[0].Value;
                        while (sizes is IConversionOperation widening) sizes = widening.Operand;
                        if (sizes is not IArrayCreationOperation { Initializer: { } elements }) return null;
                        return Shape.Of(elements.ElementValues.Select(e => Size(e, arguments, depth) ?? Dim.Anonymous()).ToArray());
                    }
                    if (containing == "ShapeSafe.NN.Init" && invocation.Arguments.Length > 0)
                        return TensorShape(invocation.Arguments[0].Value, arguments, depth);
                    // t.Mul(0.02), t.Clone(), t.Detach(): the shape of t.
                    if (containing == "ShapeSafe.Tensor" && !method.IsStatic && invocation.Instance is { } instance
                        && (method.Name is "Clone" or "Detach" or "Contiguous" && invocation.Arguments.Length == 0
                            || method.Name is "Mul" or "Div" or "Add" or "Sub" && invocation.Arguments.Length == 1 && !_types.IsTensor(invocation.Arguments[0].Value.Type)))
                        return TensorShape(instance, arguments, depth);
                    return null;
                }
                case IBinaryOperation binary when _types.IsTensor(binary.LeftOperand.Type) != _types.IsTensor(binary.RightOperand.Type):
                    return TensorShape(_types.IsTensor(binary.LeftOperand.Type) ? binary.LeftOperand : binary.RightOperand, arguments, depth);
                default:
                    return null;
            }
        }

        /// <summary>A size: a constant, a constructor parameter, a readonly field set from those, and sums, differences and products of them.</summary>
        Dim? Size(IOperation value, LayerArguments? arguments, int depth)
        {
            while (value is IConversionOperation conversion) value = conversion.Operand;
            if (value.ConstantValue is { HasValue: true, Value: int or long } constant)
                return Dim.Of(Convert.ToInt64(constant.Value, System.Globalization.CultureInfo.InvariantCulture));
            switch (value)
            {
                case IParameterReferenceOperation reference when reference.Parameter.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.Constructor }:
                    if (arguments is not null) return arguments.Int(reference.Parameter.Name);
                    // A parameter of the compiled module's constructor, which nobody binds: its [Dim] name, as the analyzer reads it.
                    return reference.Parameter.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == "ShapeSafe.DimAttribute")
                        ?.ConstructorArguments.FirstOrDefault().Value is string name && DimParser.TryParseDim(name, out var dim, out _) ? dim : null;
                case IFieldReferenceOperation { Field: { IsReadOnly: true } field, Instance: null or IInstanceReferenceOperation } when depth < MaxFieldDepth:
                    return AssignedValue(field) is { } assigned ? Size(assigned, arguments, depth + 1) : null;
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract or BinaryOperatorKind.Multiply } arithmetic
                    when Size(arithmetic.LeftOperand, arguments, depth) is { } left && Size(arithmetic.RightOperand, arguments, depth) is { } right:
                    return arithmetic.OperatorKind switch
                    {
                        BinaryOperatorKind.Add => left + right,
                        BinaryOperatorKind.Subtract => left - right,
                        _ => left * right,
                    };
                default:
                    return null;
            }
        }

        /// <summary>
        /// The rule of a matrix product of graph values (<c>Matmul</c>, <c>Mm</c>, <c>Bmm</c>). A left operand with
        /// unknown leading dims times a known matrix is <c>[..., N]</c> after its last dim is checked against the
        /// matrix's rows.
        /// </summary>
        Shape MatmulRule(GraphNode node, Shape a)
        {
            var b = _values[node.Inputs[1]] ?? Shape.Unknown;
            var op = node.Arguments[0];
            if (!a.Partial && !b.Partial)
                return Shape.Of(op switch
                {
                    "Mm" => R.Mm(a.Dims, b.Dims, op),
                    "Bmm" => R.Bmm(a.Dims, b.Dims, op),
                    _ => R.Matmul(a.Dims, b.Dims, op),
                });
            if (op == "Matmul" && !b.Partial && b.Dims.Length == 2 && a.Partial)
                return a.Dims.Length == 0 ? new Shape(true, new[] { b.Dims[1] }) : a.With(R.Matmul(a.Dims, b.Dims, op));
            return Shape.Unknown;
        }

        /// <summary><c>F.Linear(x, weight, bias)</c>'s rule: <c>x·weightᵀ</c>, the bias one value per output feature.</summary>
        Shape FunctionalLinearRule(GraphNode node, Shape x)
        {
            var weight = _values[node.Inputs[1]] ?? Shape.Unknown;
            if (weight.Partial) return Shape.Unknown;
            if (weight.Dims.Length != 2)
                throw new ShapeException("Linear", "weight must be 2-D [out_features, in_features], got " + weight + " (input " + x + ")");
            var transposed = new[] { weight.Dims[1], weight.Dims[0] };
            var output = x.Dims.Length == 0 && x.Partial ? new Shape(true, new[] { transposed[1] }) : x.With(R.Matmul(x.Dims, transposed, "Linear"));
            if (node.Inputs.Count > 2 && _values[node.Inputs[2]] is { Partial: false } bias
                && (bias.Dims.Length != 1 || default(SymbolicDims).Equal(bias.Dims[0], weight.Dims[0]) == Truth.False))
                throw new ShapeException("Linear", "bias " + bias + " should be [" + weight.Dims[0] + "], one per output feature of weight " + weight + " (input " + x + ")");
            return output;
        }

        /// <summary><c>t.T</c>: the dims reversed.</summary>
        static Shape Reversed(Shape x) => x.Partial ? Shape.Unknown : x.With(Enumerable.Reverse(x.Dims).ToArray());

        /// <summary>Whether node <paramref name="index"/>'s value depends on a parameter or buffer, whose shapes the shape analyzer does not read.</summary>
        bool ReadsState(int index)
        {
            var node = _graph.Nodes[index];
            if (ForwardCapture.IsState(node.Op)) return true;
            return node.Inputs.Any(i => _readsState[i]);
        }
    }
}
