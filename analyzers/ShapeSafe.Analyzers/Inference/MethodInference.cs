using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Text;
using ShapeSafe.Shapes;

namespace ShapeSafe.Analyzers.Inference
{
    /// <summary>
    /// Shape inference over one method's control-flow graph: a forward data-flow analysis whose facts are the
    /// <see cref="Value"/>s of locals. Blocks are visited until the states stop changing (joins only ever
    /// forget, so loops converge), then visited once more to report what is certain.
    /// </summary>
    internal sealed partial class MethodInference
    {
        readonly AnalysisContextData _data;
        readonly ISymbol _owner;
        readonly Action<Diagnostic>? _report;
        readonly HashSet<ISymbol> _untracked;
        bool _reporting;
        ModuleValue? _self;
        bool _selfResolved;

        public MethodInference(AnalysisContextData data, ISymbol owner, Action<Diagnostic>? report, HashSet<ISymbol>? untracked = null)
        {
            _data = data;
            _owner = owner;
            _report = report;
            _untracked = untracked ?? new HashSet<ISymbol>(SymbolEqualityComparer.Default);
        }

        EngineSymbols Symbols => _data.Symbols;

        /// <summary>
        /// Annotated tensor parameters are taken to be contiguous (what DataLoader, layers and factories give), so views
        /// after transposes of them are checked (SS0001); <c>[Strided]</c> on a parameter, or
        /// <c>shapesafe.assume_contiguous_parameters = false</c>, leaves its layout unknown.
        /// </summary>
        public bool AssumeContiguousParameters { get; set; } = true;

        /// <summary>The name in the storage offset of an assumed-contiguous parameter's layout; views keep it, so SS0001 can say it assumed.</summary>
        internal const string AssumedLayoutMarker = "assumed_contiguous_parameter";

        /// <summary>The semantic model of the method's syntax (for lambda bodies that the control-flow graph rewrites).</summary>
        public SemanticModel? Model { get; set; }

        /// <summary>Whether to report SS1000 (each tensor local's shape); off unless a setting enables it.</summary>
        public bool ReportInferredShapes { get; set; }

        // ---- the data-flow driver ----

        /// <summary>One of the states a block is entered in: one per iteration of the <c>foreach</c> loops over known sequences around it.</summary>
        sealed class Variant
        {
            public Variant(FlowState state, string? key)
            {
                State = state;
                Key = key;
                Dirty = true;
            }

            public FlowState State;
            public readonly string? Key;
            public bool Dirty;
        }

        /// <summary>How many iterations of loops over known sequences a block keeps apart before it joins them all.</summary>
        const int MaxVariants = 32;

        /// <summary>Analyzes <paramref name="cfg"/> from <paramref name="initial"/> (which it takes over and may change), reporting diagnostics at the end.</summary>
        public void Analyze(ControlFlowGraph cfg, FlowState initial)
        {
            try
            {
                AnalyzeGraph(cfg, initial);
            }
            catch (InsufficientExecutionStackException)
            {
                // Expressions nested too deeply to follow (see MaxExpressionDepth): say nothing more about this method.
            }
        }

