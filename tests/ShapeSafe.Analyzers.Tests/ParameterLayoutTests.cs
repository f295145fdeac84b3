extern alias Analyzers;

using Microsoft.CodeAnalysis.Testing;

namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// SS0001 on annotated parameters. Their layout is unknown (a caller may pass a transposed view, for which the
/// same View succeeds), so by default nothing is reported; with shapesafe.assume_contiguous_parameters = true in
/// .editorconfig they count as contiguous and views after their transposes are checked.
/// </summary>
public class ParameterLayoutTests
{
    const string Source = """
        using ShapeSafe;
        class Attention
        {
            Tensor Merge([Shape("B, 16, 64")] Tensor x) => x.Transpose(1, 2).{|#0:View(x.Size(0), -1)|};
            Tensor MaybeOne([Shape("B, T, 64")] Tensor x) => x.Transpose(1, 2).View(x.Size(0), -1);     // fine when T is 1
            Tensor Split([Shape("B, T, 64")] Tensor x) => x.Transpose(1, 2).View(x.Size(0), 8, 8, -1);   // splits a dim: any layout
            Tensor Copy([Shape("B, T, 64")] Tensor x) => x.Transpose(1, 2).Contiguous().View(x.Size(0), -1);
            Tensor Heads([Shape("B, 16, 64")] Tensor x) => x.View(x.Size(0), 16, 8, 8).Transpose(1, 2).{|#1:View(x.Size(0), 8, 128)|};
            Tensor Plain([Shape("B, 16, 64")] Tensor x) => x.View(x.Size(0), 1024);
            Tensor Unannotated(Tensor x) => x.Transpose(0, 1).View(-1);
        }
        """;

    static string Unmarked => Source.Replace("{|#0:", "").Replace("{|#1:", "").Replace("|}", "");

    [Fact]
    public Task Off_by_default_parameters_of_unknown_layout_stay_silent() => Verify.Shapes(Unmarked);

    [Fact]
    public Task With_the_option_views_after_transposes_of_parameters_are_SS0001()
    {
        var test = new Verify.AnalyzerTest<Analyzers::ShapeSafe.Analyzers.ShapeAnalyzer> { TestCode = Source };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\nshapesafe.assume_contiguous_parameters = true\n"));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("SS0001").WithLocation(0).WithMessage(
            "View: view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). "
            + "Use .Reshape(...) instead. Input shape [B, 64, 16] with strides [1024, 1, 64], requested [B, -1]. "
            + "(assuming annotated parameters are contiguous: shapesafe.assume_contiguous_parameters = true)"));
        test.ExpectedDiagnostics.Add(Verify.Diagnostic("SS0001").WithLocation(1));
        return test.RunAsync();
    }
}
