extern alias Analyzers;

using AnalyzersAlias = Analyzers::ShapeSafe.Analyzers;
using Fixes = Analyzers::ShapeSafe.Analyzers.CodeFixes;

namespace ShapeSafe.Analyzers.Tests;

public class CodeFixTests
{
    const string Before = """
        using ShapeSafe;
        class C
        {
            Tensor M() => Tensor.Randn(2, 3, 4).Transpose(0, 1).{|SS0001:View(6, 4)|};
        }
        """;

    [Fact]
    public Task SS0001_View_becomes_Reshape() => new Verify.CodeFixTest<AnalyzersAlias.ShapeAnalyzer, Fixes.ViewCodeFixProvider>
    {
        TestCode = Before,
        FixedCode = """
            using ShapeSafe;
            class C
            {
                Tensor M() => Tensor.Randn(2, 3, 4).Transpose(0, 1).Reshape(6, 4);
            }
            """,
        CodeActionEquivalenceKey = "SS0001.Reshape",
    }.RunAsync();

    [Fact]
    public Task SS0001_Contiguous_is_inserted() => new Verify.CodeFixTest<AnalyzersAlias.ShapeAnalyzer, Fixes.ViewCodeFixProvider>
    {
        TestCode = Before,
        FixedCode = """
            using ShapeSafe;
            class C
            {
                Tensor M() => Tensor.Randn(2, 3, 4).Transpose(0, 1).Contiguous().View(6, 4);
            }
            """,
        CodeActionEquivalenceKey = "SS0001.Contiguous",
        CodeActionIndex = 1,
    }.RunAsync();

    [Fact]
    public Task SS0007_annotation_takes_the_inferred_shape() => new Verify.CodeFixTest<AnalyzersAlias.ShapeAnalyzer, Fixes.AnnotationCodeFixProvider>
    {
        TestCode = """
            using ShapeSafe;
            class C
            {
                [return: Shape("B, 10")]
                Tensor M([Shape("B, 784")] Tensor x, [Shape("784, 12")] Tensor w) => {|SS0007:x.Matmul(w)|};
            }
            """,
        FixedCode = """
            using ShapeSafe;
            class C
            {
                [return: Shape("B, 12")]
                Tensor M([Shape("B, 784")] Tensor x, [Shape("784, 12")] Tensor w) => x.Matmul(w);
            }
            """,
    }.RunAsync();

    [Fact]
    public Task SS0008_layer_takes_the_input_size() => new Verify.CodeFixTest<AnalyzersAlias.ShapeAnalyzer, Fixes.AnnotationCodeFixProvider>
    {
        TestCode = """
            using ShapeSafe;
            using TestLayers;
            class C
            {
                Tensor M([Shape("B, 512")] Tensor x) => new Dense(784, 10).Forward({|SS0008:x|});
            }
            """,
        FixedCode = """
            using ShapeSafe;
            using TestLayers;
            class C
            {
                Tensor M([Shape("B, 512")] Tensor x) => new Dense(512, 10).Forward(x);
            }
            """,
    }.RunAsync();

    [Fact]
    public Task SS0005_keepDim_is_added_to_the_reduction() => new Verify.CodeFixTest<AnalyzersAlias.ShapeAnalyzer, Fixes.KeepDimCodeFixProvider>
    {
        TestCode = """
            using ShapeSafe;
            class C
            {
                Tensor M([Shape("B, T, C")] Tensor x) => {|SS0005:x - x.Mean(1)|};
            }
            """,
        FixedCode = """
            using ShapeSafe;
            class C
            {
                Tensor M([Shape("B, T, C")] Tensor x) => x - x.Mean(1, keepDim: true);
            }
            """,
        CodeActionEquivalenceKey = "SS0005.KeepDim",
    }.RunAsync();

    [Fact]
    public Task SS0005_keepDim_false_becomes_true() => new Verify.CodeFixTest<AnalyzersAlias.ShapeAnalyzer, Fixes.KeepDimCodeFixProvider>
    {
        TestCode = """
            using ShapeSafe;
            class C
            {
                void M([Shape("B, T, C")] Tensor x)
                {
                    var scaled = {|SS0005:x / x.Std(-1, true, false)|};
                    var peak = {|SS0005:x.Max(1).Values - x|};
                }
            }
            """,
        FixedCode = """
            using ShapeSafe;
            class C
            {
                void M([Shape("B, T, C")] Tensor x)
                {
                    var scaled = x / x.Std(-1, true, keepDim: true);
                    var peak = x.Max(1, keepDim: true).Values - x;
                }
            }
            """,
        CodeActionEquivalenceKey = "SS0005.KeepDim",
    }.RunAsync();

    [Fact]
    public Task SS0005_without_a_reduction_offers_no_keepDim_fix() => new Verify.CodeFixTest<AnalyzersAlias.ShapeAnalyzer, Fixes.KeepDimCodeFixProvider>
    {
        TestCode = """
            using ShapeSafe;
            class C
            {
                void M([Shape("B, T, C")] Tensor x, [Shape("B, C")] Tensor y)
                {
                    var other = {|SS0005:x - y|};
                    var centered = {|SS0005:x - x.Mean(2)|};
                }
            }
            """,
        FixedCode = """
            using ShapeSafe;
            class C
            {
                void M([Shape("B, T, C")] Tensor x, [Shape("B, C")] Tensor y)
                {
                    var other = {|SS0005:x - y|};
                    var centered = x - x.Mean(2, keepDim: true);
                }
            }
            """,
        // The fixed source still has x - y's SS0005: no keepDim fix is offered for it.
        FixedState = { MarkupHandling = Microsoft.CodeAnalysis.Testing.MarkupMode.Allow },
        CodeActionEquivalenceKey = "SS0005.KeepDim",
    }.RunAsync();
}