        void AnalyzeGraph(ControlFlowGraph cfg, FlowState initial)
        {
            var blocks = cfg.Blocks;
            var inStates = new List<Variant>?[blocks.Length];
            var collapsed = new bool[blocks.Length];
            var queued = new bool[blocks.Length];
            var worklist = new Queue<int>();
            inStates[0] = new List<Variant> { new(initial, null) };
            worklist.Enqueue(0);
            queued[0] = true;
            int budget = 8 * (50 * blocks.Length + 100);
            var counters = LayerIndexCounters(cfg);
            Dictionary<CaptureId, ControlFlowRegion>? captureRegions = null;

            while (true)
            {
                while (worklist.Count > 0)
                {
                    int b = worklist.Dequeue();
                    queued[b] = false;
                    var variants = inStates[b]!;
                    for (int v = 0; v < variants.Count; v++)
                    {
                        if (!variants[v].Dirty) continue;
                        if (--budget < 0) return; // a pathological graph: report nothing rather than something uncertain
                        variants[v].Dirty = false;
                        var block = blocks[b];
                        var state = variants[v].State.Clone();
                        var branch = RunBlock(block, state);
                        bool? conditionTaken = block.ConditionKind != ControlFlowConditionKind.None && branch is BoolValue known
                            ? known.BoolConstant == (block.ConditionKind == ControlFlowConditionKind.WhenTrue)
                            : null;
                        // The last edge takes the block's out-state itself: it is not used again, so it needs no copy.
                        bool viaConditional = conditionTaken != false && block.ConditionalSuccessor?.Destination is not null;
                        if (conditionTaken != true) Propagate(block.FallThroughSuccessor, state, last: !viaConditional);
                        if (viaConditional) Propagate(block.ConditionalSuccessor, state, last: true);
                        variants = inStates[b]!; // a self-loop may have collapsed this block's variants
                    }
                }
                // Catch and finally blocks are entered by exceptions, not by edges: start them knowing nothing.
                int next = -1;
                for (int i = 0; i < blocks.Length && next < 0; i++)
                    if (inStates[i] is null && blocks[i].IsReachable && blocks[i].Kind == BasicBlockKind.Block && InHandler(blocks[i])) next = i;
                if (next < 0) break;
                inStates[next] = new List<Variant> { new(new FlowState(), null) };
                worklist.Enqueue(next);
                queued[next] = true;
            }

            _reporting = _report is not null;
            _reported = null;
            _collectReturns = true;
            // The last use of each in-state (each is its variant's own object), so the run may change it: no copy.
            for (int i = 0; i < blocks.Length; i++)
                if (inStates[i] is { } variants)
                    foreach (var v in variants) RunBlock(blocks[i], v.State, cfg);
            _collectReturns = false;
            _reporting = false;

            void Propagate(ControlFlowBranch? branch, FlowState state, bool last)
            {
                if (branch?.Destination is not { } destination) return;
                int d = destination.Ordinal;
                var incoming = last ? state : state.Clone();
                DropDeadEnumerators(incoming, destination);
                var variants = inStates[d] ??= new List<Variant>();
                bool dirty;
                if (collapsed[d])
                {
                    dirty = variants[0].State.JoinFrom(incoming);
                    variants[0].Dirty |= dirty;
                }
                else
                {
                    var key = incoming.IterationKey(counters);
                    Variant? match = null; // a loop, not Find: a lambda over key would allocate its closure on every edge
                    foreach (var candidate in variants)
                        if (candidate.Key == key) { match = candidate; break; }
                    if (match is not null)
                    {
                        dirty = match.State.JoinFrom(incoming);
                        match.Dirty |= dirty;
                    }
                    else if (variants.Count < MaxVariants)
                    {
                        variants.Add(new Variant(incoming, key));
                        dirty = true;
                    }
                    else
                    {
                        // Too many iterations to keep apart: join them into one state, as an ordinary loop.
                        var joined = variants[0].State;
                        for (int i = 1; i < variants.Count; i++) joined.JoinFrom(variants[i].State);
                        joined.JoinFrom(incoming);
                        inStates[d] = new List<Variant> { new(joined, null) };
                        collapsed[d] = true;
                        dirty = true;
                    }
                }
                if (dirty && !queued[d])
                {
                    queued[d] = true;
                    worklist.Enqueue(d);
                }
            }

            // A foreach's enumerator lives in the loop's region: once control leaves it, forget the iteration.
            void DropDeadEnumerators(FlowState state, BasicBlock destination)
            {
                if (!state.HasEnumerators) return;
                captureRegions ??= CaptureRegions(cfg.Root);
                RemoveDeadEnumerators(state, captureRegions, destination.EnclosingRegion);
            }
        }

        // Apart from DropDeadEnumerators, whose closure over its parameters would otherwise be allocated on every edge.
        static void RemoveDeadEnumerators(FlowState state, Dictionary<CaptureId, ControlFlowRegion> regions, ControlFlowRegion? destination) =>
            state.RemoveCaptures(id => regions.TryGetValue(id, out var region) && !Encloses(region, destination));

        /// <summary>
        /// Locals that index a sequence of layers (<c>layers[i]</c>, <c>_blocks[i]</c>): a <c>for</c> loop over such a
        /// sequence keeps one state per index value, so a list of different layers is checked layer by layer.
        /// </summary>
        List<ISymbol>? LayerIndexCounters(ControlFlowGraph cfg)
        {
            List<ISymbol>? counters = null;
            foreach (var block in cfg.Blocks)
            {
                foreach (var root in block.Operations)
                {
                    foreach (var operation in root.DescendantsAndSelf())
                    {
                        var (instance, index) = operation switch
                        {
                            IPropertyReferenceOperation { Property.IsIndexer: true, Arguments.Length: 1 } p => (p.Instance, p.Arguments[0].Value),
                            IArrayElementReferenceOperation { Indices.Length: 1 } a => (a.ArrayReference, a.Indices[0]),
                            _ => (null, null),
                        };
                        if (instance is null || index is not ILocalReferenceOperation local || !(Symbols.IsModuleSequence(instance.Type) || Symbols.IsModule(instance.Type))) continue;
                        counters ??= new List<ISymbol>();
                        if (!counters.Contains(local.Local, SymbolEqualityComparer.Default)) counters.Add(local.Local);
                    }
                }
            }
            return counters;
        }

