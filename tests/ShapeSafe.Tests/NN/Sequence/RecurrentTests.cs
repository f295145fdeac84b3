using ShapeSafe.NN;
using ShapeSafe.Tests.TestSupport;
using static ShapeSafe.Tests.NN.Sequence.SequenceReference;

namespace ShapeSafe.Tests.NN.Sequence;

/// <summary>nn.RNN, nn.LSTM and nn.GRU: PyTorch's parameter names, order, shapes and init; printing; layouts; exact values against a double reference; gradients.</summary>
public class RecurrentTests
{
    static Tensor Input(params int[] shape) => Tensor.FromArray(Pattern(shape.Aggregate(1, (a, b) => a * b), 9), shape);

    [Fact]
    public void Names_parameters_in_pytorchs_order()
    {
        var rnn = new RNN(3, 4, numLayers: 2, bidirectional: true, generator: new Generator(0));

        // From PyTorch's docs: per layer, forward then reverse, each w_ih, w_hh, b_ih, b_hh.
        Assert.Equal(new[]
        {
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
            "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1",
            "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
        }, rnn.StateDict().Keys);
        Assert.Equal(new[] { 4, 3 }, rnn.GetParameter("weight_ih_l0").Shape);
        Assert.Equal(new[] { 4, 8 }, rnn.GetParameter("weight_ih_l1_reverse").Shape);
        Assert.Equal(new[] { 4, 4 }, rnn.GetParameter("weight_hh_l1").Shape);
        Assert.Equal(new[] { 4 }, rnn.GetParameter("bias_hh_l0").Shape);
        Assert.Equal(rnn.NamedParameters().Select(p => p.Parameter), rnn.AllWeights.SelectMany(w => w));
    }

    [Fact]
    public void Stacks_gate_blocks_and_drops_biases_on_request()
    {
        var lstm = new LSTM(3, 5, bias: false, generator: new Generator(0));
        var gru = new GRU(3, 5, numLayers: 2, generator: new Generator(0));

        Assert.Equal(new[] { "weight_ih_l0", "weight_hh_l0" }, lstm.NamedParameters().Select(p => p.Name));
        Assert.Equal(new[] { 20, 3 }, lstm.GetParameter("weight_ih_l0").Shape);
        Assert.Equal(new[] { 20, 5 }, lstm.GetParameter("weight_hh_l0").Shape);
        Assert.Equal(new[] { 15, 5 }, gru.GetParameter("weight_ih_l1").Shape);
        Assert.Equal(new[] { 15 }, gru.GetParameter("bias_ih_l1").Shape);
        Assert.Equal(8, gru.Parameters().Count());
    }

    [Fact]
    public void Draws_every_parameter_uniformly_in_registration_order()
    {
        var lstm = new LSTM(3, 4, numLayers: 2, generator: new Generator(7));

        // reset_parameters: uniform_(-1/sqrt(hidden), 1/sqrt(hidden)) on each of self.parameters(), in order.
        var generator = new Generator(7);
        foreach (var (name, p) in lstm.NamedParameters())
        {
            var expected = Init.Uniform(Tensor.Empty(p.Shape.ToArray()), -0.5, 0.5, generator);
            Assert.True(expected.ToFloatArray().SequenceEqual(p.ToFloatArray()), name);
            Assert.True(p.RequiresGrad);
        }
    }

    [Fact]
    public void Prints_like_pytorch()
    {
        Assert.Equal("RNN(10, 20)", new RNN(10, 20).ToString());
        Assert.Equal("RNN(10, 20, num_layers=2)", new RNN(10, 20, numLayers: 2, nonlinearity: "relu").ToString());
        Assert.Equal("LSTM(10, 20, batch_first=True, bidirectional=True)", new LSTM(10, 20, batchFirst: true, bidirectional: true).ToString());
        Assert.Equal("GRU(3, 4, num_layers=2, bias=False, dropout=0.5)", new GRU(3, 4, numLayers: 2, bias: false, dropout: 0.5).ToString());
    }

