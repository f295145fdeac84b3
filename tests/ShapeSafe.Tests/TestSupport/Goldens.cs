using System.Text;
using System.Text.Json;
using ShapeSafe.Shapes;
using Rules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Tests.TestSupport;

/// <summary>
/// LibTorch 2.10's recorded answers (<c>tests/goldens/*.jsonl</c>, one case per line) and the plumbing the golden
/// tests share: finding the files, replaying a case's view ops, and collecting every mismatch of a file so that one
/// bug does not hide the others.
/// </summary>
internal static class GoldenFiles
{
    /// <summary>
    /// The path of a golden file: <c>tests/goldens/</c> in the repository (copies of LibTorch's recorded answers, so
    /// a plain clone needs nothing beside it). A missing file fails the test: skipping would let the suite pass
    /// without comparing anything against LibTorch.
    /// </summary>
    public static string PathOf(string file)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ShapeSafe.sln")))
            dir = dir.Parent;
        if (dir is null)
            Assert.Fail($"Golden file {file}: no folder above {AppContext.BaseDirectory} holds ShapeSafe.sln, so tests/goldens cannot be located.");
        var path = Path.Combine(dir!.FullName, "tests", "goldens", file);
        if (!File.Exists(path))
            Assert.Fail($"Golden file missing: {path}. The LibTorch goldens live in tests/goldens of the repository.");
        return path;
    }

    /// <summary>Every case of a golden file with its 1-based line number.</summary>
    public static IReadOnlyList<GoldenCase> Read(string file)
    {
        var cases = new List<GoldenCase>();
        int line = 0;
        foreach (var text in File.ReadLines(PathOf(file)))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            using var doc = JsonDocument.Parse(text);
            cases.Add(new GoldenCase(file, line, doc.RootElement.Clone()));
        }
        Assert.True(cases.Count > 0, $"Golden file {file} holds no cases.");
        return cases;
    }

    /// <summary>Replays a case's <c>ops</c> on a tensor through the engine's public API.</summary>
    public static Tensor Apply(Tensor t, JsonElement ops)
    {
        foreach (var op in ops.EnumerateArray())
        {
            t = op.GetProperty("op").GetString() switch
            {
                "transpose" => t.Transpose(op.Int("dim0"), op.Int("dim1")),
                "permute" => t.Permute(op.Ints("dims")),
                "unsqueeze" => t.Unsqueeze(op.Int("dim")),
                "expand" => t.Expand(op.Ints("sizes")),
                "narrow" => t.Narrow(op.Int("dim"), op.Int("start"), op.Int("length")),
                "slice" => t.Slice(op.Int("dim"), op.Int("start"), op.Int("end"), op.Int("step")),
                var other => throw new InvalidOperationException($"unknown golden op '{other}'"),
            };
        }
        return t;
    }

    /// <summary>Replays a case's <c>ops</c> on a layout through the shape rules alone (no tensor involved).</summary>
    public static Layout<int> Apply(Layout<int> layout, JsonElement ops)
    {
        foreach (var op in ops.EnumerateArray())
        {
            layout = op.GetProperty("op").GetString() switch
            {
                "transpose" => Rules.Transpose(layout, op.Int("dim0"), op.Int("dim1")),
                "permute" => Rules.Permute(layout, op.Ints("dims")),
                "unsqueeze" => Rules.Unsqueeze(layout, op.Int("dim")),
                "expand" => Rules.Expand(layout, op.Ints("sizes")),
                "narrow" => Rules.Narrow(layout, op.Int("dim"), op.Int("start"), op.Int("length")),
                "slice" => Rules.Slice(layout, op.Int("dim"), op.Int("start"), op.Int("end"), op.Int("step")),
                var other => throw new InvalidOperationException($"unknown golden op '{other}'"),
            };
        }
        return layout;
    }

    /// <summary><c>arange(prod(shape)).reshape(shape)</c> as Int64, the base every view case starts from.</summary>
    public static Tensor ArangeOf(int[] shape)
    {
        long n = 1;
        foreach (var s in shape) n *= s;
        return Tensor.Arange(n).Reshape(shape);
    }

    public static int Int(this JsonElement e, string name) => e.GetProperty(name).GetInt32();

    public static bool Bool(this JsonElement e, string name) => e.GetProperty(name).GetBoolean();

    public static int[] Ints(this JsonElement e, string name) => ToInts(e.GetProperty(name));

    public static long[] Longs(this JsonElement e, string name) =>
        e.GetProperty(name).EnumerateArray().Select(v => v.GetInt64()).ToArray();

    public static int[][] IntLists(this JsonElement e, string name) =>
        e.GetProperty(name).EnumerateArray().Select(ToInts).ToArray();

    public static string? Str(this JsonElement e, string name) =>
        e.GetProperty(name).ValueKind == JsonValueKind.Null ? null : e.GetProperty(name).GetString();

    static int[] ToInts(JsonElement array) => array.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    /// <summary>A shape or stride list as PyTorch prints it: <c>[2, 3]</c>.</summary>
    public static string Show(IEnumerable<int> values) => "[" + string.Join(", ", values) + "]";

    /// <summary>A value list, shortened past 16 entries.</summary>
    public static string Show(IReadOnlyList<long> values) =>
        "[" + string.Join(", ", values.Take(16)) + (values.Count > 16 ? $", … ({values.Count} values)" : "") + "]";
}

