using Microsoft.CodeAnalysis;
using static ShapeSafe.Generators.Tests.Verify;

namespace ShapeSafe.Generators.Tests;

// The recurrent layers: one composite step per LSTM, GRU or RNN call, a step per final state read, Select and Narrow
// to take a step, and the breaks that remain. Their values and gradients are compared with eager mode in
// tests/ShapeSafe.Tests/CompiledGraphs/CompiledRecurrentTests.cs.
public partial class CompiledGraphTests
{
    [Fact]
    public void An_lstm_classifier_is_an_embedding_a_recurrent_step_a_select_and_a_linear_layer()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Classifier : Module
            {
                readonly Embedding _tokens = new(20, 8);
                readonly LSTM _lstm = new(8, 16, numLayers: 2, batchFirst: true, dropout: 0.3);
                readonly Linear _head = new(16, 5);
                public Tensor Forward(Tensor tokens)
                {
                    var (output, (h, c)) = _lstm.Forward(_tokens.Forward(tokens));
                    return _head.Forward(output.Select(1, -1));
                }
            }
            """);
        var lines = Lines(files["Demo.Classifier.g.cs"]);
        Assert.Equal(new[]
        {
            "Embedding(_tokens, tokensData, b.Tokens2);",
            // The final states are not read: no step reads them, and the tape is seeded at the output alone.
            "Recurrent(plan.LstmPlan, _lstm, b.Tokens2, null, null, b.Lstm, b.LstmState, record);",
            "Slice(b.Lstm, plan.SelectView, b.Select);",
            "Linear(b.Select, _head.Weight, _head.Bias, global::ShapeSafe.CompiledGraphs.FusedActivation.None, output);",
            "LinearBackward(g, b.Select, _head.Weight, b.SelectGrad, gradHeadWeight, gradHeadBias);",
            "SliceBackward(b.SelectGrad, plan.SelectView, b.LstmGrad);",
            "RecurrentBackward(plan.LstmPlan, _lstm, b.LstmState, b.LstmGrad,",
            "EmbeddingBackward(_tokens, b.Tokens2Grad, tokensData, gradTokensWeight);",
        }, Kernels(lines));
        Assert.Contains("LstmPlan = global::ShapeSafe.CompiledGraphs.GraphOps.PlanRecurrent(Tokens2Shape, null, null, graph._lstm, numLayers: 2, bidirectional: false, bias: true, projSize: 0);", lines);
        Assert.Contains("SelectView = global::ShapeSafe.CompiledGraphs.GraphOps.PlanSelect(LstmShape, 1, -1);", lines);
        // Each parameter of the layer is an input of the node, in its registration order, one line per layer.
        Assert.Contains("| (_lstm.AllWeights[1][3].RequiresGrad ? 0x200UL : 0UL)", lines);
        Assert.Contains("b.Tokens2Grad, accumulateInput: false,", lines);
        Assert.Contains("gradLstmAllWeights00, gradLstmAllWeights01, gradLstmAllWeights02, gradLstmAllWeights03, // weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0", lines);
        Assert.Contains("gradLstmAllWeights10, gradLstmAllWeights11, gradLstmAllWeights12, gradLstmAllWeights13); // weight_ih_l1, weight_hh_l1, bias_ih_l1, bias_hh_l1", lines);
        Assert.Contains("public readonly global::ShapeSafe.CompiledGraphs.RecurrentState LstmState = new global::ShapeSafe.CompiledGraphs.RecurrentState();", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void A_bidirectional_lstm_reads_its_initial_states_from_the_inputs_and_hands_its_final_states_gradients_to_its_step()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Tagger : Module
            {
                readonly LSTM _lstm = new(5, 9, numLayers: 2, dropout: 0.25, bidirectional: true);
                readonly Linear _head = new(18, 4);
                readonly Linear _stateHead = new(9, 4);
                public Tensor Forward(Tensor x, Tensor h0, Tensor c0)
                {
                    var (output, (h, c)) = _lstm.Forward(x, (h0, c0));
                    return _head.Forward(output.Select(0, -1)) + _stateHead.Forward(h[-1] + c[-1]);
                }
            }
            """);
        var lines = Lines(files["Demo.Tagger.g.cs"]);
        var kernels = Kernels(lines);
        Assert.Contains("Recurrent(plan.LstmPlan, _lstm, xData, h0Data, c0Data, b.Lstm, b.LstmState, record);", kernels);
        Assert.Contains("RecurrentHidden(b.LstmState, b.RecurrentHidden);", kernels);
        Assert.Contains("RecurrentCell(b.LstmState, b.RecurrentCell);", kernels);
        Assert.Contains("Slice(b.RecurrentHidden, plan.Select2View, b.Select2);", kernels);
        // The state reads' backward runs before the layer's, which seeds its tape with both and the output's gradient.
        Assert.True(Array.IndexOf(kernels, "RecurrentHiddenBackward(b.LstmState, b.RecurrentHiddenGrad);")
            < Array.IndexOf(kernels, "RecurrentBackward(plan.LstmPlan, _lstm, b.LstmState, b.LstmGrad,"));
        Assert.Contains("RecurrentCellBackward(b.LstmState, b.RecurrentCellGrad);", kernels);
        Assert.Contains("gradH0, accumulateH0: false, gradC0, accumulateC0: false,", lines);
        Assert.Contains("gradLstmAllWeights30, gradLstmAllWeights31, gradLstmAllWeights32, gradLstmAllWeights33); // weight_ih_l1_reverse, weight_hh_l1_reverse, bias_ih_l1_reverse, bias_hh_l1_reverse", lines);
        // Three inputs: each is guarded on its own (its shape and dtype are the plan's key).
        Assert.Contains("if (PlanFor<Plan>(GuardInput(x), GuardInput(h0), GuardInput(c0)) is not { } plan) return Module.Forward(x, h0, c0);", lines);
        Assert.Contains("LstmPlan = global::ShapeSafe.CompiledGraphs.GraphOps.PlanRecurrent(XShape, H0Shape, C0Shape, graph._lstm, numLayers: 2, bidirectional: true, bias: true, projSize: 0);", lines);
        Assert.Contains("RecurrentHiddenShape = LstmPlan.HiddenSizes;", lines);
        Assert.Contains("RecurrentCellShape = LstmPlan.CellSizes!;", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void A_final_state_read_alone_seeds_no_gradient_at_the_output()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Net : Module
            {
                readonly RNN _rnn = new(6, 10, nonlinearity: "relu", bias: false);
                readonly GRU _gru = new(6, 10);
                readonly Linear _head = new(10, 3);
                public Tensor Forward(Tensor x) => _head.Forward(_rnn.Forward(x).Hidden[-1]) + _gru.Forward(x).Output.Narrow(0, 1, 2).Select(0, 0);
            }
            """);
        var lines = Lines(files["Demo.Net.g.cs"]);
        var kernels = Kernels(lines);
        Assert.Contains("RecurrentBackward(plan.RnnPlan, _rnn, b.RnnState, null,", kernels);
        Assert.Contains("RecurrentBackward(plan.GruPlan, _gru, b.GruState, b.GruGrad,", kernels);
        Assert.Contains("gradRnnAllWeights00, gradRnnAllWeights01); // weight_ih_l0, weight_hh_l0", lines);
        Assert.Contains("NarrowView = global::ShapeSafe.CompiledGraphs.GraphOps.PlanNarrow(GruShape, 0, 1, 2);", lines);
        Assert.Contains("SelectView = global::ShapeSafe.CompiledGraphs.GraphOps.PlanSelect(RecurrentHiddenShape, 0, -1);", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public Task SS2009_for_a_packed_sequence() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly LSTM _lstm = new(8, 16);
            public Tensor Forward(Tensor x, Tensor lengths)
            {
                var (output, (h, c)) = {|#0:_lstm.Forward(Utils.Rnn.PackPaddedSequence(x, lengths, enforceSorted: false))|};
                return h;
            }
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 9: a PackedSequence passed to LSTM.Forward (packed sequences are not compiled; the module runs eagerly)"));

    [Fact]
    public Task SS2009_for_a_recurrent_layer_whose_options_are_not_known_at_build_time() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly GRU _gru;
            public Net(int layers) => _gru = new GRU(6, 12, numLayers: layers);
            public Tensor Forward(Tensor x) => {|#0:_gru.Forward(x)|}.Output;
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 8: GRU gru's numLayers, bidirectional, bias is not known at build time (the graph takes a gradient for each of its parameters: create it in its member's initializer or the constructor with constant options)"));

    [Fact]
    public Task SS2009_for_a_select_of_an_index_not_known_at_build_time() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly GRU _gru = new(6, 12);
            readonly int _step = 2;
            public Tensor Forward(Tensor x) => {|#0:_gru.Forward(x).Output.Select(0, _step)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 8: a Select whose arguments are not constants (the plan works out the slice once per input shape)"));
}
