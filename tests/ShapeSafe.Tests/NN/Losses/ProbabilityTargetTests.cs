using ShapeSafe.NN;
using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.NN.Losses;

/// <summary>
/// CrossEntropyLoss with class-probability targets (ATen's cross_entropy_loss_prob_target, with label smoothing and
/// weights) against the formula in double, and MSELoss broadcasting as PyTorch does. The conformance tool compares
/// both with LibTorch.
/// </summary>
public class ProbabilityTargetTests
{
    static readonly Generator Rng = new(23);

    /// <summary>-Σ_c w_c·p_c·log_softmax(x)_c per row of [N, C], p smoothed by ε.</summary>
    static double[] Reference(float[] x, float[] p, int n, int c, double epsilon, float[]? w)
    {
        var losses = new double[n];
        for (int i = 0; i < n; i++)
        {
            double max = x.Skip(i * c).Take(c).Max();
            double logSum = Math.Log(x.Skip(i * c).Take(c).Sum(v => Math.Exp(v - max))) + max;
            for (int k = 0; k < c; k++)
                losses[i] -= (w?[k] ?? 1) * (p[i * c + k] * (1 - epsilon) + epsilon / c) * (x[i * c + k] - logSum);
        }
        return losses;
    }

    [Theory]
    [InlineData(0.0, false)]
    [InlineData(0.2, false)]
    [InlineData(0.1, true)]
    public void ProbabilityTargetsFollowTheFormulaAndTheMeanDividesBySamples(double smoothing, bool weighted)
    {
        var x = Tensor.Randn([4, 5], Rng);
        var p = Tensor.Rand([4, 5], Rng).Softmax(1);
        var w = weighted ? Tensor.FromArray(new[] { 1f, 2f, 0.5f, 1f, 3f }) : null;
        var expected = Reference(x.ToFloatArray(), p.ToFloatArray(), 4, 5, smoothing, w?.ToFloatArray());

        var none = new CrossEntropyLoss(w, reduction: Reduction.None, labelSmoothing: smoothing).Forward(x, p);
        var mean = new CrossEntropyLoss(w, labelSmoothing: smoothing).Forward(x, p);
        var sum = F.CrossEntropy(x, p, w, reduction: Reduction.Sum, labelSmoothing: smoothing);

        Assert.Equal(new[] { 4 }, none.Shape);
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], none.ToFloatArray()[i], 5);
        Assert.Equal(expected.Sum() / 4, mean.Item(), 5);
        Assert.Equal(expected.Sum(), sum.Item(), 4);
    }

    [Fact]
    public void ProbabilitiesOverSpatialDimsGradientsAndRefusals()
    {
        var x = Tensor.Randn([2, 3, 2], Rng);
        var p = Tensor.Rand([2, 3, 2], Rng).Softmax(1);
        Assert.Equal(new[] { 2, 2 }, F.CrossEntropy(x, p, reduction: Reduction.None).Shape);
        GradCheck.Check(t => F.CrossEntropy(t[0], t[1], labelSmoothing: 0.1), Tensor.Randn([3, 4], Rng), Tensor.Rand([3, 4], Rng));

        var ignore = Assert.Throws<ArgumentException>(() => F.CrossEntropy(x, p, ignoreIndex: 1));
        Assert.StartsWith("CrossEntropyLoss: ignore_index is not supported for floating point target", ignore.Message);
        Assert.Throws<ShapeException>(() => F.CrossEntropy(Tensor.Randn(2, 3), Tensor.Rand(2, 4)));
    }

    [Fact]
    public void MseLossBroadcastsAsPyTorchDoes()
    {
        var input = Tensor.FromArray(new[] { 1f, 2f, 3f }, 3, 1);
        var target = Tensor.FromArray(new[] { 0f, 1f, 2f }, 3);

        var none = F.MseLoss(input, target, Reduction.None);
        var mean = new MSELoss().Forward(input, target);

        Assert.Equal(new[] { 3, 3 }, none.Shape);
        Assert.Equal(new[] { 1f, 0, 1, 4, 1, 0, 9, 4, 1 }, none.ToFloatArray());
        Assert.Equal(21f / 9, mean.Item(), 6);
        GradCheck.Check(t => F.MseLoss(t[0], t[1]), Tensor.Randn([3, 1], Rng), Tensor.Randn([2], Rng));
        var e = Assert.Throws<ShapeException>(() => F.MseLoss(Tensor.Zeros(3), Tensor.Zeros(4)));
        Assert.StartsWith("MSELoss:", e.Message);
    }
}
