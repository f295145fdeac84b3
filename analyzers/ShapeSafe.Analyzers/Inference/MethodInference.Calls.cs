using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using ShapeSafe.Shapes;

namespace ShapeSafe.Analyzers.Inference
{
    // Calls: engine methods through their [ShapeContract] rule, methods with [Shape] parameters or returns,
    // layer Forward calls checked against the layer's [Dim] configuration, and Sequential chains.
    internal sealed partial class MethodInference
    {
        Value? Invocation(IInvocationOperation invocation, FlowState state)
        {
            var receiver = Eval(invocation.Instance, state);
            var method = invocation.TargetMethod;
            var arguments = Arguments(method, invocation.Arguments, state);

            if (method.Name == "Size" && arguments.Length == 1 && Symbols.IsTensor(method.ContainingType))
                return Size(receiver, arguments[0], invocation.Syntax);

            if (TensorList(method, receiver, arguments, invocation, state, out var listResult))
                return listResult;

            if (Sequences(method, receiver, arguments, invocation, state, out var sequenceResult))
                return sequenceResult;

            // A layer's Forward called through a base class or interface (ITensorModule) runs the layer's own Forward.
            if (receiver is ModuleValue { IsSelf: false } target && method.Name == "Forward" && arguments.Length == 1
                && !SymbolEqualityComparer.Default.Equals(method.ContainingType, target.Type) && FindForward(target.Type) is { } own)
                method = own;

            if (receiver is ModuleValue { IsSelf: false } tupled && method.Name == "Forward" && TupleLayer(tupled.Type) is { } tupleRule)
            {
                // The layer's input annotations check its widths (SS0008 at the argument); the rule checks the rest and gives the tuple.
                if (HasShapeAnnotations(method)) AnnotatedCall(method, tupled, arguments, invocation.Arguments, invocation.Syntax, null);
                return ApplyRule(tupleRule, TupleCall(method, tupled, arguments), invocation.Syntax);
            }

            if (ContractOf(method) is { } rule)
            {
                if (receiver is ModuleValue loss && !Symbols.IsTensor(method.ContainingType) && method.Parameters.Count(p => Symbols.IsTensor(p.Type)) >= 2)
                    return ResultOf(method, ApplyRule(rule, ModuleCall(method, loss, arguments), invocation.Syntax));
                if (receiver is ModuleValue layer && !Symbols.IsTensor(method.ContainingType))
                    return ResultOf(method, LayerRule(rule, method, layer, arguments, invocation));
                var call = BuildCall(method, receiver, arguments);
                var result = ApplyRule(rule, call, invocation.Syntax);
                return ResultOf(method, result);
            }

            if (method.Name == "RegisterModule" && arguments.Length == 2 && Symbols.IsModule(method.ReturnType))
                return arguments[1];

            var module = receiver as ModuleValue ?? (invocation.Instance is null or IInstanceReferenceOperation ? Self() : null);
            if (receiver is ModuleValue { IsSelf: false } sequential && (!sequential.Children.IsDefault || sequential.UniformChild is not null)
                && method.Name == "Forward" && arguments.Length == 1)
                return SequentialForward(sequential, arguments[0], invocation);

            if (HasShapeAnnotations(method))
                return AnnotatedCall(method, module, arguments, invocation.Arguments, invocation.Syntax, null);
            return HelperCall(method, invocation, arguments, state);
        }

        /// <summary>
        /// Sequences of layers: <c>foreach</c>'s enumerator over a known sequence (<c>GetEnumerator</c>,
        /// <c>MoveNext</c>), LINQ's <c>Select</c> with a lambda that creates a module (a uniform sequence),
        /// <c>ToArray</c>/<c>ToList</c>, and <c>ElementAt</c>.
        /// </summary>
        bool Sequences(IMethodSymbol method, Value? receiver, Value?[] arguments, IInvocationOperation invocation, FlowState state, out Value? result)
        {
            result = null;
            var source = receiver;
            bool linq = method.ContainingType is { Name: "Enumerable", ContainingNamespace: { Name: "Linq", ContainingNamespace.Name: "System" } };
            if (linq && arguments.Length > 0) source = arguments[0];
            switch (method.Name)
            {
                case "GetEnumerator" when method.Parameters.Length == 0:
                    var items = receiver is ModuleValue m ? m.Items : receiver;
                    result = items switch
                    {
                        SequenceValue s => new EnumeratorValue(s.Elements, -1),
                        UniformSequenceValue u => new EnumeratorValue(u.Element),
                        _ => null,
                    };
                    return true;
                case "MoveNext" when method.Parameters.Length == 0:
                    if (receiver is EnumeratorValue e)
                    {
                        var advanced = e.IsCounted ? new EnumeratorValue(e.Elements, e.Index + 1) : new EnumeratorValue(e.Uniform!, Math.Min(e.Index + 1, 1));
                        switch (invocation.Instance)
                        {
                            case IFlowCaptureReferenceOperation capture: state.Set(capture.Id, advanced); break;
                            case ILocalReferenceOperation local: state.Set(local.Local, advanced); break;
                            default: return true;
                        }
                        // A uniform sequence's length is unknown: both the body and the exit stay possible.
                        if (e.IsCounted) result = advanced.Index < e.Elements.Length ? BoolValue.True : BoolValue.False;
                    }
                    return true;
                case "Select" when linq && arguments.Length == 2 && invocation.Arguments.Length == 2:
                    var element = LambdaResult(invocation.Arguments[1].Value, state);
                    if (element is not null) result = new UniformSequenceValue(element);
                    return true;
                case "ToArray" or "ToList" when linq && arguments.Length == 1:
                    result = source is SequenceValue or UniformSequenceValue ? source : source is ModuleValue mv ? mv.Items : null;
                    return true;
                case "ElementAt" when linq && arguments.Length == 2:
                    result = ElementAt(source is ModuleValue container ? container.Items : source, arguments[1]);
                    return true;
            }
            return false;
        }

