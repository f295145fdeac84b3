using TorchSharp;
using ShapeSafe.NN;
using S = ShapeSafe;
using T = TorchSharp.torch;
using Rnn = ShapeSafe.NN.Utils.Rnn;
using TRnn = TorchSharp.torch.nn.utils.rnn;

namespace ShapeSafe.Conformance;

/// <summary>
/// Recurrent layers against LibTorch: packing and padding, RNN, LSTM and GRU on packed batches (sorted and not), and
/// LSTM's projection. Each case's output is the padded output, h_n and c_n flattened into one vector, so one cotangent
/// reaches all of them; gradients of the input, the initial states and every parameter are compared.
/// </summary>
static class RecurrentCases
{
    /// <summary>
    /// The recurrences compound float32 rounding over steps, layers and directions (and LibTorch runs its LSTM through
    /// oneDNN): against LibTorch in float64 our float32 results and LibTorch's own are both off by 1e-5 to 5e-5 (the
    /// referee cases), so layer cases are held to 1e-4 of the scale; packing alone is exact.
    /// </summary>
    const double RecurrenceTolerance = 1e-4;

    static S.Tensor Ls(long[] v) => S.Tensor.FromArray(v, v.Length);

    static T.Tensor Lt(long[] v) => T.tensor(v, new long[] { v.Length });

    static S.Tensor Flat(params S.Tensor?[] parts) => S.Tensor.Cat(parts.Where(p => p is not null).Select(p => p!.Reshape(-1)));

    static T.Tensor Flat(params T.Tensor?[] parts) => T.cat(parts.Where(p => p is not null).Select(p => p!.reshape(-1)).ToList(), 0);

    /// <summary>Our parameters and LibTorch's, paired by their state-dict names (ours in registration order).</summary>
    static (S.Tensor[] Ours, T.Tensor[] Theirs) ByName(Module ours, T.nn.Module theirs)
    {
        var named = theirs.named_parameters().ToDictionary(p => p.name, p => (T.Tensor)p.parameter);
        var mine = ours.NamedParameters().ToArray();
        return (mine.Select(p => (S.Tensor)p.Parameter).ToArray(), mine.Select(p => named[p.Name]).ToArray());
    }

