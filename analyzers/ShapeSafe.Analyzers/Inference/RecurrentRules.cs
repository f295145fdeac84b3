using System;
using System.Collections.Immutable;
using System.Linq;
using ShapeSafe.Shapes;

namespace ShapeSafe.Analyzers.Inference
{
    /// <summary>
    /// The tuples recurrent layers and attention return, with the engine's own checks and messages: <c>LSTM</c> and
    /// <c>GRU</c> give (output, state) for [T, N, in] ([N, T, in] when batch-first, [T, in] unbatched) and check the
    /// initial states against [directions·layers, N, hidden] (an LSTM's h and output use its <c>projSize</c> when set);
    /// <c>MultiheadAttention</c> gives (output, weights).
    /// Tensors: the layer's inputs in order (absent ones null); others: the layer's constructor arguments by name.
    /// </summary>
    internal static class RecurrentRules
    {
        static readonly SymbolicDims D = default;

        public static Value? Recurrent(RuleCall c, bool lstm)
        {
            string op = c.Op;
            var input = c.Tensor(0) ?? throw new InvalidOperationException("unknown input");
            var sizes = input.Sizes;
            if (sizes.Length is not (2 or 3))
                throw new ShapeException(op, $"Expected input to be 2D or 3D, got {sizes.Length}D tensor {TensorValue.Format(sizes, false)} instead");
            // The input width against inputSize is the layer's [Shape("..., In")] annotation's check (SS0008 at the argument).
            var hidden = Int(c, "hiddenSize") ?? throw new InvalidOperationException("unknown hidden size");
            var layers = Int(c, "numLayers") ?? Dim.One;
            bool bidirectional = Bool(c, "bidirectional") ?? throw new InvalidOperationException("unknown direction");
            bool batchFirst = Bool(c, "batchFirst") ?? throw new InvalidOperationException("unknown layout");
            var directions = Dim.Of(bidirectional ? 2 : 1);
            bool batched = sizes.Length == 3;
            // An LSTM's projSize (0: none) sets the size of h and of the output; c keeps hiddenSize.
            var projected = hidden;
            if (lstm && c.TryGet("projSize", out var proj))
            {
                var p = proj is IntValue i ? i.Dim : throw new InvalidOperationException("unknown projection");
                if (!p.IsZero) projected = p;
            }

            Dim[] output, state, cell;
            if (batched)
            {
                var (batch, steps) = batchFirst ? (sizes[0], sizes[1]) : (sizes[1], sizes[0]);
                output = batchFirst ? new[] { batch, steps, directions * projected } : new[] { steps, batch, directions * projected };
                state = new[] { directions * layers, batch, projected };
                cell = new[] { directions * layers, batch, hidden };
            }
            else
            {
                output = new[] { sizes[0], directions * projected };
                state = new[] { directions * layers, projected };
                cell = new[] { directions * layers, hidden };
            }
            for (int s = 1; s < c.Tensors.Count; s++)
            {
                if (c.Tensors[s] is not TensorValue { IsFullRank: true } given) continue;
                var expected = s == 1 ? state : cell;
                bool same = given.Sizes.Length == expected.Length;
                for (int i = 0; same && i < expected.Length; i++)
                    same = D.Equal(given.Sizes[i], expected[i]) != Truth.False;
                if (!same)
                    throw new ShapeException(op, $"Expected {(lstm ? $"hidden[{s - 1}]" : "hidden")} size {TensorValue.Format(expected, false)}, got {TensorValue.Format(given.Sizes, false)} (input {TensorValue.Format(sizes, false)})");
            }
            var final = TensorValue.Contiguous(state);
            Value stateValue = lstm ? new SequenceValue(ImmutableArray.Create<Value?>(final, TensorValue.Contiguous(cell))) : final;
            return new SequenceValue(ImmutableArray.Create<Value?>(TensorValue.Contiguous(output), stateValue));
        }

