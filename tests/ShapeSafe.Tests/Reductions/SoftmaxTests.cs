using ShapeSafe;
using ShapeSafe.Tests.Elementwise;

namespace ShapeSafe.Tests.Reductions;

public class SoftmaxTests
{
    static double[] Reference(Tensor t, int dim, bool log)
    {
        int rank = t.Rank;
        int d = dim < 0 ? dim + rank : dim;
        var shape = t.Shape.ToArray();
        var x = t.ToFloatArray();
        int outer = 1, size = shape[d], inner = 1;
        for (int i = 0; i < d; i++) outer *= shape[i];
        for (int i = d + 1; i < rank; i++) inner *= shape[i];
        var y = new double[x.Length];
        for (int o = 0; o < outer; o++)
        for (int i = 0; i < inner; i++)
        {
            double max = double.NegativeInfinity;
            for (int k = 0; k < size; k++) max = Math.Max(max, x[(o * size + k) * inner + i]);
            double sum = 0;
            for (int k = 0; k < size; k++) sum += Math.Exp(x[(o * size + k) * inner + i] - max);
            for (int k = 0; k < size; k++)
            {
                double v = x[(o * size + k) * inner + i] - max;
                y[(o * size + k) * inner + i] = log ? v - Math.Log(sum) : Math.Exp(v) / sum;
            }
        }
        return y;
    }

    [Fact]
    public void RowsSumToOneAndMatchTheDoubleReference()
    {
        var rng = new System.Random(2);
        var x = TestTensors.Make(rng, new[] { 5, 17 }, LayoutKind.Contiguous, scale: 10f);

        var y = x.Softmax(1);

        TestTensors.AssertClose(Reference(x, 1, false), y.ToFloatArray(), 2e-6, 1e-9);
        TestTensors.AssertClose(Enumerable.Repeat(1.0, 5).ToArray(), y.Sum(1).ToFloatArray(), 1e-6, 0);
    }

    [Fact]
    public void SoftmaxOverALeadingDimOfAStridedTensor()
    {
        var rng = new System.Random(4);
        foreach (var kind in TestTensors.AllLayouts)
        {
            var x = TestTensors.Make(rng, new[] { 7, 3, 17 }, kind, scale: 6f);

            TestTensors.AssertClose(Reference(x, 0, false), x.Softmax(0).ToFloatArray(), 2e-6, 1e-9);
            TestTensors.AssertClose(Reference(x, -2, true), x.LogSoftmax(-2).ToFloatArray(), 2e-6, 2e-6);
            TestTensors.AssertClose(Reference(x, 2, true), x.LogSoftmax(2).ToFloatArray(), 2e-6, 2e-6);
        }
    }

    [Fact]
    public void LogSoftmaxOfLargeValuesIsFinite()
    {
        var y = Tensor.FromArray(new[] { 1000f, 0f }).LogSoftmax(0);

        Assert.Equal(new[] { 0f, -1000f }, y.ToFloatArray());
        Assert.Equal(new[] { 1f, 0f }, Tensor.FromArray(new[] { 1000f, 0f }).Softmax(0).ToFloatArray());
        Assert.Equal(new[] { 0.5f, 0.5f }, Tensor.FromArray(new[] { 1e30f, 1e30f }, 1, 2).Softmax(1).ToFloatArray());
    }

    [Fact]
    public void RowOfMinusInfinityGivesNaNAsInPyTorch()
    {
        var x = Tensor.FromArray(new[] { float.NegativeInfinity, float.NegativeInfinity, 0f, float.NegativeInfinity }, 2, 2);

        var y = x.Softmax(1).ToFloatArray();
        var l = x.LogSoftmax(1).ToFloatArray();

        Assert.True(float.IsNaN(y[0]) && float.IsNaN(y[1]));
        Assert.Equal(new[] { 1f, 0f }, y[2..]);
        Assert.True(float.IsNaN(l[0]) && float.IsNaN(l[1]));
        Assert.Equal(new[] { 0f, float.NegativeInfinity }, l[2..]);
    }

    [Fact]
    public void BadDimThrowsAndOutputIsContiguous()
    {
        var x = Tensor.Zeros(2, 3);

        var e = Assert.Throws<ShapeException>(() => x.Softmax(2));
        Assert.Equal("Softmax", e.Operation);
        Assert.True(x.Transpose(0, 1).LogSoftmax(0).IsContiguous);
        Assert.Equal(1f, Tensor.Scalar(3f).Softmax(0).Item());
    }
}