/// <summary>One line of a golden file.</summary>
internal readonly record struct GoldenCase(string File, int Line, JsonElement Json)
{
    public override string ToString() => $"{File}:{Line} {Json.GetRawText()}";
}

/// <summary>
/// Collects every disagreement with LibTorch across a golden file and fails once, listing them all with their line
/// numbers (the first 40 in full), so one bug cannot hide the others.
/// </summary>
internal sealed class Mismatches(string file)
{
    readonly List<string> _found = new();
    int _cases;

    /// <summary>Runs <paramref name="check"/> on every case of the golden file, then fails listing every mismatch found.</summary>
    public static void CheckEvery(string file, Action<GoldenCase, Mismatches> check)
    {
        var mismatches = new Mismatches(file);
        foreach (var c in GoldenFiles.Read(file))
            mismatches.Run(c, () => check(c, mismatches));
        mismatches.AssertNone();
    }

    /// <summary>Runs one case; an unexpected exception is a mismatch of that case, not the end of the file.</summary>
    public void Run(GoldenCase c, Action check)
    {
        _cases++;
        try
        {
            check();
        }
        catch (Exception e) when (e is not Xunit.Sdk.XunitException)
        {
            Add(c, $"threw {e.GetType().Name}: {e.Message}");
        }
    }

    public void Add(GoldenCase c, string what)
    {
        var raw = c.Json.GetRawText();
        if (raw.Length > 400) raw = raw[..400] + "…";
        _found.Add($"line {c.Line}: {what}\n    case: {raw}");
    }

    /// <summary>Records a mismatch when the two sequences differ.</summary>
    public bool SameSequence<T>(GoldenCase c, string what, IEnumerable<T> expected, IEnumerable<T> actual)
    {
        var e = expected.ToArray();
        var a = actual.ToArray();
        if (e.SequenceEqual(a)) return true;
        Add(c, $"{what}: LibTorch {Format(e)}, engine {Format(a)}");
        return false;
    }

    /// <summary>Records a mismatch when the two values differ.</summary>
    public bool Same<T>(GoldenCase c, string what, T expected, T actual)
    {
        if (EqualityComparer<T>.Default.Equals(expected, actual)) return true;
        Add(c, $"{what}: LibTorch {expected}, engine {actual}");
        return false;
    }

    public void AssertNone()
    {
        Assert.True(_cases > 0, $"{file}: no cases ran.");
        if (_found.Count == 0) return;
        var sb = new StringBuilder();
        sb.Append($"{_found.Count} disagreement(s) with LibTorch in {file} ({_cases} cases):\n");
        foreach (var m in _found.Take(40)) sb.Append(m).Append('\n');
        if (_found.Count > 40) sb.Append($"… and {_found.Count - 40} more.\n");
        Assert.Fail(sb.ToString());
    }

    static string Format<T>(T[] values) =>
        "[" + string.Join(", ", values.Take(24)) + (values.Length > 24 ? $", … ({values.Length} values)" : "") + "]";
}
