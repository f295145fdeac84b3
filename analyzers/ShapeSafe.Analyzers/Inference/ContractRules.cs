using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using ShapeSafe.Shapes;

namespace ShapeSafe.Analyzers.Inference
{
    /// <summary>
    /// One call of an engine method that declares <c>[ShapeContract(rule)]</c>, with the arguments the inference
    /// could evaluate: the tensor operands (the receiver first, then tensor parameters in order) and the other
    /// arguments by position (ints and int arrays as dims, bools, strings, tensor sequences).
    /// </summary>
    internal sealed class RuleCall
    {
        public RuleCall(string op, IReadOnlyList<Value?> tensors, IReadOnlyList<Value?> others, IReadOnlyList<string>? otherNames, bool returnsPair)
        {
            Op = op;
            Tensors = tensors;
            Others = others;
            OtherNames = otherNames ?? new string[0];
            ReturnsPair = returnsPair;
        }

        /// <summary>The operation's name in messages: the method's name (<c>Matmul</c>, <c>BroadcastTo</c>, <c>Add</c>).</summary>
        public string Op { get; }
        public IReadOnlyList<Value?> Tensors { get; }
        public IReadOnlyList<Value?> Others { get; }
        /// <summary>The parameter names of <see cref="Others"/>, for rules whose arguments vary between overloads (keepDim).</summary>
        public IReadOnlyList<string> OtherNames { get; }

        /// <summary>The position of the argument for parameter <paramref name="name"/>, or -1.</summary>
        public int IndexOf(string name)
        {
            for (int i = 0; i < OtherNames.Count; i++)
                if (OtherNames[i] == name) return i;
            return -1;
        }

        /// <summary>Whether the method returns a (values, indices) pair, as <c>Max(dim)</c> does.</summary>
        public bool ReturnsPair { get; }

        /// <summary>The tensor operand <paramref name="i"/> when its full shape is known.</summary>
        public TensorValue? Tensor(int i) => i < Tensors.Count && Tensors[i] is TensorValue { IsFullRank: true } t ? t : null;

        public bool HasOther(int i) => i < Others.Count;

        /// <summary>Argument <paramref name="i"/> as a constant int; <paramref name="fallback"/> when absent; null when unknown.</summary>
        public int? Int(int i, int? fallback = null)
        {
            if (i >= Others.Count) return fallback;
            return Others[i] is IntValue v && v.TryGetConstant(out int c) ? c : null;
        }

        public bool? Bool(int i, bool fallback)
        {
            if (i >= Others.Count) return fallback;
            return Others[i] is BoolValue b ? b.BoolConstant : null;
        }

        /// <summary>Argument <paramref name="i"/> as an int array of dims (unknown entries become fresh unknown dims).</summary>
        public Dim[]? Dims(int i)
        {
            if (i >= Others.Count) return null;
            return Others[i] switch
            {
                SequenceValue s => s.Elements.Select(e => e is IntValue v ? v.Dim : Dim.Anonymous()).ToArray(),
                IntValue v => new[] { v.Dim },
                _ => null,
            };
        }

        /// <summary>Argument <paramref name="i"/> as an int array of constants, or null.</summary>
        public int[]? Ints(int i)
        {
            if (i >= Others.Count) return null;
            var values = Others[i] switch
            {
                SequenceValue s => s.Elements,
                IntValue v => ImmutableArray.Create<Value?>(v),
                _ => default,
            };
            if (values.IsDefault) return null;
            var result = new int[values.Length];
            for (int k = 0; k < values.Length; k++)
            {
                if (values[k] is not IntValue v || !v.TryGetConstant(out result[k])) return null;
            }
            return result;
        }

        /// <summary>Argument <paramref name="i"/> as a list of fully known tensor shapes, or null.</summary>
        public List<TensorValue>? TensorList(int i)
        {
            if (i >= Others.Count || Others[i] is not SequenceValue s) return null;
            var list = new List<TensorValue>();
            foreach (var e in s.Elements)
            {
                if (e is not TensorValue { IsFullRank: true } t) return null;
                list.Add(t);
            }
            return list;
        }

        public string? String(int i) => i < Others.Count && Others[i] is StringValue s ? s.Text : null;

        /// <summary>The argument for parameter <paramref name="name"/>: absent (false) or its value (null when unknown).</summary>
        public bool TryGet(string name, out Value? value)
        {
            int i = IndexOf(name);
            value = i >= 0 ? Others[i] : null;
            return i >= 0;
        }

        /// <summary>
        /// A (height, width) argument given as one int or a pair (<c>3</c>, <c>(3, 5)</c>): <paramref name="fallback"/>
        /// when absent or null; throws (unknown) when it cannot be read.
        /// </summary>
        public int[] Pair(string name, int[]? fallback)
        {
            if (!TryGet(name, out var value) || value is NullValue) return fallback ?? throw new InvalidOperationException("no " + name);
            switch (value)
            {
                case IntValue v when v.TryGetConstant(out int c):
                    return new[] { c, c };
                case SequenceValue { Elements.Length: 2 } s when s.Elements[0] is IntValue h && h.TryGetConstant(out int hc)
                                                            && s.Elements[1] is IntValue w && w.TryGetConstant(out int wc):
                    return new[] { hc, wc };
                default:
                    throw new InvalidOperationException("unknown " + name);
            }
        }

