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
}