        /// <summary>
        /// A local <c>List&lt;Tensor&gt;</c> built with <c>Add</c> (then given to <c>Cat</c>/<c>Stack</c>): each Add appends
        /// the tensor's value. Any other call on the list, or passing it to a method that is not a shape rule, forgets it.
        /// </summary>
        bool TensorList(IMethodSymbol method, Value? receiver, Value?[] arguments, IInvocationOperation invocation, FlowState state, out Value? result)
        {
            result = null;
            if (invocation.Instance is ILocalReferenceOperation list && Symbols.IsTensorSequence(list.Type) && list.Type is INamedTypeSymbol { Name: "List" })
            {
                bool add = method.Name == "Add" && arguments.Length == 1 && receiver is SequenceValue;
                state.Set(list.Local, add ? new SequenceValue(((SequenceValue)receiver!).Elements.Add(arguments[0])) : null);
                return true;
            }
            if (ContractOf(method) is null)
                foreach (var argument in invocation.Arguments)
                    if (argument.Value is ILocalReferenceOperation passed && Symbols.IsTensorSequence(passed.Type) && passed.Type is INamedTypeSymbol { Name: "List" })
                        state.Set(passed.Local, null);
            return false;
        }

        static Value? ElementAt(Value? sequence, Value? index)
        {
            if (sequence is UniformSequenceValue u) return u.Element;
            if (sequence is SequenceValue s && index is IntValue i && i.TryGetConstant(out int k))
            {
                if (k < 0) k += s.Elements.Length;
                if (k >= 0 && k < s.Elements.Length) return s.Elements[k];
                return null;
            }
            // layers[i] in a for loop over a list whose elements are all alike: whichever i, the same layer.
            if (sequence is SequenceValue alike && alike.Elements.Length > 0 && alike.Elements[0] is { } first && alike.Elements.All(e => first.Equals(e)))
                return first;
            return null;
        }

        /// <summary>The value a lambda's expression body gives in the current state (its parameters unknown): <c>_ =&gt; new Block(d)</c>.</summary>
        Value? LambdaResult(IOperation lambda, FlowState state)
        {
            while (lambda is IConversionOperation or IDelegateCreationOperation)
                lambda = lambda is IConversionOperation c ? c.Operand : ((IDelegateCreationOperation)lambda).Target;
            var symbol = lambda switch
            {
                IAnonymousFunctionOperation a => a.Symbol,
                IFlowAnonymousFunctionOperation f => f.Symbol,
                _ => null,
            };
            if (symbol?.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is not AnonymousFunctionExpressionSyntax syntax) return null;
            var body = syntax.ExpressionBody
                ?? (syntax.Block is { Statements.Count: 1 } block && block.Statements[0] is ReturnStatementSyntax { Expression: { } returned } ? returned : null);
            if (body is null || (lambda.SemanticModel ?? Model)?.GetOperation(body) is not { } operation) return null;
            bool reporting = _reporting;
            _reporting = false; // the lambda body is analyzed on its own; here only its value matters
            try
            {
                return Eval(operation, state.Clone());
            }
            finally
            {
                _reporting = reporting;
            }
        }

        /// <summary>Argument values by parameter position; ref and out arguments make their locals unknown.</summary>
        Value?[] Arguments(IMethodSymbol method, ImmutableArray<IArgumentOperation> arguments, FlowState state)
        {
            var values = new Value?[method.Parameters.Length];
            foreach (var argument in arguments)
            {
                var value = Eval(argument.Value, state);
                if (argument.Parameter is not { } p || p.Ordinal >= values.Length) continue;
                values[p.Ordinal] = value;
                if (p.RefKind is RefKind.Ref or RefKind.Out)
                    Assign(argument.Value, null, argument.Syntax, state);
            }
            return values;
        }

        Value? Size(Value? receiver, Value? dim, SyntaxNode syntax)
        {
            if (receiver is not TensorValue { IsFullRank: true } t || dim is not IntValue d || !d.TryGetConstant(out int index)) return null;
            try
            {
                return new IntValue(t.Sizes[R.ExistingDim("Size", index, t.Sizes)]);
            }
            catch (ShapeException e)
            {
                Report(DiagnosticDescriptors.DimOutOfRange, MemberLocation(syntax), null, null, e.Message);
                return null;
            }
        }

        // TryGetValue first: GetOrAdd with a method group allocates a delegate on every call.
        string? ContractOf(IMethodSymbol method) =>
            _data.Contracts.TryGetValue(method, out var rule) ? rule : _data.Contracts.GetOrAdd(method, ComputeContract);

        string? ComputeContract(IMethodSymbol method)
        {
            var attribute = EngineSymbols.Find(method.GetAttributes(), Symbols.ShapeContractAttribute)
                ?? (method.ReducedFrom is { } reduced ? EngineSymbols.Find(reduced.GetAttributes(), Symbols.ShapeContractAttribute) : null);
            return BuiltInContracts.RefinedRuleOf(method) ?? EngineSymbols.StringArgument(attribute) ?? BuiltInContracts.RuleOf(method);
        }