        /// <summary>For a layer rule's SS0008: the size the layer's input-size argument should have been.</summary>
        public Dim? InferredInputSize { get; set; }
    }

    /// <summary>
    /// The mapping from a rule name in <c>[ShapeContract]</c> to a call of the shared core's rule, written once:
    /// a new engine method whose rule is listed here needs no analyzer change. Each entry returns the result
    /// value, or null when unknown; the core's <see cref="ShapeException"/> becomes the diagnostic.
    /// </summary>
    internal static partial class ContractRules
    {
        delegate Value? Rule(RuleCall call);

        sealed class Entry
        {
            public Entry(string diagnosticId, Rule rule)
            {
                DiagnosticId = diagnosticId;
                Apply = rule;
            }

            public string DiagnosticId { get; }
            public Rule Apply { get; }
        }

        static readonly Dictionary<string, Entry> s_rules = new(StringComparer.Ordinal)
        {
            ["View"] = new(DiagnosticIds.ElementCountMismatch, View),
            ["Reshape"] = new(DiagnosticIds.ElementCountMismatch, Reshape),
            ["SameShape"] = new(DiagnosticIds.DimOutOfRange, SameShape),
            ["SameShapeDim"] = new(DiagnosticIds.DimOutOfRange, SameShapeDim),
            ["Contiguous"] = new(DiagnosticIds.DimOutOfRange, c => c.Tensor(0) is { } t ? TensorValue.Contiguous(t.Sizes) : null),
            ["Transpose"] = new(DiagnosticIds.DimOutOfRange, c => ViewRule(c, l => R.Transpose(l, c.Int(0) ?? Unknown(), c.Int(1) ?? Unknown(), c.Op))),
            ["Permute"] = new(DiagnosticIds.DimOutOfRange, c => ViewRule(c, l => R.Permute(l, c.Ints(0) ?? Unknown<int[]>(), c.Op))),
            ["Squeeze"] = new(DiagnosticIds.DimOutOfRange, c => ViewRule(c, l => c.HasOther(0) ? R.Squeeze(l, c.Int(0) ?? Unknown(), c.Op) : R.Squeeze(l, c.Op))),
            ["Unsqueeze"] = new(DiagnosticIds.DimOutOfRange, c => ViewRule(c, l => R.Unsqueeze(l, c.Int(0) ?? Unknown(), c.Op))),
            ["Expand"] = new(DiagnosticIds.BroadcastMismatch, c => ViewRule(c, l => R.Expand(l, c.Dims(0) ?? Unknown<Dim[]>(), c.Op))),
            ["Narrow"] = new(DiagnosticIds.DimOutOfRange, c => ViewRule(c, l => R.Narrow(l, c.Int(0) ?? Unknown(), c.Int(1) ?? Unknown(), c.Int(2) ?? Unknown(), c.Op))),
            ["Select"] = new(DiagnosticIds.DimOutOfRange, c => ViewRule(c, l => R.Select(l, c.Int(0) ?? Unknown(), c.Int(1) ?? Unknown(), c.Op))),
            ["Slice"] = new(DiagnosticIds.DimOutOfRange, c => ViewRule(c, l => R.Slice(l, c.Int(0) ?? Unknown(), c.Int(1) ?? Unknown(), c.Int(2) ?? Unknown(), c.Int(3, 1) ?? Unknown(), c.Op))),
            ["Unfold"] = new(DiagnosticIds.DimOutOfRange, c => ViewRule(c, l => R.Unfold(l, c.Int(0) ?? Unknown(), c.Int(1) ?? Unknown(), c.Int(2) ?? Unknown(), c.Op))),
            ["Repeat"] = new(DiagnosticIds.DimOutOfRange, c => Fresh(R.Repeat(Input(c).Sizes, c.Ints(0) ?? Unknown<int[]>(), c.Op))),
            ["Flatten"] = new(DiagnosticIds.DimOutOfRange, Flatten),
            ["Split"] = new(DiagnosticIds.JoinMismatch, Split),
            ["Chunk"] = new(DiagnosticIds.JoinMismatch, Chunk),
            ["IndexSelect"] = new(DiagnosticIds.DimOutOfRange, c => Fresh(R.IndexSelect(Input(c).Sizes, c.Int(0) ?? Unknown(), (c.Tensor(1) ?? Unknown<TensorValue>()).Sizes, c.Op))),
            ["Cat"] = new(DiagnosticIds.JoinMismatch, c => Fresh(R.Cat(c.TensorList(0) is { } l ? l.Select(t => t.Sizes).ToList() : Unknown<List<Dim[]>>(), c.Int(1, 0) ?? Unknown(), c.Op))),
            ["Stack"] = new(DiagnosticIds.JoinMismatch, c => Fresh(R.Stack(c.TensorList(0) is { } l ? l.Select(t => t.Sizes).ToList() : Unknown<List<Dim[]>>(), c.Int(1, 0) ?? Unknown(), c.Op))),
            ["Matmul"] = new(DiagnosticIds.MatrixProductMismatch, c => Fresh(R.Matmul(Input(c).Sizes, Input(c, 1).Sizes, c.Op))),
            ["Mm"] = new(DiagnosticIds.MatrixProductMismatch, c => Fresh(R.Mm(Input(c).Sizes, Input(c, 1).Sizes, c.Op))),
            ["Bmm"] = new(DiagnosticIds.MatrixProductMismatch, c => Fresh(R.Bmm(Input(c).Sizes, Input(c, 1).Sizes, c.Op))),
            ["Dot"] = new(DiagnosticIds.MatrixProductMismatch, c => Fresh(R.Dot(Input(c).Sizes, Input(c, 1).Sizes, c.Op))),
            ["Mv"] = new(DiagnosticIds.MatrixProductMismatch, c => Fresh(R.Mv(Input(c).Sizes, Input(c, 1).Sizes, c.Op))),
            ["Einsum"] = new(DiagnosticIds.MatrixProductMismatch, Einsum),
            // query, key, value, then the optional mask (checked only when its shape is known).
            ["ScaledDotProductAttention"] = new(DiagnosticIds.MatrixProductMismatch,
                c => Fresh(R.ScaledDotProductAttention(Input(c).Sizes, Input(c, 1).Sizes, Input(c, 2).Sizes, c.Tensor(3)?.Sizes, c.Op))),
            ["Broadcast"] = new(DiagnosticIds.BroadcastMismatch, Broadcast),
            ["Reduce"] = new(DiagnosticIds.DimOutOfRange, Reduce),
            ["Factory"] = new(DiagnosticIds.DimOutOfRange, Factory),
            ["Conv2d"] = new(DiagnosticIds.EmptyWindowOutput, Conv2d),
            ["Pool2d"] = new(DiagnosticIds.EmptyWindowOutput, Pool2d),
            ["Arange"] = new(DiagnosticIds.DimOutOfRange, Arange),
            ["Eye"] = new(DiagnosticIds.DimOutOfRange, c => c.Dims(0) is { Length: 1 } n ? Fresh(new[] { n[0], c.Dims(1) is { Length: 1 } m ? m[0] : n[0] }) : null),
            ["Like"] = new(DiagnosticIds.DimOutOfRange, c => Fresh(Input(c).Sizes)),
            ["LayerNorm"] = new(DiagnosticIds.BroadcastMismatch, LayerNorm),
            ["PairLoss"] = new(DiagnosticIds.BroadcastMismatch, PairLoss),
            ["ClassLoss"] = new(DiagnosticIds.BroadcastMismatch, ClassLoss),
            ["LSTM"] = new(DiagnosticIds.LayerConfigurationMismatch, c => RecurrentRules.Recurrent(c, lstm: true)),
            ["GRU"] = new(DiagnosticIds.LayerConfigurationMismatch, c => RecurrentRules.Recurrent(c, lstm: false)),
            ["MultiheadAttention"] = new(DiagnosticIds.LayerConfigurationMismatch, RecurrentRules.Attention),
            ["Conv1d"] = new(DiagnosticIds.EmptyWindowOutput, Conv1d),
            ["ConvTranspose2d"] = new(DiagnosticIds.EmptyWindowOutput, ConvTranspose2d),
            ["AdaptivePool2d"] = new(DiagnosticIds.DimOutOfRange, AdaptivePool2d),
            ["Pad"] = new(DiagnosticIds.DimOutOfRange, Pad),
            ["Interpolate2d"] = new(DiagnosticIds.DimOutOfRange, Interpolate2d),
            ["PixelShuffle"] = new(DiagnosticIds.DimOutOfRange, c => Fresh(R.PixelShuffle(Input(c).Sizes, Named(c, "upscaleFactor", null), c.Op))),
            ["Gather"] = new(DiagnosticIds.DimOutOfRange, c => Fresh(R.Gather(Input(c).Sizes, Named(c, "dim", null), Input(c, 1).Sizes, c.Op))),
            ["Scatter"] = new(DiagnosticIds.DimOutOfRange, Scatter),
            ["OneHot"] = new(DiagnosticIds.DimOutOfRange, OneHot),
            ["AlongDim"] = new(DiagnosticIds.DimOutOfRange, c => ValuesAndIndices(c, R.AlongDim(Input(c).Sizes, Named(c, "dim", -1), c.Op))),
            ["Topk"] = new(DiagnosticIds.DimOutOfRange, c => ValuesAndIndices(c, R.Topk(Input(c).Sizes, Named(c, "k", null), Named(c, "dim", -1), c.Op))),
            ["Triangle"] = new(DiagnosticIds.DimOutOfRange, c => Fresh(R.Triangle(Input(c).Sizes, c.Op))),
            ["RNN"] = new(DiagnosticIds.LayerConfigurationMismatch, c => RecurrentRules.Recurrent(c, lstm: false)),
            ["Transformer"] = new(DiagnosticIds.LayerConfigurationMismatch, Transformer),
            ["ShapeArgument"] = new(DiagnosticIds.DimOutOfRange, c => c.TryGet("shape", out _) ? Factory(c) : null),
            ["Scalar"] = new(DiagnosticIds.DimOutOfRange, c => Fresh(new Dim[0])),
            ["Vector"] = new(DiagnosticIds.DimOutOfRange, c => c.Dims(0) is { Length: 1 } n ? Fresh(n) : null),
            ["Multinomial"] = new(DiagnosticIds.DimOutOfRange, Multinomial),
            ["BatchNorm1d"] = new(DiagnosticIds.LayerConfigurationMismatch, BatchNorm1d),
            ["GroupNorm"] = new(DiagnosticIds.LayerConfigurationMismatch, GroupNorm),
        };