        static Dictionary<CaptureId, ControlFlowRegion> CaptureRegions(ControlFlowRegion root)
        {
            var result = new Dictionary<CaptureId, ControlFlowRegion>();
            var stack = new Stack<ControlFlowRegion>();
            stack.Push(root);
            while (stack.Count > 0)
            {
                var region = stack.Pop();
                foreach (var id in region.CaptureIds) result[id] = region;
                foreach (var nested in region.NestedRegions) stack.Push(nested);
            }
            return result;
        }

        static bool Encloses(ControlFlowRegion outer, ControlFlowRegion? inner)
        {
            for (var r = inner; r is not null; r = r.EnclosingRegion)
                if (ReferenceEquals(r, outer)) return true;
            return false;
        }

        static bool InHandler(BasicBlock block)
        {
            for (var r = block.EnclosingRegion; r is not null; r = r.EnclosingRegion)
                if (r.Kind is ControlFlowRegionKind.Catch or ControlFlowRegionKind.Finally or ControlFlowRegionKind.Filter or ControlFlowRegionKind.FilterAndHandler)
                    return true;
            return false;
        }

        ControlFlowGraph? _cfg;

        /// <summary>What the reporting pass has reported: an unrolled loop body runs once per iteration but reports once.</summary>
        HashSet<(string, Location)>? _reported;

        /// <summary>Runs <paramref name="block"/>'s operations; returns the value of its branch condition.</summary>
        Value? RunBlock(BasicBlock block, FlowState state, ControlFlowGraph? cfg = null)
        {
            _cfg = cfg;
            foreach (var operation in block.Operations)
                Exec(operation, state);
            if (_collectReturns && block.Kind == BasicBlockKind.Exit) CollectOuts(state);
            if (block.BranchValue is not { } branchValue) return null;
            var value = Eval(branchValue, state);
            if (block.FallThroughSuccessor?.Semantics == ControlFlowBranchSemantics.Return)
            {
                CheckReturn(branchValue, value);
                ShowReturn(branchValue, value);
                if (_collectReturns) CollectReturn(value);
            }
            return value;
        }

        void Exec(IOperation operation, FlowState state)
        {
            switch (operation)
            {
                case IFlowCaptureOperation capture:
                    state.Set(capture.Id, Eval(capture.Value, state));
                    break;
                case IExpressionStatementOperation statement:
                    Eval(statement.Operation, state);
                    break;
                default:
                    Eval(operation, state);
                    break;
            }
        }

        /// <summary>The state a method starts in: annotated tensor parameters and <c>[Dim]</c> int parameters.</summary>
        public FlowState InitialState(IEnumerable<IParameterSymbol> parameters)
        {
            var state = new FlowState();
            foreach (var p in parameters)
                state.Set(p, ParameterValue(p));
            return state;
        }

        Value? ParameterValue(IParameterSymbol p)
        {
            if (_untracked.Contains(p)) return null;
            if (Symbols.IsTensor(p.Type))
            {
                var declared = ShapeAnnotation.From(p.GetAttributes(), Symbols)?.ToValue();
                if (AssumeContiguousParameters && declared is { IsFullRank: true } && EngineSymbols.Find(p.GetAttributes(), Symbols.StridedAttribute) is null)
                    return new TensorValue(declared.Sizes, false, ShapeRules<Dim, SymbolicDims>.ContiguousStrides(declared.Sizes), Dim.Named(AssumedLayoutMarker));
                return declared;
            }
            if (EngineSymbols.StringArgument(EngineSymbols.Find(p.GetAttributes(), Symbols.DimAttribute)) is { } name && Dim.IsIdentifier(name))
                return new IntValue(Dim.Named(name));
            return null;
        }

        // ---- expressions ----

        /// <summary>
        /// How deeply expressions may nest before the method is given up (nothing more is reported for it). The compiler
        /// runs analyzers on its own threads: a chain such as <c>x + x + … + x</c> of thousands of operands must not
        /// overflow their stack, which would take the build down rather than raise AD0001.
        /// </summary>
        const int MaxExpressionDepth = 500;

        int _depth;

        public Value? Eval(IOperation? operation, FlowState state)
        {
            if (operation is null) return null;
            if (_depth >= MaxExpressionDepth) throw new InsufficientExecutionStackException();
            System.Runtime.CompilerServices.RuntimeHelpers.EnsureSufficientExecutionStack();
            _depth++;
            try
            {
                return EvalOperation(operation, state);
            }
            finally
            {
                _depth--;
            }
        }

