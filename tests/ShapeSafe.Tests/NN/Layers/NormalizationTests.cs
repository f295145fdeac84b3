using ShapeSafe.NN;
using static ShapeSafe.Tests.NN.FiniteDifferences;

namespace ShapeSafe.Tests.NN.Layers;

/// <summary>nn.BatchNorm2d and nn.LayerNorm: state names, train/eval semantics, running statistics, gradients.</summary>
public class NormalizationTests
{
    // (sin(arange(24)·0.37 - 1)·3).reshape(2, 3, 2, 2), the input LibTorch's answers below were computed on.
    static Tensor BatchInput() =>
        Tensor.FromArray(Enumerable.Range(0, 24).Select(i => MathF.Sin(i * 0.37f - 1f) * 3f).ToArray(), 2, 3, 2, 2);

    [Fact]
    public void BatchNorm2d_has_pytorchs_state_in_pytorchs_order()
    {
        var bn = new BatchNorm2d(16);

        Assert.Equal("BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)", bn.ToString());
        Assert.Equal(new[] { "weight", "bias", "running_mean", "running_var", "num_batches_tracked" }, bn.StateDict().Keys);
        Assert.Equal(new[] { "weight", "bias" }, bn.NamedParameters().Select(p => p.Name));
        Assert.All(bn.Weight!.ToFloatArray(), v => Assert.Equal(1f, v));
        Assert.All(bn.Bias!.ToFloatArray(), v => Assert.Equal(0f, v));
        Assert.All(bn.RunningMean!.ToFloatArray(), v => Assert.Equal(0f, v));
        Assert.All(bn.RunningVar!.ToFloatArray(), v => Assert.Equal(1f, v));
        Assert.Equal(DType.Int64, bn.NumBatchesTracked!.DType);
        Assert.Equal(0, bn.NumBatchesTracked.Rank);
        Assert.Equal(0L, bn.NumBatchesTracked.ItemInt64());
    }

    [Fact]
    public void BatchNorm2d_without_affine_or_tracking_prints_and_stores_less()
    {
        var bn = new BatchNorm2d(4, eps: 1e-3, momentum: null, affine: false, trackRunningStats: false);

        Assert.Equal("BatchNorm2d(4, eps=0.001, momentum=None, affine=False, track_running_stats=False)", bn.ToString());
        Assert.Empty(bn.StateDict());
    }

    [Fact]
    public void BatchNorm2d_training_twice_matches_libtorch()
    {
        var bn = new BatchNorm2d(3);
        var x = BatchInput();

        var y1 = bn.Forward(x);
        bn.Forward(x * 2f + 1f);

        Close(new[] { -0.86056685f, -0.13423507f, 0.8216262f, 1.8776454f, 0.52119386f, 0.89927584f, 1.1445631f, 1.223857f }, y1.ToFloatArray()[..8], 1e-5);
        Close(new[] { -0.37198526f, 0.15454525f, 0.58187664f }, bn.RunningMean!.ToFloatArray(), 1e-6);
        Close(new[] { 1.4182485f, 3.765008f, 1.3175102f }, bn.RunningVar!.ToFloatArray(), 1e-6);
        Assert.Equal(2L, bn.NumBatchesTracked!.ItemInt64());

        bn.Eval();
        Close(new[] { -1.8073857f, -1.1717536f, -0.33525416f, 0.58889604f, 0.6343096f, 1.0819076f, 1.3722945f, 1.466168f }, bn.Forward(x).ToFloatArray()[..8], 1e-5);
        Assert.Equal(2L, bn.NumBatchesTracked.ItemInt64());
    }

    [Fact]
    public void BatchNorm2d_training_normalizes_with_batch_statistics_and_updates_with_the_unbiased_variance()
    {
        var bn = new BatchNorm2d(3);
        var x = BatchInput();
        var values = x.ToFloatArray();

        var y = bn.Forward(x).ToFloatArray();

        var rm = bn.RunningMean!.ToFloatArray();
        var rv = bn.RunningVar!.ToFloatArray();
        for (int c = 0; c < 3; c++)
        {
            var channel = Enumerable.Range(0, 2).SelectMany(n => Enumerable.Range(0, 4).Select(s => (double)values[(n * 3 + c) * 4 + s])).ToArray();
            double mean = channel.Average();
            double biased = channel.Select(v => (v - mean) * (v - mean)).Average();
            Assert.Equal(0.1 * mean, rm[c], 6);
            Assert.Equal(0.9 + 0.1 * biased * 8 / 7, rv[c], 6);
            for (int n = 0; n < 2; n++)
                for (int s = 0; s < 4; s++)
                {
                    int i = (n * 3 + c) * 4 + s;
                    Assert.Equal((values[i] - mean) / Math.Sqrt(biased + 1e-5), y[i], 5);
                }
        }
    }

