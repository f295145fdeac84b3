using ShapeSafe;
using ShapeSafe.Tests.Elementwise;

namespace ShapeSafe.Tests.Reductions;

public class MaxMinTests
{
    static Tensor Ties() => Tensor.FromArray(new[] { 1f, 3f, 3f, 2f, 2f, 1f }, 2, 3);

    [Fact]
    public void MaxAlongADimPicksTheFirstOfEqualValues()
    {
        var (values, indices) = Ties().Max(1);

        Assert.Equal(new[] { 3f, 2f }, values.ToFloatArray());
        Assert.Equal(new long[] { 1, 0 }, indices.ToInt64Array());
        Assert.Equal(DType.Int64, indices.DType);
    }

    [Fact]
    public void MinAlongADimPicksTheFirstOfEqualValues()
    {
        var (values, indices) = Ties().Min(1, keepDim: true);

        Assert.Equal(new[] { 2, 1 }, values.Shape);
        Assert.Equal(new[] { 1f, 1f }, values.ToFloatArray());
        Assert.Equal(new long[] { 0, 2 }, indices.ToInt64Array());
    }

    [Fact]
    public void MaxDownColumnsAndOnInt64()
    {
        var (values, indices) = Ties().Max(0);
        Assert.Equal(new[] { 2f, 3f, 3f }, values.ToFloatArray());
        Assert.Equal(new long[] { 1, 0, 0 }, indices.ToInt64Array());

        var (lv, li) = Tensor.FromArray(new long[] { 5, 9, 9, -1 }, 2, 2).Max(-2);
        Assert.Equal(DType.Int64, lv.DType);
        Assert.Equal(new long[] { 9, 9 }, lv.ToInt64Array());
        Assert.Equal(new long[] { 1, 0 }, li.ToInt64Array());
    }

    [Fact]
    public void NaNWinsAndTheFirstNaNIsReported()
    {
        var x = Tensor.FromArray(new[] { 1f, float.NaN, 3f, float.NaN });

        var (v, i) = x.Max(0);
        var (mv, mi) = x.Min(0);

        Assert.True(float.IsNaN(v.Item()));
        Assert.Equal(1L, i.ItemInt64());
        Assert.True(float.IsNaN(mv.Item()));
        Assert.Equal(1L, mi.ItemInt64());
        Assert.True(float.IsNaN(x.Max().Item()));
        Assert.Equal(1L, x.Argmax().ItemInt64());
        var columns = Tensor.FromArray(new[] { 1f, 5f, float.NaN, 2f, 7f, float.NaN }, 3, 2);
        Assert.Equal(new long[] { 1, 2 }, columns.Argmax(0).ToInt64Array());
    }

    [Fact]
    public void WholeTensorMaxMinAreZeroDim()
    {
        var t = Tensor.FromArray(new[] { 4f, -2f, 9f, 0f }, 2, 2).Transpose(0, 1);

        Assert.Equal(Array.Empty<int>(), t.Max().Shape);
        Assert.Equal(9f, t.Max().Item());
        Assert.Equal(-2f, t.Min().Item());
        Assert.Equal(7L, Tensor.Arange(8).Max().ItemInt64());
    }

    [Fact]
    public void EmptyInputsThrow()
    {
        var e = Assert.Throws<ShapeException>(() => Tensor.Zeros(0).Max());
        Assert.Equal("Max", e.Operation);
        Assert.Throws<ShapeException>(() => Tensor.Zeros(0, 3).Min());
        Assert.Throws<ShapeException>(() => Tensor.Zeros(0, 3).Max(0));
        Assert.Throws<ShapeException>(() => Tensor.Zeros(0).Argmax());
        var (v, i) = Tensor.Zeros(0, 3).Max(1);
        Assert.Equal(new[] { 0 }, v.Shape);
        Assert.Equal(new[] { 0 }, i.Shape);
    }

    [Fact]
    public void ArgmaxOnRows()
    {
        var logits = Tensor.FromArray(new[] { 0.1f, 2f, -1f, 5f, 5f, 0f, -3f, -2f, -2f }, 3, 3);

        Assert.Equal(new long[] { 1, 0, 1 }, logits.Argmax(1).ToInt64Array());
        Assert.Equal(new long[] { 2, 2, 0 }, logits.Argmin(-1).ToInt64Array());
        Assert.Equal(new[] { 3, 1 }, logits.Argmax(1, keepDim: true).Shape);
        Assert.Equal(3L, logits.Argmax().ItemInt64());
        Assert.Equal(6L, logits.Argmin().ItemInt64());
        Assert.Equal(new long[] { 1, 0, 1 }, logits.Transpose(0, 1).Argmax(0).ToInt64Array());
    }

    [Fact]
    public void ZeroDimTensorsReduceOverDimZero()
    {
        var (v, i) = Tensor.Scalar(4f).Max(0);

        Assert.Equal(4f, v.Item());
        Assert.Equal(0L, i.ItemInt64());
        Assert.Equal(4f, Tensor.Scalar(4f).Sum(-1).Item());
    }

    [Fact]
    public void RandomShapesAndLayoutsMatchTheReference()
    {
        var rng = new System.Random(8);
        for (int trial = 0; trial < 60; trial++)
        {
            int rank = rng.Next(1, 4);
            var shape = TestTensors.RandomShape(rng, rank, new[] { 1, 2, 3, 7, 17 });
            var t = TestTensors.Make(rng, shape, TestTensors.AllLayouts[rng.Next(5)]);
            // Round to force ties.
            t = (t * 2f).Clamp(-2f, 2f).Relu().Add(t.Abs().Sqrt().Mul(0f));
            int dim = rng.Next(rank);

            var (values, indices) = t.Max(dim);
            var argmax = t.Argmax(dim);

            var (ev, ei) = ReductionReference.Max(t, ReductionReference.Flags(rank, dim));
            TestTensors.AssertClose(ev, values.ToFloatArray(), 0, 0);
            Assert.Equal(ei, indices.ToInt64Array());
            Assert.Equal(ei, argmax.ToInt64Array());
        }
    }
}
