using Microsoft.CodeAnalysis;
using static ShapeSafe.Generators.Tests.Verify;

namespace ShapeSafe.Generators.Tests;

// Cross-attention: a MultiheadAttention whose key or value is not its query is one composite step reading all three,
// with its masks, and its backward writes each input's gradient once per distinct value and every projection's.
public partial class CompiledGraphTests
{
    [Fact]
    public void A_cross_attention_reads_its_query_key_and_value_and_a_key_that_is_the_value_gets_one_gradient()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Decoder : Module
            {
                readonly MultiheadAttention _attention = new(16, 2);
                public Tensor Forward([Shape("L, N, 16")] Tensor x, [Shape("S, N, 16")] Tensor memory) =>
                    x + _attention.Forward(x, memory, memory, needWeights: false).Output;
            }
            """);
        var lines = Lines(files["Demo.Decoder.g.cs"]);
        Assert.Contains("AttentionPlan = global::ShapeSafe.CompiledGraphs.GraphOps.PlanCrossAttention(XShape, MemoryShape, MemoryShape, graph._attention);", lines);
        Assert.Contains("AttentionState = new global::ShapeSafe.CompiledGraphs.CrossAttentionState(plan.AttentionPlan);", lines);
        Assert.Equal(new[]
        {
            "CrossAttention(plan.AttentionPlan, _attention, xData, memoryData, memoryData, attnMask: null, keyPaddingMask: null, b.Attention, b.AttentionState);",
            "Add(xData, b.Attention, output);",
            "SumToShape(g, gradX!);",
            "SumToShape(g, b.AttentionGrad);",
            // x's gradient is added to the residual's, which reached it first; memory's is made once, for both its reads.
            "CrossAttentionBackward(plan.AttentionPlan, _attention, b.AttentionState, b.AttentionGrad, xData, memoryData, memoryData,",
        }, Kernels(lines));
        Assert.Contains("gradMemory = (needs & 0x2UL) != 0 ? global::ShapeSafe.CompiledGraphs.GraphOps.NewGradient(plan.MemoryShape) : null;", lines);
        Assert.Single(lines, l => l.StartsWith("gradMemory = ", StringComparison.Ordinal));
        Assert.Contains("gradX, accumulateQuery: true, gradMemory, accumulateKey: false, gradMemory, accumulateValue: false,", lines);
        // Both forms of the layer's projections are the node's inputs; the form the layer does not have is null.
        Assert.Contains("gradAttentionInProjWeight, gradAttentionQProjWeight, gradAttentionKProjWeight, gradAttentionVProjWeight, gradAttentionInProjBias,", lines);
        Assert.Contains("gradAttentionOutProjWeight, gradAttentionOutProjBias);", lines);
        Assert.Contains("| (_attention.QProjWeight?.RequiresGrad == true ? 0x8UL : 0UL)", lines);
        // The key's sequence dim is its own symbol: the buffers' comments keep the query's L and the memory's S apart.
        Assert.Contains("// memory: [S, N, 16]", lines);
        Assert.Contains("// Attention: [L, N, 16]", lines);
        Assert.Contains(lines, l => l.StartsWith("// ", StringComparison.Ordinal) && l.Contains("gradMemory: [S, N, 16]", StringComparison.Ordinal));
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void A_cross_attention_of_three_values_with_masks_plans_their_shapes_and_reads_them_per_call()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Attend : Module
            {
                readonly Linear _keys = new(8, 16);
                readonly MultiheadAttention _attention = new(16, 2, batchFirst: true, kdim: 16, vdim: 12);
                public Tensor Forward(Tensor q, Tensor k, Tensor v, Tensor padding) =>
                    _attention.Forward(q, _keys.Forward(k), v, keyPaddingMask: padding, needWeights: false).Output;
            }
            """);
        var lines = Lines(files["Demo.Attend.g.cs"]);
        Assert.Contains("if (PlanFor<Plan>(GuardInput(q), GuardInput(k), GuardInput(v), GuardMask(padding)) is not { } plan) return Module.Forward(q, k, v, padding);", lines);
        Assert.Contains("AttentionPlan = global::ShapeSafe.CompiledGraphs.GraphOps.PlanCrossAttention(QShape, KeysShape, VShape, graph._attention, attnMask: null, keyPaddingMask: PaddingShape);", lines);
        Assert.Equal(new[]
        {
            "CrossAttention(plan.AttentionPlan, _attention, qData, b.Keys, vData, attnMask: null, keyPaddingMask: paddingData, output, b.AttentionState);",
            "CrossAttentionBackward(plan.AttentionPlan, _attention, b.AttentionState, g, qData, b.Keys, vData,",
        }, Kernels(lines).Skip(1).Take(2));
        Assert.Contains("gradQ, accumulateQuery: false, b.KeysGrad, accumulateKey: false, gradV, accumulateValue: false,", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void A_causal_cross_attentions_mask_is_only_planned()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Causal : Module
            {
                readonly MultiheadAttention _attention = new(16, 2);
                public Tensor Forward(Tensor x, Tensor memory, Tensor mask) =>
                    _attention.Forward(x, memory, memory, needWeights: false, attnMask: mask, isCausal: true).Output;
            }
            """);
        var lines = Lines(files["Demo.Causal.g.cs"]);
        Assert.Contains("AttentionPlan = global::ShapeSafe.CompiledGraphs.GraphOps.PlanCrossAttention(XShape, MemoryShape, MemoryShape, graph._attention, causalMask: MaskShape);", lines);
        Assert.Contains("CrossAttention(plan.AttentionPlan, _attention, xData, memoryData, memoryData, attnMask: null, keyPaddingMask: null, output, b.AttentionState);", Kernels(lines));
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void The_same_layer_as_self_and_cross_attention_takes_each_parameter_once()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Twice : Module
            {
                readonly MultiheadAttention _attention = new(16, 2);
                public Tensor Forward(Tensor x, Tensor memory)
                {
                    var y = _attention.Forward(x, x, x, needWeights: false).Output;
                    return _attention.Forward(y, memory, memory, needWeights: false).Output;
                }
            }
            """);
        var lines = Lines(files["Demo.Twice.g.cs"]);
        Assert.Single(lines, l => l.StartsWith("gradAttentionInProjWeight = ", StringComparison.Ordinal));
        Assert.Single(lines, l => l.StartsWith("gradAttentionQProjWeight = ", StringComparison.Ordinal));
        Assert.Contains("var gradAttentionInProjWeightPartial = (needs & 0x4UL) != 0 ? global::ShapeSafe.CompiledGraphs.GraphOps.NewGradient(_attention.InProjWeight!) : null;", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public Task SS2009_for_a_mask_read_as_a_cross_attentions_key() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly MultiheadAttention _attention = new(16, 2);
            public Tensor Forward(Tensor x, Tensor mask) => {|#0:_attention.Forward(x, mask, mask, needWeights: false, attnMask: mask)|}.Output;
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 7: mask is an attention mask and is read by _attention.Forward(x, mask, mask, needWeights: false, attnMask: mask) too (a mask may be Bool, so it is read by the attention layers' masks only)"));

    [Fact]
    public void Deconstructed_weights_are_a_node_of_their_own_whose_gradient_the_attention_step_keeps()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Weighted : Module
            {
                readonly MultiheadAttention _attention = new(16, 2, batchFirst: true);
                public Tensor Forward([Shape("N, L, 16")] Tensor x, [Shape("N, S, 16")] Tensor memory)
                {
                    var (y, w) = _attention.Forward(x, memory, memory);
                    return y.Unsqueeze(2) * w!.Unsqueeze(-1);
                }
            }
            """);
        var lines = Lines(files["Demo.Weighted.g.cs"]);
        Assert.Contains("AttentionPlan = global::ShapeSafe.CompiledGraphs.GraphOps.PlanCrossAttention(XShape, MemoryShape, MemoryShape, graph._attention, needWeights: true, averageAttnWeights: true);", lines);
        Assert.Contains("AttentionWeightsShape = AttentionPlan.WeightsSizes;", lines);
        var kernels = Kernels(lines);
        Assert.Equal("CrossAttention(plan.AttentionPlan, _attention, xData, memoryData, memoryData, attnMask: null, keyPaddingMask: null, b.Attention, b.AttentionState);", kernels[0]);
        Assert.Equal("AttentionWeights(plan.AttentionPlan, b.AttentionState, b.AttentionWeights);", kernels[1]);
        // In reverse order the weights' gradient is kept first, then the attention's backward reads it.
        int weights = Array.FindIndex(kernels, k => k.StartsWith("AttentionWeightsBackward(plan.AttentionPlan, b.AttentionState, b.AttentionWeightsGrad);", StringComparison.Ordinal));
        int attention = Array.FindIndex(kernels, k => k.StartsWith("CrossAttentionBackward(", StringComparison.Ordinal));
        Assert.True(weights >= 0 && weights < attention);
        // The output's gradient is the product's alone: the weights add none to it.
        Assert.Contains("gradX, accumulateQuery: false, gradMemory, accumulateKey: false, gradMemory, accumulateValue: false,", lines);
        Assert.Contains("// AttentionWeights: [N, L, S]", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void The_default_needWeights_compiles_on_the_weights_path_and_ignores_the_causal_hint()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Default : Module
            {
                readonly MultiheadAttention _attention = new(16, 2);
                public Tensor Forward(Tensor x, Tensor mask) => _attention.Forward(x, x, x, attnMask: mask, averageAttnWeights: false, isCausal: true).Output;
            }
            """);
        var lines = Lines(files["Demo.Default.g.cs"]);
        // With the weights, PyTorch applies the mask as given: it is read per call.
        Assert.Contains("AttentionPlan = global::ShapeSafe.CompiledGraphs.GraphOps.PlanCrossAttention(XShape, XShape, XShape, graph._attention, attnMask: MaskShape, keyPaddingMask: null, needWeights: true, averageAttnWeights: false);", lines);
        Assert.Contains("CrossAttention(plan.AttentionPlan, _attention, xData, xData, xData, attnMask: maskData, keyPaddingMask: null, output, b.AttentionState);", Kernels(lines));
        Assert.DoesNotContain(Kernels(lines), k => k.StartsWith("AttentionWeights(", StringComparison.Ordinal));
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public Task SS2009_for_weights_whose_attention_output_is_not_used() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly MultiheadAttention _attention = new(16, 2);
            public Tensor Forward(Tensor x)
            {
                var (_, w) = {|#0:_attention.Forward(x, x, x)|};
                return w! * 2f;
            }
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 9: the weights of a MultiheadAttention whose output is not used (eager autograd never reaches the output projection then; use the output too)"));

    [Fact]
    public Task SS2009_for_weights_read_as_a_member() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly MultiheadAttention _attention = new(16, 2);
            public Tensor Forward(Tensor x) => {|#0:_attention.Forward(x, x, x).Weights|}!;
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 7: MultiheadAttention's Weights read without its Output (eager autograd never reaches the output projection then; read both with var (output, weights) = _attn.Forward(...) and use the output)"));

    [Fact]
    public Task SS2013_for_the_weights_of_a_call_without_them() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly MultiheadAttention _attention = new(16, 2);
            public Tensor Forward(Tensor x)
            {
                var (y, w) = {|#0:_attention.Forward(x, x, x, needWeights: false)|};
                return y + w!;
            }
        }
        """,
        Diagnostic("SS2013", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "1 graph", "line 9: the weights of a MultiheadAttention call with needWeights: false (they are null); the graph is split there, and line 9 runs eagerly"));
}
