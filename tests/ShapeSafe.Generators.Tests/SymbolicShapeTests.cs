using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Tests;

/// <summary>
/// The symbolic shapes the generator works out at build time for every value and gradient of a compiled graph, with
/// the shape core's rules, and the comments that write them beside the generated steps. (The diagnostics the shapes
/// prove, SS2011 and SS2012, are in <see cref="GraphShapeDiagnosticTests"/>.)
/// </summary>
public class SymbolicShapeTests
{
    /// <summary>The shapes of the graph of <paramref name="typeName"/>'s Forward, as the generator's model holds them.</summary>
    static GraphShapes Shapes(string source, string typeName)
    {
        var compilation = GeneratorHarness.Compile(("Model0.cs", source));
        var type = compilation.GetTypeByMetadataName(typeName)!;
        var model = ModuleGenerator.Parser.Parse(type, ModuleTypes.TryCreate(compilation)!, report: null, CancellationToken.None, compilation)!;
        return model.Forward!.Shapes!;
    }

    static string[] Parameters(GraphShapes shapes) => shapes.Parameters.Select(p => p.Path + " " + p.Shape + " <- " + p.Gradient).ToArray();

    static string[] Lines(string text) => text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

    const string Mlp = """
        using ShapeSafe;
        using ShapeSafe.NN;
        namespace Demo;
        [Module]
        public partial class Mlp : Module
        {
            readonly Linear _fc1 = new(784, 128);
            readonly Linear _fc2 = new(128, 10);
            public Tensor Forward([Shape("B, 784")] Tensor x) => _fc2.Forward(F.Relu(_fc1.Forward(x)));
        }
        """;

    [Fact]
    public void An_mlps_values_and_gradients_follow_from_the_input_annotation_and_the_layers_arguments()
    {
        var shapes = Shapes(Mlp, "Demo.Mlp");
        // x, fc1, relu, fc2.
        Assert.Equal(new[] { "[B, 784]", "[B, 128]", "[B, 128]", "[B, 10]" }, shapes.Values);
        Assert.Equal(new[] { "[B, 784]", "[B, 128]", "[B, 128]", "[B, 10]" }, shapes.Gradients);
        Assert.Equal(new[]
        {
            "fc1.weight [128, 784] <- [128, 784]",
            "fc1.bias [128] <- [128]",
            "fc2.weight [10, 128] <- [10, 128]",
            "fc2.bias [10] <- [10]",
        }, Parameters(shapes));
    }

    [Fact]
    public void Without_an_annotation_the_shapes_are_partial()
    {
        var shapes = Shapes(Mlp.Replace("[Shape(\"B, 784\")] ", ""), "Demo.Mlp");
        Assert.Equal(new[] { "[...]", "[..., 128]", "[..., 128]", "[..., 10]" }, shapes.Values);
        // The weight's gradient is gradᵀ·x: x's last dim is not known at build time (the plan checks it when it runs).
        Assert.Equal(new[]
        {
            "fc1.weight [128, 784] <- [128, ?]",
            "fc1.bias [128] <- [128]",
            "fc2.weight [10, 128] <- [10, 128]",
            "fc2.bias [10] <- [10]",
        }, Parameters(shapes));
    }

