using Microsoft.CodeAnalysis;
using static ShapeSafe.Generators.Tests.Verify;

namespace ShapeSafe.Generators.Tests;

// The attention layers given masks as Forward inputs: their plans, kernels and guards, an encoder of more tensors
// taking gradients than a ulong has bits, and the masks that stay graph breaks.
public partial class CompiledGraphTests
{
    [Fact]
    public void A_self_attentions_masks_are_inputs_the_guard_checks_as_masks_and_the_plan_checks_as_the_layer_does()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Masked : Module
            {
                readonly MultiheadAttention _attention = new(16, 2);
                public Tensor Forward(Tensor x, Tensor mask, Tensor padding) =>
                    _attention.Forward(x, x, x, keyPaddingMask: padding, needWeights: false, attnMask: mask).Output;
            }
            """);
        var lines = Lines(files["Demo.Masked.g.cs"]);
        // Each mask may be Bool or Float32: its dtype is part of the plan's key, as its shape is.
        Assert.Contains("if (PlanFor<Plan>(GuardInput(x), GuardMask(mask), GuardMask(padding)) is not { } plan) return Module.Forward(x, mask, padding);", lines);
        Assert.Contains("AttentionPlan = global::ShapeSafe.CompiledGraphs.GraphOps.PlanMaskedSelfAttention(XShape, graph._attention, attnMask: MaskShape, keyPaddingMask: PaddingShape);", lines);
        Assert.Equal(new[]
        {
            "MaskedSelfAttention(plan.AttentionPlan, _attention, xData, attnMask: maskData, keyPaddingMask: paddingData, output, b.AttentionState);",
            "SelfAttentionBackward(plan.AttentionPlan, _attention, b.AttentionState, g, xData, gradX, accumulate: false,",
        }, Kernels(lines));
        // The masks take no gradient: the guard runs a mask that requires one eagerly.
        Assert.Contains("return new global::ShapeSafe.Tensor?[] { gradX, gradMask, gradPadding, gradAttentionInProjWeight, gradAttentionInProjBias, gradAttentionOutProjWeight, gradAttentionOutProjBias };", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void An_encoders_layers_each_read_the_masks_and_an_absent_one_is_null()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Stack : Module
            {
                readonly TransformerEncoder _encoder = new(new TransformerEncoderLayer(32, 2, 64), numLayers: 2);
                readonly TransformerEncoderLayer _last = new(32, 2, 64);
                public Tensor Forward(Tensor x, Tensor padding) => _last.Forward(_encoder.Forward(x, srcKeyPaddingMask: padding), srcKeyPaddingMask: padding);
            }
            """);
        var lines = Lines(files["Demo.Stack.g.cs"]);
        Assert.Equal(new[]
        {
            "MaskedTransformerEncoderLayer(plan.EncoderLayers0Plan, _encoder_layers_0, xData, srcMask: null, srcKeyPaddingMask: paddingData, b.EncoderLayers0, b.EncoderLayers0State);",
            "MaskedTransformerEncoderLayer(plan.EncoderLayers1Plan, _encoder_layers_1, b.EncoderLayers0, srcMask: null, srcKeyPaddingMask: paddingData, b.EncoderLayers1, b.EncoderLayers1State);",
            "MaskedTransformerEncoderLayer(plan.LastPlan, _last, b.EncoderLayers1, srcMask: null, srcKeyPaddingMask: paddingData, output, b.LastState);",
        }, Kernels(lines).Take(3));
        Assert.Contains("EncoderLayers1Plan = global::ShapeSafe.CompiledGraphs.GraphOps.PlanMaskedTransformerEncoderLayer(EncoderLayers0Shape, graph._encoder_layers_1, srcMask: null, srcKeyPaddingMask: PaddingShape);", lines);
        Assert.Contains("if (PlanFor<Plan>(GuardInput(x), GuardMask(padding)) is not { } plan) return Module.Forward(x, padding);", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void An_encoder_of_more_tensors_taking_gradients_than_a_ulong_has_bits_keeps_a_bool_for_each()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Deep : Module
            {
                readonly TransformerEncoder _encoder = new(new TransformerEncoderLayer(16, 2, 32), 12, new LayerNorm(16));
                public Tensor Forward(Tensor x) => _encoder.Forward(x);
            }
            """);
        var lines = Lines(files["Demo.Deep.g.cs"]);
        Assert.Contains("var needs = new bool[]", lines);
        Assert.Contains("x.RequiresGrad, // 0", lines);
        Assert.Contains("_encoder_layers_11.Norm2.Bias?.RequiresGrad == true, // 144", lines);
        Assert.Contains("_encoder_norm.Bias?.RequiresGrad == true, // 146", lines);
        Assert.Contains("bool record = global::System.Array.IndexOf(needs, true) >= 0 && global::ShapeSafe.Autograd.IsGradEnabled;", lines);
        Assert.Contains("public bool[] Needs = global::System.Array.Empty<bool>();", lines);
        Assert.Contains("var needs = b.Needs;", lines);
        Assert.Contains("gradX = needs[0] ? global::ShapeSafe.CompiledGraphs.GraphOps.NewGradient(plan.XShape) : null;", lines);
        Assert.DoesNotContain(lines, l => l.Contains("UL", StringComparison.Ordinal) && l.Contains("needs", StringComparison.Ordinal));
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public Task SS2009_for_an_encoder_mask_without_the_causal_hint() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly TransformerEncoder _encoder = new(new TransformerEncoderLayer(16, 2, 32), 2);
            public Tensor Forward(Tensor x, Tensor mask) => {|#0:_encoder.Forward(x, mask)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 7: an attention mask without an isCausal hint passed to TransformerEncoder.Forward (the encoder detects a causal mask from the mask's values; pass isCausal: true or false)"));

    [Fact]
    public Task SS2009_for_a_key_padding_mask_that_is_not_an_input() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly TransformerEncoderLayer _layer = new(16, 2, 32);
            public Tensor Forward(Tensor x, Tensor padding) => {|#0:_layer.Forward(x, srcKeyPaddingMask: padding * 2)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 7: a key padding mask that is not one of Forward's inputs passed to TransformerEncoderLayer.Forward (the graph's guard checks a mask's dtype and shape as an input's)"));

    [Fact]
    public Task SS2009_for_a_mask_read_by_another_op_too() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly TransformerEncoderLayer _layer = new(16, 2, 32);
            public Tensor Forward(Tensor x, Tensor mask) => {|#0:_layer.Forward(x, mask)|} + mask;
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 7: mask is an attention mask and is read by _layer.Forward(x, mask) + mask too (a mask may be Bool, so it is read by the attention layers' masks only)"));
}
