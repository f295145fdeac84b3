namespace ShapeSafe.Tests.Seed;

/// <summary>Clone with a memory format: the strides PyTorch gives (c10's channels-last strides), values and autograd.</summary>
public class CloneMemoryFormatTests
{
    [Fact]
    public void ChannelsLastPutsTheChannelsInnermost()
    {
        var x = Tensor.Arange(2 * 3 * 4 * 5).ToDType(DType.Float32).Reshape(2, 3, 4, 5);

        var y = x.Clone(MemoryFormat.ChannelsLast);

        Assert.Equal(new[] { 2, 3, 4, 5 }, y.Shape);
        Assert.Equal(new[] { 60, 1, 15, 3 }, y.Strides);
        Assert.False(y.IsContiguous);
        Assert.False(y.SharesStorage(x));
        Assert.Equal(x.ToFloatArray(), y.ToFloatArray());
        // Back to row-major order, and size-1 and size-0 dims as c10 gives them (sizes multiplied as they are).
        Assert.Equal(new[] { 60, 20, 5, 1 }, y.Clone(MemoryFormat.Contiguous).Strides);
        Assert.Equal(new[] { 3, 1, 3, 3 }, Tensor.Zeros(2, 3, 1, 1).Clone(MemoryFormat.ChannelsLast).Strides);
        Assert.Equal(new[] { 0, 1, 0, 0 }, Tensor.Zeros(2, 0, 4, 4).Clone(MemoryFormat.ChannelsLast).Strides);
    }

    [Fact]
    public void ChannelsLast3dAndPreserve()
    {
        Assert.Equal(new[] { 72, 1, 24, 6, 2 }, Tensor.Zeros(1, 2, 3, 4, 3).Clone(MemoryFormat.ChannelsLast3d).Strides);
        var permuted = Tensor.Zeros(2, 3, 4).Permute(2, 0, 1);
        Assert.Equal(permuted.Strides, permuted.Clone(MemoryFormat.Preserve).Strides);
        Assert.Equal(new[] { 6, 3, 1 }, permuted.Clone(MemoryFormat.Contiguous).Strides);
    }

    [Fact]
    public void OtherRanksAreRefusedWithPyTorchsMessage()
    {
        var e = Assert.Throws<ShapeException>(() => Tensor.Zeros(3, 4, 5).Clone(MemoryFormat.ChannelsLast));
        Assert.Equal("Clone: required rank 4 tensor to use channels_last format (got [3, 4, 5])", e.Message);
        var e3 = Assert.Throws<ShapeException>(() => Tensor.Zeros(1, 3, 4, 5).Clone(MemoryFormat.ChannelsLast3d));
        Assert.Equal("Clone: required rank 5 tensor to use channels_last_3d format (got [1, 3, 4, 5])", e3.Message);
    }

    [Fact]
    public void TheGradientFlowsBackInTheInputsLayout()
    {
        var x = Tensor.Randn(1, 2, 2, 3);
        x.RequiresGrad = true;

        (x.Clone(MemoryFormat.ChannelsLast) * Tensor.Arange(12).ToDType(DType.Float32).Reshape(1, 2, 2, 3)).Sum().Backward();

        Assert.Equal(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), x.Grad!.ToFloatArray());
    }
}