    [Fact]
    public void BatchNorm2d_with_null_momentum_keeps_a_cumulative_average()
    {
        var bn = new BatchNorm2d(3, momentum: null);
        var a = BatchInput();
        var b = a * -0.5f + 2f;

        bn.Forward(a);
        bn.Forward(b);

        var meanA = a.Mean(new[] { 0, 2, 3 }).ToFloatArray();
        var meanB = b.Mean(new[] { 0, 2, 3 }).ToFloatArray();
        Close(meanA.Zip(meanB, (p, q) => (p + q) / 2).ToArray(), bn.RunningMean!.ToFloatArray(), 1e-5);
    }

    [Fact]
    public void BatchNorm2d_eval_without_running_stats_uses_batch_statistics()
    {
        var bn = new BatchNorm2d(3, trackRunningStats: false);
        bn.Eval();
        var x = BatchInput();

        Assert.Equal(new BatchNorm2d(3).Forward(x).ToFloatArray(), bn.Forward(x).ToFloatArray());
    }

    [Fact]
    public void BatchNorm2d_refuses_wrong_inputs()
    {
        var bn = new BatchNorm2d(3);

        Assert.Contains("expected 4D input", Assert.Throws<ShapeException>(() => bn.Forward(Tensor.Zeros(2, 3))).Message);
        Assert.Contains("[2, 4, 2, 2]", Assert.Throws<ShapeException>(() => bn.Forward(Tensor.Zeros(2, 4, 2, 2))).Message);
        Assert.Contains("Expected more than 1 value per channel when training", Assert.Throws<ShapeException>(() => bn.Forward(Tensor.Zeros(1, 3, 1, 1))).Message);
    }

    [Fact]
    public void BatchNorm2d_running_stats_do_not_require_grad_after_training_with_grad()
    {
        var bn = new BatchNorm2d(3);
        var y = bn.Forward(Leaf(1, -1, 1, 2, 3, 2, 2));

        Assert.Equal("NativeBatchNormBackward", y.GradFn);
        Assert.False(bn.RunningMean!.RequiresGrad);
        Assert.True(bn.RunningMean.IsLeaf);
    }

    [Fact]
    public void BatchNorm2d_gradients_match_libtorch()
    {
        var bn = new BatchNorm2d(3);
        using (global::ShapeSafe.Autograd.NoGrad())
        {
            bn.Weight!.CopyFrom(Tensor.FromArray(new[] { 0.5f, 1.5f, -2f }));
            bn.Bias!.CopyFrom(Tensor.FromArray(new[] { 0.1f, 0.2f, 0.3f }));
        }
        var x = BatchInput();
        x.RequiresGrad = true;
        var w = Tensor.FromArray(Enumerable.Range(0, 24).Select(i => MathF.Cos(i)).ToArray(), 2, 3, 2, 2);

        bn.Forward(x).Backward(w);

        Close(new[] { 0.3067194f, 0.16832022f, -0.18244055f, -0.33831725f, -0.68111694f, -0.14930816f, 0.24038598f, 0.08886663f }, x.Grad!.ToFloatArray()[..8], 1e-5);
        Close(new[] { -1.8858615f, 2.6001327f, -2.035653f }, bn.Weight!.Grad!.ToFloatArray(), 1e-5);
        Close(new[] { 1.262513f, 1.7602897f, -3.5637171f }, bn.Bias!.Grad!.ToFloatArray(), 1e-5);
    }

    [Fact]
    public void BatchNorm_gradients_match_finite_differences_in_training_and_eval()
    {
        var x = Leaf(1, -2, 2, 3, 2, 2, 3);
        var gamma = Leaf(2, 0.5f, 1.5f, 2);
        var beta = Leaf(3, -1, 1, 2);
        var rm = Tensor.FromArray(new[] { 0.2f, -0.1f });
        var rv = Tensor.FromArray(new[] { 1.5f, 0.7f });

        Check(t => F.BatchNorm(t[0], null, null, t[1], t[2], training: true), new[] { x, gamma, beta }, atol: 5e-3);
        Check(t => F.BatchNorm(t[0], rm, rv, t[1], t[2], training: false), new[] { x, gamma, beta });
    }

