using System.Globalization;
using System.Text.Json;

namespace ShapeSafe.Benchmarks;

/// <summary>Rows in the same shape as ../shared/torchref's output, so run.sh can pair them up.</summary>
internal static class BenchOutput
{
    public static bool Json { get; set; }

    public static void Row(Dictionary<string, object?> row)
    {
        row["engine"] = "shapesafe";
        row["threads"] = Tensor.GetNumThreads();
        Console.WriteLine(Json
            ? JsonSerializer.Serialize(row)
            : string.Join("  ", row.Select(kv => $"{kv.Key}={Format(kv.Value)}")));
    }

    public static double Median(IEnumerable<double> values)
    {
        var s = values.OrderBy(x => x).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }

    /// <summary>Reads <c>--name value</c> from args, or the default.</summary>
    public static string Option(string[] args, string name, string fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    static string Format(object? v) => v switch
    {
        double d => d.ToString("G5", CultureInfo.InvariantCulture),
        float f => f.ToString("G5", CultureInfo.InvariantCulture),
        _ => v?.ToString() ?? "null",
    };
}
