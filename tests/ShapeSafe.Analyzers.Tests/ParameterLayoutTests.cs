extern alias Analyzers;

using Microsoft.CodeAnalysis.Testing;

namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// SS0001 on annotated parameters. A [Shape] parameter is taken to be contiguous (what DataLoader, layers and
/// factories give), so views after its transposes are checked and the message says it relied on that; a parameter
/// marked [Strided] may be a view and stays silent, and shapesafe.assume_contiguous_parameters = false in
/// .editorconfig makes every parameter's layout unknown again.
/// </summary>
public class ParameterLayoutTests
{
    const string Source = """
        using ShapeSafe;
        class Attention
        {
            Tensor Merge([Shape("B, 16, 64")] Tensor x) => x.Transpose(1, 2).{|#0:View(x.Size(0), -1)|};
            Tensor MaybeOne([Shape("B, T, 64")] Tensor x) => x.Transpose(1, 2).{|#1:View(x.Size(0), -1)|};     // only when T is 1
            Tensor Split([Shape("B, T, 64")] Tensor x) => x.Transpose(1, 2).View(x.Size(0), 8, 8, -1);   // splits a dim: any layout
            Tensor Copy([Shape("B, T, 64")] Tensor x) => x.Transpose(1, 2).Contiguous().View(x.Size(0), -1);
            Tensor Heads([Shape("B, 16, 64")] Tensor x) => x.View(x.Size(0), 16, 8, 8).Transpose(1, 2).{|#2:View(x.Size(0), 8, 128)|};
            Tensor Plain([Shape("B, 16, 64")] Tensor x) => x.View(x.Size(0), 1024);
            Tensor Marked([Shape("B, 16, 64"), Strided] Tensor x) => x.Transpose(1, 2).View(x.Size(0), -1);
            Tensor Unannotated(Tensor x) => x.Transpose(0, 1).View(-1);
        }
        """;

    const string Assumed = "(assuming the [Shape] parameter is contiguous: mark it [Strided] if it may be a view, or set shapesafe.assume_contiguous_parameters = false)";

    static string Unmarked => Source.Replace("{|#0:", "").Replace("{|#1:", "").Replace("{|#2:", "").Replace("|}", "");

    [Fact]
    public Task By_default_views_after_transposes_of_parameters_are_SS0001_and_say_what_they_assumed() => Verify.Shapes(Source,
        Verify.Diagnostic("SS0001").WithLocation(0).WithMessage(
            "View: [B, 64, 16] → [B, 1024] after Transpose(1, 2) is not possible: the dims it merges are not contiguous (strides [1024, 1, 64]); "
            + "use Reshape(...) or call Contiguous() first " + Assumed),
        Verify.Diagnostic("SS0001").WithLocation(1).WithMessage(
            "View: [B, 64, T] → [B, 64*T] after Transpose(1, 2) is possible only when T is 1: the dims it merges are not contiguous (strides [64*T, 1, 64]); "
            + "use Reshape(...) or call Contiguous() first " + Assumed),
        Verify.Diagnostic("SS0001").WithLocation(2));

    [Fact]
    public Task With_the_option_off_parameters_of_unknown_layout_stay_silent()
    {
        var test = new Verify.AnalyzerTest<Analyzers::ShapeSafe.Analyzers.ShapeAnalyzer> { TestCode = Unmarked };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*.cs]\nshapesafe.assume_contiguous_parameters = false\n"));
        return test.RunAsync();
    }

    [Fact]
    public Task Merging_heads_after_a_transpose_names_both_shapes_the_transpose_and_the_condition() => Verify.Shapes("""
        using ShapeSafe;
        class Attention
        {
            Tensor Merge([Shape("B, 8, T, 64"), Strided] Tensor strided, [Shape("B, 8, T, 64")] Tensor heads)
            {
                int b = heads.Size(0), t = heads.Size(2);
                return heads.Transpose(1, 2).{|#0:View(b, t, 512)|};
            }
        }
        """,
        Verify.Diagnostic("SS0001").WithLocation(0).WithMessage(
            "View: [B, T, 8, 64] → [B, T, 512] after Transpose(1, 2) is possible only when T is 1: the dims it merges are not contiguous "
            + "(strides [512*T, 64, 64*T, 1]); use Reshape(...) or call Contiguous() first " + Assumed));
}
