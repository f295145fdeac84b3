extern alias Analyzers;
using AnalyzersAlias = Analyzers::ShapeSafe.Analyzers;

namespace ShapeSafe.Analyzers.Tests;

public class AnnotationTests
{
    [Fact]
    public Task Return_value_that_differs_from_its_annotation_is_SS0007() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            [return: Shape("B, 10")]
            Tensor Logits([Shape("B, 784")] Tensor x, [Shape("784, 10")] Tensor w) => x.Matmul(w);

            [return: Shape("B, 10")]
            Tensor Wrong([Shape("B, 784")] Tensor x, [Shape("784, 12")] Tensor w) => {|SS0007:x.Matmul(w)|};

            [return: Shape("B, _")]
            Tensor Loose([Shape("B, 784")] Tensor x) => x;
        }
        """);

    [Fact]
    public Task Arguments_fields_and_branches() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            [Shape("B, 64")] Tensor? _state;

            [return: Shape("N, 64")]
            Tensor Block([Shape("N, 64")] Tensor x) => x;

            void M([Shape("B, 64")] Tensor x, [Shape("B, 32")] Tensor y, bool flag)
            {
                var a = Block(x);
                var b = Block({|SS0007:y|});
                _state = a;
                _state = {|SS0007:y|};
                var z = flag ? x : y;           // branches disagree: unknown
                var w = Block(z);
                var v = x;
                if (flag) v = x * 2f; else v = x + 1f;
                var u = Block(v);
                for (int i = 0; i < 3; i++) v = v.Unsqueeze(0);
                var s = Block(v);               // unknown after the loop
            }
        }
        """);

    [Fact]
    public Task Malformed_annotations_are_SS0009() => Verify.Analyzer<AnalyzersAlias.AnnotationAnalyzer>("""
        using ShapeSafe;
        class C
        {
            void M([Shape({|SS0009:"B,, 3"|})] Tensor x, [Shape({|SS0009:"B, D/H, ..."|})] Tensor y, [Shape("..., B*T, _")] Tensor ok) { }
            [return: Shape({|SS0009:"(B"|})] Tensor N() => Tensor.Zeros(1);
            C([Dim({|SS0009:"2x"|})] int size) { }
        }
        """);
}