        /// <summary>The rule names the analyzer understands (for tests and docs).</summary>
        public static IEnumerable<string> Names => s_rules.Keys;

        public static bool IsKnown(string rule) => s_rules.ContainsKey(rule);

        /// <summary>
        /// Runs <paramref name="rule"/>. Returns the result value (null: unknown); sets <paramref name="error"/> and
        /// <paramref name="diagnosticId"/> when the rule provably refuses the call.
        /// </summary>
        public static Value? Apply(string rule, RuleCall call, out ShapeException? error, out string? diagnosticId) =>
            Apply(rule, call, out error, out diagnosticId, out _);

        /// <summary>
        /// As <see cref="Apply(string, RuleCall, out ShapeException?, out string?)"/>, with names read as any size the
        /// caller chooses (<see cref="GenericNames"/>): <paramref name="condition"/> is what the refused call would have
        /// needed ("T is 1"), or null when it is refused for every size.
        /// </summary>
        public static Value? Apply(string rule, RuleCall call, out ShapeException? error, out string? diagnosticId, out string? condition)
        {
            error = null;
            diagnosticId = null;
            condition = null;
            if (!s_rules.TryGetValue(rule, out var entry)) return null;
            using var generic = GenericNames.Begin();
            try
            {
                return entry.Apply(call);
            }
            catch (ViewLayoutException e)
            {
                error = e.Inner;
                diagnosticId = DiagnosticIds.ViewOnIncompatibleLayout;
                condition = Needed(entry, call, generic.Assumed.ToList());
            }
            catch (ShapeException e)
            {
                error = e;
                diagnosticId = Classify(entry.DiagnosticId, e);
                condition = Needed(entry, call, generic.Assumed.ToList());
            }
            catch (UnknownArgumentException)
            {
            }
            catch (UndecidableShapeException)
            {
            }
            catch (Exception e) when (e is ArithmeticException or ArgumentException or IndexOutOfRangeException or InvalidOperationException or KeyNotFoundException)
            {
                // A rule asked about arguments it cannot use (a symbolic kernel, a huge constant): unknown, stay silent.
            }
            return null;
        }

