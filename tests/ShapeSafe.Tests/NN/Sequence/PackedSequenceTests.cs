using ShapeSafe.NN;
using ShapeSafe.Tests.TestSupport;
using static ShapeSafe.Tests.NN.Sequence.SequenceReference;
using Rnn = ShapeSafe.NN.Utils.Rnn;

namespace ShapeSafe.Tests.NN.Sequence;

/// <summary>
/// torch.nn.utils.rnn: PackedSequence's batch sizes and indices on known examples, padding back, errors, gradients; and
/// RNN, LSTM and GRU on packed input, checked against running every sequence alone, unpadded.
/// </summary>
public class PackedSequenceTests
{
    // Lengths of the unsorted example: sorted longest first they are [4, 3, 2, 1] from batch entries [1, 3, 0, 2].
    static readonly long[] s_lengths = { 2, 4, 1, 3 };

    /// <summary>[T=4, N=4, 1]: entry b holds 10·(b+1) + t at its valid steps t, and -1 in its padding.</summary>
    static Tensor Numbered(long[] lengths)
    {
        int steps = (int)lengths.Max(), batch = lengths.Length;
        var v = new float[steps * batch];
        for (int t = 0; t < steps; t++)
            for (int b = 0; b < batch; b++)
                v[t * batch + b] = t < lengths[b] ? 10 * (b + 1) + t : -1;
        return Tensor.FromArray(v, steps, batch, 1);
    }

    [Fact]
    public void Packs_pytorchs_documented_example()
    {
        // torch.nn.utils.rnn.pack_sequence docs: a = [1, 2, 3], b = [4, 5], c = [6].
        var packed = Rnn.PackSequence(new[] { Tensor.FromArray(new[] { 1f, 2, 3 }), Tensor.FromArray(new[] { 4f, 5 }), Tensor.FromArray(new[] { 6f }) });

        Assert.Equal(new[] { 1f, 4, 6, 2, 5, 3 }, packed.Data.ToFloatArray());
        Assert.Equal(new[] { 6 }, packed.Data.Shape);
        Assert.Equal(DType.Int64, packed.BatchSizes.DType);
        Assert.Equal(new long[] { 3, 2, 1 }, packed.BatchSizes.ToInt64Array());
        Assert.Null(packed.SortedIndices);
        Assert.Null(packed.UnsortedIndices);
    }

    [Fact]
    public void Sorts_an_unsorted_batch_and_keeps_both_permutations()
    {
        var packed = Rnn.PackPaddedSequence(Numbered(s_lengths), s_lengths, enforceSorted: false);

        Assert.Equal(new long[] { 4, 3, 2, 1 }, packed.BatchSizes.ToInt64Array());
        Assert.Equal(new long[] { 1, 3, 0, 2 }, packed.SortedIndices!.ToInt64Array());
        Assert.Equal(new long[] { 2, 0, 3, 1 }, packed.UnsortedIndices!.ToInt64Array());
        // Step by step, longest first: t0 of entries 1, 3, 0, 2; t1 of 1, 3, 0; t2 of 1, 3; t3 of 1.
        Assert.Equal(new[] { 20f, 40, 10, 30, 21, 41, 11, 22, 42, 23 }, packed.Data.ToFloatArray());
        Assert.Equal(new[] { 10, 1 }, packed.Data.Shape);
        Assert.Equal("PackedSequence(data=[10, 1], batch_sizes=[4, 3, 2, 1], sorted_indices=[1, 3, 0, 2], unsorted_indices=[2, 0, 3, 1])", packed.ToString());
    }

    [Fact]
    public void Batch_first_input_packs_the_same_rows()
    {
        var x = Numbered(s_lengths);
        var a = Rnn.PackPaddedSequence(x, s_lengths, enforceSorted: false);
        var b = Rnn.PackPaddedSequence(x.Transpose(0, 1).Contiguous(), Tensor.FromArray(s_lengths, 4), batchFirst: true, enforceSorted: false);

        Assert.Equal(a.Data.ToFloatArray(), b.Data.ToFloatArray());
        Assert.Equal(a.BatchSizes.ToInt64Array(), b.BatchSizes.ToInt64Array());
    }