        Value? EvalOperation(IOperation operation, FlowState state)
        {
            var constant = operation.ConstantValue;
            if (constant.HasValue)
            {
                switch (constant.Value)
                {
                    case int i: return IntValue.Of(i);
                    case long l: return new IntValue(Dim.Of(l));
                    case short s: return new IntValue(Dim.Of(s));
                    case byte b: return new IntValue(Dim.Of(b));
                    case bool flag: return flag ? BoolValue.True : BoolValue.False;
                    case double d: return new DoubleValue(d);
                    case float f: return new DoubleValue(f);
                    case string text: return new StringValue(text);
                    case null: return NullValue.Instance;
                    default: return null;
                }
            }

            switch (operation)
            {
                case IConversionOperation conversion:
                {
                    var operand = Eval(conversion.Operand, state);
                    if (conversion.OperatorMethod is { } op && Symbols.IsTensor(op.ReturnType) && !Symbols.IsTensor(conversion.Operand.Type))
                        return TensorValue.Contiguous(new Dim[0]); // float → Tensor: a scalar
                    return operand;
                }
                case IParenthesizedOperation parenthesized:
                    return Eval(parenthesized.Operand, state);
                case ILocalReferenceOperation local:
                    return _untracked.Contains(local.Local) ? null : state.Get(local.Local);
                case IParameterReferenceOperation parameter:
                    return _untracked.Contains(parameter.Parameter) ? null : state.Get(parameter.Parameter);
                case IFlowCaptureReferenceOperation capture:
                    return state.Get(capture.Id);
                case IInstanceReferenceOperation:
                    return Self();
                case IFieldReferenceOperation field:
                {
                    var instance = Eval(field.Instance, state);
                    return MemberValue(field.Field, field.Field.Type, field.Instance, instance);
                }
                case IPropertyReferenceOperation property:
                    return PropertyValue(property, state);
                case IInvocationOperation invocation:
                    return Invocation(invocation, state);
                case IObjectCreationOperation creation:
                    return ModuleCreation(creation, state);
                case IBinaryOperation binary:
                    return Binary(binary.OperatorMethod, binary.OperatorKind, binary.LeftOperand, binary.RightOperand, binary.Syntax, state);
                case IUnaryOperation unary:
                    return Unary(unary, state);
                case ISimpleAssignmentOperation assignment:
                {
                    var value = Eval(assignment.Value, state);
                    Assign(assignment.Target, value, assignment.Syntax, state);
                    return value;
                }
                case ICompoundAssignmentOperation compound:
                {
                    var value = Binary(compound.OperatorMethod, compound.OperatorKind, compound.Target, compound.Value, compound.Syntax, state);
                    Assign(compound.Target, value, compound.Syntax, state);
                    return value;
                }
                case IIncrementOrDecrementOperation increment:
                {
                    // i++ on a known int (a loop's index) stays known.
                    var before = Eval(increment.Target, state) as IntValue;
                    var after = before is null ? null : new IntValue(before.Dim + Dim.Of(increment.Kind == OperationKind.Increment ? 1 : -1));
                    Assign(increment.Target, after, increment.Syntax, state);
                    return increment.IsPostfix ? before : after;
                }
                case IDeconstructionAssignmentOperation deconstruction:
                {
                    var value = Eval(deconstruction.Value, state);
                    CheckShapeDeconstruction(deconstruction, value);
                    AssignTuple(deconstruction.Target, value, state);
                    return value;
                }
                case IArrayCreationOperation array:
                {
                    foreach (var size in array.DimensionSizes) Eval(size, state);
                    return array.Initializer is null ? null : Eval(array.Initializer, state);
                }
                case IArrayInitializerOperation initializer:
                    return new SequenceValue(EvalAll(initializer.ElementValues, state));
                case ITupleOperation tuple:
                    return new SequenceValue(EvalAll(tuple.Elements, state));
                case IArrayElementReferenceOperation element:
                {
                    var array = Eval(element.ArrayReference, state);
                    var indices = EvalAll(element.Indices, state);
                    return indices.Length == 1 ? ElementAt(array, indices[0]) : null;
                }
                case IDefaultValueOperation defaultValue:
                    return DefaultOf(defaultValue.Type);
                case IImplicitIndexerReferenceOperation implicitIndexer:
                {
                    // shape[^1]: an index from the end into a known list of sizes.
                    var list = Eval(implicitIndexer.Instance, state);
                    var index = implicitIndexer.Argument is IUnaryOperation { OperatorKind: UnaryOperatorKind.Hat } hat ? Eval(hat.Operand, state) : null;
                    return list is SequenceValue && index is IntValue fromEnd && fromEnd.TryGetConstant(out int k) && k > 0
                        ? ElementAt(list, new IntValue(Dim.Of(-k)))
                        : null;
                }
                case IFlowAnonymousFunctionOperation lambda:
                    if (_reporting && _cfg is not null) AnalyzeLambda(lambda);
                    return null;
                case IAnonymousFunctionOperation:
                case ILocalFunctionOperation:
                    return null; // analyzed on their own
            }

            if (operation.Kind == s_collectionExpression)
                return CollectionExpression(operation, state);

            foreach (var child in operation.ChildOperations)
                Eval(child, state);
            return null;
        }

        // Apart from EvalOperation, which runs for every operation: a lambda there would allocate its closure on each call.

