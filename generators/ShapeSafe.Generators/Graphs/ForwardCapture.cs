using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    /// <summary>
    /// Turns a <c>[Module]</c> class's <c>Forward</c> into a graph (TorchDynamo's capture, done on the code as written):
    /// child modules' <c>Forward</c> calls, the tensor ops it knows, locals and <c>return</c>. A child that is itself a
    /// <c>[Module]</c> class of the compilation is inlined. Anything else is a graph break: the capture stops and says
    /// which line and why, and the module runs eagerly.
    /// </summary>
    internal sealed class ForwardCapture
    {
        /// <summary>How deep child <c>[Module]</c> classes are inlined (a deeper one is a graph break).</summary>
        const int MaxInlineDepth = 8;

        readonly ModuleTypes _types;
        readonly Compilation _compilation;
        readonly CancellationToken _cancellationToken;
        readonly List<GraphNode> _nodes = new List<GraphNode>();
        readonly List<BoundModule> _modules = new List<BoundModule>();

        ForwardCapture(ModuleTypes types, Compilation compilation, CancellationToken cancellationToken)
        {
            _types = types;
            _compilation = compilation;
            _cancellationToken = cancellationToken;
        }

        /// <summary>The result of a capture: a graph, or the reason and place of the break.</summary>
        internal sealed class Result
        {
            public Result(CapturedGraph? graph, string reason, Location? location)
            {
                Graph = graph;
                Reason = reason;
                Location = location;
            }

            public CapturedGraph? Graph { get; }

            /// <summary>Why the capture stopped, with the line (empty when it did not).</summary>
            public string Reason { get; }

            /// <summary>Where it stopped.</summary>
            public Location? Location { get; }
        }

        /// <summary>The <c>Forward</c> the generator compiles: public, returning a tensor, of one or two tensor parameters.</summary>
        public static IMethodSymbol? FindForward(INamedTypeSymbol type, ModuleTypes types) =>
            type.GetMembers("Forward").OfType<IMethodSymbol>().FirstOrDefault(m =>
                m.DeclaredAccessibility == Accessibility.Public && !m.IsStatic && m.TypeParameters.Length == 0
                && SymbolEqualityComparer.Default.Equals(m.ReturnType, types.Tensor)
                && m.Parameters.Length is 1 or 2
                && m.Parameters.All(p => p.RefKind == RefKind.None && SymbolEqualityComparer.Default.Equals(p.Type, types.Tensor)));

        /// <summary>The locals GraphEmitter declares in the compiled <c>Forward</c>, which a parameter must not be called.</summary>
        static readonly string[] GeneratedLocals = { "plan", "needs", "record", "b", "output" };

        /// <summary>Captures <paramref name="forward"/>, a method of a <c>[Module]</c> class.</summary>
        public static Result Capture(IMethodSymbol forward, ModuleTypes types, Compilation compilation, CancellationToken cancellationToken)
        {
            var capture = new ForwardCapture(types, compilation, cancellationToken);
            var inputs = new List<int>();
            foreach (var parameter in forward.Parameters)
            {
                // The compiled Forward keeps the parameters' names, beside the locals of the code around the steps.
                if (Array.IndexOf(GeneratedLocals, parameter.Name) >= 0)
                    return new Result(null, "the parameter name '" + parameter.Name + "' is one of the compiled Forward's own locals ("
                        + string.Join(", ", GeneratedLocals) + "); rename the parameter", parameter.Locations.FirstOrDefault());
                inputs.Add(capture.Add(new GraphNode(GraphOp.Input, default, "", default, parameter.Name)));
            }
            try
            {
                int output = capture.Inline(forward, "", inputs, depth: 0);
                return new Result(new CapturedGraph(capture._nodes.ToEquatableArray(), output, capture._modules.ToEquatableArray()), "", null);
            }
            catch (GraphBreakException e)
            {
                return new Result(null, e.Message, e.Location);
            }
        }

        /// <summary>Captures the body of <paramref name="forward"/> on the given input values; returns the value it returns.</summary>
        int Inline(IMethodSymbol forward, string prefix, IReadOnlyList<int> arguments, int depth)
        {
            var syntax = forward.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken) as MethodDeclarationSyntax;
            if (syntax is null || (syntax.Body is null && syntax.ExpressionBody is null))
                throw new GraphBreakException(forward.Locations.FirstOrDefault(), forward.ContainingType.Name + ".Forward has no body the generator can read");
            var model = _compilation.GetSemanticModel(syntax.SyntaxTree);
            if (model.GetOperation(syntax, _cancellationToken) is not IMethodBodyOperation body)
                throw new GraphBreakException(syntax.GetLocation(), forward.ContainingType.Name + ".Forward does not bind");
            var scope = new Scope(prefix, depth);
            for (int i = 0; i < forward.Parameters.Length; i++) scope.Values[forward.Parameters[i]] = arguments[i];
            var block = body.BlockBody ?? body.ExpressionBody!;
            foreach (var statement in block.Operations)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                if (Statement(statement, scope) is { } returned) return returned;
            }
            throw new GraphBreakException(syntax.Identifier.GetLocation(), forward.ContainingType.Name + ".Forward does not end in a return the generator can follow");
        }

        /// <summary>Runs one statement; returns the returned value for a <c>return</c>, else null.</summary>
        int? Statement(IOperation statement, Scope scope)
        {
            switch (statement)
            {
                case IVariableDeclarationGroupOperation group:
                    foreach (var declarator in group.Declarations.SelectMany(d => d.Declarators))
                    {
                        var initializer = declarator.Initializer?.Value ?? declarator.GetVariableInitializer()?.Value;
                        if (initializer is null)
                            throw Break(declarator, "a local declared without a value (" + declarator.Symbol.Name + ")");
                        RequireTensor(declarator.Symbol.Type, declarator, "a local of type " + declarator.Symbol.Type.ToDisplayString());
                        scope.Values[declarator.Symbol] = Value(initializer, scope);
                    }
                    return null;
                case IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment }:
                    RequireTensor(local.Local.Type, assignment, "an assignment to a local of type " + local.Local.Type.ToDisplayString());
                    scope.Values[local.Local] = Value(assignment.Value, scope);
                    return null;
                case IExpressionStatementOperation { Operation: ISimpleAssignmentOperation { Target: IParameterReferenceOperation parameter } assignment }:
                    scope.Values[parameter.Parameter] = Value(assignment.Value, scope);
                    return null;
                case IExpressionStatementOperation { Operation: ISimpleAssignmentOperation assignment }:
                    throw Break(assignment, "an assignment to " + Describe(assignment.Target) + " (a side effect on state)");
                case IReturnOperation { ReturnedValue: { } returned }:
                    return Value(returned, scope);
                case IConditionalOperation:
                    throw Break(statement, "an if statement (branches are not compiled yet)");
                case ILoopOperation:
                    throw Break(statement, "a loop (loops are not compiled yet)");
                default:
                    throw Break(statement, "a statement of kind " + statement.Kind);
            }
        }

        /// <summary>The graph value an expression computes.</summary>
        int Value(IOperation operation, Scope scope)
        {
            switch (operation)
            {
                case IConversionOperation { Conversion.IsIdentity: true } conversion:
                    return Value(conversion.Operand, scope);
                case IConversionOperation { Conversion.IsImplicit: true, Conversion.IsReference: true } conversion
                    when _types.IsTensor(conversion.Operand.Type):
                    return Value(conversion.Operand, scope);
                case IParenthesizedOperation parenthesized:
                    return Value(parenthesized.Operand, scope);
                case IParameterReferenceOperation parameter when scope.Values.TryGetValue(parameter.Parameter, out int p):
                    return p;
                case ILocalReferenceOperation local when scope.Values.TryGetValue(local.Local, out int l):
                    return l;
                case IInvocationOperation invocation:
                    return Invocation(invocation, scope);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Multiply } binary
                    when _types.IsTensor(binary.LeftOperand.Type) && _types.IsTensor(binary.RightOperand.Type):
                    return Add(binary.OperatorKind == BinaryOperatorKind.Add ? GraphOp.Add : GraphOp.Mul,
                        new[] { Value(binary.LeftOperand, scope), Value(binary.RightOperand, scope) }, "", binary);
                default:
                    throw Break(operation, Describe(operation) + ", which the generator does not compile");
            }
        }

        int Invocation(IInvocationOperation invocation, Scope scope)
        {
            var method = invocation.TargetMethod;
            // A child's Forward: this._fc1.Forward(x)
            if (method.Name == "Forward" && invocation.Instance is { } instance && ChildPath(instance, scope) is { } child)
            {
                var input = invocation.Arguments.Select(a => Value(a.Value, scope)).ToList();
                return ChildForward(child.Path, child.Type, input, invocation, scope);
            }
            var containing = method.ContainingType?.ToDisplayString();
            if (containing == "ShapeSafe.NN.F" && invocation.Arguments.Length >= 1 && Activation(method.Name) is { } function
                && invocation.Arguments.Skip(1).All(ExactGelu))
                return Add(function, new[] { Value(invocation.Arguments[0].Value, scope) }, "", invocation);
            if (containing == "ShapeSafe.Tensor" && !method.IsStatic && invocation.Instance is { } tensor)
            {
                if (invocation.Arguments.Length == 0 && Activation(method.Name) is { } activation)
                    return Add(activation, new[] { Value(tensor, scope) }, "", invocation);
                if (method.Name == "Flatten" && invocation.Arguments.Length == 2
                    && invocation.Arguments.All(a => a.Value.ConstantValue is { HasValue: true, Value: int }))
                {
                    var dims = invocation.Arguments.Select(a => ((int)a.Value.ConstantValue.Value!).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    return Add(GraphOp.Flatten, new[] { Value(tensor, scope) }, "", invocation, dims.ToArray());
                }
            }
            throw Break(invocation, "a call to " + (method.ContainingType?.Name ?? "?") + "." + method.Name + ", which the generator does not compile");
        }

        int ChildForward(string path, INamedTypeSymbol type, List<int> input, IInvocationOperation call, Scope scope)
        {
            var primitive = Primitive(type);
            if (primitive is { } op)
            {
                if (input.Count != 1)
                    throw Break(call, type.Name + ".Forward with " + input.Count + " arguments");
                Bind(path, type);
                return Add(op, input, path, call);
            }
            if (_types.HasModuleAttribute(type) && type.DeclaringSyntaxReferences.Length > 0 && FindForward(type, _types) is { } forward
                && forward.Parameters.Length == input.Count)
            {
                if (scope.Depth + 1 > MaxInlineDepth)
                    throw Break(call, type.Name + " is nested more than " + MaxInlineDepth + " [Module] classes deep");
                return Inline(forward, path, input, scope.Depth + 1);
            }
            throw Break(call, "a call to " + type.Name + ".Forward, which the generator cannot see into (only the engine's compiled layers and [Module] classes of this project are compiled)");
        }

        /// <summary>The registry path and type of a child reached from <c>this</c> (<c>_fc1</c>, <c>this.fc1</c>), or null.</summary>
        (string Path, INamedTypeSymbol Type)? ChildPath(IOperation instance, Scope scope)
        {
            ISymbol? member = instance switch
            {
                IFieldReferenceOperation { Instance: IInstanceReferenceOperation } field => field.Field,
                IPropertyReferenceOperation { Instance: IInstanceReferenceOperation, Arguments.Length: 0 } property => property.Property,
                _ => null,
            };
            if (member is null || instance.Type is not INamedTypeSymbol type || !_types.IsModule(type)) return null;
            var state = ModuleGenerator.Parser.StateOf(member, _types);
            if (state is null || state.Kind != StateKind.Child)
                throw Break(instance, member.Name + " is not a registered child module");
            return (scope.Prefix.Length == 0 ? state.StateName : scope.Prefix + "." + state.StateName, type);
        }

        /// <summary>The element-wise activations compiled as functions (<c>F.Relu(x)</c>, <c>x.Relu()</c>).</summary>
        static GraphOp? Activation(string name) => name switch
        {
            "Relu" => GraphOp.Relu,
            "Sigmoid" => GraphOp.Sigmoid,
            "Tanh" => GraphOp.Tanh,
            "Gelu" => GraphOp.Gelu,
            _ => null,
        };

        /// <summary>An argument after the input: only <c>F.Gelu</c>'s <c>approximate</c>, left out or "none".</summary>
        static bool ExactGelu(IArgumentOperation argument) =>
            argument.ArgumentKind == ArgumentKind.DefaultValue
            || argument.Parameter?.Name == "approximate" && argument.Value.ConstantValue is { HasValue: true, Value: "none" };

        static GraphOp? Primitive(INamedTypeSymbol type) => type.ToDisplayString() switch
        {
            "ShapeSafe.NN.Sigmoid" => GraphOp.Sigmoid,
            "ShapeSafe.NN.Tanh" => GraphOp.Tanh,
            "ShapeSafe.NN.Linear" => GraphOp.Linear,
            "ShapeSafe.NN.Conv2d" => GraphOp.Conv2d,
            "ShapeSafe.NN.MaxPool2d" => GraphOp.MaxPool2d,
            "ShapeSafe.NN.ReLU" => GraphOp.Relu,
            "ShapeSafe.NN.Flatten" => GraphOp.Flatten,
            _ => null,
        };

        void Bind(string path, INamedTypeSymbol type)
        {
            if (_modules.Any(m => m.Path == path)) return;
            _modules.Add(new BoundModule(path, "global::" + type.ToDisplayString()));
        }

        /// <summary>The compiled class's field that holds the child at <paramref name="path"/>.</summary>
        internal static string Member(string path) => "_" + path.Replace('.', '_');

        int Add(GraphOp op, IReadOnlyList<int> inputs, string module, IOperation source, params string[] arguments) =>
            Add(new GraphNode(op, inputs.ToEquatableArray(), module, arguments.ToEquatableArray(), SourceOf(source)));

        int Add(GraphNode node)
        {
            _nodes.Add(node);
            return _nodes.Count - 1;
        }

        static string SourceOf(IOperation operation)
        {
            var span = operation.Syntax.GetLocation().GetLineSpan();
            var text = string.Join(" ", operation.Syntax.ToString().Split(new[] { '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));
            return Path.GetFileName(span.Path) + "(" + (span.StartLinePosition.Line + 1) + "): " + text;
        }

        void RequireTensor(ITypeSymbol type, IOperation at, string what)
        {
            if (!_types.IsTensor(type)) throw Break(at, what);
        }

        static string Describe(IOperation operation) => operation switch
        {
            IFieldReferenceOperation field => "the field " + field.Field.Name,
            IPropertyReferenceOperation property => "the property " + property.Property.Name,
            IBinaryOperation binary => "the operator " + binary.OperatorKind,
            _ => "an expression of kind " + operation.Kind,
        };

        static GraphBreakException Break(IOperation at, string reason)
        {
            var line = at.Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
            return new GraphBreakException(at.Syntax.GetLocation(), "line " + line + ": " + reason);
        }

        sealed class Scope
        {
            public Scope(string prefix, int depth)
            {
                Prefix = prefix;
                Depth = depth;
            }

            public string Prefix { get; }
            public int Depth { get; }
            public Dictionary<ISymbol, int> Values { get; } = new Dictionary<ISymbol, int>(SymbolEqualityComparer.Default);
        }

        sealed class GraphBreakException : Exception
        {
            public GraphBreakException(Location? location, string message) : base(message) => Location = location;

            public Location? Location { get; }
        }
    }
}