    [Fact]
    public void Equal_lengths_sort_as_pytorchs_sort()
    {
        // torch.sort(descending=True) of [2, 3, 2, 3]: the CPU sort keeps equal keys in their order.
        long[] lengths = { 2, 3, 2, 3 };
        var packed = Rnn.PackPaddedSequence(Numbered(lengths), lengths, enforceSorted: false);
        Assert.Equal(new long[] { 1, 3, 0, 2 }, packed.SortedIndices!.ToInt64Array());
        Assert.Equal(new long[] { 4, 4, 2 }, packed.BatchSizes.ToInt64Array());
    }

    [Fact]
    public void Pads_back_in_the_original_order()
    {
        var x = Numbered(s_lengths);
        var packed = Rnn.PackPaddedSequence(x, s_lengths, enforceSorted: false);

        var (padded, lengths) = Rnn.PadPackedSequence(packed, paddingValue: -1);
        Assert.Equal(new[] { 4, 4, 1 }, padded.Shape);
        Assert.Equal(x.ToFloatArray(), padded.ToFloatArray());
        Assert.Equal(DType.Int64, lengths.DType);
        Assert.Equal(s_lengths, lengths.ToInt64Array());

        // Zero padding by default, batch-first as a transposed view (PyTorch returns output.transpose(0, 1)), and longer.
        var (first, _) = Rnn.PadPackedSequence(packed, batchFirst: true, totalLength: 6);
        Assert.Equal(new[] { 4, 6, 1 }, first.Shape);
        var expected = new float[4 * 6];
        for (int b = 0; b < 4; b++)
            for (int t = 0; t < s_lengths[b]; t++) expected[b * 6 + t] = 10 * (b + 1) + t;
        Assert.Equal(expected, first.ToFloatArray());

        var sorted = Rnn.PackSequence(new[] { Tensor.FromArray(new[] { 1f, 2, 3 }, 3, 1), Tensor.FromArray(new[] { 4f }, 1, 1) });
        var (p, l) = Rnn.PadPackedSequence(sorted, batchFirst: true);
        Assert.Equal(new[] { 1f, 2, 3, 4, 0, 0 }, p.ToFloatArray());
        Assert.Equal(new long[] { 3, 1 }, l.ToInt64Array());
    }

    [Fact]
    public void Pads_sequences_right_or_left()
    {
        var seqs = new[] { Tensor.FromArray(new[] { 1f, 2 }), Tensor.FromArray(new[] { 3f, 4, 5 }), Tensor.FromArray(new[] { 6f }) };

        var padded = Rnn.PadSequence(seqs);
        Assert.Equal(new[] { 3, 3 }, padded.Shape);
        Assert.Equal(new[] { 1f, 3, 6, 2, 4, 0, 0, 5, 0 }, padded.ToFloatArray());
        Assert.Equal(new[] { 1f, 2, 9, 3, 4, 5, 6, 9, 9 }, Rnn.PadSequence(seqs, batchFirst: true, paddingValue: 9).ToFloatArray());
        Assert.Equal(new[] { 0f, 1, 2, 3, 4, 5, 0, 0, 6 }, Rnn.PadSequence(seqs, batchFirst: true, paddingSide: "left").ToFloatArray());
    }

