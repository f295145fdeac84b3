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
}
