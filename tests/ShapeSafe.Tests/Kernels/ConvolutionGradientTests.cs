using ShapeSafe;

namespace ShapeSafe.Tests.Kernels;

/// <summary>
/// Conv2d's recorded backward against central finite differences of L = Σ conv2d(x, w, b) · R
/// (R fixed and random), for every element of input, weight and bias.
/// </summary>
public class ConvolutionGradientTests
{
    const float Eps = 1e-2f;

    internal static Tensor Leaf(System.Random random, params int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var t = Tensor.FromArray(ConvolutionKernelTests.RandomArray(random, n), shape);
        t.RequiresGrad = true;
        return t;
    }

    internal static double Dot(Tensor y, float[] r)
    {
        var v = y.ToFloatArray();
        double s = 0;
        for (int i = 0; i < v.Length; i++) s += (double)v[i] * r[i];
        return s;
    }

    /// <summary>
    /// Checks each element of <paramref name="leaf"/>'s gradient against (L(x + ε) − L(x − ε)) / 2ε, nudging the
    /// element in the leaf's storage (leaves here are contiguous from offset 0).
    /// </summary>
    internal static void CheckAgainstFiniteDifferences(Tensor leaf, Func<double> loss, string what)
    {
        var analytic = leaf.Grad!.ToFloatArray();
        var values = leaf.ToFloatArray();
        for (int i = 0; i < values.Length; i++)
        {
            double plus, minus;
            using (global::ShapeSafe.Autograd.NoGrad())
            {
                leaf.FloatData[i] = values[i] + Eps;
                plus = loss();
                leaf.FloatData[i] = values[i] - Eps;
                minus = loss();
                leaf.FloatData[i] = values[i];
            }
            double numeric = (plus - minus) / (2 * Eps);
            Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-2 * Math.Max(1, Math.Abs(numeric)),
                $"{what}[{i}]: backward gave {analytic[i]}, finite differences {numeric}");
        }
    }

    [Theory]
    [InlineData(2, 3, 4, 5, 6, 3, 1, 1, 1, 1)]
    [InlineData(1, 2, 3, 7, 7, 3, 2, 2, 2, 1)]
    [InlineData(2, 4, 4, 5, 5, 3, 1, 1, 1, 2)]
    [InlineData(3, 3, 2, 4, 4, 1, 1, 0, 1, 1)]
    [InlineData(1, 1, 2, 6, 5, 5, 3, 2, 1, 1)]
    public void Gradients_match_finite_differences(int n, int c, int o, int h, int w, int k, int stride, int padding, int dilation, int groups)
    {
        var random = new System.Random(n * 1000 + c * 100 + k * 10 + stride);
        var x = Leaf(random, n, c, h, w);
        var weight = Leaf(random, o, c / groups, k, k);
        var bias = Leaf(random, o);
        var y = Tensor.Conv2d(x, weight, bias, stride, padding, dilation, groups);
        var r = ConvolutionKernelTests.RandomArray(random, (int)y.NumEl);
        y.Backward(Tensor.FromArray(r, y.Shape.ToArray()));

        double Loss() => Dot(Tensor.Conv2d(x, weight, bias, stride, padding, dilation, groups), r);
        CheckAgainstFiniteDifferences(x, Loss, "input");
        CheckAgainstFiniteDifferences(weight, Loss, "weight");
        CheckAgainstFiniteDifferences(bias, Loss, "bias");
    }

    [Fact]
    public void Unbatched_input_gets_an_unbatched_gradient()
    {
        var random = new System.Random(3);
        var x = Leaf(random, 2, 5, 5);
        var weight = Leaf(random, 3, 2, 3, 3);
        var y = Tensor.Conv2d(x, weight, padding: 1);
        var r = ConvolutionKernelTests.RandomArray(random, (int)y.NumEl);
        y.Backward(Tensor.FromArray(r, y.Shape.ToArray()));
        Assert.Equal(new[] { 2, 5, 5 }, x.Grad!.Shape);
        CheckAgainstFiniteDifferences(x, () => Dot(Tensor.Conv2d(x, weight, padding: 1), r), "input");
    }

    [Fact]
    public void Only_inputs_that_require_grad_get_one()
    {
        var random = new System.Random(4);
        var x = Tensor.FromArray(ConvolutionKernelTests.RandomArray(random, 2 * 2 * 4 * 4), 2, 2, 4, 4);
        var weight = Leaf(random, 3, 2, 3, 3);
        var bias = Tensor.Zeros(3);
        Tensor.Conv2d(x, weight, bias).Backward(Tensor.Ones(2, 3, 2, 2));
        Assert.Null(x.Grad);
        Assert.Null(bias.Grad);
        Assert.NotNull(weight.Grad);
    }
}