    [Fact]
    public void A_cnns_convolutions_pools_and_flatten_are_worked_out_by_the_shape_rules()
    {
        var shapes = Shapes("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Cnn : Module
            {
                readonly Conv2d _conv1 = new(1, 16, 3, padding: 1);
                readonly MaxPool2d _pool = new(2);
                readonly Conv2d _conv2 = new(16, 32, 3, padding: 1);
                readonly Linear _fc = new(32 * 7 * 7, 10);

                public Tensor Forward([Shape("N, 1, 28, 28")] Tensor x)
                {
                    var h = _pool.Forward(F.Relu(_conv1.Forward(x)));
                    h = _pool.Forward(F.Relu(_conv2.Forward(h)));
                    return _fc.Forward(h.Flatten(1, -1));
                }
            }
            """, "Demo.Cnn");
        // x, conv1, relu, pool, conv2, relu, pool, flatten, fc.
        Assert.Equal(new[]
        {
            "[N, 1, 28, 28]", "[N, 16, 28, 28]", "[N, 16, 28, 28]", "[N, 16, 14, 14]",
            "[N, 32, 14, 14]", "[N, 32, 14, 14]", "[N, 32, 7, 7]", "[N, 1568]", "[N, 10]",
        }, shapes.Values);
        Assert.Equal(shapes.Values, shapes.Gradients);
        Assert.Equal(new[]
        {
            "conv1.weight [16, 1, 3, 3] <- [16, 1, 3, 3]",
            "conv1.bias [16] <- [16]",
            "conv2.weight [32, 16, 3, 3] <- [32, 16, 3, 3]",
            "conv2.bias [32] <- [32]",
            "fc.weight [10, 1568] <- [10, 1568]",
            "fc.bias [10] <- [10]",
        }, Parameters(shapes));
    }

    [Fact]
    public void Broadcast_operands_get_the_broadcast_shape_and_their_gradients_their_own()
    {
        var shapes = Shapes("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Gated : Module
            {
                readonly Linear _fc = new(8, 2);
                public Tensor Forward([Shape("B, 1, 8")] Tensor x, [Shape("T, 8")] Tensor y) => _fc.Forward(x * y - y).Transpose(0, 2).Contiguous() / 2;
            }
            """, "Demo.Gated");
        // x, y, x * y, - y, fc, transpose, contiguous, / 2.
        Assert.Equal(new[] { "[B, 1, 8]", "[T, 8]", "[B, T, 8]", "[B, T, 8]", "[B, T, 2]", "[2, T, B]", "[2, T, B]", "[2, T, B]" }, shapes.Values);
        // Each operand's gradient is summed back to its own shape; the transpose's goes back through the transpose.
        Assert.Equal(new[] { "[B, 1, 8]", "[T, 8]", "[B, T, 8]", "[B, T, 8]", "[B, T, 2]", "[2, T, B]", "[2, T, B]", "[2, T, B]" }, shapes.Gradients);
        Assert.Equal(new[] { "fc.weight [2, 8] <- [2, 8]", "fc.bias [2] <- [2]" }, Parameters(shapes));
    }

    [Fact]
    public void A_partial_operand_broadcasts_over_the_dims_both_are_known_to_have()
    {
        var shapes = Shapes("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Scaled : Module
            {
                readonly Linear _fc = new(8, 2);
                public Tensor Forward(Tensor x, [Shape("T, 8")] Tensor y) => _fc.Forward(x * y);
            }
            """, "Demo.Scaled");
        // x, y, x * y, fc: x's leading dims stay unknown, but the product's last dim is y's.
        Assert.Equal(new[] { "[...]", "[T, 8]", "[..., T, 8]", "[..., T, 2]" }, shapes.Values);
        Assert.Equal(new[] { "[...]", "[T, 8]", "[..., T, 8]", "[..., T, 2]" }, shapes.Gradients);
        // So the weight's gradient is proven to be [2, 8] although x has no annotation.
        Assert.Equal(new[] { "fc.weight [2, 8] <- [2, 8]", "fc.bias [2] <- [2]" }, Parameters(shapes));
    }

    [Fact]
    public void Views_reshape_by_the_element_count_and_a_children_arguments_come_from_their_creation()
    {
        var shapes = Shapes("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Block : Module
            {
                readonly Linear _fc;
                public Block(int width, [Dim("H")] int hidden) => _fc = new Linear(width, hidden);
                public Tensor Forward(Tensor x) => _fc.Forward(x);
            }
            [Module]
            public partial class Net : Module
            {
                readonly Block _block = new(64, 32);
                public Tensor Forward([Shape("B, 4, 16")] Tensor x) => _block.Forward(x.View(x.Size(0), -1)).Unsqueeze(1);
            }
            """, "Demo.Net");
        Assert.Equal(new[] { "[B, 4, 16]", "[B, 64]", "[B, 32]", "[B, 1, 32]" }, shapes.Values);
        Assert.Equal(new[] { "[B, 4, 16]", "[B, 64]", "[B, 32]", "[B, 1, 32]" }, shapes.Gradients);
        Assert.Equal(new[] { "block.fc.weight [32, 64] <- [32, 64]", "block.fc.bias [32] <- [32]" }, Parameters(shapes));
    }