    [Fact]
    public void Refuses_what_pytorch_refuses()
    {
        var x = Numbered(s_lengths);

        var unsorted = Assert.Throws<ShapeException>(() => Rnn.PackPaddedSequence(x, s_lengths));
        Assert.Contains("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True", unsorted.Message);
        var zero = Assert.Throws<ShapeException>(() => Rnn.PackPaddedSequence(x, new long[] { 4, 3, 2, 0 }));
        Assert.Contains("Length of all samples has to be greater than 0", zero.Message);
        Assert.Contains("Length of all samples has to be greater than 0", Assert.Throws<ShapeException>(() => Rnn.PackPaddedSequence(x, new long[] { 0, 4, 3, 2 }, enforceSorted: false)).Message);
        var tooLong = Assert.Throws<ShapeException>(() => Rnn.PackPaddedSequence(x, new long[] { 5, 3, 2, 1 }));
        Assert.Contains("length 5", tooLong.Message);
        Assert.Contains("[4, 4, 1]", tooLong.Message);
        var count = Assert.Throws<ShapeException>(() => Rnn.PackPaddedSequence(x, new long[] { 4, 3, 2 }));
        Assert.Contains("Expected `len(lengths)` to be equal to batch_size, but got 3 (batch_size=4)", count.Message);
        Assert.Throws<ShapeException>(() => Rnn.PackPaddedSequence(x, new long[] { 4, 3, 2 }, enforceSorted: false));
        Assert.Contains("Cannot pack empty tensors", Assert.Throws<ShapeException>(() => Rnn.PackPaddedSequence(Tensor.Zeros(0, 2, 3), new long[] { 1, 1 })).Message);
        Assert.Throws<ShapeException>(() => Rnn.PackPaddedSequence(Tensor.Zeros(4), new long[] { 4 }));

        var packed = Rnn.PackPaddedSequence(x, s_lengths, enforceSorted: false);
        var total = Assert.Throws<ArgumentOutOfRangeException>(() => Rnn.PadPackedSequence(packed, totalLength: 3));
        Assert.Contains("Expected total_length to be at least the length of the longest sequence in input, but got total_length=3 and max sequence length being 4", total.Message);

        Assert.Contains("received an empty list of sequences", Assert.Throws<ArgumentException>(() => Rnn.PadSequence(Array.Empty<Tensor>())).Message);
        Assert.Contains("Expected padding_side to be one of left or right, but got middle.", Assert.Throws<ArgumentException>(() => Rnn.PadSequence(new[] { Tensor.Zeros(2) }, paddingSide: "middle")).Message);
        Assert.Throws<ShapeException>(() => Rnn.PadSequence(new[] { Tensor.Zeros(2, 3), Tensor.Zeros(2, 4) }));

        // The constructor checks what it is given.
        Assert.Throws<ShapeException>(() => new PackedSequence(Tensor.Zeros(5, 2), Tensor.FromArray(new long[] { 2, 2 }, 2)));
        Assert.Throws<ShapeException>(() => new PackedSequence(Tensor.Zeros(4, 2), Tensor.FromArray(new long[] { 1, 3 }, 2)));
        Assert.Throws<ShapeException>(() => new PackedSequence(Tensor.Zeros(4, 2), Tensor.FromArray(new long[] { 2, 2 }, 2), Tensor.FromArray(new long[] { 1, 1 }, 2)));
        Assert.Equal(new long[] { 1, 0 }, new PackedSequence(Tensor.Zeros(4, 2), Tensor.FromArray(new long[] { 2, 2 }, 2), Tensor.FromArray(new long[] { 1, 0 }, 2)).UnsortedIndices!.ToInt64Array());
    }

