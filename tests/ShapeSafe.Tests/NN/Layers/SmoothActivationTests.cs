using ShapeSafe.NN;
using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.NN.Layers;

/// <summary>SiLU, Mish, Softplus, Hardswish and Identity: printed forms, values worked by hand, gradients.</summary>
public class SmoothActivationTests
{
    [Fact]
    public void Print_like_pytorch()
    {
        Assert.Equal("SiLU()", new SiLU().ToString());
        Assert.Equal("Mish()", new Mish().ToString());
        Assert.Equal("Hardswish()", new Hardswish().ToString());
        Assert.Equal("Identity()", new Identity().ToString());
        Assert.Equal("Softplus(beta=1.0, threshold=20.0)", new Softplus().ToString());
        Assert.Equal("Softplus(beta=2.0, threshold=3.5)", new Softplus(2, 3.5).ToString());
    }

    [Fact]
    public void Compute_the_functions()
    {
        var x = Tensor.FromArray(new[] { -2f, 0f, 1f });

        // x / (1 + e^-x): -2 / (1 + e^2), 0, 1 / (1 + e^-1).
        Close([-0.23840584f, 0f, 0.7310586f], new SiLU().Forward(x));
        // x·tanh(ln(1 + e^x)): -2·tanh(ln(1 + e^-2)), 0, tanh(ln(1 + e)).
        Close([-0.25250148f, 0f, 0.8650984f], new Mish().Forward(x));
        // ln(1 + e^x), and x itself past the threshold.
        Close([0.12692801f, 0.6931472f, 1.3132616f], new Softplus().Forward(x));
        Assert.Equal(25f, new Softplus().Forward(Tensor.FromArray(new[] { 25f })).Item());
        // ln(1 + e^(2x)) / 2 at x = 1.
        Close([1.0634640f], new Softplus(2).Forward(Tensor.FromArray(new[] { 1f })));
        // 0 below -3, x·(x + 3)/6 between, x above 3.
        Close([0f, -1f / 3f, 0f, 2f / 3f, 4f], new Hardswish().Forward(Tensor.FromArray(new[] { -4f, -1f, 0f, 1f, 4f })));
        Assert.Same(x, new Identity().Forward(x));
        Assert.Throws<ArgumentException>(() => F.Silu(Tensor.Arange(3)));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Tensor.FromArray(new[] { -3.7f, -2.5f, -1.1f, -0.4f, 0.3f, 0.9f, 2.2f, 3.4f });
        GradCheck.Check(t => F.Silu(t[0]), x);
        GradCheck.Check(t => F.Mish(t[0]), x);
        GradCheck.Check(t => F.Softplus(t[0]), x);
        GradCheck.Check(t => F.Softplus(t[0], beta: 2, threshold: 3), x);
        GradCheck.Check(t => F.Hardswish(t[0]), x);
        var leaf = Tensor.Ones(2);
        leaf.RequiresGrad = true;
        Assert.Equal("SiluBackward", F.Silu(leaf).GradFn);
    }

    static void Close(float[] expected, Tensor actual)
    {
        var values = actual.ToFloatArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < values.Length; i++) Assert.Equal(expected[i], values[i], 6);
    }
}
