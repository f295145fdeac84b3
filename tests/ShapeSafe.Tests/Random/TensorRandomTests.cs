using ShapeSafe;

namespace ShapeSafe.Tests.Random;

/// <summary>The seed's section 6 through the Tensor factories; values are LibTorch's for the same seeds.</summary>
[Collection("DefaultGenerator")]
public class TensorRandomTests
{
    [Fact]
    public void Manual_seed_42_gives_pytorchs_rand()
    {
        Tensor.ManualSeed(42);
        var t = Tensor.Rand(3, 3);
        Assert.Equal(new[] { 3, 3 }, t.Shape);
        var expected = new[] { 0.88226926f, 0.91500396f, 0.38286376f, 0.95930564f, 0.3904482f, 0.60089535f, 0.25657248f, 0.7936413f, 0.94077146f };
        var actual = t.ToFloatArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 6);
        Assert.Equal(42, Tensor.InitialSeed());
    }

    [Fact]
    public void Seeded_factories_match_pytorch_and_repeat()
    {
        Tensor.ManualSeed(0);
        Assert.Equal(new long[] { 4, 9, 3, 0, 3, 9, 7 }, Tensor.Randint(0, 10, new[] { 7 }).ToInt64Array());
        Tensor.ManualSeed(0);
        Assert.Equal(new long[] { 4, 0, 5, 3, 2, 6, 1 }, Tensor.Randperm(7).ToInt64Array());
        Tensor.ManualSeed(0);
        Assert.Equal(1.5409961f, Tensor.Randn(1).Item(), 5);
        Tensor.ManualSeed(0);
        Assert.Equal(-1.1258398f, Tensor.Randn(4, 4).ToFloatArray()[0], 5);   // 16 values: PyTorch's vectorized path
    }

    [Fact]
    public void Randperm_of_ten_is_a_permutation()
    {
        Tensor.ManualSeed(42);
        var p = Tensor.Randperm(10).ToInt64Array();
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), p.OrderBy(x => x));
        Assert.Equal(DType.Int64, Tensor.Randperm(10).DType);
    }

    [Fact]
    public void Saved_state_replays_the_stream()
    {
        Tensor.ManualSeed(7);
        Tensor.Randn(3);
        var state = Tensor.GetRngState();
        var first = Tensor.Randn(5).ToFloatArray();
        Tensor.SetRngState(state);
        Assert.Equal(first, Tensor.Randn(5).ToFloatArray());
    }

    [Fact]
    public void Generators_are_independent_of_the_default_and_of_threads()
    {
        var here = Tensor.Rand(new[] { 100 }, new Generator(123)).ToFloatArray();
        float[]? there = null;
        var thread = new Thread(() => there = Tensor.Rand(new[] { 100 }, new Generator(123)).ToFloatArray());
        thread.Start();
        thread.Join();
        Assert.Equal(here, there);
    }

    [Fact]
    public void Distributions_have_the_right_shapes_and_ranges()
    {
        var g = new Generator(1);
        var bern = Tensor.Bernoulli(Tensor.Full(new[] { 2, 3 }, 0.5f), g);
        Assert.Equal(new[] { 2, 3 }, bern.Shape);
        Assert.All(bern.ToFloatArray(), v => Assert.True(v == 0f || v == 1f));
        var multi = Tensor.Multinomial(Tensor.FromArray(new float[] { 0, 1, 0, 1, 0, 0 }, 2, 3), 1, generator: g);
        Assert.Equal(new long[] { 1, 0 }, multi.ToInt64Array());
        var normal = Tensor.Normal(Tensor.Zeros(4), Tensor.Zeros(4), g);
        Assert.Equal(new float[4], normal.ToFloatArray());
        Assert.All(Tensor.Poisson(Tensor.Full(new[] { 10 }, 3f), g).ToFloatArray(), v => Assert.True(v >= 0 && v == MathF.Floor(v)));
        Assert.Throws<ArgumentException>(() => Tensor.Randint(5, 5, new[] { 2 }));
        Assert.Throws<ShapeException>(() => Tensor.Multinomial(Tensor.Zeros(1, 1, 1), 1));
    }
}
