namespace ShapeSafe.Generators.Tests;

/// <summary>
/// The minimum cut that chooses what the backward recomputes (<c>CompileOptions.Recompute</c>): cuts that save less
/// than keeping every read value or recomputing only from read ones would, the byte costs from the symbolic shapes
/// (per unit of a named dim first), the tie-break, and the ops the cut may never recompute.
/// </summary>
public class RecomputationCutTests
{
    const string Ops = "global::ShapeSafe.CompiledGraphs.GraphOps.";

    static string[] Lines(string text) => text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

    static string[] Kernels(string[] lines) =>
        lines.Where(l => l.StartsWith(Ops, StringComparison.Ordinal)).Select(l => l.Substring(Ops.Length)).ToArray();

    static string[] Generate(string parameters, string body, string members)
    {
        var (files, output) = GeneratorHarness.Run($$"""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Net : Module
            {
                {{members}}
                public Tensor Forward({{parameters}})
                {
                    {{body}}
                }
            }
            """);
        Assert.Empty(GeneratorHarness.Problems(output));
        return Lines(files["Demo.Net.g.cs"]);
    }

    static string Recomputes(string[] lines) =>
        lines.Single(l => l.StartsWith("/// <summary>Whether the backward recomputes ", StringComparison.Ordinal))
            .Substring("/// <summary>Whether the backward recomputes ".Length).Split(" (CompileOptions")[0];

    static string Cut(string[] lines) =>
        lines.Single(l => l.StartsWith("/// <remarks>The minimum cut", StringComparison.Ordinal));