        RuleCall BuildCall(IMethodSymbol method, Value? receiver, Value?[] arguments)
        {
            var tensors = new List<Value?>();
            var others = new List<Value?>();
            var names = new List<string>();
            if (!method.IsStatic && Symbols.IsTensor(method.ContainingType)) tensors.Add(receiver);
            for (int i = 0; i < method.Parameters.Length; i++)
            {
                if (Symbols.IsTensor(method.Parameters[i].Type)) tensors.Add(arguments[i]);
                else
                {
                    others.Add(arguments[i]);
                    names.Add(method.Parameters[i].Name);
                }
            }
            bool pair = method.ReturnType is INamedTypeSymbol { IsTupleType: true };
            return new RuleCall(OperationName(method), tensors, others, names, pair);
        }

        /// <summary>The rule of an engine layer whose Forward returns a tuple (LSTM, GRU, MultiheadAttention), or null.</summary>
        static string? TupleLayer(INamedTypeSymbol type) =>
            type.ContainingNamespace?.ToDisplayString() == "ShapeSafe.NN" && type.Name is "LSTM" or "GRU" or "RNN" or "MultiheadAttention" ? type.Name : null;

        /// <summary>A tuple layer's call: its tensor arguments in order (a state pair flattened), then its constructor arguments by name.</summary>
        RuleCall TupleCall(IMethodSymbol method, ModuleValue module, Value?[] arguments)
        {
            var tensors = new List<Value?>();
            for (int i = 0; i < method.Parameters.Length; i++)
            {
                var type = method.Parameters[i].Type;
                if (Symbols.IsTensor(type)) tensors.Add(arguments[i]);
                else if (arguments[i] is SequenceValue pair && i > 0 && type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T) tensors.AddRange(pair.Elements);
            }
            var names = module.Arguments.Keys.ToList();
            var others = names.Select(n => (Value?)module.Arguments[n]).ToList();
            return new RuleCall(module.Type.Name, tensors, others, names, false);
        }

        /// <summary>A module's Forward of several tensors (a loss's input and target): the tensors, then the module's constructor arguments by name.</summary>
        RuleCall ModuleCall(IMethodSymbol method, ModuleValue module, Value?[] arguments)
        {
            var tensors = new List<Value?>();
            for (int i = 0; i < method.Parameters.Length; i++)
                if (Symbols.IsTensor(method.Parameters[i].Type)) tensors.Add(arguments[i]);
            var names = module.Arguments.Keys.ToList();
            return new RuleCall(method.ContainingType.Name, tensors, names.Select(n => (Value?)module.Arguments[n]).ToList(), names, false);
        }

        static string OperationName(IMethodSymbol method) => method.Name switch
        {
            "op_Addition" => "Add",
            "op_Subtraction" => "Sub",
            "op_Multiply" => "Mul",
            "op_Division" => "Div",
            "op_UnaryNegation" => "Neg",
            _ => method.Name,
        };

        /// <summary>Runs a rule; reports its refusal at the call (with a code fix's properties and a note, when given).</summary>
        Value? ApplyRule(string rule, RuleCall call, SyntaxNode syntax, ImmutableDictionary<string, string?>? properties = null, string? note = null)
        {
            // The fixed point and the reporting pass evaluate the same calls on the same values: run each rule once.
            var key = new RuleKey(syntax, rule, call);
            if (!_rules.TryGetValue(key, out var memo))
            {
                // Other sites and methods apply the same rules to the same values (every block of a model's layers):
                // a result that holds no fresh unknown is the same wherever it is computed, so it is kept per compilation.
                var shared = SharedRuleKey.For(rule, call);
                if (shared is null || !_data.Rules.TryGetValue(shared.Value, out memo))
                {
                    var value = ContractRules.Apply(rule, call, out var e, out var i, out var condition);
                    memo = (value, e, i, condition);
                    if (shared is not null && SharedRuleKey.SiteFree(value)) _data.Rules.TryAdd(shared.Value, memo);
                }
                _rules[key] = memo;
            }
            var (result, error, id, needs) = memo;
            if (error is not null && id is not null && !(needs is not null && UnconditionalOnly))
            {
                string message = id == DiagnosticIds.ViewOnIncompatibleLayout ? ContractRules.ViewLayoutMessage(call, error, needs) : WithCondition(error.Message, needs);
                if (id == DiagnosticIds.ViewOnIncompatibleLayout && call.Tensors.Count > 0 && call.Tensors[0] is TensorValue { Offset: { } offset }
                    && offset.Names.Contains(AssumedLayoutMarker))
                    message += " " + AssumedLayoutNote;
                if (note is not null) message += " " + note;
                Report(Descriptor(id), MemberLocation(syntax), null, properties, message);
            }
            return result;
        }

        /// <summary>What SS0001 adds when it relied on a [Shape] parameter being contiguous.</summary>
        internal const string AssumedLayoutNote =
            "(assuming the [Shape] parameter is contiguous: mark it [Strided] if it may be a view, or set shapesafe.assume_contiguous_parameters = false)";

        /// <summary>A refusal that holds only for generic sizes says which special sizes would have made the call work.</summary>
        static string WithCondition(string message, string? condition) =>
            condition is null ? message : message.TrimEnd() + (message.TrimEnd().EndsWith(".", StringComparison.Ordinal) ? " " : ". ") + "Possible only when " + condition + ".";

        readonly Dictionary<RuleKey, (Value? Result, ShapeException? Error, string? Id, string? Condition)> _rules = new();

