using ShapeSafe.NN;
using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.NN.Layers;

/// <summary>Conv1d, BatchNorm1d and GroupNorm: initialization, printed forms, values and gradients.</summary>
public class Conv1dAndNormTests
{
    [Fact]
    public void Conv1d_draws_pytorchs_weights()
    {
        var conv = new Conv1d(2, 3, 2, generator: new Generator(0));

        // torch.manual_seed(0); nn.Conv1d(2, 3, 2): LibTorch 2.10's values (through TorchSharp 0.107).
        Assert.Equal(new[] { -0.00374341f, 0.2682218f, -0.41152257f, -0.3679695f, -0.19257718f, 0.13407868f,
            -0.00990659f, 0.39644474f, -0.044372022f, 0.13230628f, -0.15110654f, -0.098282695f }, conv.Weight.ToFloatArray());
        Assert.Equal(new[] { -0.47767425f, -0.33114105f, -0.20611155f }, conv.Bias!.ToFloatArray());
        Assert.Equal(new[] { "weight", "bias" }, conv.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void Conv1d_prints_like_pytorch()
    {
        Assert.Equal("Conv1d(2, 3, kernel_size=(2,), stride=(1,))", new Conv1d(2, 3, 2).ToString());
        Assert.Equal("Conv1d(4, 8, kernel_size=(3,), stride=(2,), padding=(1,), dilation=(2,), groups=2, bias=False)",
            new Conv1d(4, 8, 3, stride: 2, padding: 1, dilation: 2, groups: 2, bias: false).ToString());
    }

    [Fact]
    public void Conv1d_slides_along_the_last_dim()
    {
        var conv = new Conv1d(1, 1, 3, padding: 1);
        using (ShapeSafe.Autograd.NoGrad())
        {
            conv.Weight.CopyFrom(Tensor.FromArray(new[] { 1f, 0f, -1f }, 1, 1, 3));
            conv.Bias!.CopyFrom(Tensor.FromArray(new[] { 0.5f }));
        }

        var y = conv.Forward(Tensor.FromArray(new[] { 1f, 2f, 3f, 4f, 5f }, 1, 1, 5));

        // x[i - 1] - x[i + 1] + 0.5 over [0, 1, 2, 3, 4, 5, 0].
        Assert.Equal(new[] { 1, 1, 5 }, y.Shape);
        Assert.Equal(new[] { -1.5f, -1.5f, -1.5f, -1.5f, 4.5f }, y.ToFloatArray());
        Assert.Equal(new[] { 1, 5 }, conv.Forward(Tensor.Ones(1, 5)).Shape);
        var e = Assert.Throws<ShapeException>(() => conv.Forward(Tensor.Ones(1, 2, 5)));
        Assert.Equal("Conv1d: input [1, 2, 5] has 2 channels at dim 1, but weight [1, 1, 3] expects 1 (groups = 1)", e.Message);
    }

    [Fact]
    public void Conv1d_gradients_match_finite_differences()
    {
        var conv = new Conv1d(4, 4, 3, stride: 2, padding: 1, groups: 2, generator: new Generator(2));
        var x = Tensor.Randn([2, 4, 7], new Generator(3));
        x.RequiresGrad = true;
        GradCheck.CheckInPlace(() => conv.Forward(x), [x, conv.Weight, conv.Bias!]);
    }

    [Fact]
    public void BatchNorm1d_normalizes_features_with_batch_statistics()
    {
        var bn = new BatchNorm1d(2);
        var x = Tensor.FromArray(new[] { 1f, 10f, 3f, 30f }, 2, 2);

        var y = bn.Forward(x);

        // Per feature: mean 2 and 20, biased variance 1 and 100; eps = 1e-5.
        float a = 1f / MathF.Sqrt(1f + 1e-5f), b = 10f / MathF.Sqrt(100f + 1e-5f);
        Close([-a, -b, a, b], y);
        // Running statistics: 0.9·0 + 0.1·mean, and 0.9·1 + 0.1·(unbiased variance 2 and 200).
        Close([0.2f, 2f], bn.RunningMean!);
        Close([1.1f, 20.9f], bn.RunningVar!);
        Assert.Equal("BatchNorm1d(2, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)", bn.ToString());
        Assert.Equal(new[] { "weight", "bias", "running_mean", "running_var", "num_batches_tracked" }, bn.StateDict().Keys);
        Assert.Equal(new[] { 2, 2, 3 }, bn.Forward(Tensor.Randn([2, 2, 3], new Generator(1))).Shape);
        Assert.Throws<ShapeException>(() => bn.Forward(Tensor.Zeros(2, 2, 2, 2)));
        Assert.Throws<ShapeException>(() => bn.Forward(Tensor.Zeros(2, 3)));
    }

    [Fact]
    public void GroupNorm_normalizes_each_sample_and_group()
    {
        var gn = new GroupNorm(2, 4);
        // One sample, groups {1, 3} and {10, 30} (channels of one element each, two channels per group).
        var x = Tensor.FromArray(new[] { 1f, 3f, 10f, 30f }, 1, 4, 1);

        var y = gn.Forward(x);

        float a = 1f / MathF.Sqrt(1f + 1e-5f), b = 10f / MathF.Sqrt(100f + 1e-5f);
        Close([-a, a, -b, b], y);
        Assert.Equal("GroupNorm(2, 4, eps=1e-05, affine=True)", gn.ToString());
        Assert.Equal(new[] { "weight", "bias" }, gn.NamedParameters().Select(p => p.Name));
        var e = Assert.Throws<ShapeException>(() => F.GroupNorm(Tensor.Zeros(1, 3, 2), 2));
        Assert.Equal("GroupNorm: Expected number of channels in input to be divisible by num_groups, but got input of shape [1, 3, 2] and num_groups=2", e.Message);
        Assert.Throws<ArgumentException>(() => new GroupNorm(3, 4));
    }

    [Fact]
    public void Norm_gradients_match_finite_differences()
    {
        var gn = new GroupNorm(2, 4);
        using (ShapeSafe.Autograd.NoGrad())
        {
            gn.Weight!.CopyFrom(Tensor.Randn([4], new Generator(5)));
            gn.Bias!.CopyFrom(Tensor.Randn([4], new Generator(6)));
        }
        var x = Tensor.Randn([2, 4, 3], new Generator(7));
        x.RequiresGrad = true;
        GradCheck.CheckInPlace(() => gn.Forward(x), [x, gn.Weight!, gn.Bias!]);
        var bn = new BatchNorm1d(3);
        var z = Tensor.Randn([4, 3], new Generator(8));
        z.RequiresGrad = true;
        GradCheck.CheckInPlace(() => bn.Forward(z), [z, bn.Weight!, bn.Bias!]);
    }

    static void Close(float[] expected, Tensor actual)
    {
        var values = actual.ToFloatArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < values.Length; i++) Assert.Equal(expected[i], values[i], 5);
    }
}