        /// <summary>The values of <paramref name="operations"/>, evaluated in order.</summary>
        ImmutableArray<Value?> EvalAll(ImmutableArray<IOperation> operations, FlowState state)
        {
            var values = ImmutableArray.CreateBuilder<Value?>(operations.Length);
            foreach (var e in operations) values.Add(Eval(e, state));
            return values.MoveToImmutable();
        }

        /// <summary>C# 12 collection expressions ([a, b]); the 4.8 API has no interface for them, so read the children.</summary>
        Value? CollectionExpression(IOperation operation, FlowState state)
        {
            bool spread = false;
            var elements = ImmutableArray.CreateBuilder<Value?>();
            foreach (var e in operation.ChildOperations)
            {
                if (e.Kind == s_spread) spread = true;
                elements.Add(Eval(e, state));
            }
            return spread ? null : new SequenceValue(elements.ToImmutable());
        }

        /// <summary><c>default</c> of an int, a nullable or a tuple of ints (a layer's <c>(int, int) padding = default</c>).</summary>
        static Value? DefaultOf(ITypeSymbol? type)
        {
            if (type is null) return null;
            if (type.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64) return new IntValue(Dim.Zero);
            if (type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T || type.IsReferenceType) return NullValue.Instance;
            if (type is INamedTypeSymbol { IsTupleType: true } tuple && tuple.TupleElements.All(e => e.Type.SpecialType == SpecialType.System_Int32))
                return new SequenceValue(tuple.TupleElements.Select(_ => (Value?)new IntValue(Dim.Zero)).ToImmutableArray());
            return null;
        }

        // C# 12's collection expressions and spreads have operation kinds the 4.8 API does not name; look them up once.
        static readonly OperationKind s_collectionExpression = KindNamed("CollectionExpression");
        static readonly OperationKind s_spread = KindNamed("Spread");

        static OperationKind KindNamed(string name) =>
            Enum.TryParse<OperationKind>(name, out var kind) ? kind : (OperationKind)(-1);

        void AnalyzeLambda(IFlowAnonymousFunctionOperation lambda)
        {
            var graph = _cfg!.GetAnonymousFunctionControlFlowGraphInScope(lambda);
            var inner = new MethodInference(_data, lambda.Symbol, _report, _untracked) { ReportInferredShapes = ReportInferredShapes, Model = Model, AssumeContiguousParameters = AssumeContiguousParameters };
            inner.Analyze(graph, inner.InitialState(lambda.Symbol.Parameters));
        }

        Value? PropertyValue(IPropertyReferenceOperation property, FlowState state)
        {
            var instance = Eval(property.Instance, state);
            var arguments = new List<Value?>(property.Arguments.Length);
            foreach (var a in property.Arguments) arguments.Add(Eval(a.Value, state));
            if (property.Property.IsIndexer)
            {
                // t[i] selects along dim 0.
                if (instance is TensorValue t && arguments.Count == 1 && Symbols.IsTensor(property.Type)
                    && property.Property.Parameters[0].Type.SpecialType == SpecialType.System_Int32)
                {
                    var call = new RuleCall("Select", new Value?[] { t }, new Value?[] { new IntValue(Dim.Zero), arguments[0] }, null, false);
                    return ApplyRule("Select", call, property.Syntax);
                }
                // t[.., -1], t[0, ^1], t[1..3]: one entry per leading dim, indices select, ranges keep (or slice) the dim.
                if (instance is TensorValue indexed && Symbols.IsTensor(property.Type) && property.Arguments.Length == 1
                    && property.Property.Parameters[0].Type is IArrayTypeSymbol { ElementType.Name: "TensorIndex" }
                    && property.Arguments[0].Value is IArrayCreationOperation { Initializer: { } entries })
                    return MultiIndex(indexed, entries.ElementValues, property.Syntax, state);
                // layers[i] on a ModuleList, Sequential or list of layers.
                if (arguments.Count == 1 && property.Property.Parameters[0].Type.SpecialType == SpecialType.System_Int32)
                    return ElementAt(instance is ModuleValue container ? container.Items : instance, arguments[0]);
                return null;
            }
            if (property.Property.Name == "Current" && instance is EnumeratorValue enumerator)
                return enumerator.Current;
            // t.Length is len(t), the size of dim 0; a 0-d tensor has none. x.Shape.Count is the rank.
            if (property.Property.Name == "Length" && instance is TensorValue { IsFullRank: true } measured && Symbols.IsTensor(property.Property.ContainingType))
            {
                if (measured.Sizes.Length > 0) return new IntValue(measured.Sizes[0]);
                Report(DiagnosticDescriptors.DimOutOfRange, property.Syntax.GetLocation(), null, null, "Length: len() of a 0-d tensor");
                return null;
            }
            if (property.Property.Name == "Count" && instance is SequenceValue sizes && property.Instance is IPropertyReferenceOperation { Property.Name: "Shape" or "Sizes" } shape
                && Symbols.IsTensor(shape.Property.ContainingType))
                return new IntValue(Dim.Of(sizes.Elements.Length));
            // layers.Count, layers.Length of a known sequence of layers (or tensors): a loop's bound.
            if (property.Property.Name is "Count" or "Length" && (instance is ModuleValue held ? held.Items : instance) is SequenceValue counted
                && (Symbols.IsModuleSequence(property.Instance?.Type) || Symbols.IsModule(property.Instance?.Type) || Symbols.IsTensorSequence(property.Instance?.Type)))
                return new IntValue(Dim.Of(counted.Elements.Length));
            return MemberValue(property.Property, property.Type, property.Instance, instance);
        }

