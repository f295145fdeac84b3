using System.Text.Json;
using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.Random;

/// <summary>One line of tests/goldens/rng.jsonl: LibTorch 2.10's draws right after manual_seed(seed).</summary>
internal sealed record RngGoldenCase(long Seed, int N, float[] Rand, float[] Randn, long[] Randint, long[] Randperm);

internal static class RngGoldens
{
    private static readonly Lazy<IReadOnlyList<RngGoldenCase>> Cases = new(Load);

    internal static IReadOnlyList<RngGoldenCase> All => Cases.Value;

    private static IReadOnlyList<RngGoldenCase> Load()
    {
        string path = GoldenFiles.PathOf("rng.jsonl");
        var options = new JsonSerializerOptions { PropertyNameCaseInsensitive = true };
        var cases = new List<RngGoldenCase>();
        foreach (string line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var c = JsonSerializer.Deserialize<RngGoldenCase>(line, options)
                ?? throw new InvalidDataException($"{path}: could not parse line '{line}'.");
            Assert.True(c.Rand.Length == c.N && c.Randn.Length == c.N && c.Randint.Length == c.N && c.Randperm.Length == c.N,
                $"{path}: a case for seed {c.Seed}, n {c.N} has arrays of the wrong length.");
            cases.Add(c);
        }

        Assert.True(cases.Count >= 24, $"{path} holds only {cases.Count} cases; expected at least 24 (seeds 0, 1, 42, 1234 × 6 sizes).");
        return cases;
    }
}
