using Microsoft.CodeAnalysis;
using static ShapeSafe.Generators.Tests.Verify;

namespace ShapeSafe.Generators.Tests;

// The attention layers: one composite step per MultiheadAttention self-attention and per encoder layer, an encoder
// unrolled into its layers, and the breaks that remain.
public partial class CompiledGraphTests
{
    const string Ops = "global::ShapeSafe.CompiledGraphs.GraphOps.";

    static string[] Kernels(string[] lines) =>
        lines.Where(l => l.StartsWith(Ops, StringComparison.Ordinal)).Select(l => l.Substring(Ops.Length)).ToArray();

    [Fact]
    public void An_encoder_layer_and_a_self_attention_are_one_step_each_whose_backward_adds_to_the_residuals_gradient()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Block : Module
            {
                readonly TransformerEncoderLayer _layer = new(64, 4, 128);
                readonly MultiheadAttention _attention = new(64, 4, batchFirst: true);
                public Tensor Forward(Tensor x)
                {
                    var y = _layer.Forward(x);
                    return y + _attention.Forward(y, y, y, needWeights: false).Output;
                }
            }
            """);
        var lines = Lines(files["Demo.Block.g.cs"]);
        Assert.Equal(new[]
        {
            "TransformerEncoderLayer(plan.LayerPlan, _layer, xData, b.Layer, b.LayerState);",
            "SelfAttention(plan.AttentionPlan, _attention, b.Layer, b.Attention, b.AttentionState);",
            "Add(b.Layer, b.Attention, output);",
            "SumToShape(g, b.LayerGrad);",
            "SumToShape(g, b.AttentionGrad);",
            // The attention's input gradient is added to the residual's, which reached it first, as in eager autograd.
            "SelfAttentionBackward(plan.AttentionPlan, _attention, b.AttentionState, b.AttentionGrad, b.Layer, b.LayerGrad, accumulate: true,",
            "TransformerEncoderLayerBackward(plan.LayerPlan, _layer, b.LayerState, b.LayerGrad, xData, gradX, accumulate: false,",
        }, Kernels(lines));
        // Each parameter of the layer is an input of the node, in its registration order, and gets a gradient.
        Assert.Contains("gradLayerSelfAttnInProjWeight, gradLayerSelfAttnInProjBias, gradLayerSelfAttnOutProjWeight, gradLayerSelfAttnOutProjBias,", lines);
        Assert.Contains("gradLayerLinear1Weight, gradLayerLinear1Bias,", lines);
        Assert.Contains("gradLayerNorm2Weight, gradLayerNorm2Bias);", lines);
        Assert.Contains("gradAttentionInProjWeight, gradAttentionInProjBias, gradAttentionOutProjWeight, gradAttentionOutProjBias);", lines);
        Assert.Contains("LayerPlan = global::ShapeSafe.CompiledGraphs.GraphOps.PlanTransformerEncoderLayer(XShape, graph._layer);", lines);
        Assert.Contains("AttentionState = new global::ShapeSafe.CompiledGraphs.SelfAttentionState(plan.AttentionPlan);", lines);
        Assert.Contains("| (_layer.SelfAttn.InProjWeight?.RequiresGrad == true ? 0x2UL : 0UL)", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void An_encoder_is_unrolled_into_its_layers_and_its_norm_from_its_initializer()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Stack : Module
            {
                readonly TransformerEncoder _encoder = new(new TransformerEncoderLayer(32, 2, 64, normFirst: true), numLayers: 3, norm: new LayerNorm(32));
                public Tensor Forward(Tensor x) => _encoder.Forward(x);
            }
            """);
        var lines = Lines(files["Demo.Stack.g.cs"]);
        string[] kernels = Kernels(lines);
        Assert.Equal(new[]
        {
            "TransformerEncoderLayer(plan.EncoderLayers0Plan, _encoder_layers_0, xData, b.EncoderLayers0, b.EncoderLayers0State);",
            "TransformerEncoderLayer(plan.EncoderLayers1Plan, _encoder_layers_1, b.EncoderLayers0, b.EncoderLayers1, b.EncoderLayers1State);",
            "TransformerEncoderLayer(plan.EncoderLayers2Plan, _encoder_layers_2, b.EncoderLayers1, b.EncoderLayers2, b.EncoderLayers2State);",
            "LayerNorm(_encoder_norm, b.EncoderLayers2, output, b.EncoderNormMean, b.EncoderNormInvStd);",
        }, kernels.Take(4));
        Assert.Contains("_encoder_layers_2 = Bind<global::ShapeSafe.NN.TransformerEncoderLayer>(\"encoder.layers.2\");", lines);
        Assert.Contains("_encoder_norm = Bind<global::ShapeSafe.NN.LayerNorm>(\"encoder.norm\");", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public Task SS2009_for_an_encoder_the_constructor_builds() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly TransformerEncoder _encoder;
            public Net(int layers) => _encoder = new TransformerEncoder(new TransformerEncoderLayer(16, 2, 32), layers);
            public Tensor Forward(Tensor x) => {|#0:_encoder.Forward(x)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 8: _encoder's layers are not known at build time (unrolling a TransformerEncoder needs a read-only member initialized with new TransformerEncoder(layer, n) of a constant n, and a norm that is left out, null or a new LayerNorm)"));

    [Fact]
    public void A_causal_attentions_mask_is_an_input_whose_shape_alone_is_planned()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Decoder : Module
            {
                readonly MultiheadAttention _attention = new(16, 2);
                public Tensor Forward(Tensor x, Tensor mask) => _attention.Forward(x, x, x, needWeights: false, attnMask: mask, isCausal: true).Output;
            }
            """);
        var lines = Lines(files["Demo.Decoder.g.cs"]);
        Assert.Contains("AttentionPlan = global::ShapeSafe.CompiledGraphs.GraphOps.PlanSelfAttention(XShape, graph._attention, causalMask: MaskShape);", lines);
        Assert.Contains("SelfAttention(plan.AttentionPlan, _attention, xData, output, b.AttentionState);", Kernels(lines));
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public Task SS2009_for_a_causal_mask_that_is_not_an_input() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly TransformerEncoderLayer _layer = new(16, 2, 32);
            public Tensor Forward(Tensor x, Tensor mask) => {|#0:_layer.Forward(x, mask * 2, isCausal: true)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 7: a causal mask that is not one of Forward's inputs passed to TransformerEncoderLayer.Forward (the graph plans its shape from the input's)"));
}