        /// <summary>A rule applied at one call site to particular values.</summary>
        readonly struct RuleKey : System.IEquatable<RuleKey>
        {
            readonly SyntaxNode _syntax;
            readonly string _rule;
            readonly RuleCall _call;
            readonly int _hash;

            public RuleKey(SyntaxNode syntax, string rule, RuleCall call)
            {
                _syntax = syntax;
                _rule = rule;
                _call = call;
                int h = syntax.GetHashCode() * 31 + rule.GetHashCode();
                for (int i = 0; i < call.Tensors.Count; i++) h = unchecked(h * 31 + (call.Tensors[i]?.GetHashCode() ?? 1));
                for (int i = 0; i < call.Others.Count; i++) h = unchecked(h * 31 + (call.Others[i]?.GetHashCode() ?? 1));
                _hash = h;
            }

            public bool Equals(RuleKey other) =>
                _hash == other._hash && ReferenceEquals(_syntax, other._syntax) && _rule == other._rule && _call.Op == other._call.Op
                && Same(_call.Tensors, other._call.Tensors) && Same(_call.Others, other._call.Others) && _call.OtherNames.SequenceEqual(other._call.OtherNames);

            static bool Same(IReadOnlyList<Value?> a, IReadOnlyList<Value?> b)
            {
                if (a.Count != b.Count) return false;
                for (int i = 0; i < a.Count; i++)
                    if (!(a[i] is null ? b[i] is null : b[i] is not null && a[i]!.Equals(b[i]))) return false;
                return true;
            }

            public override bool Equals(object? obj) => obj is RuleKey k && Equals(k);
            public override int GetHashCode() => _hash;
        }

        /// <summary>
        /// A rule applied to particular values, wherever: the key of the per-compilation memo. Values compare with their
        /// layouts' origins (SS0001's "after Transpose(1, 2)"), which their equality leaves out; only plain values
        /// (ints, flags, strings, tensors and lists of them) make a key.
        /// </summary>
        internal readonly struct SharedRuleKey : System.IEquatable<SharedRuleKey>
        {
            readonly string _rule;
            readonly RuleCall _call;
            readonly int _hash;

            SharedRuleKey(string rule, RuleCall call)
            {
                _rule = rule;
                _call = call;
                int h = rule.GetHashCode() * 31 + call.Op.GetHashCode();
                for (int i = 0; i < call.Tensors.Count; i++) h = unchecked(h * 31 + (call.Tensors[i]?.GetHashCode() ?? 1));
                for (int i = 0; i < call.Others.Count; i++) h = unchecked(h * 31 + (call.Others[i]?.GetHashCode() ?? 1));
                _hash = h;
            }

            public static SharedRuleKey? For(string rule, RuleCall call)
            {
                for (int i = 0; i < call.Tensors.Count; i++) if (!Plain(call.Tensors[i])) return null;
                for (int i = 0; i < call.Others.Count; i++) if (!Plain(call.Others[i])) return null;
                return new SharedRuleKey(rule, call);
            }

            static bool Plain(Value? value) => value switch
            {
                null or IntValue or BoolValue or DoubleValue or StringValue or NullValue or UnknownValue or TensorValue => true,
                SequenceValue s => s.Elements.All(Plain),
                _ => false,
            };

            /// <summary>Whether <paramref name="result"/> holds no fresh unknown size (a rule's own Dim.Anonymous), which must stay per site.</summary>
            public static bool SiteFree(Value? result) => result switch
            {
                null => true,
                TensorValue t => !t.Sizes.Any(d => d.HasOpaqueAtom) && (t.Strides is null || !t.Strides.Any(d => d.HasOpaqueAtom)) && t.Offset?.HasOpaqueAtom != true,
                IntValue i => !i.Dim.HasOpaqueAtom,
                SequenceValue s => s.Elements.All(SiteFree),
                BoolValue or DoubleValue or StringValue or NullValue => true,
                _ => false,
            };

            public bool Equals(SharedRuleKey other) =>
                _hash == other._hash && _rule == other._rule && _call.Op == other._call.Op && _call.ReturnsPair == other._call.ReturnsPair
                && Same(_call.Tensors, other._call.Tensors) && Same(_call.Others, other._call.Others) && _call.OtherNames.SequenceEqual(other._call.OtherNames);

            static bool Same(IReadOnlyList<Value?> a, IReadOnlyList<Value?> b)
            {
                if (a.Count != b.Count) return false;
                for (int i = 0; i < a.Count; i++)
                    if (!SameValue(a[i], b[i])) return false;
                return true;
            }

            static bool SameValue(Value? a, Value? b)
            {
                if (a is null || b is null) return a is null && b is null;
                if (!a.Equals(b)) return false;
                if (a is TensorValue ta) return ta.Origin == ((TensorValue)b).Origin;
                if (a is SequenceValue sa)
                {
                    var sb = (SequenceValue)b;
                    for (int i = 0; i < sa.Elements.Length; i++)
                        if (!SameValue(sa.Elements[i], sb.Elements[i])) return false;
                }
                return true;
            }

            public override bool Equals(object? obj) => obj is SharedRuleKey k && Equals(k);
            public override int GetHashCode() => _hash;
        }

        Value? ResultOf(IMethodSymbol method, Value? result)
        {
            if (result is TensorValue && Symbols.IsTensor(method.ReturnType)) return result;
            if (result is SequenceValue && (Symbols.IsTensorSequence(method.ReturnType) || method.ReturnType is INamedTypeSymbol { IsTupleType: true })) return result;
            return null;
        }

        static DiagnosticDescriptor Descriptor(string id) => id switch
        {
            DiagnosticIds.ViewOnIncompatibleLayout => DiagnosticDescriptors.ViewOnIncompatibleLayout,
            DiagnosticIds.MatrixProductMismatch => DiagnosticDescriptors.MatrixProductMismatch,
            DiagnosticIds.JoinMismatch => DiagnosticDescriptors.JoinMismatch,
            DiagnosticIds.ElementCountMismatch => DiagnosticDescriptors.ElementCountMismatch,
            DiagnosticIds.BroadcastMismatch => DiagnosticDescriptors.BroadcastMismatch,
            DiagnosticIds.LayerConfigurationMismatch => DiagnosticDescriptors.LayerConfigurationMismatch,
            DiagnosticIds.EmptyWindowOutput => DiagnosticDescriptors.EmptyWindowOutput,
            _ => DiagnosticDescriptors.DimOutOfRange,
        };