        /// <summary>
        /// Of the equalities a refused call assumed false, those that would have made it work: each name equal to a
        /// value is tried by running the rule again with the name replaced (<c>T</c> by 1, <c>E</c> by <c>D</c>). An
        /// equality between sums (<c>B*T</c> = 64) cannot be tried and is kept when nothing else is found; null when
        /// no special size helps, so the refusal holds for every size and the message needs no condition.
        /// </summary>
        static string? Needed(Entry entry, RuleCall call, List<(Dim Left, Dim Right)> assumed)
        {
            if (assumed.Count == 0) return null;
            var helps = new List<(Dim, Dim)>();
            var untried = new List<(Dim, Dim)>();
            foreach (var (left, right) in assumed)
            {
                var (named, value) = left.TryGetName(out _) ? (left, right) : (right, left);
                if (!named.TryGetName(out var name))
                {
                    untried.Add((left, right));
                    continue;
                }
                if (Works(entry, call, name, value)) helps.Add((left, right));
            }
            return GenericNames.Describe(helps.Count > 0 ? helps : untried);
        }

        static bool Works(Entry entry, RuleCall call, string name, Dim value)
        {
            using var generic = GenericNames.Begin();
            try
            {
                entry.Apply(Replace(call, name, value));
                return true;
            }
            catch (Exception)
            {
                return false; // still refused, or undecided: this value is not shown to help
            }
        }

        static RuleCall Replace(RuleCall call, string name, Dim value) =>
            new(call.Op, call.Tensors.Select(v => Replace(v, name, value)).ToList(), call.Others.Select(v => Replace(v, name, value)).ToList(),
                call.OtherNames, call.ReturnsPair);

        /// <summary><paramref name="v"/> with the dim name <paramref name="name"/> replaced by <paramref name="value"/> in every size and stride.</summary>
        internal static Value? Replace(Value? v, string name, Dim value) => v switch
        {
            TensorValue t => new TensorValue(t.Sizes.Select(d => d.Replace(name, value)).ToArray(), t.HasEllipsis,
                t.Strides?.Select(d => d.Replace(name, value)).ToArray(), t.Offset?.Replace(name, value)),
            IntValue i => new IntValue(i.Dim.Replace(name, value)),
            SequenceValue s => new SequenceValue(s.Elements.Select(e => Replace(e, name, value)).ToImmutableArray()),
            _ => v,
        };

        /// <summary>Out-of-range dims and indices are SS0006 whichever rule finds them.</summary>
        static string Classify(string ruleId, ShapeException e)
        {
            string d = e.Detail;
            if (d.StartsWith("dimension out of range", StringComparison.Ordinal) || d.Contains("out of bounds")
                || d.Contains(") out of range") || d.StartsWith("number of dims don't match", StringComparison.Ordinal)
                || d.StartsWith("repeated dim", StringComparison.Ordinal))
                return DiagnosticIds.DimOutOfRange;
            // Conv2d's input channels against the weight (or the layer's in-channels): the layer's configuration.
            if (d.Contains(" channels at dim ")) return DiagnosticIds.LayerConfigurationMismatch;
            // Conv2d's input of another rank than 3 or 4: the input does not fit the convolution (not an empty output).
            if (d.StartsWith("expected 3-D (unbatched) or 4-D (batched) input", StringComparison.Ordinal)) return DiagnosticIds.LayerConfigurationMismatch;
            return ruleId;
        }

