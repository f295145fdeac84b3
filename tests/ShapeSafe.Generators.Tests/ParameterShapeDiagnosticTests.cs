extern alias Analyzers;

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using static ShapeSafe.Generators.Tests.Verify;

namespace ShapeSafe.Generators.Tests;

/// <summary>
/// SS2012 (and SS2011's silence) on ops that read the module's own parameters: a parameter's shape is read from the
/// code that creates it, so a product with a weight of the wrong orientation is reported with both shapes, while a
/// bias, a broadcast parameter and a parameter whose shape is not visible are not; and the symbolic shapes of the
/// values they make.
/// </summary>
public class ParameterShapeDiagnosticTests
{
    sealed class ShapeAnalyzerTest : CSharpAnalyzerTest<Analyzers::ShapeSafe.Analyzers.ShapeAnalyzer, DefaultVerifier>
    {
        public ShapeAnalyzerTest()
        {
            ReferenceAssemblies = GeneratorHarness.NoReferencePack;
            TestState.AdditionalReferences.AddRange(GeneratorHarness.References);
        }
    }

    /// <summary>A module whose Forward reads a weight created as <paramref name="weight"/> and a bias created as <paramref name="bias"/>.</summary>
    static string Net(string weight, string bias, string forward = "{|#0:x.Matmul(_w)|} + _b", string input = "B, T, 784") => """
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Parameter _w = new(WEIGHT);
            readonly Parameter _b = new(BIAS);
            public Tensor Forward([Shape("INPUT")] Tensor x) => FORWARD;
        }
        """.Replace("WEIGHT", weight).Replace("BIAS", bias).Replace("FORWARD", forward).Replace("INPUT", input);

    [Fact]
    public Task SS2012_a_product_with_a_weight_of_the_wrong_orientation_names_both_shapes() => Diagnostics(
        Net("Tensor.Randn(128, 784)", "Tensor.Zeros(128)"),
        Diagnostic("SS2012").WithLocation(0).WithArguments("Net",
            "Test0.cs(8): x.Matmul(_w): Matmul: [B, T, 784] × [128, 784]: inner dims 784 and 128 differ"));

    [Fact]
    public Task The_shape_analyzer_does_not_report_that_line() =>
        new ShapeAnalyzerTest { TestCode = Net("Tensor.Randn(128, 784)", "Tensor.Zeros(128)").Replace("{|#0:", "").Replace("|}", "") }.RunAsync();

    [Fact]
    public Task SS2012_F_Linear_with_a_bias_of_another_size() => Diagnostics(
        Net("Init.XavierUniform(Tensor.Empty(128, 784))", "Tensor.Zeros(10)", "{|#0:F.Linear(x, _w, _b)|}"),
        Diagnostic("SS2012").WithLocation(0).WithArguments("Net",
            "Test0.cs(8): F.Linear(x, _w, _b): Linear: bias [10] should be [128], one per output feature of weight [128, 784] (input [B, T, 784])"));

    [Fact]
    public Task A_bias_added_to_a_batched_product_and_a_parameter_that_broadcasts_over_the_batch_are_fine() => Diagnostics(
        Net("Tensor.Randn(784, 128).Mul(0.02)", "Tensor.Zeros(1, 128)", "F.Gelu(x.Matmul(_w) + _b) * _b"));

    [Fact]
    public Task F_Linear_and_a_transposed_weight_are_fine() => Diagnostics(
        Net("Tensor.Randn(128, 784)", "Tensor.Zeros(128)", "F.Linear(x, _w, _b) + x.Matmul(_w.T)"));

    [Fact]
    public Task A_parameter_whose_shape_is_not_visible_gets_no_diagnostic() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Parameter _w;
            readonly Parameter _v;
            public Net(int rows, Tensor initial)
            {
                _w = new Parameter(Tensor.Randn(rows, 784));
                _v = new Parameter(initial);
            }
            public Tensor Forward([Shape("B, 784")] Tensor x) => x.Matmul(_w) + x * _v;
        }
        """);

    [Fact]
    public Task SS2012_sizes_read_through_readonly_fields_and_Dim_names() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly int _hidden;
            readonly Parameter _w;
            public Net([Dim("H")] int hidden)
            {
                _hidden = hidden;
                _w = new Parameter(Tensor.Randn(_hidden * 2, 16));
            }
            public Tensor Forward([Shape("B, H")] Tensor x) => {|#0:x.Matmul(_w)|};
        }
        """,
        Diagnostic("SS2012").WithLocation(0).WithArguments("Net",
            "Test0.cs(13): x.Matmul(_w): Matmul: [B, H] × [2*H, 16]: inner dims H and 2*H differ"));

    [Fact]
    public void The_shapes_of_parameters_and_of_the_values_made_from_them()
    {
        var (files, _) = GeneratorHarness.Run(Net("Tensor.Randn(784, 128)", "Tensor.Zeros(128)", "F.Relu(x.Matmul(_w) + _b).Matmul(_w.T)"));
        var lines = files["Net.g.cs"].Split('\n').Select(l => l.Trim()).ToArray();
        Assert.Contains("// w: [784, 128]", lines);
        Assert.Contains("// b: [128]", lines);
        Assert.Contains("// Matmul: [B, T, 128]", lines);
        Assert.Contains("// Transpose: [128, 784]", lines);
        Assert.Contains("// output: [B, T, 784]", lines);
    }
}