        // ---- operators ----

        Value? Binary(IMethodSymbol? operatorMethod, BinaryOperatorKind kind, IOperation left, IOperation right, SyntaxNode syntax, FlowState state)
        {
            var a = Eval(left, state);
            var b = Eval(right, state);
            if (operatorMethod is not null)
            {
                if (ContractOf(operatorMethod) is not { } rule) return null;
                var call = BuildCall(operatorMethod, null, new[] { a, b });
                var fix = _reporting ? KeepDimFix(operatorMethod, rule, left, right, a, b) : null;
                return ResultOf(operatorMethod, ApplyRule(rule, call, syntax, fix?.Properties, fix?.Note));
            }
            if (a is not IntValue x || b is not IntValue y) return null;
            if (x.TryGetConstant(out int l) && y.TryGetConstant(out int r) && Compare(kind, l, r) is { } compared)
                return compared ? BoolValue.True : BoolValue.False;
            try
            {
                switch (kind)
                {
                    case BinaryOperatorKind.Add: return new IntValue(x.Dim + y.Dim);
                    case BinaryOperatorKind.Subtract: return new IntValue(x.Dim - y.Dim);
                    case BinaryOperatorKind.Multiply: return new IntValue(x.Dim * y.Dim);
                    case BinaryOperatorKind.Divide:
                        // Sizes are not negative, so C#'s truncating division is a floor division.
                        if (y.Dim.IsZero) return null;
                        if (default(SymbolicDims).TryDivideExact(x.Dim, y.Dim, out var q) == Truth.True) return new IntValue(q);
                        // c / heads on a width named C: model code means the exact quotient (C/8, as an annotation states it);
                        // a width the heads do not divide is a size the model is not written for.
                        if (y.Dim.IsConstant && !x.Dim.IsConstant && !x.Dim.HasOpaqueAtom) return new IntValue(x.Dim / y.Dim);
                        return new IntValue(Dim.FloorDivide(x.Dim, y.Dim));
                    default: return null;
                }
            }
            catch (System.ArithmeticException)
            {
                return null;
            }
        }

        /// <summary>
        /// <c>x - x.Mean(1)</c>: when one operand is a reduction over constant dims without <c>keepDim</c> and the same
        /// reduction with <c>keepDim: true</c> would broadcast against the other operand for every size, the SS0005 of the
        /// operator says so and carries where the code fix adds (or sets) <c>keepDim: true</c>.
        /// </summary>
        (ImmutableDictionary<string, string?> Properties, string Note)? KeepDimFix(IMethodSymbol operatorMethod, string rule, IOperation left, IOperation right, Value? a, Value? b)
        {
            for (int side = 0; side < 2; side++)
            {
                var operand = Unwrapped(side == 0 ? left : right);
                if ((side == 0 ? a : b) is not TensorValue { IsFullRank: true } reduced || Reduction(operand) is not { } reduction) continue;
                var dims = ReducedDims(reduction, reduced.Sizes.Length);
                if (dims is null) continue;
                var kept = reduced.Sizes.ToList();
                foreach (int d in dims) kept.Insert(d, Dim.One);
                var keptValue = TensorValue.Contiguous(kept.ToArray());
                var call = BuildCall(operatorMethod, null, side == 0 ? new Value?[] { keptValue, b } : new Value?[] { a, keptValue });
                ContractRules.Apply(rule, call, out var error, out _, out var condition);
                if (error is not null || condition is not null) continue;
                var properties = ImmutableDictionary<string, string?>.Empty.Add(PropertyNames.KeepDimCall, SpanText(reduction.Syntax.Span));
                var keepDim = reduction.Arguments.FirstOrDefault(x => x.Parameter?.Name == "keepDim");
                if (keepDim is { IsImplicit: false }) properties = properties.Add(PropertyNames.KeepDimArgument, SpanText(keepDim.Value.Syntax.Span));
                string dimText = dims.Count == 1 ? $"dim {dims[0]}" : $"dims {string.Join(", ", dims)}";
                return (properties, $"{reduction.TargetMethod.Name} with keepDim: true keeps {dimText} as size 1 ({keptValue.FormatShape()}), which broadcasts.");
            }
            return null;

            static string SpanText(Microsoft.CodeAnalysis.Text.TextSpan span) => $"{span.Start}:{span.Length}";
        }

        static IOperation Unwrapped(IOperation operation)
        {
            while (operation is IConversionOperation { IsImplicit: true } conversion) operation = conversion.Operand;
            return operation;
        }

        /// <summary>A tensor reduction whose <c>keepDim</c> is left false (<c>x.Mean(1)</c>, <c>x.Max(1).Values</c>), or null.</summary>
        IInvocationOperation? Reduction(IOperation operand)
        {
            if (operand is IFieldReferenceOperation { Instance: IInvocationOperation tupled } field && field.Field.ContainingType.IsTupleType
                && field.Field.Name is "Values" or "Item1")
                operand = tupled;
            if (operand is not IInvocationOperation invocation || !Symbols.IsTensor(invocation.TargetMethod.ContainingType)) return null;
            var keepDim = invocation.Arguments.FirstOrDefault(x => x.Parameter?.Name == "keepDim");
            if (keepDim is null || !(keepDim.IsImplicit || keepDim.Value.ConstantValue is { HasValue: true, Value: false })) return null;
            return invocation;
        }

