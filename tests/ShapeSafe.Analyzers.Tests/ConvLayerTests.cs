namespace ShapeSafe.Analyzers.Tests;

/// <summary>The engine's Conv2d, MaxPool2d and AvgPool2d (layers and functions) through the core's Conv2d/Pool2d rules.</summary>
public class ConvLayerTests
{
    [Fact]
    public Task Conv2d_layer_in_channels_is_SS0008_and_its_output_size_is_inferred() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        class Cnn : Module
        {
            readonly Conv2d _conv1 = new Conv2d(1, 32, 3, padding: 1);
            readonly Conv2d _conv2 = new Conv2d(32, 64, 3);
            readonly MaxPool2d _pool = new MaxPool2d(2);
            readonly Linear _fc = new Linear(64 * 13 * 13, 10);

            [return: Shape("N, 10")]
            public Tensor Forward([Shape("N, 1, 28, 28")] Tensor x)
            {
                var h = _pool.Forward(_conv1.Forward(x).Relu());   // [N, 32, 14, 14]
                h = _pool.Forward(_conv2.Forward(h).Relu());        // [N, 64, 6, 6]
                return _fc.Forward({|SS0008:h.Flatten(1)|});         // 64*6*6, not 64*13*13
            }

            public Tensor Rgb([Shape("N, 3, 28, 28")] Tensor x) => _conv1.Forward({|SS0008:x|});
            public Tensor Unbatched([Shape("1, 28, 28")] Tensor x) => _conv1.Forward(x);
            public Tensor Symbolic([Shape("N, C, 28, 28")] Tensor x) => _conv1.Forward({|SS0008:x|}); // only when C is 1
        }
        """);

    [Fact]
    public Task Windows_that_do_not_fit_are_SS0010() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        class C
        {
            void M([Shape("N, 3, H, W")] Tensor any)
            {
                var conv = new Conv2d(3, 8, 5);
                var ok = conv.Forward(Tensor.Randn(2, 3, 5, 5));
                var tooSmall = conv.Forward({|SS0010:Tensor.Randn(2, 3, 4, 4)|});
                var padded = new Conv2d(3, 8, 5, padding: 1).Forward(Tensor.Randn(2, 3, 4, 4));
                var symbolic = conv.Forward(any);
                var pooled = new MaxPool2d(2).Forward({|SS0010:Tensor.Randn(2, 3, 1, 1)|});
                var half = new MaxPool2d(2).Forward(Tensor.Randn(2, 3, 3, 3)); // [2, 3, 1, 1]
                var avg = new AvgPool2d(3, stride: 1).Forward({|SS0010:Tensor.Randn(2, 3, 2, 2)|});
                var fn = Tensor.{|SS0010:MaxPool2d(Tensor.Randn(2, 3, 4, 4), 5)|};
                var wide = new Conv2d(3, 8, (1, 7)).Forward({|SS0010:Tensor.Randn(2, 3, 8, 6)|});
            }
        }
        """);

    [Fact]
    public Task Functional_conv_checks_the_weight() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        class C
        {
            [return: Shape("N, 16, 30, 30")]
            Tensor M([Shape("N, 3, 32, 32")] Tensor x, [Shape("16, 3, 3, 3")] Tensor w, [Shape("16, 4, 3, 3")] Tensor v)
            {
                var bad = Tensor.{|SS0008:Conv2d(x, v)|};
                return F.Conv2d(x, w);
            }
        }
        """);
}