    [Fact]
    public void Packing_and_padding_pass_float64_gradient_checks()
    {
        var x = Tensor.FromArray(Pattern(4 * 4 * 2, 3).Select(v => (double)v).ToArray(), 4, 4, 2);
        // Float64 stays Float64 through the index selection and concatenations of packing and padding.
        var packedDouble = Rnn.PackPaddedSequence(x, s_lengths, enforceSorted: false);
        Assert.Equal(DType.Float64, packedDouble.Data.DType);
        Assert.Equal(DType.Float64, Rnn.PadPackedSequence(packedDouble).Padded.DType);

        // The packed data and the padded output are both differentiable in the input (padding positions get no gradient).
        Assert.True(global::ShapeSafe.Autograd.GradCheck(t =>
        {
            var data = Rnn.PackPaddedSequence(t[0], s_lengths, enforceSorted: false).Data;
            return data * data;
        }, new[] { x }));
        Assert.True(global::ShapeSafe.Autograd.GradCheck(t =>
        {
            var packed = Rnn.PackPaddedSequence(t[0].Transpose(0, 1), s_lengths, batchFirst: true, enforceSorted: false);
            var data = packed.Data * packed.Data;
            return Rnn.PadPackedSequence(new PackedSequence(data, packed.BatchSizes, packed.SortedIndices), batchFirst: true, paddingValue: 0.5, totalLength: 5).Padded;
        }, new[] { x }));
        var seqs = new[] { x.Select(1, 0).Narrow(0, 0, 3), x.Select(1, 1), x.Select(1, 2).Narrow(0, 0, 1) };
        Assert.True(global::ShapeSafe.Autograd.GradCheck(t => Rnn.PadSequence(t, batchFirst: true, paddingSide: "left"), seqs));
        Assert.True(global::ShapeSafe.Autograd.GradCheck(t => Rnn.PackSequence(t, enforceSorted: false).Data, seqs));
    }

    [Fact]
    public void Padding_steps_get_no_gradient()
    {
        var x = Tensor.FromArray(Pattern(4 * 4 * 2, 3), 4, 4, 2);
        x.RequiresGrad = true;
        var (padded, _) = Rnn.PadPackedSequence(Rnn.PackPaddedSequence(x, s_lengths, enforceSorted: false), paddingValue: 3);
        (padded * padded).Sum().Backward();

        var grad = x.Grad!.ToFloatArray();
        var values = x.ToFloatArray();
        for (int t = 0; t < 4; t++)
            for (int b = 0; b < 4; b++)
                for (int f = 0; f < 2; f++)
                {
                    int i = (t * 4 + b) * 2 + f;
                    Assert.Equal(t < s_lengths[b] ? 2 * values[i] : 0f, grad[i]);
                }
    }

    static RNNBase Make(string kind, bool bidirectional, int layers, bool batchFirst = false, int projSize = 0)
    {
        var g = new Generator(11);
        return kind switch
        {
            "rnn" => new RNN(3, 4, layers, batchFirst: batchFirst, bidirectional: bidirectional, generator: g),
            "relu" => new RNN(3, 4, layers, nonlinearity: "relu", batchFirst: batchFirst, bidirectional: bidirectional, generator: g),
            "lstm" => new LSTM(3, 4, layers, batchFirst: batchFirst, bidirectional: bidirectional, projSize: projSize, generator: g),
            _ => new GRU(3, 4, layers, batchFirst: batchFirst, bidirectional: bidirectional, generator: g),
        };
    }

    /// <summary>The layer on a padded tensor: output and states (c is null but for LSTM).</summary>
    static (Tensor Output, Tensor H, Tensor? C) RunPadded(RNNBase m, Tensor x, Tensor? h0, Tensor? c0) => m switch
    {
        LSTM l => Flatten(l.Forward(x, h0 is null ? null : (h0, c0!))),
        RNN r => (r.Forward(x, h0).Output, r.Forward(x, h0).Hidden, null),
        GRU g => (g.Forward(x, h0).Output, g.Forward(x, h0).Hidden, null),
        _ => throw new InvalidOperationException(),
    };

    static (Tensor, Tensor, Tensor?) Flatten((Tensor Output, (Tensor H, Tensor C) State) r) => (r.Output, r.State.H, r.State.C);

    /// <summary>The layer on a packed batch.</summary>
    static (PackedSequence Output, Tensor H, Tensor? C) RunPacked(RNNBase m, PackedSequence x, Tensor? h0, Tensor? c0)
    {
        switch (m)
        {
            case LSTM l:
                var (o, (h, c)) = l.Forward(x, h0 is null ? null : (h0, c0!));
                return (o, h, c);
            case RNN r:
                var (ro, rh) = r.Forward(x, h0);
                return (ro, rh, null);
            case GRU g:
                var (go, gh) = g.Forward(x, h0);
                return (go, gh, null);
            default:
                throw new InvalidOperationException();
        }
    }