    public static IEnumerable<Case> All()
    {
        // ---- packing alone: the sort of equal lengths, batch sizes, data and padding back
        long[] ties = { 3, 5, 3, 1, 5, 2 };
        yield return new Case { Name = "PackPaddedSequence unsorted ties sorted_indices", Shapes = [[5, 6, 2]], NoGrad = true, Ours = x => Rnn.PackPaddedSequence(x[0], Ls(ties), enforceSorted: false).SortedIndices!, Theirs = x => TRnn.pack_padded_sequence(x[0], Lt(ties), false, false).sorted_indices };
        yield return new Case { Name = "PackPaddedSequence unsorted ties unsorted_indices", Shapes = [[5, 6, 2]], NoGrad = true, Ours = x => Rnn.PackPaddedSequence(x[0], Ls(ties), enforceSorted: false).UnsortedIndices!, Theirs = x => TRnn.pack_padded_sequence(x[0], Lt(ties), false, false).unsorted_indices };
        yield return new Case { Name = "PackPaddedSequence unsorted batch_sizes", Shapes = [[5, 6, 2]], NoGrad = true, Ours = x => Rnn.PackPaddedSequence(x[0], Ls(ties), enforceSorted: false).BatchSizes, Theirs = x => TRnn.pack_padded_sequence(x[0], Lt(ties), false, false).batch_sizes };
        yield return new Case { Name = "PackPaddedSequence unsorted data", Shapes = [[5, 6, 2]], Ours = x => Rnn.PackPaddedSequence(x[0], Ls(ties), enforceSorted: false).Data, Theirs = x => TRnn.pack_padded_sequence(x[0], Lt(ties), false, false).data };
        yield return new Case { Name = "PackPaddedSequence batch-first data", Shapes = [[6, 5, 2, 2]], Ours = x => Rnn.PackPaddedSequence(x[0], Ls(ties), batchFirst: true, enforceSorted: false).Data, Theirs = x => TRnn.pack_padded_sequence(x[0], Lt(ties), true, false).data };
        long[] sorted = { 5, 5, 3, 2 };
        yield return new Case { Name = "PackPaddedSequence sorted data", Shapes = [[5, 4, 3]], Ours = x => Rnn.PackPaddedSequence(x[0], Ls(sorted)).Data, Theirs = x => TRnn.pack_padded_sequence(x[0], Lt(sorted), false, true).data };
        yield return new Case { Name = "PadPackedSequence unsorted round trip", Shapes = [[5, 6, 2]], Ours = x => Rnn.PadPackedSequence(Rnn.PackPaddedSequence(x[0], Ls(ties), enforceSorted: false), paddingValue: 0.5).Padded, Theirs = x => TRnn.pad_packed_sequence(TRnn.pack_padded_sequence(x[0], Lt(ties), false, false), false, 0.5, null).Item1 };
        yield return new Case { Name = "PadPackedSequence batch-first total_length 7", Shapes = [[6, 5, 2]], Ours = x => Rnn.PadPackedSequence(Rnn.PackPaddedSequence(x[0], Ls(ties), batchFirst: true, enforceSorted: false), batchFirst: true, totalLength: 7).Padded, Theirs = x => TRnn.pad_packed_sequence(TRnn.pack_padded_sequence(x[0], Lt(ties), true, false), true, 0.0, 7).Item1 };
        yield return new Case { Name = "PadPackedSequence lengths", Shapes = [[5, 6, 2]], NoGrad = true, Ours = x => Rnn.PadPackedSequence(Rnn.PackPaddedSequence(x[0], Ls(ties), enforceSorted: false)).Lengths, Theirs = x => TRnn.pad_packed_sequence(TRnn.pack_padded_sequence(x[0], Lt(ties), false, false), false, 0.0, null).Item2 };
        yield return new Case { Name = "PadSequence batch-first", Shapes = [[3, 2], [5, 2], [1, 2]], Ours = x => Rnn.PadSequence(x, batchFirst: true, paddingValue: -1), Theirs = x => TRnn.pad_sequence(x, true, -1) };
        yield return new Case { Name = "PackSequence unsorted data", Shapes = [[3, 2], [5, 2], [1, 2]], Ours = x => Rnn.PackSequence(x, enforceSorted: false).Data, Theirs = x => TRnn.pack_sequence(x, false).data };

        // ---- the layers on packed batches
        long[] unsortedLengths = { 3, 6, 1, 4, 6 };
        long[] sortedLengths = { 6, 6, 4, 3, 1 };
        foreach (var kind in new[] { "RNN", "LSTM", "GRU" })
            foreach (bool enforceSorted in new[] { true, false })
            {
                var lengths = enforceSorted ? sortedLengths : unsortedLengths;
                string which = enforceSorted ? "sorted" : "unsorted";
                yield return Packed($"{kind} packed {which}", kind, lengths, enforceSorted, bidirectional: false, layers: 1, batchFirst: false, withState: false);
                yield return Packed($"{kind} packed {which} bidirectional 2 layers h0", kind, lengths, enforceSorted, bidirectional: true, layers: 2, batchFirst: !enforceSorted, withState: true);
            }

        // The same layers on padded input (no packing), as the baseline of how far float rounding takes them.
        // LibTorch runs the padded LSTM through oneDNN, whose float32 gradients here differ from ours by up to 1.1e-4
        // while both stay within 2e-5 of LibTorch's float64 ones ("LSTM padded referee"): that case is held to 2e-4.
        foreach (var kind in new[] { "RNN", "LSTM", "GRU" })
            yield return Packed($"{kind} padded bidirectional 2 layers h0", kind, null, true, bidirectional: true, layers: 2, batchFirst: false, withState: true,
                tolerance: kind == "LSTM" ? 2e-4 : RecurrenceTolerance);

        // Float64 LibTorch as the referee of the float32 differences above: the output and every gradient (input,
        // states, parameters) of ours and of LibTorch's float32 layer, each against LibTorch in float64.
        foreach (var kind in new[] { "RNN", "LSTM", "GRU" })
            foreach (var c in Referee(kind, unsortedLengths)) yield return c;
        foreach (var c in Referee("LSTM", null)) yield return c;

        // ---- LSTM projections: TorchSharp's nn.LSTM has no proj_size, so LibTorch's own aten::lstm is called through
        // TorchScript with the weights as PyTorch orders them (w_ih, w_hh, b_ih, b_hh, w_hr per layer and direction).
        yield return Projected("LSTM projSize 2 layers", bidirectional: false, batchFirst: false, lengths: null);
        yield return Projected("LSTM projSize bidirectional 2 layers", bidirectional: true, batchFirst: false, lengths: null);
        yield return Projected("LSTM projSize bidirectional batch-first", bidirectional: true, batchFirst: true, lengths: null);
        yield return Projected("LSTM projSize bidirectional packed", bidirectional: true, batchFirst: false, lengths: sortedLengths);
    }

