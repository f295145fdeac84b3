namespace ShapeSafe.Generators.Tests;

/// <summary>
/// What recomputation (<c>CompileOptions.Recompute</c>) adds to a compiled graph: the recomputing steps in the
/// backward and where they run, the buffer set's second layout, the memory report's table, and what is never
/// recomputed. (That recomputed results equal saved ones is tested in the engine's tests.)
/// </summary>
public class RecomputationTests
{
    const string Ops = "global::ShapeSafe.CompiledGraphs.GraphOps.";

    static string[] Lines(string text) => text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

    static string[] Kernels(string[] lines) =>
        lines.Where(l => l.StartsWith(Ops, StringComparison.Ordinal)).Select(l => l.Substring(Ops.Length)).ToArray();

    static string[] Generate(string forward, string members)
    {
        var (files, output) = GeneratorHarness.Run($$"""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Net : Module
            {
                {{members}}
                public Tensor Forward(Tensor x) => {{forward}};
            }
            """);
        Assert.Empty(GeneratorHarness.Problems(output));
        return Lines(files["Demo.Net.g.cs"]);
    }

    const string TwoLayers = """
        readonly Linear _fc1 = new(4, 8);
        readonly Linear _fc2 = new(8, 2);
        """;

    [Fact]
    public void A_gelus_output_is_recomputed_from_the_linear_output_its_backward_saves_anyway()
    {
        var lines = Generate("_fc2.Forward(F.Gelu(_fc1.Forward(x)))", TwoLayers);
        Assert.Equal(new[]
        {
            "Linear(xData, _fc1.Weight, _fc1.Bias, global::ShapeSafe.CompiledGraphs.FusedActivation.None, b.Fc1);",
            "Gelu(b.Fc1, b.Gelu);",
            "Linear(b.Gelu, _fc2.Weight, _fc2.Bias, global::ShapeSafe.CompiledGraphs.FusedActivation.None, output);",
            // Before fc2's backward, the first to read it, the GELU runs again on the saved Fc1.
            "Gelu(b.Fc1, b.GeluRecomputed);",
            "LinearBackward(g, b.GeluRecomputed, _fc2.Weight, b.GeluGrad, gradFc2Weight, gradFc2Bias);",
            "GeluBackward(b.GeluGrad, b.Fc1, b.Fc1Grad);",
            "LinearBackward(b.Fc1Grad, xData, _fc1.Weight, gradX, gradFc1Weight, gradFc1Bias);",
        }, Kernels(lines));
        // Only when the graph recomputes; else GeluRecomputed is Gelu itself, kept since the forward.
        int at = Array.IndexOf(lines, Ops + "Gelu(b.Fc1, b.GeluRecomputed);");
        Assert.Equal("// Recomputed for the backward rather than kept since the forward (CompileOptions.Recompute):", lines[at - 4]);
        Assert.Equal("if (plan.Recomputes)", lines[at - 3]);
        Assert.Equal("Recomputes = graph.Recomputes;", lines.Single(l => l.StartsWith("Recomputes =", StringComparison.Ordinal)));
        Assert.Contains("GeluRecomputed = Gelu;", lines);
        // The two layouts: saving, Gelu lives from step 1 to fc2's backward (step 3); recomputing, it ends with the
        // forward and GeluRecomputed lives at step 3 alone.
        Assert.Contains("/// <summary>Slot 1, steps 1-3 (recomputing: slot 1, steps 1-2): the value of Model0.cs(9): F.Gelu(_fc1.Forward(x)).</summary>", lines);
        Assert.Contains("/// <summary>Gelu as the backward reads it: recomputed there into slot 2, steps 3-3, when the graph recomputes; else Gelu itself.</summary>", lines);
        Assert.Contains("new(GeluShape, 1, 3, 1), // Gelu", lines);
        Assert.Contains("new(GeluShape, 1, 2, 1), // Gelu", lines);
        Assert.Contains("new(GeluShape, 3, 3, 2), // GeluRecomputed", lines);
        Assert.Contains("protected override int ForwardSteps => 3;", lines);
        Assert.Contains("public global::ShapeSafe.NN.CompiledMemoryReport MemoryReport(int[] xShape) =>", lines);
    }