        /// <summary>
        /// <c>MultiheadAttention.Forward(query, key, value, ...)</c>: query [L, N, E] ([N, L, E] batch-first, [L, E] unbatched),
        /// key and value [S, N, E] alike; the output has the query's shape, the head-averaged weights are [N, L, S].
        /// </summary>
        public static Value? Attention(RuleCall c)
        {
            string op = c.Op;
            var query = c.Tensor(0) ?? throw new InvalidOperationException("unknown query");
            var key = c.Tensor(1) ?? throw new InvalidOperationException("unknown key");
            var value = c.Tensor(2) ?? throw new InvalidOperationException("unknown value");
            bool batchFirst = Bool(c, "batchFirst") ?? throw new InvalidOperationException("unknown layout");
            var q = query.Sizes;
            if (q.Length is not (2 or 3))
                throw new ShapeException(op, $"query should be unbatched 2D or batched 3D tensor but received {q.Length}-D query tensor {TensorValue.Format(q, false)}");
            if (key.Sizes.Length != q.Length || value.Sizes.Length != q.Length)
                throw new ShapeException(op, $"For a {q.Length}-D query {TensorValue.Format(q, false)}, key and value should be {q.Length}-D, got key {TensorValue.Format(key.Sizes, false)} and value {TensorValue.Format(value.Sizes, false)}");
            for (int i = 0; i < q.Length - 1; i++)
                if (D.Equal(key.Sizes[i], value.Sizes[i]) == Truth.False)
                    throw new ShapeException(op, $"key shape {TensorValue.Format(key.Sizes, false)} does not match value shape {TensorValue.Format(value.Sizes, false)}");
            Dim[] weights;
            Dim batch, target, source;
            if (q.Length == 3)
            {
                int batchDim = batchFirst ? 0 : 1, stepDim = 1 - batchDim;
                if (D.Equal(q[batchDim], key.Sizes[batchDim]) == Truth.False)
                    throw new ShapeException(op, $"query batch {q[batchDim]} does not match key batch {key.Sizes[batchDim]} (query {TensorValue.Format(q, false)}, key {TensorValue.Format(key.Sizes, false)})");
                (batch, target, source) = (q[batchDim], q[stepDim], key.Sizes[stepDim]);
                weights = new[] { batch, target, source };
            }
            else
            {
                (batch, target, source) = (Dim.One, q[0], key.Sizes[0]);
                weights = new[] { target, source };
            }
            string shapes = $"query {TensorValue.Format(q, false)}, key {TensorValue.Format(key.Sizes, false)}, value {TensorValue.Format(value.Sizes, false)}";
            CheckMasks(c, q.Length == 3, batch, target, source, shapes);
            return new SequenceValue(ImmutableArray.Create<Value?>(TensorValue.Contiguous(q), TensorValue.Contiguous(weights)));
        }

        /// <summary>
        /// The masks MultiheadAttention adds to its scores, as the engine checks them: <c>keyPaddingMask</c> (tensor 3)
        /// [N, S] ([S] unbatched), <c>attnMask</c> (tensor 4) [L, S] or [N·heads, L, S].
        /// </summary>
        static void CheckMasks(RuleCall c, bool batched, Dim batch, Dim target, Dim source, string shapes)
        {
            const string op = "MultiheadAttention";
            if (c.Tensor(4) is { } attnMask)
            {
                var m = attnMask.Sizes;
                var expected = m.Length switch
                {
                    2 => new[] { target, source },
                    3 => new[] { batch * (Int(c, "numHeads") ?? throw new InvalidOperationException("unknown heads")), target, source },
                    _ => throw new ShapeException(op, $"attn_mask's dimension {m.Length} is not supported (expected 2 or 3; {shapes})"),
                };
                if (!Same(m, expected))
                    throw new ShapeException(op, $"The shape of the {m.Length}D attn_mask is {TensorValue.Format(m, false)}, but should be {TensorValue.Format(expected, false)}: {Differing(m, expected)} ({shapes})");
            }
            if (c.Tensor(3) is { } paddingMask)
            {
                var expected = batched ? new[] { batch, source } : new[] { source };
                if (!Same(paddingMask.Sizes, expected))
                    throw new ShapeException(op, $"expecting key_padding_mask shape of {TensorValue.Format(expected, false)}, but got {TensorValue.Format(paddingMask.Sizes, false)}: {Differing(paddingMask.Sizes, expected)} ({shapes})");
            }
        }

        /// <summary>The first difference of a mask from its expected shape: "dim 1 is T, expected S" (or the ranks).</summary>
        static string Differing(Dim[] given, Dim[] expected)
        {
            if (given.Length != expected.Length) return $"{given.Length} dims, expected {expected.Length}";
            for (int i = 0; i < given.Length; i++)
                if (D.Equal(given[i], expected[i]) == Truth.False) return $"dim {i} is {given[i]}, expected {expected[i]}";
            return "the sizes differ";
        }

        /// <summary>Whether two shapes may be equal: false only when a rank or a size provably differs (named sizes read generically).</summary>
        static bool Same(Dim[] a, Dim[] b)
        {
            if (a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++)
                if (D.Equal(a[i], b[i]) == Truth.False) return false;
            return true;
        }

        static Dim? Int(RuleCall c, string name) => c.TryGet(name, out var v) && v is IntValue i ? i.Dim : null;

        static bool? Bool(RuleCall c, string name) => !c.TryGet(name, out var v) ? false : v is BoolValue b ? b.BoolConstant : null;
    }
}