        // ---- helpers ----

        sealed class UnknownArgumentException : Exception
        {
        }

        /// <summary>SS0001: View's layout check failed (the element counts matched).</summary>
        sealed class ViewLayoutException : Exception
        {
            public ViewLayoutException(ShapeException inner) => Inner = inner;
            public ShapeException Inner { get; }
        }

        static int Unknown() => throw new UnknownArgumentException();
        static T Unknown<T>() => throw new UnknownArgumentException();

        static TensorValue Input(RuleCall c, int i = 0) => c.Tensor(i) ?? Unknown<TensorValue>();

        static TensorValue Fresh(Dim[] sizes) => TensorValue.Contiguous(sizes);

        /// <summary>
        /// Runs a layout rule. Without a known layout the rule still runs (the output shape does not depend on the
        /// strides) over stand-in strides, and the result carries no layout.
        /// </summary>
        static Value? ViewRule(RuleCall c, Func<Layout<Dim>, Layout<Dim>> rule)
        {
            var input = Input(c);
            if (input.HasLayout)
            {
                var result = TensorValue.FromLayout(rule(input.Layout));
                // Remember which call made the layout strided (or keep the input's), for SS0001's "after Transpose(1, 2)".
                string? origin = input.IsProvablyContiguous && !result.IsProvablyContiguous ? CallText(c) : input.Origin;
                return result.WithOrigin(origin);
            }
            var standIn = new Layout<Dim>(input.Sizes, input.Sizes.Select(_ => Dim.Anonymous("stride")).ToArray(), Dim.Anonymous("offset"));
            return new TensorValue(rule(standIn).Sizes);
        }

        /// <summary>How a call reads in a message: <c>Transpose(1, 2)</c>, <c>Permute(0, 2, 1)</c>.</summary>
        static string CallText(RuleCall c) =>
            c.Op + "(" + string.Join(", ", c.Others.SelectMany(o => o is SequenceValue s ? s.Elements : ImmutableArray.Create(o)).Select(o => o?.ToString() ?? "?")) + ")";

        /// <summary>
        /// SS0001 in the form <c>View: [B, T, 8, 64] → [B, T, 512] after Transpose(1, 2) is possible only when T is 1</c>:
        /// the input, the view, the call that made the layout, and what the view would need.
        /// </summary>
        internal static string ViewLayoutMessage(RuleCall call, ShapeException error, string? condition)
        {
            if (call.Tensor(0) is not { HasLayout: true } input || call.Dims(0) is not { } requested) return error.Message;
            Dim[] sizes;
            try
            {
                sizes = R.InferSize(call.Op, input.Sizes, requested);
            }
            catch (Exception)
            {
                sizes = requested;
            }
            string after = input.Origin is null ? "" : " after " + input.Origin;
            string verdict = condition is null ? "is not possible" : "is possible only when " + condition;
            return $"{call.Op}: {input.FormatShape()} → {TensorValue.Format(sizes, false)}{after} {verdict}: the dims it merges are not contiguous (strides {TensorValue.Format(input.Strides!, false)}); use Reshape(...) or call Contiguous() first";
        }

        static Value? View(RuleCall c)
        {
            var input = Input(c);
            var requested = c.Dims(0) ?? Unknown<Dim[]>();
            var sizes = R.InferSize(c.Op, input.Sizes, requested);
            if (!input.HasLayout) return new TensorValue(sizes);
            try
            {
                return TensorValue.FromLayout(R.View(input.Layout, requested, c.Op));
            }
            catch (UndecidableShapeException) when (input.IsProvablyContiguous)
            {
                // Any view of a contiguous tensor exists; the stride algorithm cannot always tell with symbolic
                // sizes (is N 1?), and the view's strides are then the contiguous ones up to size-1 dims.
                return new TensorValue(sizes, false, R.ContiguousStrides(sizes), input.Offset);
            }
            catch (UndecidableShapeException) when (LeadingDimsKept(input.Sizes, sizes) > 0)
            {
                // x.Transpose(1, 2).View(B, -1) on [B, 16, 64]: the core's walk asks whether B is 1 before it finds
                // that the inner dims cannot merge. A leading dim the view keeps maps to itself, so the view exists
                // exactly when the view of the inner dims does (for a non-empty tensor).
                int kept = LeadingDimsKept(input.Sizes, sizes);
                var inner = R.ComputeViewStrides(c.Op, input.Sizes.Skip(kept).ToArray(), input.Strides!.Skip(kept).ToArray(), sizes.Skip(kept).ToArray());
                if (inner is null)
                    throw new ViewLayoutException(new ShapeException(c.Op,
                        "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .Reshape(...) instead. "
                        + $"Input shape {TensorValue.Format(input.Sizes, false)} with strides {TensorValue.Format(input.Strides!, false)}, requested {TensorValue.Format(requested, false)}."));
                return new TensorValue(sizes, false, input.Strides!.Take(kept).Concat(inner).ToArray(), input.Offset);
            }
            catch (ShapeException e)
            {
                throw new ViewLayoutException(e);
            }
        }

