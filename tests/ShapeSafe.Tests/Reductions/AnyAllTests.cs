namespace ShapeSafe.Tests.Reductions;

/// <summary>
/// Any and All: PyTorch's torch.any / torch.all, with the reduction rule's dims and keepDim. Until the engine has a
/// Bool dtype the results hold 1 and 0 in the input's dtype.
/// </summary>
public class AnyAllTests
{
    static readonly Tensor X = Tensor.FromArray(new[] { 0f, 1f, 0f, 0f, 0f, 0f, 2f, -3f, 4f }, 3, 3);

    [Fact]
    public void AnyAndAllOfEverythingAre0DimTensors()
    {
        Assert.Empty(X.Any().Shape);
        Assert.Equal(1f, X.Any().Item());
        Assert.Equal(0f, X.All().Item());
        Assert.Equal(1f, Tensor.Ones(2, 2).All().Item());
        Assert.Equal(0f, Tensor.Zeros(2, 2).Any().Item());
    }

    [Fact]
    public void AlongADimWithAndWithoutKeepDim()
    {
        Assert.Equal(new[] { 1f, 0f, 1f }, X.Any(1).ToFloatArray());
        Assert.Equal(new[] { 0f, 0f, 1f }, X.All(1).ToFloatArray());
        Assert.Equal(new[] { 1f, 1f, 1f }, X.Any(0).ToFloatArray());
        Assert.Equal(new[] { 3, 1 }, X.All(-1, keepDim: true).Shape);
        Assert.Equal(new[] { 1, 1 }, X.Any([0, 1], keepDim: true).Shape);
        Assert.Equal(1f, X.Any([0, 1]).Item());
    }

    [Fact]
    public void NaNIsTrueNegativeZeroIsFalseAndEmptyReductionsGiveTheIdentity()
    {
        Assert.Equal(1f, Tensor.FromArray(new[] { float.NaN }, 1).All().Item());
        Assert.Equal(0f, Tensor.FromArray(new[] { -0f }, 1).Any().Item());
        Assert.Equal(0f, Tensor.Zeros(0, 3).Any().Item());
        Assert.Equal(1f, Tensor.Zeros(0, 3).All().Item());
        Assert.Equal(new[] { 1f, 1f, 1f }, Tensor.Zeros(0, 3).All(0).ToFloatArray());
    }

    [Fact]
    public void Int64InputsAndStridedViews()
    {
        var longs = Tensor.FromArray(new long[] { 0, 5, 0, 0 }, 2, 2);
        Assert.Equal(DType.Int64, longs.Any(0).DType);
        Assert.Equal(new long[] { 0, 1 }, longs.Any(0).ToInt64Array());
        Assert.Equal(new[] { 0f, 0f, 1f }, X.Transpose(0, 1).All(0).ToFloatArray());
    }

    [Fact]
    public void ResultsNeverRequireGradAndBadDimsAreRefused()
    {
        var x = Tensor.Randn(2, 3);
        x.RequiresGrad = true;
        Assert.False(x.Any(1).RequiresGrad);
        var e = Assert.Throws<ShapeException>(() => x.All(2));
        Assert.StartsWith("All: dimension out of range (expected to be in range of [-2, 1], but got 2)", e.Message);
    }
}
