namespace ShapeSafe.Tests.Random;

/// <summary>Invalid arguments raise an ArgumentException that names the operation, as PyTorch's checks do.</summary>
public class ArgumentCheckTests
{
    [Theory]
    [InlineData(1.5f)]
    [InlineData(-0.1f)]
    [InlineData(float.NaN)]
    public void Bernoulli_rejects_a_probability_outside_0_1(float bad)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            RandomKernels.Bernoulli(new[] { 0.5f, bad }, new float[2], new Generator(1)));
        Assert.Contains("Bernoulli", error.Message);
        Assert.Contains("p[1]", error.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Multinomial_rejects_negative_infinite_and_nan_weights(bool replacement)
    {
        foreach (float bad in new[] { -1f, float.PositiveInfinity, float.NaN })
        {
            var error = Assert.Throws<ArgumentException>(() =>
                RandomKernels.Multinomial([1f, bad, 2f], 1, 3, 2, replacement, new Generator(1)));
            Assert.Contains("Multinomial", error.Message);
        }
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(true, 3)]
    [InlineData(false, 2)]
    public void Multinomial_rejects_a_row_of_zero_weights(bool replacement, int numSamples)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            RandomKernels.Multinomial([1f, 2f, 0f, 0f], 2, 2, numSamples, replacement, new Generator(1)));
        Assert.Contains("Multinomial", error.Message);
        Assert.Contains("sum of probabilities <= 0", error.Message);
    }

    [Fact]
    public void Multinomial_rejects_more_samples_than_categories_without_replacement()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            RandomKernels.Multinomial([1f, 1f], 1, 2, 3, replacement: false, new Generator(1)));
        Assert.Contains("Multinomial", error.Message);
        Assert.Contains("without replacement", error.Message);
        Assert.Equal(3, RandomKernels.Multinomial([1f, 1f], 1, 2, 3, replacement: true, new Generator(1)).Length);
    }

    [Fact]
    public void Multinomial_rejects_non_positive_sample_counts_and_mismatched_shapes()
    {
        Assert.Contains("Multinomial", Assert.Throws<ArgumentException>(() =>
            RandomKernels.Multinomial([1f, 1f], 1, 2, 0, true, new Generator(1))).Message);
        Assert.Contains("Multinomial", Assert.Throws<ArgumentException>(() =>
            RandomKernels.Multinomial([1f, 1f, 1f], 2, 2, 1, true, new Generator(1))).Message);
    }

    [Theory]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    public void Poisson_rejects_negative_and_nan_rates(float bad)
    {
        var error = Assert.Throws<ArgumentException>(() =>
            RandomKernels.Poisson(new[] { 1f, bad }, new float[2], new Generator(1)));
        Assert.Contains("Poisson", error.Message);
    }

    [Fact]
    public void Normal_rejects_a_negative_std()
    {
        Assert.Contains("Normal", Assert.Throws<ArgumentException>(() =>
            RandomKernels.FillNormal(new float[4], 0, -1, true, new Generator(1))).Message);
        Assert.Contains("Normal", Assert.Throws<ArgumentException>(() =>
            RandomKernels.Normal(new float[2], new[] { 1f, -1f }, new float[2], true, new Generator(1))).Message);
        Assert.Contains("Normal", Assert.Throws<ArgumentException>(() =>
            RandomKernels.Normal(new float[2], new float[3], new float[2], true, new Generator(1))).Message);
    }

    [Fact]
    public void Uniform_Randint_and_Randperm_reject_empty_or_reversed_ranges()
    {
        Assert.Contains("Uniform", Assert.Throws<ArgumentException>(() =>
            RandomKernels.FillUniform(new float[1], 2, 1, new Generator(1))).Message);
        Assert.Contains("Randint", Assert.Throws<ArgumentException>(() =>
            RandomKernels.FillRandint(new long[1], 5, 5, new Generator(1))).Message);
        Assert.Contains("Randperm", Assert.Throws<ArgumentException>(() =>
            RandomKernels.Randperm(-1, new Generator(1))).Message);
    }
}