        /// <summary>How many leading dims a view keeps unchanged (the same dim on both sides), leaving at least one dim on each side.</summary>
        static int LeadingDimsKept(Dim[] input, Dim[] view)
        {
            int k = 0;
            while (k < input.Length - 1 && k < view.Length - 1 && input[k].Equals(view[k])) k++;
            return k;
        }

        static Value? Reshape(RuleCall c)
        {
            var input = Input(c);
            var requested = c.Dims(0) ?? Unknown<Dim[]>();
            if (!input.HasLayout) return new TensorValue(R.InferSize(c.Op, input.Sizes, requested));
            try
            {
                return R.TryReshapeAsView(input.Layout, requested, out var sizes, out var view, c.Op)
                    ? TensorValue.FromLayout(view)
                    : TensorValue.Contiguous(sizes);
            }
            catch (UndecidableShapeException)
            {
                // Undecided whether it is a view or a copy: the shape is known either way, the layout only when contiguous.
                var sizes = R.InferSize(c.Op, input.Sizes, requested);
                return input.IsProvablyContiguous ? TensorValue.Contiguous(sizes) : new TensorValue(sizes);
            }
        }

        /// <summary>Same shape; the layout survives only when the input is contiguous (a copy of a strided tensor may keep its strides).</summary>
        static Value? SameShape(RuleCall c)
        {
            var input = Input(c);
            return input.IsProvablyContiguous ? TensorValue.Contiguous(input.Sizes) : input.WithoutLayout();
        }

        /// <summary>Same shape, along a dim that must exist (Softmax).</summary>
        static Value? SameShapeDim(RuleCall c)
        {
            var input = Input(c);
            R.NormalizeDim(c.Op, c.Int(0) ?? Unknown(), input.Sizes.Length, input.Sizes);
            return SameShape(c);
        }

        static Value? Flatten(RuleCall c)
        {
            var input = Input(c);
            // By name: the Flatten layer's arguments come by name, and its startDim defaults to 1 where Tensor.Flatten's is 0.
            int start = c.IndexOf("startDim") is int s and >= 0 ? c.Int(s) ?? Unknown() : 0;
            int end = c.IndexOf("endDim") is int e and >= 0 ? c.Int(e) ?? Unknown() : -1;
            var sizes = R.Flatten(input.Sizes, start, end, c.Op);
            if (!input.HasLayout) return new TensorValue(sizes);
            try
            {
                return R.TryReshapeAsView(input.Layout, sizes, out _, out var view, c.Op) ? TensorValue.FromLayout(view) : TensorValue.Contiguous(sizes);
            }
            catch (UndecidableShapeException)
            {
                return input.IsProvablyContiguous ? TensorValue.Contiguous(sizes) : new TensorValue(sizes);
            }
        }

        static Value? Split(RuleCall c)
        {
            var input = Input(c);
            int dim = c.Int(1, 0) ?? Unknown();
            int[] sizes;
            if (c.Others.Count > 0 && c.Others[0] is SequenceValue)
            {
                sizes = c.Ints(0) ?? Unknown<int[]>();
                R.CheckSplitWithSizes(input.Sizes, sizes, dim, c.Op);
            }
            else
            {
                sizes = R.SplitSizes(input.Sizes, c.Int(0) ?? Unknown(), dim, c.Op);
            }
            return Pieces(input, sizes, dim);
        }

        static Value? Chunk(RuleCall c)
        {
            var input = Input(c);
            int dim = c.Int(1, 0) ?? Unknown();
            return Pieces(input, R.ChunkSizes(input.Sizes, c.Int(0) ?? Unknown(), dim, c.Op), dim);
        }

        static Value Pieces(TensorValue input, int[] sizes, int dim)
        {
            int d = R.NormalizeDim("Split", dim, input.Sizes.Length, input.Sizes);
            var pieces = ImmutableArray.CreateBuilder<Value?>(sizes.Length);
            foreach (var size in sizes)
            {
                var piece = (Dim[])input.Sizes.Clone();
                piece[d] = Dim.Of(size);
                pieces.Add(new TensorValue(piece));
            }
            return new SequenceValue(pieces.MoveToImmutable());
        }

        static Value? Einsum(RuleCall c)
        {
            var equation = c.String(0) ?? Unknown<string>();
            var shapes = c.TensorList(1) ?? Unknown<List<TensorValue>>();
            return Fresh(R.Einsum(equation, shapes.Select(t => t.Sizes).ToList(), c.Op).OutputShape);
        }

        /// <summary>Element-wise with broadcasting; a scalar operand (float, long) keeps the tensor's shape.</summary>
        static Value? Broadcast(RuleCall c)
        {
            var a = Input(c);
            if (c.Tensors.Count < 2) return SameShape(c);
            var b = Input(c, 1);
            var sizes = R.Broadcast(a.Sizes, b.Sizes, c.Op);
            // A broadcast result is fresh and contiguous when the inputs are (PyTorch keeps a strided input's order otherwise).
            return a.IsProvablyContiguous && b.IsProvablyContiguous ? TensorValue.Contiguous(sizes) : new TensorValue(sizes);
        }