    [Fact]
    public void A_chain_of_any_length_is_recomputed_from_the_one_value_it_starts_from()
    {
        // Six GELUs in a row, each read by the next one's backward: the cut keeps Fc1 alone, which the first GELU's
        // backward reads anyway, and recomputes all six from it (x has no [Shape], so a row is N: 8 floats, 32 bytes).
        var lines = Generate("_fc2.Forward(F.Gelu(F.Gelu(F.Gelu(F.Gelu(F.Gelu(F.Gelu(_fc1.Forward(x))))))))", TwoLayers);
        Assert.Contains("/// <summary>Whether the backward recomputes Gelu, Gelu2, Gelu3, Gelu4, Gelu5, Gelu6 (CompileOptions.Recompute), which lays the buffers out differently.</summary>", lines);
        Assert.Contains("/// <remarks>The minimum cut of the graph: saving, the backward keeps Fc1, Gelu, Gelu2, Gelu3, Gelu4, Gelu5, Gelu6 (224*N bytes); recomputing, Fc1 (32*N bytes).</remarks>", lines);
        // The whole chain is recomputed in forward order before fc2's backward, the first step that reads its end.
        var kernels = Kernels(lines).ToList();
        int first = kernels.IndexOf("Gelu(b.Fc1, b.GeluRecomputed);");
        Assert.Equal(new[]
        {
            "Gelu(b.Fc1, b.GeluRecomputed);",
            "Gelu(b.GeluRecomputed, b.Gelu2Recomputed);",
            "Gelu(b.Gelu2Recomputed, b.Gelu3Recomputed);",
            "Gelu(b.Gelu3Recomputed, b.Gelu4Recomputed);",
            "Gelu(b.Gelu4Recomputed, b.Gelu5Recomputed);",
            "Gelu(b.Gelu5Recomputed, b.Gelu6Recomputed);",
            "LinearBackward(g, b.Gelu6Recomputed, _fc2.Weight, b.Gelu6Grad, gradFc2Weight, gradFc2Bias);",
            "GeluBackward(b.Gelu6Grad, b.Gelu5Recomputed, b.Gelu5Grad);",
        }, kernels.Skip(first).Take(8));
    }

    [Fact]
    public void A_link_of_a_chain_the_backward_does_not_read_is_recomputed_on_the_way()
    {
        // x·0.5 is read by no backward, but the sum after it is (fc2 saves its input): both run again from Fc1's GELU.
        var lines = Generate("_fc2.Forward(F.Gelu(_fc1.Forward(x)) * 0.5 + 1)", TwoLayers);
        var kernels = Kernels(lines).ToList();
        int first = kernels.IndexOf("Gelu(b.Fc1, b.GeluRecomputed);");
        Assert.Equal(new[]
        {
            "Gelu(b.Fc1, b.GeluRecomputed);",
            "MulScalar(b.GeluRecomputed, 0.5f, b.MulScalarRecomputed);",
            "AddScalar(b.MulScalarRecomputed, 1f, b.AddScalarRecomputed);",
            "LinearBackward(g, b.AddScalarRecomputed, _fc2.Weight, b.AddScalarGrad, gradFc2Weight, gradFc2Bias);",
        }, kernels.Skip(first).Take(4));
    }

    [Fact]
    public void A_dropout_is_recomputed_with_the_mask_it_drew_and_never_draws_again()
    {
        // Its input, the GELU, is read by no backward (the dropout's reads its mask), so it is recomputed on the way.
        var lines = Generate("_fc2.Forward(_drop.Forward(F.Gelu(_fc1.Forward(x))))", TwoLayers + "\nreadonly Dropout _drop = new(0.5);");
        var kernels = Kernels(lines).ToList();
        Assert.Single(lines, l => l == "b.DropMasked = " + Ops + "Dropout(_drop, b.Gelu, b.Drop, b.DropMask);");
        int first = kernels.IndexOf("Gelu(b.Fc1, b.GeluRecomputed);");
        Assert.Equal(new[]
        {
            "Gelu(b.Fc1, b.GeluRecomputed);",
            "DropoutWithMask(b.DropMasked, b.GeluRecomputed, b.DropMask, b.DropRecomputed);",
            "LinearBackward(g, b.DropRecomputed, _fc2.Weight, b.DropGrad, gradFc2Weight, gradFc2Bias);",
            "DropoutBackward(b.DropMasked, b.DropGrad, b.DropMask, b.GeluGrad);",
        }, kernels.Skip(first).Take(4));
    }

    [Fact]
    public void Products_convolutions_softmaxes_viewed_values_and_values_of_unsaved_operands_are_never_recomputed()
    {
        string[][] graphs =
        {
            // The fused ReLU is the linear layer's epilogue.
            Generate("_fc2.Forward(F.Relu(_fc1.Forward(x)))", TwoLayers),
            // A sigmoid's input is not saved (its backward reads its output), so its output is.
            Generate("_fc2.Forward(_fc1.Forward(x).Sigmoid())", TwoLayers),
            Generate("_fc2.Forward(F.Softmax(_fc1.Forward(x), 1))", TwoLayers),
            // A convolution is not recomputed, nor a value a view shares the storage of.
            Generate("_fc.Forward(F.Gelu(_conv.Forward(x)).Flatten(1, -1))", "readonly Conv2d _conv = new(1, 2, 3);\nreadonly Linear _fc = new(8, 2);"),
        };
        foreach (var lines in graphs)
        {
            Assert.DoesNotContain(lines, l => l.Contains("Recomputed", StringComparison.Ordinal) || l.Contains("Recomputes", StringComparison.Ordinal));
            // One layout, and the memory report's table of it.
            Assert.Single(lines, l => l == "return new global::ShapeSafe.CompiledGraphs.BufferLifetime[]");
        }
    }
}