    [Theory]
    [InlineData("rnn", false, 1, false, false)]
    [InlineData("relu", true, 2, false, true)]
    [InlineData("lstm", false, 2, true, false)]
    [InlineData("lstm", true, 2, false, true)]
    [InlineData("gru", true, 1, true, true)]
    [InlineData("gru", true, 2, false, false)]
    public void Each_sequence_of_a_packed_batch_computes_what_it_computes_alone(string kind, bool bidirectional, int layers, bool sorted, bool withState)
    {
        long[] lengths = sorted ? new long[] { 5, 3, 3, 1 } : new long[] { 2, 5, 1, 3 };
        const int steps = 5, batch = 4;
        var m = Make(kind, bidirectional, layers);
        int stacks = layers * m.Directions;
        var x = Tensor.FromArray(Pattern(steps * batch * 3, 2), steps, batch, 3);
        var h0 = withState ? Tensor.FromArray(Pattern(stacks * batch * 4, 5), stacks, batch, 4) : null;
        var c0 = withState && kind == "lstm" ? Tensor.FromArray(Pattern(stacks * batch * 4, 7), stacks, batch, 4) : null;

        var packed = Rnn.PackPaddedSequence(x, lengths, enforceSorted: sorted);
        var (output, h, c) = RunPacked(m, packed, h0, c0);
        Assert.Equal(packed.BatchSizes.ToInt64Array(), output.BatchSizes.ToInt64Array());
        Assert.Same(packed.SortedIndices, output.SortedIndices);
        Assert.Equal(new[] { (int)lengths.Sum(), m.Directions * 4 }, output.Data.Shape);
        var (padded, outLengths) = Rnn.PadPackedSequence(output);
        Assert.Equal(lengths, outLengths.ToInt64Array());
        Assert.Equal(new[] { stacks, batch, 4 }, h.Shape);

        for (int b = 0; b < batch; b++)
        {
            int length = (int)lengths[b];
            var alone = x.Narrow(0, 0, length).Narrow(1, b, 1);
            var (expected, eh, ec) = RunPadded(m, alone, h0?.Narrow(1, b, 1), c0?.Narrow(1, b, 1));
            Near(expected, padded.Narrow(0, 0, length).Narrow(1, b, 1));
            Near(eh, h.Narrow(1, b, 1));
            if (ec is not null) Near(ec, c!.Narrow(1, b, 1));
            // Past its end a sequence's output is padding.
            if (length < steps)
                Assert.All(padded.Narrow(0, length, steps - length).Narrow(1, b, 1).ToFloatArray(), v => Assert.Equal(0f, v));
        }
    }

    [Fact]
    public void Packed_lstm_with_a_projection_matches_each_sequence_alone()
    {
        long[] lengths = { 3, 5, 2 };
        var lstm = new LSTM(3, 5, numLayers: 2, bidirectional: true, projSize: 2, generator: new Generator(4));
        var x = Tensor.FromArray(Pattern(5 * 3 * 3, 6), 3, 5, 3); // batch-first [N, T, in]
        var batchFirst = new LSTM(3, 5, numLayers: 2, bidirectional: true, projSize: 2, batchFirst: true, generator: new Generator(4));
        var h0 = Tensor.FromArray(Pattern(4 * 3 * 2, 1), 4, 3, 2);
        var c0 = Tensor.FromArray(Pattern(4 * 3 * 5, 8), 4, 3, 5);

        var (output, (h, c)) = batchFirst.Forward(Rnn.PackPaddedSequence(x, lengths, batchFirst: true, enforceSorted: false), (h0, c0));
        var (padded, _) = Rnn.PadPackedSequence(output, batchFirst: true);
        Assert.Equal(new[] { 3, 5, 4 }, padded.Shape);
        Assert.Equal(new[] { 4, 3, 2 }, h.Shape);
        Assert.Equal(new[] { 4, 3, 5 }, c.Shape);
        for (int b = 0; b < 3; b++)
        {
            int length = (int)lengths[b];
            var (o, (eh, ec)) = lstm.Forward(x.Select(0, b).Narrow(0, 0, length), (h0.Select(1, b), c0.Select(1, b)));
            Near(o, padded.Select(0, b).Narrow(0, 0, length));
            Near(eh, h.Select(1, b));
            Near(ec, c.Select(1, b));
        }
    }