    [Fact]
    public void Rejects_bad_configuration_and_inputs()
    {
        Assert.Throws<ArgumentException>(() => new RNN(3, 4, nonlinearity: "sigmoid"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GRU(3, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LSTM(3, 4, dropout: 1.5));
        var gru = new GRU(3, 4, numLayers: 2);

        var features = Assert.Throws<ShapeException>(() => gru.Forward(Input(5, 2, 4)));
        Assert.Contains("input_size", features.Message);
        Assert.Throws<ShapeException>(() => gru.Forward(Input(5, 2, 3), Tensor.Zeros(1, 2, 4)));
        Assert.Throws<ShapeException>(() => gru.Forward(Input(1, 5, 2, 3)));
    }

    [Theory]
    [InlineData("rnn")]
    [InlineData("lstm")]
    [InlineData("gru")]
    public void Gives_pytorchs_shapes_in_every_layout(string kind)
    {
        (Tensor Output, Tensor H) Run(bool batchFirst, bool bidirectional, int layers, Tensor x)
        {
            var g = new Generator(3);
            RNNBase m = kind switch
            {
                "rnn" => new RNN(3, 4, layers, batchFirst: batchFirst, bidirectional: bidirectional, generator: g),
                "lstm" => new LSTM(3, 4, layers, batchFirst: batchFirst, bidirectional: bidirectional, generator: g),
                _ => new GRU(3, 4, layers, batchFirst: batchFirst, bidirectional: bidirectional, generator: g),
            };
            return m switch
            {
                RNN r => r.Forward(x),
                GRU r => r.Forward(x),
                LSTM l => AssertSameShape(l.Forward(x)),
                _ => throw new InvalidOperationException(),
            };
        }

        (Tensor, Tensor) AssertSameShape((Tensor Output, (Tensor H, Tensor C) State) r)
        {
            Assert.Equal(r.State.H.Shape, r.State.C.Shape);
            return (r.Output, r.State.H);
        }

        var (o, h) = Run(false, false, 1, Input(5, 2, 3));
        Assert.Equal(new[] { 5, 2, 4 }, o.Shape);
        Assert.Equal(new[] { 1, 2, 4 }, h.Shape);

        (o, h) = Run(true, false, 1, Input(2, 5, 3));
        Assert.Equal(new[] { 2, 5, 4 }, o.Shape);
        Assert.Equal(new[] { 1, 2, 4 }, h.Shape);

        (o, h) = Run(false, true, 2, Input(5, 2, 3));
        Assert.Equal(new[] { 5, 2, 8 }, o.Shape);
        Assert.Equal(new[] { 4, 2, 4 }, h.Shape);

        (o, h) = Run(true, true, 2, Input(2, 5, 3));
        Assert.Equal(new[] { 2, 5, 8 }, o.Shape);
        Assert.Equal(new[] { 4, 2, 4 }, h.Shape);

        (o, h) = Run(false, true, 2, Input(5, 3));
        Assert.Equal(new[] { 5, 8 }, o.Shape);
        Assert.Equal(new[] { 4, 4 }, h.Shape);
    }

    [Theory]
    [InlineData("tanh")]
    [InlineData("relu")]
    public void Rnn_matches_the_recurrence(string nonlinearity)
    {
        var rnn = new RNN(2, 3, nonlinearity: nonlinearity, generator: new Generator(0));
        SetPatternWeights(rnn);
        var x = Pattern(3 * 2 * 2, 4);
        var h0 = Pattern(1 * 2 * 3, 6);

        var (output, hidden) = rnn.Forward(Tensor.FromArray(x, 3, 2, 2), Tensor.FromArray(h0, 1, 2, 3));

        var expected = Recurrence("rnn_" + nonlinearity, rnn, x, 3, 2, h0);
        Close(expected.Output, output);
        Close(expected.H, hidden);
    }

    [Fact]
    public void Lstm_matches_the_recurrence_with_gates_i_f_g_o()
    {
        var lstm = new LSTM(2, 3, generator: new Generator(0));
        SetPatternWeights(lstm);
        var x = Pattern(4 * 2 * 2, 4);
        var h0 = Pattern(2 * 3, 6);
        var c0 = Pattern(2 * 3, 8);

        var (output, (h, c)) = lstm.Forward(Tensor.FromArray(x, 4, 2, 2), (Tensor.FromArray(h0, 1, 2, 3), Tensor.FromArray(c0, 1, 2, 3)));

        var expected = Recurrence("lstm", lstm, x, 4, 2, h0, c0);
        Close(expected.Output, output);
        Close(expected.H, h);
        Close(expected.C, c);
    }

    [Fact]
    public void Gru_matches_pytorchs_formula_with_r_inside_the_new_gate()
    {
        var gru = new GRU(2, 3, generator: new Generator(0));
        SetPatternWeights(gru);
        var x = Pattern(4 * 2 * 2, 4);
        var h0 = Pattern(2 * 3, 6);

        var (output, hidden) = gru.Forward(Tensor.FromArray(x, 4, 2, 2), Tensor.FromArray(h0, 1, 2, 3));

        var expected = Recurrence("gru", gru, x, 4, 2, h0);
        Close(expected.Output, output);
        Close(expected.H, hidden);
    }

    [Theory]
    [InlineData("rnn_tanh")]
    [InlineData("lstm")]
    [InlineData("gru")]
    public void Stacked_bidirectional_matches_the_recurrence(string kind)
    {
        RNNBase m = kind switch
        {
            "rnn_tanh" => new RNN(2, 3, numLayers: 2, bidirectional: true),
            "lstm" => new LSTM(2, 3, numLayers: 2, bidirectional: true),
            _ => new GRU(2, 3, numLayers: 2, bidirectional: true),
        };
        SetPatternWeights(m);
        var x = Pattern(3 * 2 * 2, 4);
        var h0 = Pattern(4 * 2 * 3, 6);
        var c0 = Pattern(4 * 2 * 3, 8);
        var input = Tensor.FromArray(x, 3, 2, 2);
        var h0t = Tensor.FromArray(h0, 4, 2, 3);

        var (output, hidden) = m switch
        {
            RNN r => r.Forward(input, h0t),
            GRU g => g.Forward(input, h0t),
            LSTM l => OutputAndH(l.Forward(input, (h0t, Tensor.FromArray(c0, 4, 2, 3)))),
            _ => throw new InvalidOperationException(),
        };

        var expected = Recurrence(kind, m, x, 3, 2, h0, c0);
        Close(expected.Output, output);
        Close(expected.H, hidden);
    }

    static (Tensor Output, Tensor H) OutputAndH((Tensor Output, (Tensor H, Tensor C) State) result) => (result.Output, result.State.H);

    [Fact]
    public void Batch_first_and_unbatched_inputs_compute_the_same_sequences()
    {
        var seqFirst = new GRU(2, 3, bidirectional: true, generator: new Generator(1));
        var batchFirst = new GRU(2, 3, bidirectional: true, batchFirst: true, generator: new Generator(1));
        var x = Input(4, 2, 2);

        var (a, ha) = seqFirst.Forward(x);
        var (b, hb) = batchFirst.Forward(x.Transpose(0, 1).Contiguous());
        var (u, hu) = seqFirst.Forward(x.Select(1, 1));

        Assert.Equal(a.ToFloatArray(), b.Transpose(0, 1).Contiguous().ToFloatArray());
        Assert.Equal(ha.ToFloatArray(), hb.ToFloatArray());
        Close(a.Select(1, 1).ToFloatArray().Select(v => (double)v).ToArray(), u);
        Close(ha.Select(1, 1).ToFloatArray().Select(v => (double)v).ToArray(), hu);
    }

    [Fact]
    public void Dropout_acts_between_layers_only_in_training()
    {
        var rnn = new RNN(2, 3, numLayers: 2, dropout: 1.0, generator: new Generator(2));
        var x1 = Input(3, 1, 2);
        var x2 = x1 * 2f;

        // p = 1 zeroes layer 0's output in training, so the input no longer matters.
        Assert.Equal(rnn.Forward(x1).Output.ToFloatArray(), rnn.Forward(x2).Output.ToFloatArray());
        rnn.Eval();
        Assert.NotEqual(rnn.Forward(x1).Output.ToFloatArray(), rnn.Forward(x2).Output.ToFloatArray());
    }

    [Fact]
    public void Gradients_of_inputs_and_states_match_finite_differences()
    {
        var rnn = new RNN(2, 3, numLayers: 2, bidirectional: true, generator: new Generator(4));
        var lstm = new LSTM(2, 3, generator: new Generator(5));
        var gru = new GRU(2, 3, batchFirst: true, generator: new Generator(6));

        GradCheck.Check(t => rnn.Forward(t[0], t[1]).Output, Input(3, 2, 2), Tensor.FromArray(Pattern(24, 2), 4, 2, 3));
        GradCheck.Check(t =>
        {
            var (o, (h, c)) = lstm.Forward(t[0], (t[1], t[2]));
            return Tensor.Cat(new[] { o.Reshape(-1), h.Reshape(-1), c.Reshape(-1) });
        }, Input(3, 2, 2), Tensor.FromArray(Pattern(6, 2), 1, 2, 3), Tensor.FromArray(Pattern(6, 3), 1, 2, 3));
        GradCheck.Check(t => gru.Forward(t[0], t[1]).Output, Input(2, 3, 2), Tensor.FromArray(Pattern(6, 2), 1, 2, 3));
    }

    [Theory]
    [InlineData("rnn")]
    [InlineData("lstm")]
    [InlineData("gru")]
    public void Gradients_of_parameters_match_finite_differences(string kind)
    {
        var x = Input(3, 2, 2);
        RNNBase m = kind switch
        {
            "rnn" => new RNN(2, 3, bidirectional: true, generator: new Generator(4)),
            "lstm" => new LSTM(2, 3, numLayers: 2, generator: new Generator(5)),
            _ => new GRU(2, 3, generator: new Generator(6)),
        };
        Func<Tensor[], Tensor> f = m switch
        {
            RNN r => _ => r.Forward(x).Output,
            LSTM l => _ => l.Forward(x).Output,
            GRU g => _ => g.Forward(x).Output,
            _ => throw new InvalidOperationException(),
        };

        FiniteDifferences.Check(f, m.Parameters().ToArray<Tensor>());
    }

    [Fact]
    public void Lstm_projection_registers_weight_hr_last_in_each_stack()
    {
        var lstm = new LSTM(3, 5, numLayers: 2, bidirectional: true, projSize: 2, generator: new Generator(0));

        // PyTorch's _flat_weights_names with proj_size: w_ih, w_hh, b_ih, b_hh, w_hr per layer and direction.
        Assert.Equal(new[]
        {
            "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0",
            "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse", "bias_hh_l0_reverse", "weight_hr_l0_reverse",
            "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1", "weight_hr_l1",
            "weight_ih_l1_reverse", "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse", "weight_hr_l1_reverse",
        }, lstm.StateDict().Keys);
        Assert.Equal(new[] { 20, 3 }, lstm.GetParameter("weight_ih_l0").Shape);
        Assert.Equal(new[] { 20, 2 }, lstm.GetParameter("weight_hh_l0").Shape);
        Assert.Equal(new[] { 2, 5 }, lstm.GetParameter("weight_hr_l0_reverse").Shape);
        Assert.Equal(new[] { 20, 4 }, lstm.GetParameter("weight_ih_l1").Shape); // directions·proj
        Assert.Equal(new[] { 20 }, lstm.GetParameter("bias_hh_l1").Shape);
        Assert.Equal(2, lstm.ProjSize);
        Assert.Equal(2, lstm.OutputSize);
        Assert.Equal(lstm.NamedParameters().Select(p => p.Parameter), lstm.AllWeights.SelectMany(w => w));
        Assert.Equal(new[] { "weight_ih_l0", "weight_hh_l0", "weight_hr_l0" }, new LSTM(3, 5, bias: false, projSize: 4).StateDict().Keys);
        Assert.Equal("LSTM(10, 20, proj_size=5, num_layers=2)", new LSTM(10, 20, numLayers: 2, projSize: 5).ToString());

        // Drawn from U(-1/sqrt(hidden), 1/sqrt(hidden)), weight_hr included, in registration order.
        var seeded = new LSTM(3, 4, projSize: 3, generator: new Generator(9));
        var generator = new Generator(9);
        foreach (var (name, p) in seeded.NamedParameters())
            Assert.True(Init.Uniform(Tensor.Empty(p.Shape.ToArray()), -0.5, 0.5, generator).ToFloatArray().SequenceEqual(p.ToFloatArray()), name);
    }

    [Fact]
    public void Lstm_projection_refuses_sizes_pytorch_refuses()
    {
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => new LSTM(3, 4, projSize: -1));
        Assert.Contains("proj_size should be a positive integer or zero to disable projections", negative.Message);
        Assert.Contains("proj_size has to be smaller than hidden_size", Assert.Throws<ArgumentOutOfRangeException>(() => new LSTM(3, 4, projSize: 4)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LSTM(3, 4, projSize: 9));

        var lstm = new LSTM(3, 4, numLayers: 2, projSize: 2);
        var x = Input(5, 2, 3);
        Assert.Contains("Expected hidden[0] size [2, 2, 2], got [2, 2, 4]", Assert.Throws<ShapeException>(() => lstm.Forward(x, (Tensor.Zeros(2, 2, 4), Tensor.Zeros(2, 2, 4)))).Message);
        Assert.Contains("Expected hidden[1] size [2, 2, 4], got [2, 2, 2]", Assert.Throws<ShapeException>(() => lstm.Forward(x, (Tensor.Zeros(2, 2, 2), Tensor.Zeros(2, 2, 2)))).Message);
    }

    [Theory]
    [InlineData(false, 1, false)]
    [InlineData(true, 2, false)]
    [InlineData(true, 2, true)]
    public void Lstm_projection_matches_the_recurrence(bool bidirectional, int layers, bool batchFirst)
    {
        var lstm = new LSTM(2, 4, numLayers: layers, bidirectional: bidirectional, projSize: 3, batchFirst: batchFirst);
        SetPatternWeights(lstm);
        int stacks = layers * lstm.Directions;
        var x = Pattern(4 * 2 * 2, 4);
        var h0 = Pattern(stacks * 2 * 3, 6);
        var c0 = Pattern(stacks * 2 * 4, 8);
        var input = Tensor.FromArray(x, 4, 2, 2);

        var (output, (h, c)) = lstm.Forward(batchFirst ? input.Transpose(0, 1) : input, (Tensor.FromArray(h0, stacks, 2, 3), Tensor.FromArray(c0, stacks, 2, 4)));

        Assert.Equal(batchFirst ? new[] { 2, 4, lstm.Directions * 3 } : new[] { 4, 2, lstm.Directions * 3 }, output.Shape);
        Assert.Equal(new[] { stacks, 2, 3 }, h.Shape);
        Assert.Equal(new[] { stacks, 2, 4 }, c.Shape);
        var expected = Recurrence("lstm", lstm, x, 4, 2, h0, c0);
        Close(expected.Output, batchFirst ? output.Transpose(0, 1).Contiguous() : output);
        Close(expected.H, h);
        Close(expected.C, c);

        // Unbatched: the same as batch entry 1.
        var (single, (hs, cs)) = lstm.Forward(input.Select(1, 1), (Tensor.FromArray(h0, stacks, 2, 3).Select(1, 1), Tensor.FromArray(c0, stacks, 2, 4).Select(1, 1)));
        Assert.Equal(new[] { 4, lstm.Directions * 3 }, single.Shape);
        Assert.Equal(new[] { stacks, 3 }, hs.Shape);
        Close((batchFirst ? output.Select(0, 1) : output.Select(1, 1)).ToFloatArray().Select(v => (double)v).ToArray(), single);
        Close(c.Select(1, 1).ToFloatArray().Select(v => (double)v).ToArray(), cs);
    }

    [Fact]
    public void Lstm_projection_gradients_match_finite_differences()
    {
        var lstm = new LSTM(2, 3, numLayers: 2, bidirectional: true, projSize: 2, generator: new Generator(5));
        GradCheck.Check(t =>
        {
            var (o, (h, c)) = lstm.Forward(t[0], (t[1], t[2]));
            return Tensor.Cat(new[] { o.Reshape(-1), h.Reshape(-1), c.Reshape(-1) });
        }, Input(3, 2, 2), Tensor.FromArray(Pattern(16, 2), 4, 2, 2), Tensor.FromArray(Pattern(24, 3), 4, 2, 3));

        var x = Input(3, 2, 2);
        FiniteDifferences.Check(_ => lstm.Forward(x).Output, lstm.Parameters().ToArray<Tensor>());
    }
}
