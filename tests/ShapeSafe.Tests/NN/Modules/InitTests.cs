using ShapeSafe.NN;

namespace ShapeSafe.Tests.NN.Modules;

/// <summary>torch.nn.init: fans, gains, bounds, and draws identical to PyTorch's uniform_ / normal_.</summary>
public class InitTests
{
    [Theory]
    [InlineData(new[] { 20, 10 }, 10, 20)]
    [InlineData(new[] { 16, 3, 3, 3 }, 27, 144)]
    [InlineData(new[] { 8, 4, 5 }, 20, 40)]
    public void Fans_multiply_the_feature_maps_by_the_receptive_field(int[] shape, long fanIn, long fanOut)
    {
        Assert.Equal((fanIn, fanOut), Init.CalculateFanInAndFanOut(Tensor.Zeros(shape)));
    }

    [Fact]
    public void Fans_need_two_dims()
    {
        var e = Assert.Throws<ArgumentException>(() => Init.XavierUniform(Tensor.Zeros(5)));
        Assert.Contains("fewer than 2 dimensions", e.Message);
    }

    [Fact]
    public void Gains_are_pytorchs()
    {
        Assert.Equal(1.0, Init.CalculateGain("linear"));
        Assert.Equal(1.0, Init.CalculateGain("conv2d"));
        Assert.Equal(1.0, Init.CalculateGain("sigmoid"));
        Assert.Equal(5.0 / 3, Init.CalculateGain("tanh"));
        Assert.Equal(Math.Sqrt(2), Init.CalculateGain("relu"));
        Assert.Equal(Math.Sqrt(2 / (1 + 0.01 * 0.01)), Init.CalculateGain("leaky_relu"));
        Assert.Equal(Math.Sqrt(2), Init.CalculateGain("leaky_relu", 0));
        Assert.Equal(Math.Sqrt(2 / 1.04), Init.CalculateGain("leaky_relu", 0.2), 15);
        Assert.Equal(0.75, Init.CalculateGain("selu"));
        Assert.Contains("Unsupported nonlinearity gelu", Assert.Throws<ArgumentException>(() => Init.CalculateGain("gelu")).Message);
    }

    [Fact]
    public void Seeded_Uniform_is_the_rand_stream_scaled_with_one_fused_multiply_add()
    {
        var reference = Tensor.Rand(new[] { 5, 7 }, new Generator(42)).ToFloatArray();
        var t = Tensor.Zeros(5, 7);

        Assert.Same(t, Init.Uniform(t, -2, 3, new Generator(42)));

        var expected = reference.Select(r => MathF.FusedMultiplyAdd(r, 5f, -2f)).ToArray();
        Assert.Equal(expected, t.ToFloatArray());
    }

    [Fact]
    public void Uniform_with_seed_0_matches_pytorch()
    {
        // torch.manual_seed(0); torch.nn.init.uniform_(torch.empty(3))
        var t = Init.Uniform(Tensor.Empty(3), generator: new Generator(0));

        var expected = new[] { 0.49625659f, 0.76822180f, 0.08847743f };
        var actual = t.ToFloatArray();
        for (int i = 0; i < 3; i++) Assert.Equal(expected[i], actual[i], 6);
    }

    [Fact]
    public void Seeded_Normal_is_the_normal_stream()
    {
        foreach (var shape in new[] { new[] { 3 }, new[] { 4, 5 } })   // per-element path and vectorized path
        {
            var expected = Tensor.Normal(0.5f, 2f, shape, new Generator(7)).ToFloatArray();
            var t = Init.Normal(Tensor.Zeros(shape), 0.5, 2, new Generator(7));
            Assert.Equal(expected, t.ToFloatArray());
        }
    }

    [Fact]
    public void XavierUniform_stays_within_its_bound_and_reaches_it()
    {
        var t = Init.XavierUniform(Tensor.Zeros(200, 100), gain: 2, generator: new Generator(3));

        double bound = 2 * Math.Sqrt(6.0 / 300);
        var values = t.ToFloatArray();
        Assert.All(values, v => Assert.InRange(v, -bound, bound));
        Assert.True(values.Max() > 0.99 * bound && values.Min() < -0.99 * bound);
        AssertMoments(values, 0, bound / Math.Sqrt(3));
    }

    [Fact]
    public void XavierNormal_has_the_glorot_deviation()
    {
        var values = Init.XavierNormal(Tensor.Zeros(300, 200), generator: new Generator(4)).ToFloatArray();

        AssertMoments(values, 0, Math.Sqrt(2.0 / 500));
    }

