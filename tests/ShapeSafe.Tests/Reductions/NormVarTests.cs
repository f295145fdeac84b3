using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.Reductions;

/// <summary>Vector norms and the variance with Bessel's correction; values worked by hand.</summary>
public class NormVarTests
{
    [Fact]
    public void NormsOfAVector()
    {
        var x = Tensor.FromArray(new[] { 3f, -4f });

        Assert.Equal(5f, x.Norm().Item());
        Assert.Equal(7f, x.Norm(1).Item());
        Assert.Equal(4f, x.Norm(double.PositiveInfinity).Item());
        Assert.Equal(3f, x.Norm(double.NegativeInfinity).Item());
        Assert.Equal(2f, Tensor.FromArray(new[] { 0f, 3f, 0f, -4f }).Norm(0).Item());
        Assert.Equal(MathF.Cbrt(9f), Tensor.FromArray(new[] { 1f, 2f }).Norm(3).Item(), 6);
    }

    [Fact]
    public void NormAlongDims()
    {
        var x = Tensor.FromArray(new[] { 3f, 4f, 0f, 5f, 12f, 0f }, 2, 3);

        Assert.Equal(new[] { 5f, 13f }, x.Norm(2, 1).ToFloatArray());
        Assert.Equal(new[] { 1, 3 }, x.Norm(1, 0, keepDim: true).Shape);
        Assert.Equal(new[] { 8f, 16f, 0f }, x.Norm(1, 0, keepDim: true).ToFloatArray());
        Assert.Equal(MathF.Sqrt(194f), x.Norm(2, [0, 1]).Item());
        Assert.Throws<ArgumentException>(() => Tensor.Arange(3).Norm());
    }

    [Fact]
    public void VarianceWithACorrection()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f });

        Assert.Equal(1.25f, x.Var(correction: 0.0).Item());
        Assert.Equal(5f / 3f, x.Var(correction: 1.0).Item());
        Assert.Equal(2.5f, x.Var(correction: 2.0).Item());
        Assert.Equal(MathF.Sqrt(1.25f), x.Std(correction: 0.0).Item());
        // More correction than elements divides by 0, as ATen's max(0, n - correction).
        Assert.Equal(float.PositiveInfinity, x.Var(correction: 5.0).Item());
        var rows = Tensor.FromArray(new[] { 1f, 3f, 2f, 6f }, 2, 2);
        Assert.Equal(new[] { 1f, 4f }, rows.Var(1, correction: 0.0).ToFloatArray());
        Assert.Equal(new[] { 2, 1 }, rows.Std([1], 1.0, keepDim: true).Shape);
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        var x = Tensor.FromArray(new[] { 0.3f, -1.2f, 0.9f, 1.7f, -0.4f, 0.5f, -0.8f, 1.1f, 0.6f, -1.5f, 1.4f, -0.7f }, 3, 4);
        GradCheck.Check(t => t[0].Norm(), x);
        GradCheck.Check(t => t[0].Norm(2, 1), x);
        GradCheck.Check(t => t[0].Norm(1, 0, keepDim: true), x);
        GradCheck.Check(t => t[0].Norm(3, -1), x);
        GradCheck.Check(t => t[0].Norm(double.PositiveInfinity, 1), x);
        GradCheck.Check(t => t[0].Norm(1.5, [0, 1]), x);
        GradCheck.Check(t => t[0].Var(1, correction: 0.0), x);
        GradCheck.Check(t => t[0].Std([0], 2.0, keepDim: true), x);
        var leaf = Tensor.Ones(3);
        leaf.RequiresGrad = true;
        // PyTorch 2 computes torch.norm through linalg.vector_norm, hence its node's name.
        Assert.Equal("LinalgVectorNormBackward", leaf.Norm().GradFn);
        Assert.Equal("VarBackward", leaf.Var(correction: 0.0).GradFn);
    }
}