    [Fact]
    public void Sizes_past_what_a_dim_holds_leave_the_shapes_unknown_and_the_generator_running()
    {
        var source = """
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Huge : Module
            {
                readonly Linear _fc = new(784, 10);
                public Tensor Forward([Shape("1000000, 1000000, 1000000, 1000000, 784")] Tensor x) => _fc.Forward(x).View(-1);
            }
            """;
        var shapes = Shapes(source, "Demo.Huge");
        // The linear layer's result has more elements than a tensor holds; the view of it is unknown too.
        Assert.Equal(new[] { "[1000000, 1000000, 1000000, 1000000, 784]", "[1000000, 1000000, 1000000, 1000000, 10]", "[...]" }, shapes.Values);
        Assert.Empty(shapes.Parameters);
        var (_, output) = GeneratorHarness.Run(source);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void The_shapes_are_plain_values_so_a_second_run_is_cached()
    {
        var compilation = GeneratorHarness.Compile(("Model0.cs", Mlp));
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);

        var run = driver.RunGenerators(compilation.Clone()).GetRunResult();

        var model = (ModuleModel)run.Results.Single().TrackedSteps[TrackingNames.Modules].Single().Outputs.Single().Value;
        Assert.Equal("[B, 128]", model.Forward!.Shapes!.Values[1]);
        CachingTests.AssertNoWork(run);
    }