        /// <summary>
        /// <c>t[a, b, ...]</c> over <c>TensorIndex</c> entries, as the engine applies them: an int or <c>^k</c> selects
        /// (the dim goes), <c>..</c> keeps the dim, <c>a..b</c> with constant ends slices it; anything else is unknown.
        /// </summary>
        Value? MultiIndex(TensorValue tensor, System.Collections.Immutable.ImmutableArray<IOperation> entries, SyntaxNode syntax, FlowState state)
        {
            Value? t = tensor;
            int dim = 0;
            if (entries.Length > tensor.Sizes.Length && tensor.IsFullRank)
            {
                Report(DiagnosticDescriptors.DimOutOfRange, syntax.GetLocation(), null, null,
                    $"Index: too many indices ({entries.Length}) for tensor of shape {tensor.FormatShape()}");
                return null;
            }
            foreach (var entry in entries)
            {
                var e = entry is IConversionOperation conversion ? conversion.Operand : entry;
                if (t is null) return null;
                if (e is IRangeOperation range)
                {
                    if (range.LeftOperand is null && range.RightOperand is null) { dim++; continue; }
                    var start = range.LeftOperand is null ? new IntValue(Dim.Zero) : Eval(range.LeftOperand, state) as IntValue;
                    var end = range.RightOperand is null ? null : Eval(range.RightOperand, state) as IntValue;
                    if (start is null || end is null || !end.TryGetConstant(out int stop) || stop < 0) return null;
                    t = ApplyRule("Slice", new RuleCall("Slice", new[] { t }, new Value?[] { new IntValue(Dim.Of(dim)), start, end, new IntValue(Dim.One) }, null, false), syntax);
                    dim++;
                    continue;
                }
                Value? index = e is IUnaryOperation { OperatorKind: UnaryOperatorKind.Hat } hat
                    ? (Eval(hat.Operand, state) is IntValue k ? new IntValue(-k.Dim) : null)
                    : Eval(e, state) as IntValue;
                if (index is null || e.Type?.SpecialType is not (SpecialType.System_Int32 or null) && e is not IUnaryOperation) return null;
                t = ApplyRule("Select", new RuleCall("Select", new[] { t }, new Value?[] { new IntValue(Dim.Of(dim)), index }, null, false), syntax);
            }
            return t;
        }

        /// <summary>A field or property: its [Shape], the configuration of a module it holds, a tuple element.</summary>
        Value? MemberValue(ISymbol member, ITypeSymbol? type, IOperation? instanceOperation, Value? instance)
        {
            if (member is IFieldSymbol { CorrespondingTupleField: { } tupleField } && instance is SequenceValue tuple
                && tupleField.Name.StartsWith("Item", StringComparison.Ordinal)
                && int.TryParse(tupleField.Name.Substring(4), out int n) && n >= 1 && n <= tuple.Elements.Length)
                return tuple.Elements[n - 1];
            // A positional record's property, synthesized from its primary constructor's parameter: what the constructor was given.
            if (member is IPropertySymbol { DeclaringSyntaxReferences.Length: 1 } && member.DeclaringSyntaxReferences[0].GetSyntax() is ParameterSyntax && instance is RecordValue record && record.Members.TryGetValue(member.Name, out var given)
                && SymbolEqualityComparer.Default.Equals(member.ContainingType, record.Type))
                return given;
            // x.Shape (then x.Shape[1], x.Shape[^1]) and x.Rank: the sizes are the dims' own names.
            if (instance is TensorValue { IsFullRank: true } tensor && Symbols.IsTensor(member.ContainingType))
            {
                if (member.Name is "Shape" or "Sizes") return new SequenceValue(tensor.Sizes.Select(d => (Value?)new IntValue(d)).ToImmutableArray());
                if (member.Name == "Rank") return new IntValue(Dim.Of(tensor.Sizes.Length));
            }
            bool own = instanceOperation is null or IInstanceReferenceOperation;
            if (Symbols.IsTensor(type))
                return ShapeAnnotation.From(member.GetAttributes(), Symbols)?.ToValue()
                    ?? (own && IsReadOnly(member) ? (Held(member) as TensorValue)?.WithoutLayout() : null);
            if (type?.SpecialType == SpecialType.System_Int32 && own && IsReadOnly(member))
                return Held(member) as IntValue;
            if ((Symbols.IsModule(type) || Symbols.IsModuleSequence(type)) && (instanceOperation is null or IInstanceReferenceOperation))
            {
                var held = Held(member);
                return Symbols.IsModule(type) ? held as ModuleValue : held is ModuleValue ? null : held;
            }
            return null;
        }

