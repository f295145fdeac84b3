using ShapeSafe;
using ShapeSafe.NN;

namespace ShapeSafe.Tests.DTypes;

// Softmax and LogSoftmax of a BFloat16 tensor: ATen's CPU kernels widen the input to float32, compute in float32 and
// round the result once; the backward widens the gradient and the rounded result and rounds the input's gradient once.
public class BFloat16SoftmaxTests
{
    static Tensor Values(params int[] shape)
    {
        var data = new float[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++) data[i] = MathF.Sin(i * 1.7f) * 3f + (i % 5) * 0.25f;
        return Tensor.FromArray(data).View(shape).ToDType(DType.BFloat16);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, 0)]
    [InlineData(true, 1)]
    [InlineData(true, -3)]
    public void ForwardIsTheFloat32KernelRoundedOnce(bool log, int dim)
    {
        var x = Values(4, 6, 5);
        var y = log ? x.LogSoftmax(dim) : F.Softmax(x, dim);
        var wide = x.ToDType(DType.Float32);
        var expected = (log ? wide.LogSoftmax(dim) : wide.Softmax(dim)).ToDType(DType.BFloat16);
        Assert.Equal(DType.BFloat16, y.DType);
        Assert.Equal(new[] { 4, 6, 5 }, y.Sizes);
        Assert.Equal(expected.ToFloatArray(), y.ToFloatArray());
    }

    [Theory]
    [InlineData(false, "SoftmaxBackward")]
    [InlineData(true, "LogSoftmaxBackward")]
    public void BackwardIsTheFloat32FormulaOnTheRoundedResult(bool log, string gradFn)
    {
        var x = Values(3, 7);
        x.RequiresGrad = true;
        var y = log ? x.LogSoftmax(1) : x.Softmax(1);
        Assert.Equal(gradFn, y.GradFn);
        var upstream = Values(3, 7).Mul(0.5f);
        y.Backward(upstream);

        var g = upstream.ToDType(DType.Float32);
        var r = y.Detach().ToDType(DType.Float32);
        var expected = log
            ? g - r.Exp() * g.Sum(1, keepDim: true)
            : (g - (g * r).Sum(1, keepDim: true)) * r;
        Assert.Equal(DType.BFloat16, x.Grad!.DType);
        Assert.Equal(expected.ToDType(DType.BFloat16).ToFloatArray(), x.Grad.ToFloatArray());
    }

    [Fact]
    public void ATransposedInputGivesTheContiguousInputsResult()
    {
        var x = Values(5, 4);
        var transposed = x.Transpose(0, 1);
        Assert.Equal(transposed.Contiguous().LogSoftmax(1).ToFloatArray(), transposed.LogSoftmax(1).ToFloatArray());
    }
}
