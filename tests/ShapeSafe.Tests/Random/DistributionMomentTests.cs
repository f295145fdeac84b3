namespace ShapeSafe.Tests.Random;

/// <summary>
/// Sample moments over 10^5 draws. Each bound is five standard errors of the statistic (for the
/// mean sqrt(var/n); for the sample variance sqrt((mu4 - sigma^4)/n)), so a correct sampler fails
/// with probability below 1e-6 — and with fixed seeds the outcome is deterministic anyway.
/// </summary>
public class DistributionMomentTests
{
    private const int N = 100_000;

    private static (double Mean, double Variance) Moments(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values)
        {
            sum += v;
        }

        double mean = sum / values.Length;
        double squares = 0;
        foreach (float v in values)
        {
            squares += (v - mean) * (v - mean);
        }

        return (mean, squares / (values.Length - 1));
    }

    private static void AssertWithin(double expected, double actual, double standardError, string what) =>
        Assert.True(Math.Abs(actual - expected) <= 5 * standardError,
            $"{what}: expected {expected} ± {5 * standardError:G3}, got {actual}.");

    [Fact]
    public void Uniform_has_the_mean_and_variance_of_its_interval_and_stays_inside_it()
    {
        var values = new float[N];
        RandomKernels.FillUniform(values, -2, 6, new Generator(100));
        Assert.All(values, v => Assert.InRange(v, -2f, 6f));
        Assert.DoesNotContain(6f, values);
        var (mean, variance) = Moments(values);
        double width = 8, sigma2 = width * width / 12, mu4 = Math.Pow(width, 4) / 80;
        AssertWithin(2, mean, Math.Sqrt(sigma2 / N), "uniform mean");
        AssertWithin(sigma2, variance, Math.Sqrt((mu4 - sigma2 * sigma2) / N), "uniform variance");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Normal_has_its_mean_and_variance_on_both_paths(bool contiguous)
    {
        var values = new float[N];
        RandomKernels.FillNormal(values, 2, 3, contiguous, new Generator(101));
        var (mean, variance) = Moments(values);
        double sigma2 = 9;
        AssertWithin(2, mean, Math.Sqrt(sigma2 / N), "normal mean");
        AssertWithin(sigma2, variance, Math.Sqrt(2 * sigma2 * sigma2 / N), "normal variance");

        // A normal puts 68.27% of its mass within one sigma; binomial standard error.
        double within = values.Count(v => Math.Abs(v - 2) < 3) / (double)N;
        AssertWithin(0.682689, within, Math.Sqrt(0.682689 * 0.317311 / N), "normal mass within 1 sigma");
    }

    [Fact]
    public void Tensor_normal_scales_each_element_by_its_own_mean_and_std()
    {
        var mean = new float[N];
        var std = new float[N];
        for (int i = 0; i < N; i++)
        {
            mean[i] = i % 2 == 0 ? -5 : 10;
            std[i] = i % 2 == 0 ? 0.5f : 2;
        }

        var values = new float[N];
        RandomKernels.Normal(mean, std, values, true, new Generator(102));
        var even = values.Where((_, i) => i % 2 == 0).ToArray();
        var odd = values.Where((_, i) => i % 2 == 1).ToArray();
        var (evenMean, evenVar) = Moments(even);
        var (oddMean, oddVar) = Moments(odd);
        AssertWithin(-5, evenMean, Math.Sqrt(0.25 / even.Length), "even mean");
        AssertWithin(0.25, evenVar, Math.Sqrt(2 * 0.0625 / even.Length), "even variance");
        AssertWithin(10, oddMean, Math.Sqrt(4.0 / odd.Length), "odd mean");
        AssertWithin(4, oddVar, Math.Sqrt(2 * 16.0 / odd.Length), "odd variance");
    }

    [Fact]
    public void Bernoulli_frequencies_follow_each_probability()
    {
        float[] levels = [0f, 0.25f, 0.5f, 0.75f, 1f];
        var p = new float[N];
        for (int i = 0; i < N; i++)
        {
            p[i] = levels[i % levels.Length];
        }

        var values = new float[N];
        RandomKernels.Bernoulli(p, values, new Generator(103));
        Assert.All(values, v => Assert.True(v is 0f or 1f));
        for (int level = 0; level < levels.Length; level++)
        {
            var group = values.Where((_, i) => i % levels.Length == level).ToArray();
            double q = levels[level];
            double frequency = group.Average();
            if (q is 0 or 1)
            {
                Assert.Equal(q, frequency);
            }
            else
            {
                AssertWithin(q, frequency, Math.Sqrt(q * (1 - q) / group.Length), $"Bernoulli({q}) frequency");
            }
        }
    }

    [Theory]
    [InlineData(0.7f)]
    [InlineData(3.5f)]
    [InlineData(9.9f)]
    [InlineData(10f)]
    [InlineData(40f)]
    [InlineData(1000f)]
    public void Poisson_has_mean_and_variance_equal_to_its_rate(float rate)
    {
        var rates = new float[N];
        Array.Fill(rates, rate);
        var values = new float[N];
        RandomKernels.Poisson(rates, values, new Generator(104));
        Assert.All(values, v => Assert.True(v >= 0 && v == MathF.Floor(v)));
        var (mean, variance) = Moments(values);
        AssertWithin(rate, mean, Math.Sqrt(rate / (double)N), $"Poisson({rate}) mean");
        AssertWithin(rate, variance, Math.Sqrt((rate + 2.0 * rate * rate) / N), $"Poisson({rate}) variance");
    }

    [Fact]
    public void Poisson_of_rate_zero_is_zero()
    {
        var values = new float[] { 7, 7, 7 };
        RandomKernels.Poisson(new float[3], values, new Generator(1));
        Assert.Equal(new float[3], values);
    }

    [Fact]
    public void Multinomial_with_replacement_matches_the_weights_by_chi_square()
    {
        // Unnormalized weights; category 2 has none. With 3 degrees of freedom a chi-square
        // statistic above 25 has probability about 1.5e-5.
        float[] weights = [1f, 2f, 0f, 4f, 3f];
        long[] samples = RandomKernels.Multinomial(weights, 1, 5, N, replacement: true, new Generator(105));
        var counts = new long[5];
        foreach (long s in samples)
        {
            counts[s]++;
        }

        Assert.Equal(0, counts[2]);
        double chi2 = 0;
        for (int c = 0; c < 5; c++)
        {
            if (weights[c] > 0)
            {
                double expected = N * weights[c] / 10.0;
                chi2 += (counts[c] - expected) * (counts[c] - expected) / expected;
            }
        }

        Assert.True(chi2 < 25, $"chi-square {chi2:F2} over counts [{string.Join(", ", counts)}]");
    }

    [Fact]
    public void Multinomial_without_replacement_draws_distinct_positive_categories_first_pick_by_weight()
    {
        // 20000 rows of 6 categories, one of zero weight, 5 samples each: the zero-weight category
        // never appears, indices in a row are distinct, and the first pick is categorical(weights).
        const int Rows = 20_000;
        float[] row = [0.5f, 1f, 0f, 1.5f, 2f, 5f];
        var probs = new float[Rows * row.Length];
        for (int r = 0; r < Rows; r++)
        {
            row.CopyTo(probs, r * row.Length);
        }

        long[] samples = RandomKernels.Multinomial(probs, Rows, row.Length, 5, replacement: false, new Generator(106));
        var firstCounts = new long[row.Length];
        for (int r = 0; r < Rows; r++)
        {
            var picked = samples.AsSpan(r * 5, 5).ToArray();
            Assert.Equal(5, picked.Distinct().Count());
            Assert.DoesNotContain(2L, picked);
            firstCounts[picked[0]]++;
        }

        double chi2 = 0;
        for (int c = 0; c < row.Length; c++)
        {
            if (row[c] > 0)
            {
                double expected = Rows * row[c] / 10.0;
                chi2 += (firstCounts[c] - expected) * (firstCounts[c] - expected) / expected;
            }
        }

        // 4 degrees of freedom: P(chi2 > 28) is about 1.2e-5.
        Assert.True(chi2 < 28, $"chi-square {chi2:F2} over first picks [{string.Join(", ", firstCounts)}]");
    }

    [Fact]
    public void Randperm_is_a_permutation()
    {
        long[] perm = RandomKernels.Randperm(N, new Generator(107));
        var sorted = perm.Order().ToArray();
        for (int i = 0; i < N; i++)
        {
            Assert.Equal(i, sorted[i]);
        }

        Assert.Empty(RandomKernels.Randperm(0, new Generator(1)));
    }

    [Fact]
    public void Randint_covers_its_range_uniformly()
    {
        var values = new long[N];
        RandomKernels.FillRandint(values, -3, 7, new Generator(108));
        var counts = new long[10];
        foreach (long v in values)
        {
            Assert.InRange(v, -3, 6);
            counts[v + 3]++;
        }

        // 9 degrees of freedom: P(chi2 > 40) is about 7e-6.
        double expected = N / 10.0;
        double chi2 = counts.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.True(chi2 < 40, $"chi-square {chi2:F2} over counts [{string.Join(", ", counts)}]");
    }
}
