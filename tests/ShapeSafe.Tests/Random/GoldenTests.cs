namespace ShapeSafe.Tests.Random;

/// <summary>rand, randn, randint and randperm against LibTorch 2.10, each drawn right after seeding.</summary>
public class GoldenTests
{
    // The goldens carry about 8 significant digits, and randn's float math (log, sin, cos) may
    // differ from LibTorch's vectorized versions in the last bit or two.
    private const double RelativeTolerance = 1e-6;
    private const double AbsoluteTolerance = 1e-7;

    [Fact]
    public void Rand_matches_libtorch_for_every_seed_and_size()
    {
        foreach (var c in RngGoldens.All)
        {
            var actual = new float[c.N];
            RandomKernels.FillUniform(actual, 0, 1, new Generator(c.Seed));
            AssertClose(c.Rand, actual, $"rand seed={c.Seed} n={c.N}");
        }
    }

    [Fact]
    public void Randn_matches_libtorch_including_the_switch_to_normal_fill_at_16()
    {
        foreach (var c in RngGoldens.All)
        {
            var actual = new float[c.N];
            RandomKernels.FillNormal(actual, 0, 1, contiguous: true, new Generator(c.Seed));
            AssertClose(c.Randn, actual, $"randn seed={c.Seed} n={c.N}");
        }
    }

    [Fact]
    public void Randint_matches_libtorch_exactly()
    {
        foreach (var c in RngGoldens.All)
        {
            var actual = new long[c.N];
            RandomKernels.FillRandint(actual, 0, 10, new Generator(c.Seed));
            Assert.True(c.Randint.AsSpan().SequenceEqual(actual),
                $"randint seed={c.Seed} n={c.N}: expected [{string.Join(",", c.Randint)}] got [{string.Join(",", actual)}]");
        }
    }

    [Fact]
    public void Randperm_matches_libtorch_exactly()
    {
        foreach (var c in RngGoldens.All)
        {
            long[] actual = RandomKernels.Randperm(c.N, new Generator(c.Seed));
            Assert.True(c.Randperm.AsSpan().SequenceEqual(actual),
                $"randperm seed={c.Seed} n={c.N}: expected [{string.Join(",", c.Randperm)}] got [{string.Join(",", actual)}]");
        }
    }

    [Fact]
    public void Goldens_were_drawn_from_a_fresh_seed_so_reseeding_a_used_generator_reproduces_them()
    {
        var generator = new Generator(999);
        foreach (var c in RngGoldens.All)
        {
            RandomKernels.FillUniform(new float[37], 0, 1, generator);
            RandomKernels.FillNormal(new float[3], 0, 1, true, generator); // leaves a cached sample
            generator.ManualSeed(c.Seed);
            var actual = new float[c.N];
            RandomKernels.FillNormal(actual, 0, 1, true, generator);
            AssertClose(c.Randn, actual, $"randn after ManualSeed({c.Seed}) n={c.N}");
        }
    }

    internal static void AssertClose(IReadOnlyList<float> expected, IReadOnlyList<float> actual, string what)
    {
        Assert.True(expected.Count == actual.Count, $"{what}: expected {expected.Count} values, got {actual.Count}.");
        for (int i = 0; i < expected.Count; i++)
        {
            double diff = Math.Abs((double)expected[i] - actual[i]);
            double allowed = RelativeTolerance * Math.Abs(expected[i]) + AbsoluteTolerance;
            Assert.True(diff <= allowed,
                $"{what}: element {i} expected {expected[i]:R} got {actual[i]:R} (diff {diff:E2} > {allowed:E2}).");
        }
    }
}