    [Fact]
    public void LayerNorm_prints_and_initializes_like_pytorch()
    {
        var ln = new LayerNorm(new[] { 20, 30 });

        Assert.Equal("LayerNorm((20, 30), eps=1e-05, elementwise_affine=True)", ln.ToString());
        Assert.Equal("LayerNorm((10,), eps=1e-05, elementwise_affine=True)", new LayerNorm(10).ToString());
        Assert.Equal(new[] { "weight", "bias" }, ln.StateDict().Keys);
        Assert.Equal(new[] { 20, 30 }, ln.Weight!.Shape);
        Assert.All(ln.Weight.ToFloatArray(), v => Assert.Equal(1f, v));
        Assert.All(ln.Bias!.ToFloatArray(), v => Assert.Equal(0f, v));
        Assert.Empty(new LayerNorm(5, elementwiseAffine: false).StateDict());
    }

    [Fact]
    public void LayerNorm_forward_and_gradients_match_libtorch()
    {
        var ln = new LayerNorm(new[] { 3, 4 });
        using (global::ShapeSafe.Autograd.NoGrad())
        {
            ln.Weight!.CopyFrom(Tensor.FromArray(Enumerable.Range(0, 12).Select(i => 0.5f + 1.5f * i / 11).ToArray(), 3, 4));
            ln.Bias!.CopyFrom(Tensor.FromArray(Enumerable.Range(0, 12).Select(i => -1f + 2f * i / 11).ToArray(), 3, 4));
        }
        var x = Tensor.FromArray(Enumerable.Range(0, 24).Select(i => MathF.Cos(i * 0.7f) * 2f).ToArray(), 2, 3, 4);
        x.RequiresGrad = true;
        var w = Tensor.FromArray(Enumerable.Range(0, 24).Select(i => MathF.Cos(i)).ToArray(), 2, 3, 4);

        var y = ln.Forward(x);
        y.Backward(w);

        Assert.Equal("NativeLayerNormBackward", y.GradFn);
        Close(new[] { -0.3960353f, -0.26491073f, -0.6262258f, -1.3256872f, -1.9327492f, -1.9576473f, -1.1445713f, 0.32645237f }, y.ToFloatArray()[..8], 1e-5);
        Close(new[] { 0.6276869f, 0.4692047f, -0.12627372f, -0.6748198f, -0.60460275f, 0.12964478f, 0.8867514f, 0.89766484f }, x.Grad!.ToFloatArray()[..8], 1e-5);
        Close(new[] { 0.82997847f, -0.48428404f, -0.1458862f, 1.2421046f, 0.49252236f, -0.8307368f }, ln.Weight!.Grad!.ToFloatArray()[..6], 1e-5);
        Close(new[] { 1.843854f, 1.4477491f, -0.27940965f, -1.7496804f, -1.6113031f, 0.0084988475f }, ln.Bias!.Grad!.ToFloatArray()[..6], 1e-5);
    }

    [Fact]
    public void LayerNorm_normalizes_each_row_against_a_double_reference()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 10, 10, 10, 14 }, 2, 4);

        var y = F.LayerNorm(x, new[] { 4 }).ToFloatArray();

        Close(new[] { -1.3416355f, -0.4472118f, 0.4472118f, 1.3416355f, -0.5773486f, -0.5773486f, -0.5773486f, 1.7320459f }, y, 1e-5);
    }

    [Fact]
    public void LayerNorm_gradients_match_finite_differences()
    {
        var x = Leaf(1, -2, 2, 3, 5);
        var w = Leaf(2, 0.5f, 1.5f, 5);
        var b = Leaf(3, -1, 1, 5);

        Check(t => F.LayerNorm(t[0], new[] { 5 }, t[1], t[2]), new[] { x, w, b }, atol: 5e-3);
    }

    [Fact]
    public void LayerNorm_wrong_trailing_dims_throw_naming_both_shapes()
    {
        var e = Assert.Throws<ShapeException>(() => new LayerNorm(new[] { 20, 30 }).Forward(Tensor.Zeros(2, 20, 31)));

        Assert.Contains("normalized_shape=[20, 30]", e.Message);
        Assert.Contains("[2, 20, 31]", e.Message);
    }
}
