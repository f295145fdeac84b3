extern alias Analyzers;

using System.Collections.Immutable;
using System.Text.Json;
using Analyzers::ShapeSafe.Analyzers.Inference;
using Dim = Analyzers::ShapeSafe.Shapes.Dim;

namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// With every dim concrete, the analyzer's view decisions agree with LibTorch: each golden case replays its ops
/// (slice, narrow, expand, unsqueeze, transpose, permute) from a contiguous base through the analyzer's own rule
/// table, then asks for the view. Layout, acceptance, result shape and strides must all match.
/// </summary>
public class ViewGoldenTests
{
    static string GoldenPath => Path.Combine(FindRoot(), "tests", "goldens", "views.jsonl");

    static string FindRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "ShapeSafe.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("ShapeSafe.sln not found above the test binaries");
    }

    [Fact]
    public void Analyzer_view_decisions_agree_with_LibTorch()
    {
        int cases = 0;
        foreach (var line in File.ReadLines(GoldenPath))
        {
            using var doc = JsonDocument.Parse(line);
            var g = doc.RootElement;
            Value? value = TensorValue.Contiguous(Dims(g.GetProperty("base")));
            foreach (var op in g.GetProperty("ops").EnumerateArray())
                value = Replay(value, op);

            var tensor = Assert.IsType<TensorValue>(value);
            Assert.Equal(Ints(g.GetProperty("shape")), Constants(tensor.Sizes));
            Assert.Equal(Ints(g.GetProperty("strides")), Constants(tensor.Strides!));

            var result = ContractRules.Apply("View", Call("View", tensor, Seq(Ints(g.GetProperty("view")))), out var error, out var id);
            bool ok = g.GetProperty("ok").GetBoolean();
            Assert.True(ok == (error is null), $"{line}\nanalyzer: {error?.Message}");
            if (ok)
            {
                var view = Assert.IsType<TensorValue>(result);
                Assert.Equal(Ints(g.GetProperty("result_shape")), Constants(view.Sizes));
                Assert.Equal(Ints(g.GetProperty("result_strides")), Constants(view.Strides!));
            }
            else
            {
                // An element-count refusal is SS0004, a layout refusal SS0001, as the message says.
                bool countError = g.GetProperty("error").GetString()!.Contains("invalid for input of size");
                Assert.Equal(countError ? "SS0004" : "SS0001", id);
            }
            cases++;
        }
        Assert.Equal(3000, cases);
    }

    static Value? Replay(Value? input, JsonElement op) => op.GetProperty("op").GetString() switch
    {
        "slice" => Apply("Slice", input, Int(op, "dim"), Int(op, "start"), Int(op, "end"), Int(op, "step")),
        "narrow" => Apply("Narrow", input, Int(op, "dim"), Int(op, "start"), Int(op, "length")),
        "expand" => Apply("Expand", input, Seq(Ints(op.GetProperty("sizes")))),
        "unsqueeze" => Apply("Unsqueeze", input, Int(op, "dim")),
        "transpose" => Apply("Transpose", input, Int(op, "dim0"), Int(op, "dim1")),
        "permute" => Apply("Permute", input, Seq(Ints(op.GetProperty("dims")))),
        var other => throw new InvalidOperationException("unknown op " + other),
    };

    static Value? Apply(string rule, Value? input, params Value?[] others)
    {
        var result = ContractRules.Apply(rule, Call(rule, input, others), out var error, out _);
        Assert.Null(error);
        return result;
    }

    static RuleCall Call(string op, Value? input, params Value?[] others) => new(op, new[] { input }, others, null, false);

    static Value Int(JsonElement e, string name) => new IntValue(Dim.Of(e.GetProperty(name).GetInt64()));
    static Value Seq(long[] values) => new SequenceValue(values.Select(v => (Value?)new IntValue(Dim.Of(v))).ToImmutableArray());
    static long[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt64()).ToArray();
    static Dim[] Dims(JsonElement e) => Ints(e).Select(Dim.Of).ToArray();

    static long[] Constants(Dim[] dims) => dims.Select(d => d.TryGetConstant(out long v) ? v : throw new InvalidOperationException($"{d} is not constant")).ToArray();
}
