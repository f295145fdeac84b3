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
    /// <c>[Module]</c> class of the compilation is inlined. Loops over module arrays whose elements the initializer
    /// lists, and <c>for</c> loops of constant bounds, are unrolled, and an <c>if</c> on an unrolled counter keeps the
    /// branch it takes. Anything else is a graph break: the capture stops and says which line and why, and the module
    /// runs eagerly. Branches on values known when the graph is bound are captured once per outcome
    /// (ForwardCapture.Branches.cs).
    /// </summary>
    internal sealed partial class ForwardCapture
    {
        /// <summary>How deep child <c>[Module]</c> classes are inlined (a deeper one is a graph break).</summary>
        const int MaxInlineDepth = 8;

        readonly ModuleTypes _types;
        readonly INamedTypeSymbol _root;
        readonly Compilation _compilation;
        readonly CancellationToken _cancellationToken;
        readonly List<GraphNode> _nodes = new List<GraphNode>();
        readonly List<BoundModule> _modules = new List<BoundModule>();
        // Where each node comes from: the code in the compiled Forward itself, or the call of an inlined child.
        readonly List<bool> _inlined = new List<bool>();
        readonly List<Location?> _locations = new List<Location?>();
        Location? _inlinedCall;
        // The inputs an embedding reads as indices, and those other ops read.
        readonly HashSet<int> _indexInputs = new HashSet<int>();
        readonly HashSet<int> _floatInputs = new HashSet<int>();
        // A module array's children by the array's path (the inlined module's prefix and the member's name).
        readonly Dictionary<string, List<(string Path, INamedTypeSymbol Type)>> _elements =
            new Dictionary<string, List<(string, INamedTypeSymbol)>>(StringComparer.Ordinal);

        ForwardCapture(INamedTypeSymbol root, ModuleTypes types, Compilation compilation, CancellationToken cancellationToken)
        {
            _root = root;
            _types = types;
            _compilation = compilation;
            _cancellationToken = cancellationToken;
        }

        /// <summary>The result of a capture: a graph, or the reason and place of the break.</summary>
        internal sealed class Result
        {
            public Result(CapturedGraph? graph, string reason, Location? location, IReadOnlyList<bool>? inlined = null, IReadOnlyList<Location?>? locations = null,
                GraphVariants? variants = null, IReadOnlyList<PathSources>? variantSources = null)
            {
                Graph = graph;
                Reason = reason;
                Location = location;
                Inlined = inlined ?? Array.Empty<bool>();
                Locations = locations ?? Array.Empty<Location?>();
                Variants = variants;
                VariantSources = variantSources ?? Array.Empty<PathSources>();
            }

            public CapturedGraph? Graph { get; }

            /// <summary>Instead of one graph: one per combination of the branches' outcomes.</summary>
            public GraphVariants? Variants { get; }

            /// <summary>Why the capture stopped, with the line (empty when it did not).</summary>
            public string Reason { get; }

            /// <summary>Where it stopped.</summary>
            public Location? Location { get; }

            /// <summary>By node: whether it comes from an inlined child's <c>Forward</c> rather than the compiled <c>Forward</c>'s own code.</summary>
            public IReadOnlyList<bool> Inlined { get; }

            /// <summary>By node: where the compiled <c>Forward</c> computes it (for an inlined node, the call of the child).</summary>
            public IReadOnlyList<Location?> Locations { get; }

            /// <summary>By variant, in the order of <see cref="Variants"/>: where its own capture found each node of its graph.</summary>
            public IReadOnlyList<PathSources> VariantSources { get; }
        }

        /// <summary>Where one path's capture found each node: <see cref="Result.Inlined"/> and <see cref="Result.Locations"/> of that path's graph.</summary>
        internal sealed class PathSources
        {
            public PathSources(IReadOnlyList<bool> inlined, IReadOnlyList<Location?> locations)
            {
                Inlined = inlined;
                Locations = locations;
            }

            public IReadOnlyList<bool> Inlined { get; }

            public IReadOnlyList<Location?> Locations { get; }
        }

        /// <summary>The <c>Forward</c> the generator compiles: public, returning a tensor, of one to four tensor parameters (an input and its masks or initial states).</summary>
        public static IMethodSymbol? FindForward(INamedTypeSymbol type, ModuleTypes types) =>
            type.GetMembers("Forward").OfType<IMethodSymbol>().FirstOrDefault(m =>
                m.DeclaredAccessibility == Accessibility.Public && !m.IsStatic && m.TypeParameters.Length == 0
                && SymbolEqualityComparer.Default.Equals(m.ReturnType, types.Tensor)
                && m.Parameters.Length is >= 1 and <= MaxInputs
                && m.Parameters.All(p => p.RefKind == RefKind.None && SymbolEqualityComparer.Default.Equals(p.Type, types.Tensor)));

        /// <summary>The most tensor parameters a compiled <c>Forward</c> takes.</summary>
        const int MaxInputs = 4;

        /// <summary>The locals GraphEmitter declares in the compiled <c>Forward</c>, which a parameter must not be called.</summary>
        static readonly string[] GeneratedLocals = { "plan", "needs", "record", "b", "output" };

        /// <summary>Captures <paramref name="forward"/>, a method of a <c>[Module]</c> class.</summary>
        public static Result Capture(IMethodSymbol forward, ModuleTypes types, Compilation compilation, CancellationToken cancellationToken)
        {
            foreach (var parameter in forward.Parameters)
            {
                // The compiled Forward keeps the parameters' names, beside the locals of the code around the steps.
                if (Array.IndexOf(GeneratedLocals, parameter.Name) >= 0)
                    return new Result(null, "the parameter name '" + parameter.Name + "' is one of the compiled Forward's own locals ("
                        + string.Join(", ", GeneratedLocals) + "); rename the parameter", parameter.Locations.FirstOrDefault());
            }
            return CaptureVariants(forward, types, compilation, cancellationToken);
        }

        /// <summary>Captures one path through <paramref name="forward"/> (the branches take the outcomes this capture's path prescribes).</summary>
        CapturedGraph CapturePath(IMethodSymbol forward)
        {
            var inputs = forward.Parameters.Select(p => Add(new GraphNode(GraphOp.Input, default, "", default, p.Name), p.Locations.FirstOrDefault())).ToList();
            int output = Inline(forward, "", inputs, depth: 0);
            RequireMasksReadAsMasks(output);
            RequireAttentionOutputsRead(output);
            return new CapturedGraph(_nodes.ToEquatableArray(), output, _modules.ToEquatableArray());
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
            // The body's operations name the original definition's parameters (those of Block<T>, for Block<float>).
            for (int i = 0; i < forward.Parameters.Length; i++) scope.Values[forward.OriginalDefinition.Parameters[i]] = arguments[i];
            _inlinedTypes[prefix] = forward.ContainingType;
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
                        if (!_types.IsTensor(declarator.Symbol.Type) && ValueRead(initializer) is { } read)
                            throw Break(declarator, "a read of a tensor's value (" + read + ") into a local of type " + declarator.Symbol.Type.ToDisplayString());
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
                // var (output, (h, c)) = _lstm.Forward(x);
                case IExpressionStatementOperation { Operation: IDeconstructionAssignmentOperation deconstruction }
                    when RecurrentChild(deconstruction.Value, scope) is { } recurrent:
                    RecurrentDeconstruction(deconstruction, recurrent, scope);
                    return null;
                // var (y, w) = _attn.Forward(q, k, v);
                case IExpressionStatementOperation { Operation: IDeconstructionAssignmentOperation deconstruction }:
                    Deconstruct(deconstruction, scope);
                    return null;
                case IExpressionStatementOperation { Operation: ISimpleAssignmentOperation assignment }:
                    throw Break(assignment, "an assignment to " + Describe(assignment.Target) + " (a side effect on state)");
                case IExpressionStatementOperation { Operation: IIncrementOrDecrementOperation { Target: IFieldReferenceOperation or IPropertyReferenceOperation } update }:
                    throw Break(update, "an update of " + Describe(update.Target) + " (a side effect on state)");
                case IExpressionStatementOperation { Operation: ICompoundAssignmentOperation { Target: IFieldReferenceOperation or IPropertyReferenceOperation } update }:
                    throw Break(update, "an update of " + Describe(update.Target) + " (a side effect on state)");
                case IReturnOperation { ReturnedValue: { } returned }:
                    return Value(returned, scope);
                case IBlockOperation inner:
                    foreach (var nested in inner.Operations)
                        if (Statement(nested, scope) is { } returned) return returned;
                    return null;
                case IConditionalOperation branch when KnownBool(branch.Condition, scope) is bool taken:
                    // A condition known at build time (on an unrolled loop's counter): only the branch it takes is captured.
                    return (taken ? branch.WhenTrue : branch.WhenFalse) is { } chosen ? Statement(chosen, scope) : null;
                case IConditionalOperation branch:
                    // A condition known when the graph is bound (Training, a readonly option): this path's outcome.
                    return (Branch(branch.Condition, branch, scope, "an if statement") ? branch.WhenTrue : branch.WhenFalse) is { } side
                        ? Statement(side, scope) : null;
                case ISwitchOperation @switch:
                    return Switch(@switch, scope);
                case IThrowOperation thrown:
                    throw Throws(thrown);
                case IForEachLoopOperation each:
                    ForEach(each, scope);
                    return null;
                case IForLoopOperation loop:
                    For(loop, scope);
                    return null;
                case ILoopOperation:
                    throw Break(statement, "a while loop (only foreach over a module array and for loops of constant bounds are unrolled)");
                default:
                    throw Break(statement, ValueRead(statement) is { } value ? "a read of a tensor's value (" + value + ")" : "a statement of kind " + statement.Kind);
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
                // A recurrent call's Output, Hidden or State.H: its Forward returns the output and the final states as a tuple.
                case IFieldReferenceOperation element when IsRecurrentElement(element, scope):
                    return RecurrentElement(element, scope);
                // x.Max(dim).Values (ForwardCapture.TensorOps.cs).
                case IFieldReferenceOperation element when IsExtremumValues(element):
                    return ExtremumValues(element, scope);
                // t[i]: t.Select(0, i).
                case IPropertyReferenceOperation { Property.IsIndexer: true, Arguments.Length: 1, Instance: { } indexed } indexer
                    when _types.IsTensor(indexed.Type) && indexer.Arguments[0].Value.Type?.SpecialType == SpecialType.System_Int32:
                    return Indexer(indexer, scope);
                // A MultiheadAttention call's Output: its Forward returns the output and the weights as a tuple.
                case IFieldReferenceOperation { Instance: IInvocationOperation { TargetMethod.Name: "Forward", Instance: { } layer } call } element
                    when ChildPath(layer, scope) is { } attention && attention.Type.ToDisplayString() == MultiheadAttentionType:
                    return AttentionOutput(element, call, attention, scope);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract or BinaryOperatorKind.Multiply or BinaryOperatorKind.Divide } binary
                    when _types.IsTensor(binary.LeftOperand.Type) && _types.IsTensor(binary.RightOperand.Type):
                    return Add(Arithmetic(binary.OperatorKind),
                        new[] { Value(binary.LeftOperand, scope), Value(binary.RightOperand, scope) }, "", binary);
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract or BinaryOperatorKind.Multiply or BinaryOperatorKind.Divide } binary
                    when _types.IsTensor(binary.LeftOperand.Type) != _types.IsTensor(binary.RightOperand.Type):
                {
                    bool scalarFirst = !_types.IsTensor(binary.LeftOperand.Type);
                    var (tensor, scalar) = scalarFirst ? (binary.RightOperand, binary.LeftOperand) : (binary.LeftOperand, binary.RightOperand);
                    return WithScalar(binary.OperatorKind, scalarFirst, tensor, scalar, binary, scope);
                }
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Minus } negation when _types.IsTensor(negation.Operand.Type):
                    return Add(GraphOp.Neg, new[] { Value(negation.Operand, scope) }, "", negation);
                case IConditionalOperation { WhenFalse: { } whenFalse } conditional:
                    return Value(Branch(conditional.Condition, conditional, scope, "a conditional expression") ? conditional.WhenTrue : whenFalse, scope);
                case ISwitchExpressionOperation @switch:
                    return SwitchExpression(@switch, scope);
                case IThrowOperation thrown:
                    throw Throws(thrown);
                case IConversionOperation { Operand: IThrowOperation converted }:
                    throw Throws(converted);
                // A parameter or buffer of the module (ForwardCapture.Parameters.cs), and w.T.
                case IFieldReferenceOperation or IPropertyReferenceOperation when StateValue(operation, scope) is int state:
                    return state;
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
                if (IsAttentionLayer(child.Type)) return AttentionForward(invocation, child, scope);
                if (IsDecoderLayer(child.Type)) return DecoderForward(invocation, child, scope);
                if (IsRecurrentLayer(child.Type))
                {
                    RequireUnpacked(invocation, child);
                    throw Break(invocation, "a " + child.Type.Name + " call whose tuple is used whole (deconstruct it, or read its Output, Hidden, State.H or State.C)");
                }
                var input = invocation.Arguments.Select(a => Value(a.Value, scope)).ToList();
                return ChildForward(child.Path, child.Type, input, invocation, scope);
            }
            if (Product(invocation, scope) is int product) return product;
            var containing = method.ContainingType?.ToDisplayString();
            if (containing == "ShapeSafe.NN.F" && method.Name is "Pad" or "Interpolate") return FunctionCall(invocation, scope);
            if (ActivationFunction(invocation, containing, scope) is int activated) return activated;
            if (containing == "ShapeSafe.NN.F" && invocation.Arguments.Length >= 1 && Activation(method.Name) is { } function
                && invocation.Arguments.Skip(1).All(ExactGelu))
                return Add(function, new[] { Value(invocation.Arguments[0].Value, scope) }, "", invocation);
            // F.Softmax(x, dim), F.LogSoftmax(x, dim) and the tensor methods, with a constant dim.
            if (method.Name is "Softmax" or "LogSoftmax" && SoftmaxOperands(invocation, containing) is var (source, dimension))
                return Add(method.Name == "Softmax" ? GraphOp.Softmax : GraphOp.LogSoftmax, new[] { Value(source, scope) }, "", invocation,
                    dimension.ToString(System.Globalization.CultureInfo.InvariantCulture));
            // Tensor.Add(a, b) and the other static forms.
            if (containing == "ShapeSafe.Tensor" && method.IsStatic && MethodArithmetic(method.Name) is { } staticKind
                && invocation.Arguments.Length == 2 && invocation.Arguments.All(a => _types.IsTensor(a.Value.Type)))
                return Add(Arithmetic(staticKind), new[] { Value(invocation.Arguments[0].Value, scope), Value(invocation.Arguments[1].Value, scope) }, "", invocation);
            if (containing == "ShapeSafe.Tensor" && !method.IsStatic && invocation.Instance is { } tensor)
            {
                if (invocation.Arguments.Length == 0 && Activation(method.Name) is { } activation)
                    return Add(activation, new[] { Value(tensor, scope) }, "", invocation);
                if (Layout(invocation, scope) is { } layout)
                    return Add(layout.Op, new[] { Value(tensor, scope) }, "", invocation, layout.Arguments);
                if (Slicing(invocation, tensor, scope) is { } slice)
                    return slice;
                if (method.Name == "Neg" && invocation.Arguments.Length == 0)
                    return Add(GraphOp.Neg, new[] { Value(tensor, scope) }, "", invocation);
                // x.Add(y), x.Mul(0.5), ...: one operand, a tensor or a scalar (Add's alpha is not compiled).
                if (MethodArithmetic(method.Name) is { } kind && invocation.Arguments.Length == 1)
                {
                    var other = invocation.Arguments[0].Value;
                    return _types.IsTensor(other.Type)
                        ? Add(Arithmetic(kind), new[] { Value(tensor, scope), Value(other, scope) }, "", invocation)
                        : WithScalar(kind, scalarFirst: false, tensor, other, invocation, scope);
                }
                if (method.Name == "Flatten" && invocation.Arguments.Length == 2
                    && invocation.Arguments.All(a => a.Value.ConstantValue is { HasValue: true, Value: int }))
                {
                    var dims = invocation.Arguments.Select(a => ((int)a.Value.ConstantValue.Value!).ToString(System.Globalization.CultureInfo.InvariantCulture));
                    return Add(GraphOp.Flatten, new[] { Value(tensor, scope) }, "", invocation, dims.ToArray());
                }
            }
            if (TensorMethod(invocation, containing, scope) is int computed) return computed;
            throw Break(invocation, "a call to " + (method.ContainingType?.Name ?? "?") + "." + method.Name + ", which the generator does not compile");
        }

        int ChildForward(string path, INamedTypeSymbol type, List<int> input, IInvocationOperation call, Scope scope)
        {
            if (ForeignTypeParameter(type) is { } foreign)
                throw Break(call, "the child " + path + "'s type depends on " + foreign.Name + ", a type parameter of an inlined generic class, which the graph cannot name");
            if (IsCompiledLayer(type)) return LayerForward(path, type, input, call);
            if (SmallLayer(path, type, input, call) is int small) return small;
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
                var outer = _inlinedCall;
                _inlinedCall ??= call.Syntax.GetLocation();
                try
                {
                    return Inline(forward, path, input, scope.Depth + 1);
                }
                finally
                {
                    _inlinedCall = outer;
                }
            }
            throw Break(call, "a call to " + type.Name + ".Forward, which the generator cannot see into (only the engine's compiled layers and [Module] classes of this project are compiled)");
        }

        /// <summary>The registry path and type of a child reached from <c>this</c> (<c>_fc1</c>, <c>this.fc1</c>), or null.</summary>
        (string Path, INamedTypeSymbol Type)? ChildPath(IOperation instance, Scope scope)
        {
            while (instance is IConversionOperation { Conversion.IsImplicit: true } implicitConversion) instance = implicitConversion.Operand;
            // The element a foreach is at, or an element read with a known index: layers[i] in an unrolled for loop.
            if (instance is ILocalReferenceOperation local && scope.Modules.TryGetValue(local.Local, out var element)) return element;
            if (Indexed(instance, scope) is { } indexed) return indexed;
            ISymbol? member = instance switch
            {
                IFieldReferenceOperation { Instance: IInstanceReferenceOperation } field => field.Field,
                IPropertyReferenceOperation { Instance: IInstanceReferenceOperation, Arguments.Length: 0 } property => property.Property,
                _ => null,
            };
            // A child typed by a type parameter may be any subclass, whose Forward the graph cannot know.
            if (member is not null && instance.Type is ITypeParameterSymbol parameter && _types.IsModule(parameter))
                throw Break(instance, member.Name + "'s type is the type parameter " + parameter.Name + " (a graph is compiled for a child's exact type)");
            if (member is null || instance.Type is not INamedTypeSymbol type || !_types.IsModule(type)) return null;
            var state = ModuleGenerator.Parser.StateOf(member, _types);
            if (state is null || state.Kind != StateKind.Child)
                throw Break(instance, member.Name + " is not a registered child module");
            return (scope.Prefix.Length == 0 ? state.StateName : scope.Prefix + "." + state.StateName, type);
        }

        /// <summary>How many iterations a loop is unrolled to at most (a longer one is a graph break).</summary>
        const int MaxUnroll = 64;

        /// <summary>
        /// <c>foreach (var block in _blocks) x = block.Forward(x);</c> over a module array whose elements are known at
        /// build time: unrolled, one copy of the body per element, each element its <c>ModuleList</c> child
        /// (<c>blocks.0</c>, <c>blocks.1</c>, ...).
        /// </summary>
        void ForEach(IForEachLoopOperation loop, Scope scope)
        {
            var collection = loop.Collection;
            while (collection is IConversionOperation conversion) collection = conversion.Operand;
            var elements = KnownElements(collection, loop, scope);
            if (loop.LoopControlVariable is not IVariableDeclaratorOperation { Symbol: { } variable })
                throw Break(loop, "a foreach whose loop variable is not a plain local");
            for (int i = 0; i < elements.Count; i++)
            {
                scope.Modules[variable] = elements[i];
                Body(loop.Body, scope);
            }
            scope.Modules.Remove(variable);
        }

        /// <summary>
        /// <c>for (int i = 0; i &lt; N; i++)</c> with a constant <c>N</c>, or the length of a module array known at build
        /// time: unrolled, with <c>i</c> known in each copy of the body (so <c>_blocks[i]</c> is a known child).
        /// </summary>
        void For(IForLoopOperation loop, Scope scope)
        {
            const string Shape = "a for loop not of the form for (int i = a; i < n; i++) with bounds known at build time";
            if (loop.Before.Length != 1 || loop.Before[0] is not IVariableDeclarationGroupOperation group
                || group.Declarations.SelectMany(d => d.Declarators).ToList() is not { Count: 1 } declarators
                || declarators[0].Symbol.Type.SpecialType != SpecialType.System_Int32
                || (declarators[0].Initializer?.Value ?? declarators[0].GetVariableInitializer()?.Value) is not { } first
                || KnownInt(first, scope) is not int start)
                throw Break(loop, Shape);
            var counter = declarators[0].Symbol;
            if (loop.Condition is not IBinaryOperation { OperatorKind: BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual } condition
                || condition.LeftOperand is not ILocalReferenceOperation left || !SymbolEqualityComparer.Default.Equals(left.Local, counter)
                || KnownInt(condition.RightOperand, scope) is not int bound)
                throw Break(loop, Shape);
            if (condition.OperatorKind == BinaryOperatorKind.LessThanOrEqual) bound++;
            if (loop.AtLoopBottom.Length != 1 || !Increments(loop.AtLoopBottom[0], counter))
                throw Break(loop, Shape);
            if (bound - start > MaxUnroll)
                throw Break(loop, "a for loop of " + (bound - start) + " iterations (loops are unrolled up to " + MaxUnroll + ")");
            for (int i = start; i < bound; i++)
            {
                scope.Ints[counter] = i;
                Body(loop.Body, scope);
            }
            scope.Ints.Remove(counter);
        }

        /// <summary>A condition's value when it is known at build time: constants and comparisons of known integers.</summary>
        bool? KnownBool(IOperation condition, Scope scope)
        {
            if (condition.ConstantValue is { HasValue: true, Value: bool constant }) return constant;
            switch (condition)
            {
                case IUnaryOperation { OperatorKind: UnaryOperatorKind.Not } not:
                    return KnownBool(not.Operand, scope) is bool operand ? !operand : null;
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.ConditionalAnd or BinaryOperatorKind.ConditionalOr } logical:
                    if (KnownBool(logical.LeftOperand, scope) is not bool left || KnownBool(logical.RightOperand, scope) is not bool right) return null;
                    return logical.OperatorKind == BinaryOperatorKind.ConditionalAnd ? left && right : left || right;
                case IBinaryOperation comparison when KnownInt(comparison.LeftOperand, scope) is int a && KnownInt(comparison.RightOperand, scope) is int b:
                    return comparison.OperatorKind switch
                    {
                        BinaryOperatorKind.Equals => a == b,
                        BinaryOperatorKind.NotEquals => a != b,
                        BinaryOperatorKind.LessThan => a < b,
                        BinaryOperatorKind.LessThanOrEqual => a <= b,
                        BinaryOperatorKind.GreaterThan => a > b,
                        BinaryOperatorKind.GreaterThanOrEqual => a >= b,
                        _ => null,
                    };
                default:
                    return null;
            }
        }

        /// <summary>
        /// An integer known at build time: a constant, an unrolled loop's counter, a known module array's
        /// <c>Length</c> or <c>Count</c>, and sums, differences and products of those.
        /// </summary>
        int? KnownInt(IOperation value, Scope scope)
        {
            if (value.ConstantValue is { HasValue: true, Value: int constant }) return constant;
            switch (value)
            {
                case ILocalReferenceOperation local when scope.Ints.TryGetValue(local.Local, out int known):
                    return known;
                case IPropertyReferenceOperation { Property.Name: "Length" or "Count", Instance: { } collection }:
                    while (collection is IConversionOperation conversion) collection = conversion.Operand;
                    return collection is IFieldReferenceOperation or IPropertyReferenceOperation ? KnownElements(collection, value, scope).Count : null;
                case IBinaryOperation { OperatorKind: BinaryOperatorKind.Add or BinaryOperatorKind.Subtract or BinaryOperatorKind.Multiply } arithmetic
                    when KnownInt(arithmetic.LeftOperand, scope) is int a && KnownInt(arithmetic.RightOperand, scope) is int b:
                    return arithmetic.OperatorKind switch
                    {
                        BinaryOperatorKind.Add => a + b,
                        BinaryOperatorKind.Subtract => a - b,
                        _ => a * b,
                    };
                default:
                    return null;
            }
        }

        void Body(IOperation body, Scope scope)
        {
            if (Statement(body, scope) is not null)
                throw Break(body, "a return inside a loop");
        }

        /// <summary><c>i++</c>, <c>++i</c> or <c>i += 1</c> on <paramref name="counter"/>.</summary>
        static bool Increments(IOperation step, ILocalSymbol counter)
        {
            if (step is IExpressionStatementOperation statement) step = statement.Operation;
            return step switch
            {
                IIncrementOrDecrementOperation { Kind: OperationKind.Increment, Target: ILocalReferenceOperation target } =>
                    SymbolEqualityComparer.Default.Equals(target.Local, counter),
                ICompoundAssignmentOperation { OperatorKind: BinaryOperatorKind.Add, Target: ILocalReferenceOperation target, Value.ConstantValue: { HasValue: true, Value: 1 } } =>
                    SymbolEqualityComparer.Default.Equals(target.Local, counter),
                _ => false,
            };
        }

        /// <summary><c>_blocks[i]</c> with <c>i</c> known (a constant or an unrolled loop's counter): that element's child.</summary>
        (string Path, INamedTypeSymbol Type)? Indexed(IOperation instance, Scope scope)
        {
            IOperation? collection, index;
            switch (instance)
            {
                case IArrayElementReferenceOperation { Indices.Length: 1 } element:
                    (collection, index) = (element.ArrayReference, element.Indices[0]);
                    break;
                case IPropertyReferenceOperation { Property.IsIndexer: true, Arguments.Length: 1, Instance: { } list } indexer:
                    (collection, index) = (list, indexer.Arguments[0].Value);
                    break;
                default:
                    return null;
            }
            while (collection is IConversionOperation conversion) collection = conversion.Operand;
            if (collection is not IFieldReferenceOperation and not IPropertyReferenceOperation) return null;
            if (KnownInt(index, scope) is not int i) throw Break(instance, "an index into " + Describe(collection) + " that is not known at build time");
            var elements = KnownElements(collection, instance, scope);
            if (i < 0 || i >= elements.Count)
                throw Break(instance, "index " + i + " is outside " + Describe(collection) + "'s " + elements.Count + " elements");
            return elements[i];
        }

        /// <summary>
        /// The children of a module array member whose elements are written in its initializer
        /// (<c>readonly Block[] _blocks = { new Block(8), new Block(16) };</c>, <c>[new Block(8), ...]</c>) and that
        /// nothing assigns: each element's path (<c>blocks.1</c>) and the type its initializer creates.
        /// </summary>
        List<(string Path, INamedTypeSymbol Type)> KnownElements(IOperation collection, IOperation at, Scope scope)
        {
            ISymbol? member = collection switch
            {
                IFieldReferenceOperation { Instance: IInstanceReferenceOperation } field => field.Field,
                IPropertyReferenceOperation { Instance: IInstanceReferenceOperation, Arguments.Length: 0 } property => property.Property,
                _ => null,
            };
            if (member is null) throw Break(at, "a loop over " + Describe(collection) + " (only this module's own module arrays are unrolled)");
            // An unrolled loop asks for each element by index: read the member's initializer (and scan its type for
            // assignments) once per module path.
            var key = scope.Prefix + "|" + member.Name;
            if (!_elements.TryGetValue(key, out var elements))
                _elements[key] = elements = ReadElements(member, at, scope);
            return elements;
        }

        List<(string Path, INamedTypeSymbol Type)> ReadElements(ISymbol member, IOperation at, Scope scope)
        {
            var state = ModuleGenerator.Parser.StateOf(member, _types);
            if (state is null || state.Kind != StateKind.ChildList)
                throw Break(at, member.Name + " is not a registered array or list of child modules");
            var declarator = member.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken);
            var initializer = declarator switch
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
                CollectionExpressionSyntax brackets when brackets.Elements.All(e => e is ExpressionElementSyntax) =>
                    brackets.Elements.Cast<ExpressionElementSyntax>().Select(e => e.Expression).ToList(),
                _ => null,
            };
            if (items is null || !IsReadOnly(member) || AssignedOutsideItsInitializer(member))
                throw Break(at, member.Name + "'s elements are not known at build time (unrolling needs a read-only member whose initializer lists them)");
            if (items.Count > MaxUnroll)
                throw Break(at, member.Name + " has " + items.Count + " elements (loops are unrolled up to " + MaxUnroll + ")");
            var model = _compilation.GetSemanticModel(initializer!.SyntaxTree);
            var elements = new List<(string, INamedTypeSymbol)>();
            for (int i = 0; i < items.Count; i++)
            {
                if (model.GetTypeInfo(items[i], _cancellationToken).Type is not INamedTypeSymbol type || !_types.IsModule(type))
                    throw Break(at, member.Name + "'s element " + i + " is not a module of a type known at build time");
                var path = state.StateName + "." + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                elements.Add((scope.Prefix.Length == 0 ? path : scope.Prefix + "." + path, type));
            }
            return elements;
        }

        static bool IsReadOnly(ISymbol member) => member switch
        {
            IFieldSymbol field => field.IsReadOnly,
            IPropertySymbol property => property.SetMethod is null || property.SetMethod.IsInitOnly,
            _ => false,
        };

        /// <summary>Whether code of the member's type (a constructor, say) assigns the member, which would replace the initializer's elements.</summary>
        bool AssignedOutsideItsInitializer(ISymbol member)
        {
            foreach (var reference in member.ContainingType.DeclaringSyntaxReferences)
            {
                var type = reference.GetSyntax(_cancellationToken);
                SemanticModel? model = null;
                foreach (var assignment in type.DescendantNodes().OfType<AssignmentExpressionSyntax>())
                {
                    var target = assignment.Left;
                    if (target is MemberAccessExpressionSyntax access) target = access.Name;
                    if (target is not IdentifierNameSyntax name || name.Identifier.ValueText != member.Name) continue;
                    model ??= _compilation.GetSemanticModel(type.SyntaxTree);
                    if (SymbolEqualityComparer.Default.Equals(model.GetSymbolInfo(assignment.Left, _cancellationToken).Symbol, member)) return true;
                }
            }
            return false;
        }

        /// <summary>The tensor and the constant dim of <c>F.Softmax(x, dim)</c> or <c>x.Softmax(dim)</c> (and the log forms), or null.</summary>
        static (IOperation Source, int Dim)? SoftmaxOperands(IInvocationOperation invocation, string? containing)
        {
            var (source, dim) = containing switch
            {
                "ShapeSafe.NN.F" when invocation.Arguments.Length == 2 => (invocation.Arguments[0].Value, invocation.Arguments[1].Value),
                "ShapeSafe.Tensor" when !invocation.TargetMethod.IsStatic && invocation.Arguments.Length == 1 => (invocation.Instance, invocation.Arguments[0].Value),
                _ => (null, null),
            };
            if (source is null || dim?.ConstantValue is not { HasValue: true, Value: int constant }) return null;
            return (source, constant);
        }

        /// <summary>
        /// A view or layout method with arguments known when the plan is made: <c>View</c> and <c>Reshape</c> (constant
        /// sizes, or sizes of an input), <c>Squeeze</c>, <c>Unsqueeze</c>, <c>Transpose</c> and <c>Permute</c> with
        /// constant dims, and <c>Contiguous()</c>; null for any other call.
        /// </summary>
        (GraphOp Op, string[] Arguments)? Layout(IInvocationOperation invocation, Scope scope)
        {
            var arguments = invocation.Arguments;
            switch (invocation.TargetMethod.Name)
            {
                case "View" or "Reshape" when arguments.Length == 1 && Elements(arguments[0].Value) is { } sizes:
                    return (GraphOp.View, new[] { invocation.TargetMethod.Name }.Concat(sizes.Select(size => Size(size, scope))).ToArray());
                case "Permute" when arguments.Length == 1 && Elements(arguments[0].Value) is { } dims:
                    return (GraphOp.Permute, dims.Select(dim => ConstantInt(dim) ?? throw Break(dim, "a Permute dim that is not a constant")).ToArray());
                case "Transpose" when arguments.Length == 2 && arguments.All(a => ConstantInt(a.Value) is not null):
                    return (GraphOp.Transpose, arguments.Select(a => ConstantInt(a.Value)!).ToArray());
                case "Squeeze" when arguments.Length == 0 || arguments.Length == 1 && ConstantInt(arguments[0].Value) is not null:
                    return (GraphOp.Squeeze, arguments.Select(a => ConstantInt(a.Value)!).ToArray());
                case "Unsqueeze" when arguments.Length == 1 && ConstantInt(arguments[0].Value) is { } dim:
                    return (GraphOp.Unsqueeze, new[] { dim });
                case "Contiguous" when arguments.Length == 0:
                    return (GraphOp.Contiguous, Array.Empty<string>());
                default:
                    return null;
            }
        }

        /// <summary>The elements of a <c>params int[]</c> argument or an array written in place (<c>new[] { 4, -1 }</c>).</summary>
        static IReadOnlyList<IOperation>? Elements(IOperation argument)
        {
            while (argument is IConversionOperation { Conversion.IsImplicit: true } conversion) argument = conversion.Operand;
            return argument is IArrayCreationOperation { Initializer: { } initializer } ? initializer.ElementValues : null;
        }

        static string? ConstantInt(IOperation value) =>
            value.ConstantValue is { HasValue: true, Value: int constant } ? constant.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;

        /// <summary>A view's size: a constant, or <c>x.Size(d)</c> or <c>x.Shape[d]</c> of one of the graph's inputs (read when the plan is made).</summary>
        string Size(IOperation size, Scope scope)
        {
            if (ConstantInt(size) is { } constant) return constant;
            var (tensor, dim) = size switch
            {
                IInvocationOperation { TargetMethod.Name: "Size", Instance: { } instance, Arguments.Length: 1 } call
                    when _types.IsTensor(instance.Type) => (instance, call.Arguments[0].Value),
                IPropertyReferenceOperation { Property.IsIndexer: true, Arguments.Length: 1, Instance: IPropertyReferenceOperation { Property.Name: "Shape", Instance: { } instance } } indexer
                    when _types.IsTensor(instance.Type) => (instance, indexer.Arguments[0].Value),
                _ => (null, null),
            };
            if (tensor is null || ConstantInt(dim!) is not { } d)
                throw Break(size, "a view size that is not a constant or x.Size(d) or x.Shape[d] of an input with a constant d");
            var node = Value(tensor, scope);
            if (_nodes[node].Op != GraphOp.Input)
                throw Break(size, "a view size read from a value that is not one of Forward's inputs (only their shapes are known when the plan is made)");
            return "@" + node.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + d;
        }

        /// <summary>Whether a node's value is a strided view (a transpose or permute), which most kernels cannot read.</summary>
        bool IsStrided(int node) => _nodes[node].Op is GraphOp.Transpose or GraphOp.Permute;

        static GraphOp Arithmetic(BinaryOperatorKind kind) => kind switch
        {
            BinaryOperatorKind.Add => GraphOp.Add,
            BinaryOperatorKind.Subtract => GraphOp.Sub,
            BinaryOperatorKind.Multiply => GraphOp.Mul,
            _ => GraphOp.Div,
        };

        /// <summary>The tensor methods of arithmetic (<c>Add</c>, <c>Sub</c>, <c>Mul</c>, <c>Div</c>) as their operators.</summary>
        static BinaryOperatorKind? MethodArithmetic(string name) => name switch
        {
            "Add" => BinaryOperatorKind.Add,
            "Sub" => BinaryOperatorKind.Subtract,
            "Mul" => BinaryOperatorKind.Multiply,
            "Div" => BinaryOperatorKind.Divide,
            _ => null,
        };

        /// <summary><c>x op s</c>, or <c>s op x</c> when <paramref name="scalarFirst"/>, with a scalar known when the graph is bound.</summary>
        int WithScalar(BinaryOperatorKind kind, bool scalarFirst, IOperation tensor, IOperation scalar, IOperation at, Scope scope)
        {
            var arguments = ScalarArguments(scalar, scope)
                ?? throw Break(scalar, "a scalar operand that is not a constant or a readonly float or double field of " + _root.Name
                    + " (the compiled graph reads it once, when it is bound)");
            var op = kind switch
            {
                BinaryOperatorKind.Add => GraphOp.AddScalar,
                BinaryOperatorKind.Subtract => scalarFirst ? GraphOp.RsubScalar : GraphOp.SubScalar,
                BinaryOperatorKind.Multiply => GraphOp.MulScalar,
                _ => scalarFirst ? GraphOp.RdivScalar : GraphOp.DivScalar,
            };
            return Add(op, new[] { Value(tensor, scope) }, "", at, arguments);
        }

        /// <summary>
        /// A scalar operand as the generated code reads it: a constant as the float literal the eager op computes
        /// with (a double or integer is rounded to float once, as for a Float32 tensor), or a readonly float or
        /// double field of the compiled class itself, which the graph copies when it is bound.
        /// </summary>
        string[]? ScalarArguments(IOperation scalar, Scope scope)
        {
            if (scalar.ConstantValue is { HasValue: true, Value: { } constant } && constant is double or float or int or long or short or byte or sbyte or ushort or uint)
                return new[] { FloatLiteral((float)Convert.ToDouble(constant, System.Globalization.CultureInfo.InvariantCulture)) };
            while (scalar is IConversionOperation { Conversion.IsImplicit: true, Conversion.IsNumeric: true } widening) scalar = widening.Operand;
            if (scope.Prefix.Length == 0
                && scalar is IFieldReferenceOperation { Instance: IInstanceReferenceOperation, Field: { IsReadOnly: true } field }
                && field.Type.SpecialType is SpecialType.System_Double or SpecialType.System_Single
                && SymbolEqualityComparer.Default.Equals(field.ContainingType, _root))
                return new[] { "_" + field.Name.TrimStart('_') + "Scalar", field.Name };
            return null;
        }

        static string FloatLiteral(float value)
        {
            if (float.IsNaN(value)) return "float.NaN";
            if (float.IsPositiveInfinity(value)) return "float.PositiveInfinity";
            if (float.IsNegativeInfinity(value)) return "float.NegativeInfinity";
            return value.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "f";
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
            "ShapeSafe.NN.LayerNorm" => GraphOp.LayerNorm,
            "ShapeSafe.NN.Embedding" => GraphOp.Embedding,
            "ShapeSafe.NN.BatchNorm1d" or "ShapeSafe.NN.BatchNorm2d" => GraphOp.BatchNorm,
            "ShapeSafe.NN.Dropout" => GraphOp.Dropout,
            "ShapeSafe.NN.Softmax" => GraphOp.Softmax,
            "ShapeSafe.NN.LogSoftmax" => GraphOp.LogSoftmax,
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

        int Add(GraphOp op, IReadOnlyList<int> inputs, string module, IOperation source, params string[] arguments)
        {
            // The kernels read contiguous buffers; only arithmetic (through the broadcast iterator) and Contiguous()
            // read a transposed view as eager ops do.
            if (inputs.Any(IsStrided) && op is not (GraphOp.Add or GraphOp.Sub or GraphOp.Mul or GraphOp.Div or GraphOp.Contiguous) && !ReadsStrided(op, inputs))
                throw Break(source, "a transposed or permuted view read by " + op + ", which the compiled graph takes contiguous (call Contiguous() first)");
            // An embedding's indices are an Int64 input, which nothing else reads (the other kernels take Float32).
            if (op == GraphOp.Embedding)
            {
                if (_nodes[inputs[0]].Op != GraphOp.Input || _floatInputs.Contains(inputs[0]))
                    throw Break(source, "an Embedding whose indices are not one of Forward's inputs read by nothing else (the graph's guard takes them as Int64)");
                _indexInputs.Add(inputs[0]);
            }
            else
            {
                foreach (var input in inputs.Where(i => _nodes[i].Op == GraphOp.Input))
                {
                    if (_indexInputs.Contains(input))
                        throw Break(source, _nodes[input].Source + " is an Embedding's indices and is read by " + op + " too (the graph takes indices as Int64 only)");
                    _floatInputs.Add(input);
                }
            }
            return Add(new GraphNode(op, inputs.ToEquatableArray(), module, arguments.ToEquatableArray(), SourceOf(source)), source.Syntax.GetLocation());
        }

        int Add(GraphNode node, Location? location)
        {
            _nodes.Add(node);
            _inlined.Add(_inlinedCall is not null);
            _locations.Add(_inlinedCall ?? location);
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

            /// <summary>Locals that stand for a child module: a foreach's element.</summary>
            public Dictionary<ISymbol, (string Path, INamedTypeSymbol Type)> Modules { get; } = new Dictionary<ISymbol, (string, INamedTypeSymbol)>(SymbolEqualityComparer.Default);

            /// <summary>Integer locals whose value is known: an unrolled for loop's counter.</summary>
            public Dictionary<ISymbol, int> Ints { get; } = new Dictionary<ISymbol, int>(SymbolEqualityComparer.Default);
        }

        sealed class GraphBreakException : Exception
        {
            public GraphBreakException(Location? location, string message) : base(message) => Location = location;

            public Location? Location { get; }
        }
    }
}
