using Microsoft.CodeAnalysis;
using static ShapeSafe.Generators.Tests.Verify;

namespace ShapeSafe.Generators.Tests;

// The decoder side of the Transformer: one composite step per decoder layer (the bound layer's Forward on a tape of
// its own), a decoder unrolled into its layers and its norm, a Transformer into its encoder's and decoder's, and the
// breaks that remain.
public partial class CompiledGraphTests
{
    [Fact]
    public void A_decoder_and_a_transformer_are_unrolled_into_a_step_per_layer_and_their_norms()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Net : Module
            {
                readonly TransformerDecoder _decoder = new(new TransformerDecoderLayer(32, 2, 64, bias: false), 2, new LayerNorm(32));
                readonly Transformer _transformer = new(32, 2, 1, 1, 64);
                public Tensor Forward(Tensor x, Tensor memory, Tensor mask, Tensor padding) =>
                    _transformer.Forward(memory, _decoder.Forward(x, memory, mask, memoryKeyPaddingMask: padding, tgtIsCausal: true), tgtMask: mask, tgtIsCausal: false);
            }
            """);
        var lines = Lines(files["Demo.Net.g.cs"]);
        Assert.Equal(new[]
        {
            "TransformerDecoderLayer(plan.DecoderLayers0Plan, _decoder_layers_0, xData, memoryData,",
            "TransformerDecoderLayer(plan.DecoderLayers1Plan, _decoder_layers_1, b.DecoderLayers0, memoryData,",
            "LayerNorm(_decoder_norm, b.DecoderLayers1, b.DecoderNorm, b.DecoderNormMean, b.DecoderNormInvStd);",
            "TransformerEncoderLayer(plan.TransformerEncoderLayers0Plan, _transformer_encoder_layers_0, memoryData, b.TransformerEncoderLayers0, b.TransformerEncoderLayers0State);",
            "LayerNorm(_transformer_encoder_norm, b.TransformerEncoderLayers0, b.TransformerEncoderNorm, b.TransformerEncoderNormMean, b.TransformerEncoderNormInvStd);",
            "TransformerDecoderLayer(plan.TransformerDecoderLayers0Plan, _transformer_decoder_layers_0, b.DecoderNorm, b.TransformerEncoderNorm,",
            "LayerNorm(_transformer_decoder_norm, b.TransformerDecoderLayers0, output, b.TransformerDecoderNormMean, b.TransformerDecoderNormInvStd);",
        }, Kernels(lines).Where(k => !k.StartsWith("Contiguous(", StringComparison.Ordinal)).Take(7));
        // The masks and hints the call passes, by the layer's parameter names.
        Assert.Contains("tgtMask: maskData, memoryMask: null, tgtKeyPaddingMask: null, memoryKeyPaddingMask: paddingData,", lines);
        Assert.Contains("tgtIsCausal: true, memoryIsCausal: false, b.DecoderLayers0, b.DecoderLayers0State, record);", lines);
        Assert.Contains("tgtMask: maskData, memoryMask: null, tgtKeyPaddingMask: null, memoryKeyPaddingMask: null,", lines);
        // The plan checks the shapes without running the layer; a layer without biases takes 9 parameters.
        Assert.Contains("DecoderLayers1Plan = global::ShapeSafe.CompiledGraphs.GraphOps.PlanTransformerDecoderLayer(DecoderLayers0Shape, MemoryShape, graph._decoder_layers_1,", lines);
        Assert.Contains("tgtIsCausal: true, memoryIsCausal: false, parameters: 9);", lines);
        Assert.Contains("tgtIsCausal: false, memoryIsCausal: false, parameters: 18);", lines);
        Assert.Contains("_transformer_decoder_layers_0 = Bind<global::ShapeSafe.NN.TransformerDecoderLayer>(\"transformer.decoder.layers.0\");", lines);
        Assert.Contains("if (PlanFor<Plan>(GuardInput(x), GuardInput(memory), GuardMask(mask), GuardMask(padding)) is not { } plan) return Module.Forward(x, memory, mask, padding);", lines);
        Assert.Contains("public readonly global::ShapeSafe.CompiledGraphs.DecoderLayerState DecoderLayers0State = new global::ShapeSafe.CompiledGraphs.DecoderLayerState();", lines);
        // The backward: the Transformer's decoder layer writes its target's and memory's gradients, then each parameter's by module.
        Assert.Contains("b.DecoderNormGrad, accumulateTgt: false, b.TransformerEncoderNormGrad, accumulateMemory: false,", lines);
        Assert.Contains("gradDecoderLayers1SelfAttnInProjWeight, gradDecoderLayers1SelfAttnOutProjWeight, // SelfAttn", lines);
        Assert.Contains("gradTransformerDecoderLayers0Norm3Weight, gradTransformerDecoderLayers0Norm3Bias); // Norm3", lines);
        var backward = Kernels(lines).Where(k => k.StartsWith("TransformerDecoderLayerBackward(", StringComparison.Ordinal)).ToArray();
        Assert.Equal(new[]
        {
            "TransformerDecoderLayerBackward(_transformer_decoder_layers_0, b.TransformerDecoderLayers0State, b.TransformerDecoderLayers0Grad,",
            "TransformerDecoderLayerBackward(_decoder_layers_1, b.DecoderLayers1State, b.DecoderLayers1Grad,",
            "TransformerDecoderLayerBackward(_decoder_layers_0, b.DecoderLayers0State, b.DecoderLayers0Grad,",
        }, backward);
        // The memory the second decoder layer reads first in the backward is written; the first layer adds to it.
        int first = Array.FindIndex(lines, l => l.EndsWith("TransformerDecoderLayerBackward(_decoder_layers_1, b.DecoderLayers1State, b.DecoderLayers1Grad,", StringComparison.Ordinal));
        int second = Array.FindIndex(lines, l => l.EndsWith("TransformerDecoderLayerBackward(_decoder_layers_0, b.DecoderLayers0State, b.DecoderLayers0Grad,", StringComparison.Ordinal));
        Assert.Contains("accumulateMemory: true,", lines[first + 1]);
        Assert.Contains("accumulateMemory: true,", lines[second + 1]);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public Task SS2009_for_a_decoders_target_mask_without_its_hint() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly TransformerDecoder _decoder = new(new TransformerDecoderLayer(16, 2, 32), 2);
            public Tensor Forward(Tensor x, Tensor memory, Tensor mask) => {|#0:_decoder.Forward(x, memory, mask)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 7: a target mask without a tgtIsCausal hint passed to TransformerDecoder.Forward (the decoder detects a causal mask from the mask's values; pass tgtIsCausal: true or false)"));

    [Fact]
    public Task SS2009_for_a_decoder_the_constructor_builds() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly TransformerDecoder _decoder;
            public Net(int layers) => _decoder = new TransformerDecoder(new TransformerDecoderLayer(16, 2, 32), layers);
            public Tensor Forward(Tensor x, Tensor memory) => {|#0:_decoder.Forward(x, memory)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 8: _decoder's layers are not known at build time (unrolling a TransformerDecoder needs a read-only member initialized with new TransformerDecoder(layer, n) of a constant n and a new TransformerDecoderLayer)"));

    [Fact]
    public Task SS2009_for_a_decoder_layers_mask_that_is_not_an_input() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly TransformerDecoderLayer _layer = new(16, 2, 32);
            public Tensor Forward(Tensor x, Tensor memory, Tensor mask) => {|#0:_layer.Forward(x, memory, mask * 2)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 7: a mask that is not one of Forward's inputs passed to TransformerDecoderLayer.Forward (the graph's guard checks a mask's dtype and shape as an input's)"));

    [Fact]
    public Task SS2009_for_a_decoder_layer_whose_memory_is_its_target() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly TransformerDecoderLayer _layer = new(16, 2, 32);
            public Tensor Forward(Tensor x) => {|#0:_layer.Forward(x, x)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 7: a TransformerDecoderLayer whose memory is its target (the step takes them as two inputs with a gradient each)"));

    [Fact]
    public Task SS2009_for_a_transformers_source_mask_without_its_hint() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Transformer _transformer = new(16, 2, 1, 1, 32);
            public Tensor Forward(Tensor src, Tensor tgt, Tensor mask) => {|#0:_transformer.Forward(src, tgt, srcMask: mask, tgtIsCausal: false)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 7: a source mask without a srcIsCausal hint passed to Transformer.Forward (the encoder detects a causal mask from the mask's values; pass srcIsCausal: true or false)"));

    [Fact]
    public Task SS2009_for_a_transformer_whose_layer_counts_are_not_constants() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            static int s_layers = 2;
            readonly Transformer _transformer = new(16, 2, s_layers, 1, 32);
            public Tensor Forward(Tensor src, Tensor tgt) => {|#0:_transformer.Forward(src, tgt)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 8: transformer's layers are not known at build time (unrolling a Transformer needs a read-only member initialized with new Transformer(...) whose numEncoderLayers, numDecoderLayers and bias are constants)"));
}