        static Value? Reduce(RuleCall c)
        {
            var input = Input(c);
            // Overloads differ (Sum(), Sum(dim, keepDim), Var(dim, unbiased, keepDim)): read the arguments by name.
            int dimIndex = c.IndexOf("dim") is int d and >= 0 ? d : c.IndexOf("dims");
            int[]? dims = dimIndex < 0 ? null : c.Ints(dimIndex) ?? Unknown<int[]>();
            int keepIndex = c.IndexOf("keepDim");
            bool keepDim = keepIndex < 0 ? false : c.Bool(keepIndex, false) ?? Unknown<bool>();
            var result = Fresh(R.Reduce(input.Sizes, dims, keepDim, c.Op));
            return c.ReturnsPair ? new SequenceValue(ImmutableArray.Create<Value?>(result, result)) : result;
        }

        /// <summary>Zeros(2, 3), Randn(shape), Full(shape, value), Randint(low, high, shape): the first int array is the shape.</summary>
        static Value? Factory(RuleCall c)
        {
            for (int i = 0; i < c.Others.Count; i++)
            {
                if (c.Others[i] is SequenceValue)
                {
                    var dims = c.Dims(i) ?? Unknown<Dim[]>();
                    foreach (var d in dims)
                        if (d.TryGetConstant(out long v) && v < 0)
                            throw new ShapeException(c.Op, $"negative dimension {v} in shape {TensorValue.Format(dims, false)}");
                    return Fresh(dims);
                }
            }
            return null;
        }

        /// <summary><c>Arange(end)</c>, <c>Arange(start, end, step)</c> over ints: <c>[end]</c> from 0 by 1, else a known count.</summary>
        static Value? Arange(RuleCall c)
        {
            var end = c.TryGet("end", out var e) && e is IntValue ev ? ev.Dim : Unknown<Dim>();
            var start = c.TryGet("start", out var s) ? (s is IntValue sv ? sv.Dim : Unknown<Dim>()) : Dim.Zero;
            var step = c.TryGet("step", out var t) ? (t is IntValue tv ? tv.Dim : Unknown<Dim>()) : Dim.One;
            if (start.IsZero && step.Equals(Dim.One)) return Fresh(new[] { end });
            if (!start.TryGetConstant(out long a) || !end.TryGetConstant(out long b) || !step.TryGetConstant(out long k) || k == 0) return null;
            long n = (b - a + k + (k > 0 ? -1 : 1)) / k;
            return n < 0 ? null : Fresh(new[] { Dim.Of(n) });
        }

        /// <summary>The loss's <c>reduction</c> argument: None keeps the elements' shape, Mean (the default) and Sum give a scalar.</summary>
        static bool Reduces(RuleCall c)
        {
            if (!c.TryGet("reduction", out var r)) return true;
            return r is IntValue v && v.TryGetConstant(out int k) ? k != 0 : Unknown<bool>();
        }

        /// <summary>Whether two shapes are provably equal; throws (via <paramref name="refuse"/>) when provably not; unknown otherwise.</summary>
        static void RequireSame(Dim[] expected, Dim[] actual, Func<ShapeException> refuse)
        {
            if (expected.Length != actual.Length) throw refuse();
            bool unknown = false;
            for (int i = 0; i < expected.Length; i++)
            {
                var same = default(SymbolicDims).Equal(expected[i], actual[i]);
                if (same == Truth.False) throw refuse();
                unknown |= same == Truth.Unknown;
            }
            if (unknown) Unknown();
        }

        /// <summary>MSELoss, BCELoss, BCEWithLogitsLoss: the target has the input's shape (the engine refuses to broadcast them).</summary>
        static Value? PairLoss(RuleCall c)
        {
            var op = BuiltInContracts.OperationName(c.Op);
            var input = Input(c);
            var target = Input(c, 1);
            RequireSame(input.Sizes, target.Sizes, () => new ShapeException(op,
                $"Expected target size {TensorValue.Format(input.Sizes, false)} (the input's size), got {TensorValue.Format(target.Sizes, false)}; broadcasting them would compute a different loss"));
            return Fresh(Reduces(c) ? new Dim[0] : input.Sizes);
        }

        /// <summary>
        /// CrossEntropyLoss and NLLLoss: input [C], [N, C] or [N, C, d1, ...] with the classes in dim 1 (dim 0 for [C]),
        /// target the class indices, shaped as the input without its class dim.
        /// </summary>
        static Value? ClassLoss(RuleCall c)
        {
            var op = BuiltInContracts.OperationName(c.Op);
            var input = Input(c);
            var target = Input(c, 1);
            if (input.Sizes.Length == 0)
                throw new ShapeException(op, $"input must be [C], [N, C] or [N, C, d1, ...], got a 0-dim tensor (target {TensorValue.Format(target.Sizes, false)})");
            int classDim = input.Sizes.Length == 1 ? 0 : 1;
            var expected = input.Sizes.Where((_, i) => i != classDim).ToArray();
            RequireSame(expected, target.Sizes, () => new ShapeException(op,
                $"Expected target size {TensorValue.Format(expected, false)}, got {TensorValue.Format(target.Sizes, false)} (input {TensorValue.Format(input.Sizes, false)}, classes in dim {classDim})"));
            return Fresh(Reduces(c) ? new Dim[0] : expected);
        }