        /// <summary>A field or property only constructors and initializers can set: what they set is what every method reads.</summary>
        static bool IsReadOnly(ISymbol member) => member switch
        {
            IFieldSymbol f => f.IsReadOnly || f.IsConst,
            IPropertySymbol p => p.SetMethod is null,
            _ => false,
        };

        void Assign(IOperation target, Value? value, SyntaxNode syntax, FlowState state)
        {
            switch (target)
            {
                case ILocalReferenceOperation local:
                    state.Set(local.Local, _untracked.Contains(local.Local) ? null : value);
                    if (_reporting && ReportInferredShapes && value is TensorValue tensor && Symbols.IsTensor(local.Local.Type))
                        Report(DiagnosticDescriptors.InferredShape, syntax.GetLocation(), null, null, $"'{local.Local.Name}' has shape {tensor.FormatShape()}");
                    break;
                case IParameterReferenceOperation parameter:
                    state.Set(parameter.Parameter, _untracked.Contains(parameter.Parameter) ? null : value);
                    break;
                case IFieldReferenceOperation field:
                    Eval(field.Instance, state);
                    CheckDeclared(field.Field, value, syntax);
                    Record(field.Field, field.Instance, value);
                    break;
                case IPropertyReferenceOperation property:
                    Eval(property.Instance, state);
                    foreach (var a in property.Arguments) Eval(a.Value, state);
                    if (!property.Property.IsIndexer)
                    {
                        CheckDeclared(property.Property, value, syntax);
                        Record(property.Property, property.Instance, value);
                    }
                    break;
                case IArrayElementReferenceOperation element:
                    // The array changed: forget what it held.
                    Assign(element.ArrayReference, null, syntax, state);
                    break;
                case IDeclarationExpressionOperation declaration:
                    Assign(declaration.Expression, value, syntax, state);
                    break;
                case ITupleOperation:
                    AssignTuple(target, value, state);
                    break;
                default:
                    Eval(target, state);
                    break;
            }
        }

        /// <summary><c>var (b, t) = x.Shape</c> on a 3-D tensor: the engine's Deconstruct raises Python's unpacking error.</summary>
        void CheckShapeDeconstruction(IDeconstructionAssignmentOperation deconstruction, Value? value)
        {
            var source = deconstruction.Value is IConversionOperation conversion ? conversion.Operand : deconstruction.Value;
            if (source is not IPropertyReferenceOperation { Property.Name: "Shape" or "Sizes" } property || !Symbols.IsTensor(property.Property.ContainingType)
                || value is not SequenceValue sizes)
                return;
            var target = deconstruction.Target is IDeclarationExpressionOperation declaration ? declaration.Expression : deconstruction.Target;
            if (target is not ITupleOperation tuple || tuple.Elements.Length == sizes.Elements.Length) return;
            int count = tuple.Elements.Length;
            string unpack = sizes.Elements.Length > count ? $"too many values to unpack (expected {count})" : $"not enough values to unpack (expected {count}, got {sizes.Elements.Length})";
            Report(DiagnosticDescriptors.DimOutOfRange, deconstruction.Syntax.GetLocation(), null, null,
                $"Deconstruct: {unpack}: shape [{string.Join(", ", sizes.Elements.Select(e => e?.ToString() ?? "?"))}]");
        }

        void AssignTuple(IOperation target, Value? value, FlowState state)
        {
            if (target is IDeclarationExpressionOperation declaration) target = declaration.Expression;
            if (target is not ITupleOperation tuple) return;
            var elements = value is SequenceValue s && s.Elements.Length == tuple.Elements.Length ? s.Elements : default;
            for (int i = 0; i < tuple.Elements.Length; i++)
                Assign(tuple.Elements[i], elements.IsDefault ? null : elements[i], tuple.Elements[i].Syntax, state);
        }