    /// <summary>One layer on a packed batch (on the padded input when <paramref name="lengths"/> is null), against TorchSharp's module of the same kind with our weights.</summary>
    static Case Packed(string name, string kind, long[]? lengths, bool enforceSorted, bool bidirectional, int layers, bool batchFirst, bool withState,
        double tolerance = RecurrenceTolerance)
    {
        const int input = 3, hidden = 4;
        int batch = lengths?.Length ?? 5, steps = lengths is null ? 6 : (int)lengths.Max(), stacks = layers * (bidirectional ? 2 : 1);
        var g = new S.Generator(17);
        Module ours = kind switch
        {
            "RNN" => new RNN(input, hidden, layers, batchFirst: batchFirst, bidirectional: bidirectional, generator: g),
            "LSTM" => new LSTM(input, hidden, layers, batchFirst: batchFirst, bidirectional: bidirectional, generator: g),
            _ => new GRU(input, hidden, layers, batchFirst: batchFirst, bidirectional: bidirectional, generator: g),
        };
        T.nn.Module theirs = kind switch
        {
            "RNN" => T.nn.RNN(input, hidden, layers, batchFirst: batchFirst, bidirectional: bidirectional),
            "LSTM" => T.nn.LSTM(input, hidden, layers, batchFirst: batchFirst, bidirectional: bidirectional),
            _ => T.nn.GRU(input, hidden, layers, batchFirst: batchFirst, bidirectional: bidirectional),
        };
        int[] shape = batchFirst ? [batch, steps, input] : [steps, batch, input];
        int[][] shapes = !withState ? [shape] : kind == "LSTM" ? [shape, [stacks, batch, hidden], [stacks, batch, hidden]] : [shape, [stacks, batch, hidden]];
        return new Case
        {
            Name = name,
            Shapes = shapes,
            Tolerance = tolerance,
            Parameters = () => ByName(ours, theirs),
            Ours = x =>
            {
                if (lengths is null)
                {
                    var (o, h, c) = ours switch
                    {
                        LSTM l => Unpack(l.Forward(x[0], withState ? (x[1], x[2]) : null)),
                        RNN m => Unpack(m.Forward(x[0], withState ? x[1] : null)),
                        GRU m => Unpack(m.Forward(x[0], withState ? x[1] : null)),
                        _ => throw new InvalidOperationException(),
                    };
                    return Flat(o, h, c);
                }
                var packed = Rnn.PackPaddedSequence(x[0], Ls(lengths), batchFirst, enforceSorted);
                (PackedSequence o, S.Tensor h, S.Tensor? c) r = ours switch
                {
                    LSTM l => Unpack(l.Forward(packed, withState ? (x[1], x[2]) : null)),
                    RNN m => Unpack(m.Forward(packed, withState ? x[1] : null)),
                    GRU m => Unpack(m.Forward(packed, withState ? x[1] : null)),
                    _ => throw new InvalidOperationException(),
                };
                return Flat(Rnn.PadPackedSequence(r.o, batchFirst).Padded, r.h, r.c);
            },
            Theirs = x =>
            {
                if (lengths is null)
                {
                    var (o, h, c) = theirs switch
                    {
                        TorchSharp.Modules.LSTM l => Unpack(l.call(x[0], withState ? (x[1], x[2]) : null)),
                        TorchSharp.Modules.RNN m => Unpack(m.call(x[0], withState ? x[1] : null)),
                        TorchSharp.Modules.GRU m => Unpack(m.call(x[0], withState ? x[1] : null)),
                        _ => throw new InvalidOperationException(),
                    };
                    return Flat(o, h, c);
                }
                var packed = TRnn.pack_padded_sequence(x[0], Lt(lengths), batchFirst, enforceSorted);
                (TRnn.PackedSequence o, T.Tensor h, T.Tensor? c) r = theirs switch
                {
                    TorchSharp.Modules.LSTM l => Unpack(l.call(packed, withState ? (x[1], x[2]) : null)),
                    TorchSharp.Modules.RNN m => Unpack(m.call(packed, withState ? x[1] : null)),
                    TorchSharp.Modules.GRU m => Unpack(m.call(packed, withState ? x[1] : null)),
                    _ => throw new InvalidOperationException(),
                };
                return Flat(TRnn.pad_packed_sequence(r.o, batchFirst, 0.0, null).Item1, r.h, r.c);
            },
        };
    }

