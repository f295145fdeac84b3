namespace ShapeSafe.Analyzers.Tests;

public class WindowTests
{
    [Fact]
    public Task A_kernel_larger_than_the_input_is_SS0010() => Verify.Shapes("""
        using ShapeSafe;
        using TestLayers;
        class C
        {
            void M([Shape("N, 3, H, W")] Tensor any)
            {
                var conv = new Conv(3, 16, 7);
                var ok = conv.Forward(Tensor.Randn(1, 3, 7, 7));
                var empty = conv.Forward({|SS0010:Tensor.Randn(1, 3, 5, 5)|});
                var symbolic = conv.Forward(any);   // H may be at least 7
            }
        }
        """);
}
