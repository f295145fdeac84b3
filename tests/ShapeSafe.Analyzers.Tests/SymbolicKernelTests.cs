namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// A convolution whose kernel size is a <c>[Dim]</c> or an unknown int: its output size is unknown, but the input's
/// rank and channels do not depend on the kernel and are still checked; a 5-D input is a rank error, not an empty output.
/// </summary>
public class SymbolicKernelTests
{
    [Fact]
    public async Task Rank_and_channels_are_checked_whatever_the_kernel_size()
    {
        var shown = await Inferred.In("""[Shape("N, 3, H, W")] Tensor x, [Shape("N, 4, H, W")] Tensor rgba, [Shape("N, 3, D, H, W")] Tensor volume, [Dim("K")] int k, int unknown""", """
            var conv = new Conv2d(3, 8, kernelSize: k);
            var y = conv.Forward(x);
            var channels = conv.Forward(rgba);
            var deep = conv.Forward(volume);
            var opaque = new Conv2d(3, 8, kernelSize: unknown);
            var z = opaque.Forward(x);
            var alsoChannels = opaque.Forward(rgba);
            var alsoDeep = opaque.Forward(volume);
            var fixedDeep = new Conv2d(3, 8, 3).Forward(volume);
            var functional = F.Conv2d(volume, Tensor.Randn(8, 3, 3, 3));
            """);
        Assert.Equal(new[]
        {
            "SS0008 11: Conv2d.Forward: input [N, 4, H, W] has 4 channels at dim 1, but weight [8, 3, K, K] expects 3 (groups = 1)",
            "SS0008 12: Conv2d.Forward: expected 3-D (unbatched) or 4-D (batched) input, but got input of shape [N, 3, D, H, W] (weight [8, 3, K, K])",
            "SS0008 15: Conv2d.Forward: input [N, 4, H, W] has 4 channels at dim 1, but weight [8, 3, _, _] expects 3 (groups = 1)",
            "SS0008 16: Conv2d.Forward: expected 3-D (unbatched) or 4-D (batched) input, but got input of shape [N, 3, D, H, W] (weight [8, 3, _, _])",
            "SS0008 17: Conv2d.Forward: expected 3-D (unbatched) or 4-D (batched) input, but got input of shape [N, 3, D, H, W] (weight [8, 3, 3, 3])",
            "SS0008 18: Conv2d: expected 3-D (unbatched) or 4-D (batched) input, but got input of shape [N, 3, D, H, W] (weight [8, 3, 3, 3])",
        }, shown);
    }

    [Fact]
    public async Task A_fitting_input_with_a_symbolic_kernel_is_clean()
    {
        var shown = await Inferred.In("""[Shape("N, 3, H, W")] Tensor x, [Shape("3, H, W")] Tensor image, [Dim("K")] int k""", """
            var conv = new Conv2d(3, 8, kernelSize: k, padding: 1);
            var y = conv.Forward(x);
            var single = conv.Forward(image);
            var known = new Conv2d(3, 8, kernelSize: 3).Forward(Tensor.Randn(2, 3, 8, 8));
            var wide = new Conv2d(3, 8, (1, k)).Forward(image);
            """);
        Assert.Equal(new[] { "known [2, 8, 6, 6]" }, shown);
    }
}