    /// <summary>
    /// The bidirectional two-layer packed case (unsorted lengths, h0 given) measured against LibTorch in float64: our
    /// float32 result and LibTorch's float32 result, each compared with the float64 one. The compared vector is the
    /// padded output, h_n, c_n, then the gradients of the input, the states and the parameters for a fixed cotangent.
    /// </summary>
    static IEnumerable<Case> Referee(string kind, long[]? lengths)
    {
        const int input = 3, hidden = 4, layers = 2;
        int batch = lengths?.Length ?? 5, steps = lengths is null ? 6 : (int)lengths.Max(), stacks = layers * 2;
        string which = lengths is null ? "padded" : "packed";
        var g = new S.Generator(17);
        Module ours = kind switch
        {
            "RNN" => new RNN(input, hidden, layers, bidirectional: true, generator: g),
            "LSTM" => new LSTM(input, hidden, layers, bidirectional: true, generator: g),
            _ => new GRU(input, hidden, layers, bidirectional: true, generator: g),
        };
        T.nn.Module Make() => kind switch
        {
            "RNN" => T.nn.RNN(input, hidden, layers, bidirectional: true),
            "LSTM" => T.nn.LSTM(input, hidden, layers, bidirectional: true),
            _ => T.nn.GRU(input, hidden, layers, bidirectional: true),
        };
        var single = Make();
        var wide = Make().to(T.ScalarType.Float64);
        int[][] shapes = kind == "LSTM" ? [[steps, batch, input], [stacks, batch, hidden], [stacks, batch, hidden]] : [[steps, batch, input], [stacks, batch, hidden]];

        float[] Cotangent(long n)
        {
            var rng = new System.Random(5);
            return Enumerable.Range(0, (int)n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        }

        S.Tensor Ours(S.Tensor[] x)
        {
            var leaves = x.Select(t => { var c = t.Clone(); c.RequiresGrad = true; return c; }).ToArray();
            S.Tensor flat;
            if (lengths is null)
            {
                var (o, (h, c)) = ((LSTM)ours).Forward(leaves[0], (leaves[1], leaves[2]));
                flat = Flat(o, h, c);
            }
            else
            {
                var packed = Rnn.PackPaddedSequence(leaves[0], Ls(lengths), enforceSorted: false);
                (PackedSequence o, S.Tensor h, S.Tensor? c) r = ours switch
                {
                    LSTM l => Unpack(l.Forward(packed, (leaves[1], leaves[2]))),
                    RNN m => Unpack(m.Forward(packed, leaves[1])),
                    GRU m => Unpack(m.Forward(packed, leaves[1])),
                    _ => throw new InvalidOperationException(),
                };
                flat = Flat(Rnn.PadPackedSequence(r.o).Padded, r.h, r.c);
            }
            ours.ZeroGrad();
            (flat * S.Tensor.FromArray(Cotangent(flat.NumEl), (int)flat.NumEl)).Sum().Backward();
            return Flat([flat.Detach(), .. leaves.Select(t => t.Grad), .. ours.Parameters().Select(p => p.Grad)]);
        }

        T.Tensor Theirs(T.nn.Module m, T.ScalarType dtype, T.Tensor[] x)
        {
            var named = m.named_parameters().ToDictionary(p => p.name, p => (T.Tensor)p.parameter);
            using (T.no_grad())
                foreach (var (name, p) in ours.NamedParameters())
                    named[name].copy_(T.tensor(p.ToFloatArray(), p.Shape.Select(d => (long)d).ToArray()));
            var leaves = x.Select(t => t.to_type(dtype).detach().requires_grad_(true)).ToArray();
            T.Tensor flat;
            if (lengths is null)
            {
                var (o, h, c) = ((TorchSharp.Modules.LSTM)m).call(leaves[0], (leaves[1], leaves[2]));
                flat = Flat(o, h, c);
            }
            else
            {
                var packed = TRnn.pack_padded_sequence(leaves[0], Lt(lengths), false, false);
                (TRnn.PackedSequence o, T.Tensor h, T.Tensor? c) r = m switch
                {
                    TorchSharp.Modules.LSTM l => Unpack(l.call(packed, (leaves[1], leaves[2]))),
                    TorchSharp.Modules.RNN n => Unpack(n.call(packed, leaves[1])),
                    TorchSharp.Modules.GRU n => Unpack(n.call(packed, leaves[1])),
                    _ => throw new InvalidOperationException(),
                };
                flat = Flat(TRnn.pad_packed_sequence(r.o, false, 0.0, null).Item1, r.h, r.c);
            }
            foreach (var p in named.Values) p.grad?.zero_();
            (flat * T.tensor(Cotangent(flat.numel())).to_type(dtype)).sum().backward();
            var grads = ours.NamedParameters().Select(p => named[p.Name].grad!);
            return Flat([flat.detach(), .. leaves.Select(t => t.grad!), .. grads]).to_type(T.ScalarType.Float32);
        }

        yield return new Case { Name = $"{kind} {which} referee: ours vs LibTorch f64", Shapes = shapes, NoGrad = true, Tolerance = RecurrenceTolerance, Ours = Ours, Theirs = x => Theirs(wide, T.ScalarType.Float64, x) };
        yield return new Case
        {
            Name = $"{kind} {which} referee: LibTorch f32 vs f64",
            Shapes = shapes,
            NoGrad = true,
            Tolerance = RecurrenceTolerance,
            Ours = x => S.Tensor.FromArray(Theirs(single, T.ScalarType.Float32, x.Select(t => T.tensor(t.ToFloatArray(), t.Shape.Select(d => (long)d).ToArray())).ToArray()).data<float>().ToArray()),
            Theirs = x => Theirs(wide, T.ScalarType.Float64, x),
        };
    }

    static (PackedSequence, S.Tensor, S.Tensor?) Unpack((PackedSequence Output, S.Tensor Hidden) r) => (r.Output, r.Hidden, null);

    static (PackedSequence, S.Tensor, S.Tensor?) Unpack((PackedSequence Output, (S.Tensor H, S.Tensor C) State) r) => (r.Output, r.State.H, r.State.C);

    static (TRnn.PackedSequence, T.Tensor, T.Tensor?) Unpack((TRnn.PackedSequence, T.Tensor) r) => (r.Item1, r.Item2, null);

    static (TRnn.PackedSequence, T.Tensor, T.Tensor?) Unpack((TRnn.PackedSequence, T.Tensor, T.Tensor) r) => (r.Item1, r.Item2, r.Item3);

    static (S.Tensor, S.Tensor, S.Tensor?) Unpack((S.Tensor Output, S.Tensor Hidden) r) => (r.Output, r.Hidden, null);

    static (S.Tensor, S.Tensor, S.Tensor?) Unpack((S.Tensor Output, (S.Tensor H, S.Tensor C) State) r) => (r.Output, r.State.H, r.State.C);

    static (T.Tensor, T.Tensor, T.Tensor?) Unpack((T.Tensor, T.Tensor) r) => (r.Item1, r.Item2, null);

    static (T.Tensor, T.Tensor, T.Tensor?) Unpack((T.Tensor, T.Tensor, T.Tensor) r) => (r.Item1, r.Item2, r.Item3);

    /// <summary>
    /// A two-layer LSTM with projSize 2 (hidden 5) against <c>torch.lstm</c> run by LibTorch's TorchScript interpreter,
    /// on a padded input, or on a packed one (sorted lengths, through aten::lstm's packed overload) when
    /// <paramref name="lengths"/> is given.
    /// </summary>
    static Case Projected(string name, bool bidirectional, bool batchFirst, long[]? lengths)
    {
        const int input = 3, hidden = 5, proj = 2, layers = 2, batch = 4;
        int steps = lengths is null ? 5 : (int)lengths.Max(), n = lengths?.Length ?? batch, directions = bidirectional ? 2 : 1, stacks = layers * directions;
        var ours = new LSTM(input, hidden, layers, batchFirst: batchFirst, bidirectional: bidirectional, projSize: proj, generator: new S.Generator(23));
        var weights = ours.NamedParameters().Select(p => T.zeros(p.Parameter.Shape.Select(d => (long)d).ToArray()).requires_grad_(true)).ToArray();
        string py(bool b) => b ? "True" : "False";
        var args = string.Join(", ", weights.Select((_, i) => $"w{i}: Tensor"));
        var list = string.Join(", ", weights.Select((_, i) => $"w{i}"));
        var call = lengths is null
            ? $"torch.lstm(x, [h0, c0], [{list}], True, {layers}, 0.0, False, {py(bidirectional)}, {py(batchFirst)})"
            : $"torch.lstm(x, batch_sizes, [h0, c0], [{list}], True, {layers}, 0.0, False, {py(bidirectional)})";
        var script = $"""
            def run(x: Tensor, batch_sizes: Tensor, h0: Tensor, c0: Tensor, {args}):
                out, h, c = {call}
                return torch.cat([out.reshape(-1), h.reshape(-1), c.reshape(-1)])

            """;
        var unit = T.jit.compile(script);
        int[] shape = batchFirst ? [n, steps, input] : [steps, n, input];
        return new Case
        {
            Name = name,
            Shapes = [shape, [stacks, n, proj], [stacks, n, hidden]],
            Tolerance = RecurrenceTolerance,
            Parameters = () => (ours.Parameters().Cast<S.Tensor>().ToArray(), weights),
            Ours = x =>
            {
                if (lengths is null)
                {
                    var (o, (h, c)) = ours.Forward(x[0], (x[1], x[2]));
                    return Flat(o, h, c);
                }
                var (po, (ph, pc)) = ours.Forward(Rnn.PackPaddedSequence(x[0], Ls(lengths)), (x[1], x[2]));
                return Flat(po.Data, ph, pc);
            },
            Theirs = x =>
            {
                T.Tensor data = x[0], batchSizes = T.zeros(1);
                if (lengths is not null)
                {
                    var packed = TRnn.pack_padded_sequence(x[0], Lt(lengths), false, true);
                    (data, batchSizes) = (packed.data, packed.batch_sizes);
                }
                object[] inputs = [data, batchSizes, x[1], x[2], .. weights];
                return unit.invoke<T.Tensor>("run", inputs);
            },
        };
    }
}