    [Fact]
    public void Packed_input_checks_its_data_and_states()
    {
        var gru = new GRU(3, 4, numLayers: 2);
        var lstm = new LSTM(3, 4, projSize: 2);
        var packed = Rnn.PackPaddedSequence(Tensor.Zeros(3, 2, 3), new long[] { 3, 2 });

        Assert.Contains("Expected hidden size [2, 2, 4], got [2, 3, 4]", Assert.Throws<ShapeException>(() => gru.Forward(packed, Tensor.Zeros(2, 3, 4))).Message);
        Assert.Contains("input_size", Assert.Throws<ShapeException>(() => gru.Forward(Rnn.PackPaddedSequence(Tensor.Zeros(3, 2, 5), new long[] { 3, 2 }))).Message);
        Assert.Contains("input must have 2 dimensions, got 3", Assert.Throws<ShapeException>(() => gru.Forward(Rnn.PackPaddedSequence(Tensor.Zeros(3, 2, 1, 3), new long[] { 3, 2 }))).Message);
        Assert.Contains("Expected hidden[0] size [1, 2, 2], got [1, 2, 4]", Assert.Throws<ShapeException>(() => lstm.Forward(packed, (Tensor.Zeros(1, 2, 4), Tensor.Zeros(1, 2, 4)))).Message);
        Assert.Contains("Expected hidden[1] size [1, 2, 4], got [1, 2, 2]", Assert.Throws<ShapeException>(() => lstm.Forward(packed, (Tensor.Zeros(1, 2, 2), Tensor.Zeros(1, 2, 2)))).Message);
    }

    [Theory]
    [InlineData("rnn")]
    [InlineData("lstm")]
    [InlineData("gru")]
    public void Gradients_through_packed_layers_match_finite_differences(string kind)
    {
        long[] lengths = { 2, 3, 1 };
        var m = Make(kind, bidirectional: true, layers: 1, batchFirst: true);
        Tensor Run(Tensor[] t)
        {
            var packed = Rnn.PackPaddedSequence(t[0], lengths, batchFirst: true, enforceSorted: false);
            var (o, h, c) = RunPacked(m, packed, t[1], kind == "lstm" ? t[2] : null);
            var (padded, _) = Rnn.PadPackedSequence(o, batchFirst: true);
            var parts = new List<Tensor> { padded.Reshape(-1), h.Reshape(-1) };
            // An unused third input would get no gradient; it is read as a zero contribution.
            parts.Add(c is null ? (t[2] * 0f).Reshape(-1) : c.Reshape(-1));
            return Tensor.Cat(parts);
        }
        GradCheck.Check(Run, Tensor.FromArray(Pattern(3 * 3 * 3, 4), 3, 3, 3), Tensor.FromArray(Pattern(2 * 3 * 4, 2), 2, 3, 4), Tensor.FromArray(Pattern(2 * 3 * 4, 9), 2, 3, 4));

        var x = Tensor.FromArray(Pattern(3 * 3 * 3, 4), 3, 3, 3);
        FiniteDifferences.Check(_ => Run(new[] { x, Tensor.FromArray(Pattern(24, 2), 2, 3, 4), Tensor.FromArray(Pattern(24, 9), 2, 3, 4) }), m.Parameters().ToArray<Tensor>());
    }

    static void Near(Tensor expected, Tensor actual) => FiniteDifferences.Close(expected.ToFloatArray(), actual.ToFloatArray(), 2e-6);
}