        /// <summary>The reduction's dims, normalized against the input's rank and sorted, when they are constants; else null.</summary>
        static List<int>? ReducedDims(IInvocationOperation reduction, int reducedRank)
        {
            var argument = reduction.Arguments.FirstOrDefault(x => x.Parameter?.Name is "dim" or "dims");
            if (argument is null) return null;
            var values = new List<int>();
            var value = Unwrapped(argument.Value);
            if (value.ConstantValue is { HasValue: true, Value: int single }) values.Add(single);
            else if (value is IArrayCreationOperation { Initializer: { } initializer })
            {
                foreach (var element in initializer.ElementValues)
                    if (element.ConstantValue is { HasValue: true, Value: int d }) values.Add(d);
                    else return null;
            }
            else return null;
            int rank = reducedRank + values.Count;
            var dims = new List<int>();
            foreach (int d in values)
            {
                int n = d < 0 ? d + rank : d;
                if (n < 0 || n >= rank || dims.Contains(n)) return null;
                dims.Add(n);
            }
            dims.Sort();
            return dims;
        }

        /// <summary>A comparison of two int constants (a loop's bound), or null for any other operator.</summary>
        static bool? Compare(BinaryOperatorKind kind, int l, int r) => kind switch
        {
            BinaryOperatorKind.LessThan => l < r,
            BinaryOperatorKind.LessThanOrEqual => l <= r,
            BinaryOperatorKind.GreaterThan => l > r,
            BinaryOperatorKind.GreaterThanOrEqual => l >= r,
            BinaryOperatorKind.Equals => l == r,
            BinaryOperatorKind.NotEquals => l != r,
            _ => null,
        };

        Value? Unary(IUnaryOperation unary, FlowState state)
        {
            var operand = Eval(unary.Operand, state);
            if (unary.OperatorMethod is { } method)
            {
                if (ContractOf(method) is not { } rule) return null;
                return ResultOf(method, ApplyRule(rule, BuildCall(method, null, new[] { operand }), unary.Syntax));
            }
            if (unary.OperatorKind == UnaryOperatorKind.Minus && operand is IntValue i) return new IntValue(-i.Dim);
            if (unary.OperatorKind == UnaryOperatorKind.Plus) return operand;
            return null;
        }

        // ---- modules ----

        /// <summary>
        /// <c>new Pair(a, b)</c> of a positional record, with no initializer that could set its properties otherwise:
        /// each tensor given to the primary constructor is what the property of that name reads.
        /// </summary>
        RecordValue? RecordCreation(IObjectCreationOperation creation, Value?[] arguments)
        {
            if (creation.Constructor is not { } constructor || creation.Type is not INamedTypeSymbol { IsRecord: true } type || Symbols.IsModule(type)
                || creation.Initializer is { Initializers.Length: > 0 } || !IsPrimaryConstructor(constructor))
                return null;
            var members = ImmutableDictionary.CreateBuilder<string, Value>(System.StringComparer.Ordinal);
            foreach (var p in constructor.Parameters)
                if (p.Ordinal < arguments.Length && arguments[p.Ordinal] is TensorValue tensor && Symbols.IsTensor(p.Type)) members[p.Name] = tensor;
            return members.Count == 0 ? null : new RecordValue(type, members.ToImmutable());
        }

        /// <summary>A record's primary constructor: declared by the record's own header (<c>record Pair(Tensor A, Tensor B)</c>).</summary>
        static bool IsPrimaryConstructor(IMethodSymbol constructor) =>
            constructor.DeclaringSyntaxReferences.Length == 1 && constructor.DeclaringSyntaxReferences[0].GetSyntax() is RecordDeclarationSyntax;

        Value? ModuleCreation(IObjectCreationOperation creation, FlowState state)
        {
            var constructor = creation.Constructor;
            var arguments = constructor is null ? new Value?[0] : Arguments(constructor, creation.Arguments, state);
            if (creation.Type is INamedTypeSymbol { Name: "List" } listType && Symbols.IsTensorSequence(listType) && creation.Initializer is null
                && constructor is not null && (constructor.Parameters.Length == 0 || constructor.Parameters[0].Type.SpecialType == SpecialType.System_Int32))
                return new SequenceValue(ImmutableArray<Value?>.Empty); // a new, empty list of tensors (a capacity is no content)
            var added = CollectionInitializer(creation.Initializer, state);
            if (RecordCreation(creation, arguments) is { } record) return record;
            if (constructor is null || creation.Type is not INamedTypeSymbol type || !Symbols.IsModule(type)) return null;

            var bindings = ImmutableDictionary<string, DimBinding>.Empty;
            var named = ImmutableDictionary.CreateBuilder<string, Value>(System.StringComparer.Ordinal);
            foreach (var argument in creation.Arguments)
            {
                if (argument.Parameter is not { } p || p.Ordinal >= arguments.Length) continue;
                named[p.Name] = arguments[p.Ordinal] ?? UnknownValue.Instance;
                var name = EngineSymbols.StringArgument(EngineSymbols.Find(p.GetAttributes(), Symbols.DimAttribute));
                if (name is null || !Dim.IsIdentifier(name) || arguments[p.Ordinal] is not IntValue size) continue;
                bindings = bindings.SetItem(name, new DimBinding(size.Dim, argument.IsImplicit ? null : argument.Value.Syntax.GetLocation()));
            }

            // Containers: Sequential(params Module[]) and ModuleList(IEnumerable<T>), or a collection initializer of Adds.
            var children = default(ImmutableArray<ModuleValue?>);
            ModuleValue? uniform = null;
            bool container = (Symbols.Sequential is { } sequential && InheritsFrom(type, sequential)) || IsModuleList(type);
            if (container && creation.Initializer is null or { Initializers.Length: 0 } && constructor.Parameters.Length == 1)
            {
                var items = arguments[0] is ModuleValue inner ? inner.Items : arguments[0];
                if (items is SequenceValue modules) children = modules.Elements.Select(e => e as ModuleValue).ToImmutableArray();
                else if (items is UniformSequenceValue { Element: ModuleValue element }) uniform = element;
            }
            else if (container && constructor.Parameters.Length == 0)
            {
                children = added is null ? ImmutableArray<ModuleValue?>.Empty : added.Value;
            }
            var namedArguments = named.ToImmutable();
            CheckAtCreation(creation, type, constructor, arguments, bindings, namedArguments);
            return new ModuleValue(type, bindings, children, arguments: namedArguments, uniformChild: uniform);
        }