    [Fact]
    public void Saving_one_narrow_value_lets_the_wide_values_made_from_it_be_recomputed()
    {
        // gate(x) is [B, 1], read by no backward; the broadcast sum and the two GELUs after it are [B, 8]. Keeping
        // what the backward reads saves the sum and both GELUs (96 bytes a row); recomputing only from values it
        // reads anyway would still keep the sum (32). The cut keeps the gate's column, 4 bytes a row, and makes all
        // three again from it and the argument.
        var lines = Generate("[Shape(\"B, 8\")] Tensor x", "return _fc.Forward(F.Gelu(F.Gelu(_gate.Forward(x) + x)));",
            "readonly Linear _gate = new(8, 1);\nreadonly Linear _fc = new(8, 2);");
        Assert.Equal("Add, Gelu, Gelu2", Recomputes(lines));
        Assert.Equal("/// <remarks>The minimum cut of the graph: saving, the backward keeps Add, Gelu, Gelu2 (96*B bytes); recomputing, Gate (4*B bytes).</remarks>", Cut(lines));
        var kernels = Kernels(lines).ToList();
        int first = kernels.FindIndex(k => k.StartsWith("Add(", StringComparison.Ordinal) && k.Contains("b.AddRecomputed", StringComparison.Ordinal));
        Assert.True(first > 0, "the sum is recomputed");
        Assert.Contains("b.Gate", kernels[first], StringComparison.Ordinal);
        Assert.Equal("Gelu(b.AddRecomputed, b.GeluRecomputed);", kernels[first + 1]);
        Assert.Equal("Gelu(b.GeluRecomputed, b.Gelu2Recomputed);", kernels[first + 2]);
        Assert.StartsWith("LinearBackward(g, b.Gelu2Recomputed, _fc.Weight, ", kernels[first + 3], StringComparison.Ordinal);
        // In the recomputing layout the gate's buffer lives into the backward, until the sum is made again before
        // fc's backward (five forward steps, so fc's backward is step 5); saving, it ends with the sum's forward.
        Assert.Contains(lines, l => l.StartsWith("new(GateShape, 0, 5, ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("new(GateShape, 0, 1, ", StringComparison.Ordinal));
    }

    [Fact]
    public void One_value_with_two_uses_is_saved_instead_of_the_two_values_made_from_it()
    {
        // m = fc1(x) is read by no backward; m·2 and m - 3 are both read by the product's. The cut keeps m and makes
        // both (and the product fc2 reads) again: 64 bytes a row where keeping the two operands costs 128.
        var lines = Generate("[Shape(\"B, 8\")] Tensor x", "var m = _fc1.Forward(x);\nreturn _fc2.Forward((m * 2) * (m - 3));",
            "readonly Linear _fc1 = new(8, 16);\nreadonly Linear _fc2 = new(16, 2);");
        Assert.Equal("MulScalar, SubScalar, Mul", Recomputes(lines));
        Assert.Equal("/// <remarks>The minimum cut of the graph: saving, the backward keeps MulScalar, SubScalar, Mul (192*B bytes); recomputing, Fc1 (64*B bytes).</remarks>", Cut(lines));
        var kernels = Kernels(lines).ToList();
        int first = kernels.IndexOf("MulScalar(b.Fc1, 2f, b.MulScalarRecomputed);");
        Assert.True(first > 0, "m·2 is recomputed from Fc1");
        Assert.Equal("SubScalar(b.Fc1, 3f, b.SubScalarRecomputed);", kernels[first + 1]);
        Assert.StartsWith("Mul(", kernels[first + 2], StringComparison.Ordinal);
        Assert.Contains("b.MulScalarRecomputed, b.SubScalarRecomputed", kernels[first + 2], StringComparison.Ordinal);
    }

    [Fact]
    public void A_cost_per_unit_of_a_named_dim_outweighs_any_constant()
    {
        // z = gate(x) + u, [B, 4096], where u = fc(y)·2 is [4096] whatever B is. Keeping the gate's column and u
        // costs 4·B + 16384 bytes; keeping z costs 16384·B. At B = 1 keeping z would be 4 bytes less, but per unit
        // of B the column is 4 bytes against 16384, so the cut keeps the column and u (or fc(y): the same bytes, and
        // of the least cuts the one nearest the backward, u, is taken).
        var lines = Generate("[Shape(\"B, 8\")] Tensor x, [Shape(\"16\")] Tensor y", "return _head.Forward(_gate.Forward(x) + _fc.Forward(y) * 2);",
            "readonly Linear _gate = new(8, 1);\nreadonly Linear _fc = new(16, 4096);\nreadonly Linear _head = new(4096, 2);");
        Assert.Equal("Add", Recomputes(lines));
        Assert.Equal("/// <remarks>The minimum cut of the graph: saving, the backward keeps Add (16384*B bytes); recomputing, Gate, MulScalar (4*B + 16384 bytes).</remarks>", Cut(lines));
    }

    [Fact]
    public void Of_two_cuts_of_the_same_bytes_the_one_nearest_the_backward_is_taken_so_nothing_is_recomputed_for_nothing()
    {
        // fc2's backward reads fc1(x)·2; keeping fc1(x) instead costs the same bytes, so the product is kept and
        // nothing recomputed: the graph has one layout.
        var lines = Generate("[Shape(\"B, 8\")] Tensor x", "return _fc2.Forward(_fc1.Forward(x) * 2);",
            "readonly Linear _fc1 = new(8, 16);\nreadonly Linear _fc2 = new(16, 2);");
        Assert.DoesNotContain(lines, l => l.Contains("Recomputed", StringComparison.Ordinal) || l.Contains("Recomputes", StringComparison.Ordinal));
    }

    [Fact]
    public void Products_convolutions_pools_norms_softmaxes_embeddings_and_attention_are_never_recomputed()
    {
        // Each of these values is read by the GELU's backward and made from the argument alone, so recomputing it
        // would save its bytes for free: the cut may not, and recomputes the GELU from it instead.
        (string Body, string Members, string Banned)[] graphs =
        {
            ("return _fc2.Forward(F.Gelu(_fc1.Forward(x)));", "readonly Linear _fc1 = new(4, 8);\nreadonly Linear _fc2 = new(8, 2);", "Fc1"),
            ("return _conv2.Forward(F.Gelu(_conv1.Forward(x)));", "readonly Conv2d _conv1 = new(1, 2, 3);\nreadonly Conv2d _conv2 = new(2, 2, 3);", "Conv1"),
            ("return _conv.Forward(F.Gelu(_pool.Forward(x)));", "readonly MaxPool2d _pool = new(2);\nreadonly Conv2d _conv = new(1, 2, 3);", "Pool"),
            ("return _fc.Forward(F.Gelu(_norm.Forward(x)));", "readonly LayerNorm _norm = new(4);\nreadonly Linear _fc = new(4, 2);", "Norm"),
            ("return _fc.Forward(F.Gelu(_bn.Forward(x)));", "readonly BatchNorm1d _bn = new(4);\nreadonly Linear _fc = new(4, 2);", "Bn"),
            ("return _fc.Forward(F.Gelu(F.Softmax(x, 1)));", "readonly Linear _fc = new(4, 2);", "Softmax"),
            ("return _fc.Forward(F.Gelu(F.LogSoftmax(x, 1)));", "readonly Linear _fc = new(4, 2);", "LogSoftmax"),
            ("return _fc.Forward(F.Gelu(_emb.Forward(x)));", "readonly Embedding _emb = new(10, 4);\nreadonly Linear _fc = new(4, 2);", "Emb"),
            ("return _fc.Forward(F.Gelu(_layer.Forward(x)));", "readonly TransformerEncoderLayer _layer = new(8, 2);\nreadonly Linear _fc = new(8, 2);", "Layer"),
        };
        foreach (var (body, members, banned) in graphs)
        {
            var lines = Generate("Tensor x", body, members);
            Assert.Equal("Gelu", Recomputes(lines));
            Assert.Contains("; recomputing, " + banned + " (", Cut(lines), StringComparison.Ordinal);
            Assert.DoesNotContain(lines, l => l.Contains(banned + "Recomputed", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_dropout_is_recomputed_only_by_multiplying_its_mask_again()
    {
        // The dropout's output is made again from the GELU's and the mask its forward drew; its draw is never run again.
        var lines = Generate("[Shape(\"B, 8\")] Tensor x", "return _fc.Forward(_drop.Forward(F.Gelu(x)));",
            "readonly Dropout _drop = new(0.5);\nreadonly Linear _fc = new(8, 2);");
        Assert.Equal("Gelu, Drop", Recomputes(lines));
        Assert.Single(lines, l => l.Contains(Ops + "Dropout(_drop,", StringComparison.Ordinal));
        Assert.Contains("DropoutWithMask(b.DropMasked, b.GeluRecomputed, b.DropMask, b.DropRecomputed);", Kernels(lines));
    }

    [Fact]
    public void The_base_classs_memory_report_is_each_graphs_own_and_with_variants_the_one_the_mode_picks_named()
    {
        var single = Generate("Tensor x", "return _fc.Forward(x);", "readonly Linear _fc = new(4, 2);");
        Assert.Contains("public override global::ShapeSafe.NN.CompiledMemoryReport MemoryReport(bool training, params int[][] inputShapes) =>", single);
        Assert.Contains("new Plan(this, CheckShapes(inputShapes, 1)).MemoryReport();", single);

        var branching = Generate("Tensor x", "var h = _fc.Forward(x);\nif (Training) h = _drop.Forward(h);\nreturn h;",
            "readonly Linear _fc = new(4, 2);\nreadonly Dropout _drop = new(0.5);");
        int at = Array.IndexOf(branching, "public override global::ShapeSafe.NN.CompiledMemoryReport MemoryReport(bool training, params int[][] inputShapes)");
        Assert.Equal(new[] { "{", "var variant = training ? _trainingVariant : _evalVariant;", "return variant.MemoryReport(training, inputShapes);", "}" },
            branching.Skip(at + 1).Take(4));
        Assert.Contains("new Plan(this, CheckShapes(inputShapes, 1)).MemoryReport() with { Variant = \"Variant0: Training\" };", branching);
        Assert.Contains("new Plan(this, CheckShapes(inputShapes, 1)).MemoryReport() with { Variant = \"Variant1: !Training\" };", branching);
    }
}