        /// <summary><c>F.LayerNorm(input, normalizedShape)</c>: the input's trailing dims are the normalized shape.</summary>
        static Value? LayerNorm(RuleCall c)
        {
            var input = Input(c);
            var normalized = c.TryGet("normalizedShape", out var n) && n is SequenceValue or IntValue ? c.Dims(c.IndexOf("normalizedShape"))! : Unknown<Dim[]>();
            var tail = input.Sizes.Skip(Math.Max(0, input.Sizes.Length - normalized.Length)).ToArray();
            RequireSame(normalized, tail, () => new ShapeException(c.Op,
                $"Given normalized_shape={TensorValue.Format(normalized, false)}, expected input with shape [*, {string.Join(", ", normalized.Select(d => d.ToString()))}], but got input of size {TensorValue.Format(input.Sizes, false)}"));
            return SameShape(c);
        }

        /// <summary>
        /// <c>Tensor.Conv2d(input, weight, bias?, stride, padding, dilation, groups)</c>, and the <c>Conv2d</c> layer's
        /// Forward, whose weight [out, in/groups, kH, kW] comes from its constructor arguments. Stride, padding and
        /// dilation are ints or (height, width) pairs, read by name.
        /// </summary>
        static Value? Conv2d(RuleCall c)
        {
            var input = Input(c);
            int groups = c.TryGet("groups", out var g) ? (g is IntValue gi && gi.TryGetConstant(out int gc) ? gc : Unknown()) : 1;
            Dim[] weight;
            if (c.Tensors.Count > 1)
                weight = Input(c, 1).Sizes;
            else
            {
                if (!c.TryGet("inChannels", out var inValue) || inValue is not IntValue inChannels
                    || !c.TryGet("outChannels", out var outValue) || outValue is not IntValue outChannels)
                    return Unknown<Value>();
                var kernel = KernelDims(c);
                var perGroup = groups == 1 ? inChannels.Dim
                    : inChannels.TryGetConstant(out int ic) && ic % groups == 0 ? Dim.Of(ic / groups) : Unknown<Dim>();
                weight = new[] { outChannels.Dim, perGroup, kernel[0], kernel[1] };
            }
            if (input.Sizes.Length is 3 or 4) c.InferredInputSize = input.Sizes[input.Sizes.Length - 3];
            var sizes = R.Conv2d(input.Sizes, weight, c.Pair("stride", new[] { 1, 1 }), c.Pair("padding", new[] { 0, 0 }),
                c.Pair("dilation", new[] { 1, 1 }), groups, c.Op);
            return Fresh(sizes);
        }

        /// <summary>
        /// A Conv2d layer's (height, width) kernel: constants, a symbolic size (a <c>[Dim("K")]</c> int, for both), or
        /// <c>_</c> when unknown. The core checks the input's rank and channels before it reads the kernel, and a kernel
        /// that is not constant leaves only the output's size unknown.
        /// </summary>
        static Dim[] KernelDims(RuleCall c)
        {
            c.TryGet("kernelSize", out var value);
            return value switch
            {
                IntValue k => new[] { k.Dim, k.Dim },
                SequenceValue { Elements.Length: 2 } pair => pair.Elements.Select(e => e is IntValue d ? d.Dim : Dim.Anonymous("_")).ToArray(),
                _ => new[] { Dim.Anonymous("_"), Dim.Anonymous("_") },
            };
        }

        /// <summary>
        /// <c>MaxPool2d</c>/<c>AvgPool2d</c> (functions and layers): kernel, stride (the kernel when omitted or null),
        /// padding and dilation as ints or (height, width) pairs, and ceilMode, read by name.
        /// </summary>
        static Value? Pool2d(RuleCall c)
        {
            var input = Input(c);
            int[] kernel = c.Pair("kernelSize", null), stride = c.Pair("stride", kernel), padding = c.Pair("padding", new[] { 0, 0 }), dilation = c.Pair("dilation", new[] { 1, 1 });
            // The window must fit in the padded input. The core's WindowOutputSize divides constants with C#'s
            // truncation, which rounds a negative span up to an output of 1, so decide this case before it does.
            for (int i = 0; i < 2 && input.Sizes.Length is 3 or 4; i++)
            {
                int d = input.Sizes.Length - 2 + i;
                var padded = input.Sizes[d] + Dim.Of(2L * padding[i]);
                if (default(SymbolicDims).Less(padded, Dim.Of((long)dilation[i] * (kernel[i] - 1) + 1)) == Truth.True)
                    throw new ShapeException(c.Op,
                        $"output size is too small: input {TensorValue.Format(input.Sizes, false)} with kernel [{kernel[0]}, {kernel[1]}], stride [{stride[0]}, {stride[1]}], padding [{padding[0]}, {padding[1]}] leaves no window at dim {d}");
            }
            // ceilMode: a constant bool, else the size is unknown.
            bool ceilMode = false;
            if (c.TryGet("ceilMode", out var ceil))
            {
                if (ceil is not BoolValue b) return Unknown<Value>();
                ceilMode = b.BoolConstant;
            }
            return ValuesAndIndices(c, R.Pool2d(input.Sizes, kernel, stride, padding, dilation, BuiltInContracts.OperationName(c.Op), ceilMode));
        }
    }
}