        bool IsModuleList(INamedTypeSymbol type)
        {
            for (var t = type; t is not null; t = t.BaseType)
                if (t.Name == "ModuleList" && t.ContainingNamespace?.ToDisplayString() == "ShapeSafe.NN") return true;
            return false;
        }

        /// <summary>The modules a collection initializer adds (<c>new ModuleList&lt;Linear&gt; { a, b }</c>), or null when it does anything else.</summary>
        ImmutableArray<ModuleValue?>? CollectionInitializer(IObjectOrCollectionInitializerOperation? initializer, FlowState state)
        {
            if (initializer is null) return null;
            var added = ImmutableArray.CreateBuilder<ModuleValue?>();
            bool onlyAdds = true;
            foreach (var element in initializer.Initializers)
            {
                if (element is IInvocationOperation { TargetMethod.Name: "Add", Arguments.Length: 1 } add)
                    added.Add(Eval(add.Arguments[0].Value, state) as ModuleValue);
                else
                {
                    onlyAdds = false;
                    Eval(element, state);
                }
            }
            return onlyAdds ? added.ToImmutable() : null;
        }

        static bool InheritsFrom(ITypeSymbol type, ITypeSymbol baseType)
        {
            for (var t = type; t is not null; t = t.BaseType)
                if (SymbolEqualityComparer.Default.Equals(t, baseType)) return true;
            return false;
        }

        bool HasShapeAnnotations(IMethodSymbol method) =>
            _data.Annotated.TryGetValue(method, out bool annotated) ? annotated : _data.Annotated.GetOrAdd(method, ComputeHasShapeAnnotations);

        bool ComputeHasShapeAnnotations(IMethodSymbol method)
        {
            if (Symbols.ShapeAttribute is null) return false;
            if (EngineSymbols.Find(method.GetReturnTypeAttributes(), Symbols.ShapeAttribute) is not null) return true;
            foreach (var p in method.Parameters)
                if (EngineSymbols.Find(p.GetAttributes(), Symbols.ShapeAttribute) is not null) return true;
            return false;
        }