    [Fact]
    public void The_generated_code_names_each_values_shape_beside_its_step_and_each_gradients_in_the_backward()
    {
        var (files, output) = GeneratorHarness.Run(Mlp);
        var lines = Lines(files["Demo.Mlp.g.cs"]);
        int Line(string text) => Array.IndexOf(lines, text);
        // The input's shape above the code that reads it.
        Assert.Equal(Line("var xData = global::ShapeSafe.CompiledGraphs.GraphOps.Contiguous(x);") - 1, Line("// x: [B, 784]"));
        // Each forward step: the source lines it came from, then the value it writes and its shape.
        int fc1 = Line("// Fc1: [B, 128]");
        Assert.Equal("// Model0.cs(9): F.Relu(_fc1.Forward(x))", lines[fc1 - 1]);
        Assert.StartsWith("global::ShapeSafe.CompiledGraphs.GraphOps.Linear(xData, _fc1.Weight", lines[fc1 + 1], StringComparison.Ordinal);
        int fc2 = Line("// output: [B, 10]");
        Assert.StartsWith("global::ShapeSafe.CompiledGraphs.GraphOps.Linear(b.Fc1, _fc2.Weight", lines[fc2 + 1], StringComparison.Ordinal);
        // Each backward step: the gradients it writes, named as the code names them.
        int back2 = Line("// Fc1Grad: [B, 128]; gradFc2Weight: [10, 128]; gradFc2Bias: [10]");
        int back1 = Line("// gradX: [B, 784]; gradFc1Weight: [128, 784]; gradFc1Bias: [128]");
        Assert.True(fc2 < back2 && back2 < back1, "the backward's comments come after the forward's, in reverse order");
        Assert.Contains(lines.Skip(back1).Take(6), l => l.StartsWith("global::ShapeSafe.CompiledGraphs.GraphOps.LinearBackward(b.Fc1Grad, xData", StringComparison.Ordinal));
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    const string Branches = """
        using ShapeSafe;
        using ShapeSafe.NN;
        namespace Demo;
        [Module]
        public partial class Net : Module
        {
            readonly Linear _fc1 = new(784, 128);
            readonly Dropout _drop = new(0.5);
            readonly Linear _fc2 = new(128, 10);
            public Tensor Forward([Shape("B, 784")] Tensor x)
            {
                var h = _fc1.Forward(x);
                if (Training) h = _drop.Forward(h);
                else h = h * 0.5;
                return _fc2.Forward(h);
            }
        }
        """;

    [Fact]
    public void Each_variant_of_a_branch_on_training_gets_the_shapes_and_comments_of_its_own_graph()
    {
        var compilation = GeneratorHarness.Compile(("Model0.cs", Branches));
        var type = compilation.GetTypeByMetadataName("Demo.Net")!;
        var forward = ModuleGenerator.Parser.Parse(type, ModuleTypes.TryCreate(compilation)!, report: null, CancellationToken.None, compilation)!.Forward!;
        Assert.Null(forward.Shapes);
        var variants = forward.Variants!.Variants;
        Assert.Equal(2, variants.Count);
        // x, fc1, dropout, fc2 in training; x, fc1, 0.5 times fc1, fc2 in eval.
        Assert.Equal(new[] { "[B, 784]", "[B, 128]", "[B, 128]", "[B, 10]" }, variants[0].Shapes!.Values);
        Assert.Equal(new[] { "[B, 784]", "[B, 128]", "[B, 128]", "[B, 10]" }, variants[1].Shapes!.Values);
        foreach (var variant in variants)
        {
            Assert.Equal(new[]
            {
                "fc1.weight [128, 784] <- [128, 784]",
                "fc1.bias [128] <- [128]",
                "fc2.weight [10, 128] <- [10, 128]",
                "fc2.bias [10] <- [10]",
            }, Parameters(variant.Shapes!));
        }

        var (files, output) = GeneratorHarness.Run(Branches);
        var lines = Lines(files["Demo.Net.g.cs"]);
        int variant0 = Array.IndexOf(lines, "sealed class Variant0 : Variant");
        int variant1 = Array.IndexOf(lines, "sealed class Variant1 : Variant");
        Assert.True(variant0 >= 0 && variant1 > variant0, "two variant classes");
        string[] Comments(IEnumerable<string> part) => part.Where(l => l.StartsWith("// ", StringComparison.Ordinal) && l.Contains(": [", StringComparison.Ordinal)).ToArray();
        Assert.Equal(new[]
        {
            "// x: [B, 784]",
            "// Fc1: [B, 128]",
            "// Drop: [B, 128]",
            "// output: [B, 10]",
            "// DropGrad: [B, 128]; gradFc2Weight: [10, 128]; gradFc2Bias: [10]",
            "// Fc1Grad: [B, 128]",
            "// gradX: [B, 784]; gradFc1Weight: [128, 784]; gradFc1Bias: [128]",
        }, Comments(lines.Skip(variant0).Take(variant1 - variant0)));
        Assert.Equal(new[]
        {
            "// x: [B, 784]",
            "// Fc1: [B, 128]",
            "// MulScalar: [B, 128]",
            "// output: [B, 10]",
            "// MulScalarGrad: [B, 128]; gradFc2Weight: [10, 128]; gradFc2Bias: [10]",
            "// Fc1Grad: [B, 128]",
            "// gradX: [B, 784]; gradFc1Weight: [128, 784]; gradFc1Bias: [128]",
        }, Comments(lines.Skip(variant1)));
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void The_variants_shapes_are_plain_values_so_a_second_run_is_cached()
    {
        var compilation = GeneratorHarness.Compile(("Model0.cs", Branches));
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);

        var run = driver.RunGenerators(compilation.Clone()).GetRunResult();

        var model = (ModuleModel)run.Results.Single().TrackedSteps[TrackingNames.Modules].Single().Outputs.Single().Value;
        Assert.All(model.Forward!.Variants!.Variants, v => Assert.Equal("[B, 128]", v.Shapes!.Values[1]));
        CachingTests.AssertNoWork(run);
    }
}
