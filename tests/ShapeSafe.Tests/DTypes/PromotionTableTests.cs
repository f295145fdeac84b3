using ShapeSafe;

namespace ShapeSafe.Tests.DTypes;

/// <summary>torch.result_type and torch.promote_types as PyTorch documents them (docs/tensors.md has the table).</summary>
public class PromotionTableTests
{
    static Tensor Of(DType d, bool zeroDim = false) => zeroDim ? Tensor.Zeros(Array.Empty<int>(), d) : Tensor.Zeros(new[] { 2 }, d);

    // torch.promote_types(a, b) for the five dtypes: the later in bool < int64 < bfloat16 < float32 < float64.
    [Theory]
    [InlineData(DType.Bool, DType.Bool, DType.Bool)]
    [InlineData(DType.Bool, DType.Int64, DType.Int64)]
    [InlineData(DType.Bool, DType.BFloat16, DType.BFloat16)]
    [InlineData(DType.Bool, DType.Float32, DType.Float32)]
    [InlineData(DType.Bool, DType.Float64, DType.Float64)]
    [InlineData(DType.Int64, DType.BFloat16, DType.BFloat16)]
    [InlineData(DType.Int64, DType.Float32, DType.Float32)]
    [InlineData(DType.Int64, DType.Float64, DType.Float64)]
    [InlineData(DType.BFloat16, DType.Float32, DType.Float32)]
    [InlineData(DType.BFloat16, DType.Float64, DType.Float64)]
    [InlineData(DType.Float32, DType.Float64, DType.Float64)]
    public void TensorsWithDimsPromoteAsPromoteTypes(DType a, DType b, DType expected)
    {
        Assert.Equal(expected, Tensor.PromoteTypes(a, b));
        Assert.Equal(expected, Tensor.PromoteTypes(b, a));
        Assert.Equal(expected, Tensor.ResultType(Of(a), Of(b)));
        Assert.Equal(expected, (Of(a) + Of(b)).DType == DType.Bool && expected == DType.Bool ? DType.Bool : (Of(a) * Of(b)).DType);
    }

    // A 0-dim tensor changes the result only when its category is higher (PyTorch's documented examples).
    [Theory]
    [InlineData(DType.Float32, DType.Float64, DType.Float32)]   // float tensor, double 0-dim: float
    [InlineData(DType.BFloat16, DType.Float32, DType.BFloat16)]
    [InlineData(DType.Int64, DType.Float64, DType.Float64)]     // int tensor, double 0-dim: double
    [InlineData(DType.Int64, DType.BFloat16, DType.BFloat16)]
    [InlineData(DType.Bool, DType.Int64, DType.Int64)]
    [InlineData(DType.Int64, DType.Bool, DType.Int64)]
    [InlineData(DType.Float64, DType.Int64, DType.Float64)]
    public void ZeroDimTensorsJoinOnlyByCategory(DType dims, DType zeroDim, DType expected)
    {
        Assert.Equal(expected, Tensor.ResultType(Of(dims), Of(zeroDim, zeroDim: true)));
        Assert.Equal(expected, Tensor.ResultType(Of(zeroDim, zeroDim: true), Of(dims)));
        Assert.Equal(expected, (Of(dims) * Of(zeroDim, zeroDim: true)).DType);
    }

    [Fact]
    public void TwoZeroDimTensorsPromoteNormally()
    {
        Assert.Equal(DType.Float64, Tensor.ResultType(Of(DType.Float32, true), Of(DType.Float64, true)));
        Assert.Equal(DType.Float64, (Tensor.Scalar(1f) + Tensor.Scalar(1.0)).DType);
    }

    // C# scalars are PyTorch's wrapped numbers: a floating one counts as the default dtype (Float32).
    [Theory]
    [InlineData(DType.Bool, DType.Float32, DType.Int64, DType.Bool)]
    [InlineData(DType.Int64, DType.Float32, DType.Int64, DType.Int64)]
    [InlineData(DType.BFloat16, DType.BFloat16, DType.BFloat16, DType.BFloat16)]
    [InlineData(DType.Float32, DType.Float32, DType.Float32, DType.Float32)]
    [InlineData(DType.Float64, DType.Float64, DType.Float64, DType.Float64)]
    public void ScalarsJoinOnlyByCategory(DType tensor, DType withDouble, DType withLong, DType withBool)
    {
        Assert.Equal(withDouble, Tensor.ResultType(Of(tensor), 2.5));
        Assert.Equal(withLong, Tensor.ResultType(Of(tensor), 2L));
        Assert.Equal(withBool, Tensor.ResultType(Of(tensor), true));
        Assert.Equal(withDouble, (Of(tensor) * 2.5).DType);
        Assert.Equal(withDouble, (Of(tensor) + 2.5f).DType);
        if (tensor != DType.Bool) Assert.Equal(withLong, (Of(tensor) * 2L).DType);
    }

    [Fact]
    public void ADoubleScalarIsRoundedToFloatForAFloat32Tensor()
    {
        // ATen computes float32 ops in float: 0.1 becomes 0.1f, so 1 + 0.1 is 1.1f exactly.
        Assert.Equal(1f + 0.1f, (Tensor.FromArray(new[] { 1f }) + 0.1).Item());
        Assert.Equal(1.0 + 0.1, (Tensor.FromArray(new[] { 1.0 }) + 0.1).ItemDouble());
    }

    [Fact]
    public void IntegerDivisionGivesTheDefaultFloat()
    {
        var i = Tensor.FromArray(new long[] { 1, 3 });
        Assert.Equal(DType.Float32, (i / i).DType);
        Assert.Equal(DType.Float32, (i / 2L).DType);
        Assert.Equal(DType.Float64, (i / Tensor.Scalar(2.0)).DType);
        Assert.Equal(new[] { 0.5, 1.5 }, (i / Tensor.Scalar(2.0)).ToDoubleArray());
    }

    [Fact]
    public void MixedDtypeGradientsComeBackInEachInputsDtype()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f }); x.RequiresGrad = true;
        var y = Tensor.FromArray(new[] { 3.0, 4.0 }); y.RequiresGrad = true;
        var z = x * y;
        Assert.Equal(DType.Float64, z.DType);
        z.Sum().Backward();
        Assert.Equal(DType.Float32, x.Grad!.DType);
        Assert.Equal(new[] { 3f, 4f }, x.Grad.ToFloatArray());
        Assert.Equal(DType.Float64, y.Grad!.DType);
        Assert.Equal(new[] { 1.0, 2.0 }, y.Grad.ToDoubleArray());
    }
}