        /// <summary>
        /// A call of a method whose parameters or return carry [Shape]: each argument is matched in the callee's
        /// scope (its names bind to the caller's dims, a module's [Dim] names to its constructor arguments), and the
        /// return annotation gives the result.
        /// </summary>
        Value? AnnotatedCall(IMethodSymbol method, ModuleValue? module, Value?[] arguments, ImmutableArray<IArgumentOperation> argumentOperations,
            SyntaxNode callSyntax, string? layerDescription, SyntaxNode? inputSyntax = null)
        {
            var bindings = new CallBindings(module);
            for (int i = 0; i < method.Parameters.Length; i++)
            {
                var p = method.Parameters[i];
                if (arguments[i] is not TensorValue tensor || !Symbols.IsTensor(p.Type)) continue;
                var annotation = ShapeAnnotation.From(p.GetAttributes(), Symbols);
                if (annotation is null) continue;
                var mismatch = ShapeMatcher.Match(tensor, annotation, bindings);
                if (mismatch is null) continue;
                if (mismatch.Conditional && UnconditionalOnly) return null;

                var argumentSyntax = argumentOperations.FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.Parameter, p))?.Syntax ?? inputSyntax ?? callSyntax;
                var location = argumentSyntax is ArgumentSyntax argument ? argument.Expression.GetLocation() : argumentSyntax.GetLocation();
                string callee = layerDescription ?? method.ContainingType.Name + "." + method.Name;
                if (mismatch.LayerDimName is { } layerDim && module is not null && module.Bindings.TryGetValue(layerDim, out var binding))
                {
                    var properties = ImmutableDictionary<string, string?>.Empty;
                    var actual = TryActualFor(annotation, tensor, layerDim);
                    if (actual is not null) properties = properties.Add(PropertyNames.InferredSize, actual);
                    Report(DiagnosticDescriptors.LayerConfigurationMismatch, location,
                        binding.ArgumentLocation is null ? null : new[] { binding.ArgumentLocation }, properties,
                        $"{callee}: input {tensor.FormatShape()} does not fit the layer ({layerDim} = {binding.Dim}): {mismatch.Detail}");
                }
                else
                {
                    ReportAnnotationMismatch(location,
                        $"{callee}: argument '{p.Name}' {tensor.FormatShape()} does not match [Shape(\"{annotation.Text}\")]: {mismatch.Detail}",
                        tensor, annotation);
                }
                return null; // the call's result is unknown once its input is wrong
            }
            if (!Symbols.IsTensor(method.ReturnType)) return null;
            var returned = ShapeAnnotation.From(method.GetReturnTypeAttributes(), Symbols);
            if (returned is null) return null;
            var result = ShapeMatcher.Instantiate(returned, bindings);
            for (int i = 0; i < result.Sizes.Length; i++)
            {
                // A declared output size such as H - K + 1 that is provably below 1: the window does not fit.
                if (default(SymbolicDims).Less(result.Sizes[i], Dim.One) != Truth.True) continue;
                string callee = layerDescription ?? method.ContainingType.Name + "." + method.Name;
                var input = argumentOperations.FirstOrDefault()?.Syntax ?? inputSyntax ?? callSyntax;
                Report(DiagnosticDescriptors.EmptyWindowOutput, input is ArgumentSyntax a ? a.Expression.GetLocation() : input.GetLocation(), null, null,
                    $"{callee}: output size {result.Sizes[i]} at dim {i} is empty for input {TensorValue.Format(arguments.OfType<TensorValue>().FirstOrDefault()?.Sizes ?? new Dim[0], false)} (declared [{returned.Text}])");
                return null;
            }
            return result;
        }

        /// <summary>For SS0008's fix: the argument's size at the entry that is exactly the layer dim (<c>..., In</c> → the last size).</summary>
        static string? TryActualFor(ShapeAnnotation annotation, TensorValue tensor, string layerDim)
        {
            var entries = annotation.Entries;
            for (int i = 0; i < entries.Count; i++)
            {
                if (entries[i].Dim is not { } d || !d.TryGetName(out var name) || name != layerDim) continue;
                int fromEnd = entries.Count - i;
                if (fromEnd > tensor.Sizes.Length) return null;
                var size = tensor.Sizes[tensor.Sizes.Length - fromEnd];
                return size.TryGetConstant(out long v) ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
            }
            return null;
        }

        /// <summary><c>seq.Forward(x)</c>: each child's Forward in turn, each checked against its configuration.</summary>
        Value? SequentialForward(ModuleValue sequential, Value? input, IInvocationOperation invocation)
        {
            if (sequential.UniformChild is { } repeated)
            {
                // The same layer any number of times: its output is known only when it keeps the input's shape.
                var once = LayerForward(repeated, input, invocation, $"{sequential.Type.Name}[i] ({repeated.Type.Name}).Forward");
                return once is not null && input is not null && once.Join(input) is { } kept ? kept : null;
            }
            var x = input;
            for (int i = 0; i < sequential.Children.Length; i++)
            {
                var child = sequential.Children[i];
                if (child is null || x is not TensorValue) return null;
                x = LayerForward(child, x, invocation, $"{sequential.Type.Name}[{i}] ({child.Type.Name}).Forward");
            }
            return x;
        }

        /// <summary>One layer's Forward on <paramref name="x"/> inside a chain: its [ShapeContract] rule, else its [Shape] annotations.</summary>
        Value? LayerForward(ModuleValue layer, Value? x, IInvocationOperation invocation, string description)
        {
            if (x is not TensorValue) return null;
            var forward = FindForward(layer.Type);
            if (forward is null) return null;
            if (ContractOf(forward) is { } rule)
                return ResultOf(forward, LayerRule(rule, forward, layer, new[] { x }, invocation, description));
            return AnnotatedCall(forward, layer, new[] { x }, invocation.Arguments, invocation.Syntax, description, invocation.Arguments.FirstOrDefault()?.Syntax);
        }

        /// <summary>
        /// A layer's Forward whose method declares a [ShapeContract] rule: the input is the rule's tensor, and the
        /// layer's constructor arguments (by parameter name) are its other arguments. A refusal about the layer's
        /// input size is SS0008 and points the fix at the layer's <c>In</c> argument.
        /// </summary>
        Value? LayerRule(string rule, IMethodSymbol forward, ModuleValue layer, Value?[] arguments, IInvocationOperation invocation, string? description = null)
        {
            var names = layer.Arguments.Keys.ToList();
            var call = new RuleCall(forward.ContainingType.Name, new[] { arguments.Length > 0 ? arguments[0] : null },
                names.Select(n => (Value?)layer.Arguments[n]).ToList(), names, false);
            var result = ContractRules.Apply(rule, call, out var error, out var id, out var condition);
            if (error is null || id is null || (condition is not null && UnconditionalOnly)) return result;
            var input = invocation.Arguments.FirstOrDefault()?.Syntax ?? invocation.Syntax;
            var location = input is ArgumentSyntax a ? a.Expression.GetLocation() : input.GetLocation();
            string message = WithCondition((description ?? forward.ContainingType.Name + ".Forward") + ": " + error.Detail, condition);
            if (id == DiagnosticIds.LayerConfigurationMismatch && LayerSizeBinding(layer) is { } binding)
            {
                var properties = call.InferredInputSize is { } size && size.TryGetConstant(out long v)
                    ? ImmutableDictionary<string, string?>.Empty.Add(PropertyNames.InferredSize, v.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    : null;
                Report(DiagnosticDescriptors.LayerConfigurationMismatch, location, binding.ArgumentLocation is null ? null : new[] { binding.ArgumentLocation }, properties, message);
            }
            else
            {
                Report(Descriptor(id), location, null, null, message);
            }
            return null;
        }

        /// <summary>The [Dim] constructor argument that fixes a layer's input size (In, C, E), for SS0008's fix.</summary>
        static DimBinding? LayerSizeBinding(ModuleValue layer)
        {
            foreach (var name in new[] { "In", "C", "E" })
                if (layer.Bindings.TryGetValue(name, out var binding)) return binding;
            return null;
        }

        IMethodSymbol? FindForward(INamedTypeSymbol type)
        {
            for (var t = type; t is not null; t = t.BaseType)
                foreach (var m in t.GetMembers("Forward"))
                    if (m is IMethodSymbol { Parameters.Length: 1 } forward && Symbols.IsTensor(forward.Parameters[0].Type)) return forward;
            return null;
        }
    }
}