    [Fact]
    public void KaimingUniform_bound_comes_from_fan_in_or_fan_out()
    {
        var fanIn = Init.KaimingUniform(Tensor.Zeros(50, 8, 3, 3), generator: new Generator(5)).ToFloatArray();
        double boundIn = Math.Sqrt(2) * Math.Sqrt(3.0 / 72);
        Assert.All(fanIn, v => Assert.InRange(v, -boundIn, boundIn));
        Assert.True(fanIn.Max() > 0.99 * boundIn);

        var fanOut = Init.KaimingUniform(Tensor.Zeros(50, 8, 3, 3), a: 0, mode: "fan_out", nonlinearity: "relu", generator: new Generator(5)).ToFloatArray();
        double boundOut = Math.Sqrt(2) * Math.Sqrt(3.0 / 450);
        Assert.All(fanOut, v => Assert.InRange(v, -boundOut, boundOut));
        Assert.True(fanOut.Max() > 0.99 * boundOut);
        // Same draws, scaled by the ratio of the two bounds.
        Assert.Equal(fanIn[0] / boundIn, fanOut[0] / boundOut, 5);
    }

    [Fact]
    public void KaimingUniform_with_sqrt5_is_pytorchs_linear_default()
    {
        // nn.Linear's reset_parameters: kaiming_uniform_(w, a=sqrt(5)) gives bound 1/sqrt(fan_in).
        var values = Init.KaimingUniform(Tensor.Zeros(64, 25), a: Math.Sqrt(5), generator: new Generator(6)).ToFloatArray();

        Assert.All(values, v => Assert.InRange(v, -0.2, 0.2));
        Assert.True(values.Max() > 0.198);
    }

    [Fact]
    public void KaimingNormal_has_the_he_deviation()
    {
        var values = Init.KaimingNormal(Tensor.Zeros(400, 100), mode: "fan_out", generator: new Generator(8)).ToFloatArray();

        AssertMoments(values, 0, Math.Sqrt(2.0 / 400));
        Assert.Contains("Mode fan_avg not supported", Assert.Throws<ArgumentException>(() => Init.KaimingNormal(Tensor.Zeros(2, 2), mode: "fan_avg")).Message);
    }

    [Fact]
    public void Kaiming_on_an_empty_tensor_draws_nothing()
    {
        var generator = new Generator(9);

        Init.KaimingUniform(Tensor.Zeros(0, 4), generator: generator);

        Assert.Equal(Tensor.Rand(new[] { 3 }, new Generator(9)).ToFloatArray(), Tensor.Rand(new[] { 3 }, generator).ToFloatArray());
    }

    [Fact]
    public void Init_fills_a_parameter_that_requires_grad_and_keeps_it_a_leaf()
    {
        var p = new Parameter(Tensor.Zeros(3, 4));

        Init.KaimingNormal(p, generator: new Generator(10));
        Init.Constant(p.Select(0, 1), 0.5);

        Assert.True(p.IsLeaf);
        Assert.True(p.RequiresGrad);
        Assert.Null(p.Grad);
        Assert.Equal(new[] { 0.5f, 0.5f, 0.5f, 0.5f }, p.Select(0, 1).ToFloatArray());
    }

    [Fact]
    public void A_strided_tensor_gets_the_stream_in_logical_order_and_nothing_else_changes()
    {
        var storage = Tensor.Full(new[] { 4, 6 }, -1f);
        var view = storage.Transpose(0, 1)[1..4];   // [3, 4], not contiguous

        Init.Uniform(view, generator: new Generator(11));

        Assert.Equal(Tensor.Rand(new[] { 3, 4 }, new Generator(11)).ToFloatArray(), view.ToFloatArray());
        var all = storage.ToFloatArray();
        for (int row = 0; row < 4; row++)
        {
            foreach (int col in new[] { 0, 4, 5 })
                Assert.Equal(-1f, all[row * 6 + col]);
        }
    }

    [Fact]
    public void Constant_zeros_and_ones_fill_in_place()
    {
        var t = Tensor.Zeros(2, 3);
        var longs = Tensor.Zeros(new[] { 2 }, DType.Int64);

        Assert.Same(t, Init.Ones(t));
        Assert.All(t.ToFloatArray(), v => Assert.Equal(1f, v));
        Init.Constant(t.Select(1, 2), 7);
        Assert.Equal(new[] { 1f, 1f, 7f, 1f, 1f, 7f }, t.ToFloatArray());
        Init.Zeros(t);
        Assert.All(t.ToFloatArray(), v => Assert.Equal(0f, v));
        Assert.Equal(new long[] { 3, 3 }, Init.Constant(longs, 3).ToInt64Array());
        Assert.Throws<ArgumentException>(() => Init.Uniform(longs));

        var grid = Tensor.Zeros(new[] { 2, 2 }, DType.Int64);
        Init.Constant(grid.Select(1, 0), 1L << 40);   // strided, and past float's 24-bit mantissa
        Assert.Equal(new[] { 1L << 40, 0, 1L << 40, 0 }, grid.ToInt64Array());
    }

    static void AssertMoments(float[] values, double mean, double std)
    {
        double m = values.Average(v => (double)v);
        double sd = Math.Sqrt(values.Average(v => (v - m) * (v - m)));
        Assert.InRange(m, mean - 0.05 * std, mean + 0.05 * std);
        Assert.InRange(sd, 0.97 * std, 1.03 * std);
    }
}