        /// <summary>SS0007 when a value stored in a [Shape] field or property differs from its declaration.</summary>
        void CheckDeclared(ISymbol member, Value? value, SyntaxNode syntax)
        {
            if (!_reporting || value is not TensorValue tensor) return;
            var annotation = ShapeAnnotation.From(member.GetAttributes(), Symbols);
            if (annotation is null) return;
            var mismatch = ShapeMatcher.Match(tensor, annotation, null);
            if (mismatch is null || (mismatch.Conditional && UnconditionalOnly)) return;
            var location = syntax is AssignmentExpressionSyntax a ? a.Right.GetLocation() : syntax.GetLocation();
            ReportAnnotationMismatch(location, $"'{member.Name}' is declared [Shape(\"{annotation.Text}\")] but is assigned {tensor.FormatShape()}: {mismatch.Detail}", tensor, annotation);
        }

        /// <summary>SS1000 at each returned expression of a <c>Forward</c> method: the shape that return gives.</summary>
        void ShowReturn(IOperation returned, Value? value)
        {
            if (!_reporting || !ReportInferredShapes || value is not TensorValue tensor || _owner is not IMethodSymbol { Name: "Forward" } method
                || !Symbols.IsTensor(method.ReturnType))
                return;
            var shown = returned is IConversionOperation { IsImplicit: true } conversion ? conversion.Operand : returned;
            Report(DiagnosticDescriptors.InferredShape, shown.Syntax.GetLocation(), null, null, $"'{method.Name}' returns {tensor.FormatShape()}");
        }

        void CheckReturn(IOperation returned, Value? value)
        {
            if (!_reporting || value is not TensorValue tensor || _owner is not IMethodSymbol method) return;
            var annotation = ShapeAnnotation.From(method.GetReturnTypeAttributes(), Symbols)
                ?? (method.AssociatedSymbol is IPropertySymbol p ? ShapeAnnotation.From(p.GetAttributes(), Symbols) : null);
            if (annotation is null) return;
            var mismatch = ShapeMatcher.Match(tensor, annotation, null);
            if (mismatch is null || (mismatch.Conditional && UnconditionalOnly)) return;
            ReportAnnotationMismatch(returned.Syntax.GetLocation(),
                $"{method.Name} returns {tensor.FormatShape()} but declares [return: Shape(\"{annotation.Text}\")]: {mismatch.Detail}", tensor, annotation);
        }

        void ReportAnnotationMismatch(Location location, string message, TensorValue inferred, ShapeAnnotation annotation)
        {
            var properties = inferred.IsFullRank
                ? ImmutableDictionary<string, string?>.Empty.Add(PropertyNames.InferredShape, string.Join(", ", inferred.Sizes.Select(d => d.ToString())))
                : null;
            var textLocation = annotation.TextLocation;
            Report(DiagnosticDescriptors.ShapeAnnotationMismatch, location, textLocation is null ? null : new[] { textLocation }, properties, message);
        }

        void Report(DiagnosticDescriptor descriptor, Location location, IEnumerable<Location>? additional, ImmutableDictionary<string, string?>? properties, params object[] args)
        {
            if (!_reporting || _report is null) return;
            if (!(_reported ??= new HashSet<(string, Location)>()).Add((descriptor.Id, location))) return;
            _report(Diagnostic.Create(descriptor, location, additional, properties, args));
        }

        /// <summary>The module <c>this</c> is, inside a module class: each [Dim] name of its constructors means itself.</summary>
        ModuleValue? Self()
        {
            if (_selfResolved) return _self;
            _selfResolved = true;
            var type = _owner.ContainingType;
            if (type is null || !Symbols.IsModule(type)) return null;
            var bindings = ImmutableDictionary<string, DimBinding>.Empty;
            foreach (var ctor in type.InstanceConstructors)
                foreach (var p in ctor.Parameters)
                    if (EngineSymbols.StringArgument(EngineSymbols.Find(p.GetAttributes(), Symbols.DimAttribute)) is { } name && Dim.IsIdentifier(name))
                        bindings = bindings.SetItem(name, new DimBinding(Dim.Named(name), null));
            return _self = new ModuleValue(type, bindings, isSelf: true);
        }

        static Location MemberLocation(SyntaxNode syntax)
        {
            if (syntax is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax member } invocation)
                return Location.Create(invocation.SyntaxTree, TextSpan.FromBounds(member.Name.SpanStart, invocation.Span.End));
            return syntax.GetLocation();
        }
    }

    /// <summary>Names of the properties diagnostics carry for their code fixes.</summary>
    internal static class PropertyNames
    {
        /// <summary>SS0007: the inferred shape as annotation text (<c>B, 512</c>).</summary>
        public const string InferredShape = "InferredShape";

        /// <summary>SS0008: the size the layer's constructor argument should be.</summary>
        public const string InferredSize = "InferredSize";

        /// <summary>SS0005: "start:length" of the reduction call whose result, with <c>keepDim: true</c>, would broadcast.</summary>
        public const string KeepDimCall = "KeepDimCall";

        /// <summary>SS0005: "start:length" of that call's explicit <c>keepDim</c> argument (<c>false</c>), when it has one.</summary>
        public const string KeepDimArgument = "KeepDimArgument";
    }
}
