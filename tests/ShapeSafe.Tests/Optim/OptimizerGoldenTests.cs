using System.Text.Json;
using ShapeSafe.NN;
using ShapeSafe.Optim;
using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.Optim;

/// <summary>
/// optim.jsonl: every optimizer configuration of the LibTorch conformance cases, in Float32 and Float64, four steps
/// on parameters of shapes [37] (two 16-float vectors and a 5-element scalar tail in ATen's loops), [5, 3] and [1].
/// LibTorch's parameters and state were recorded with PyTorch's single-tensor loop and correctly rounded square
/// roots (LibTorch's own sqrt is oneMKL's, which is not: see tests/goldens/README.md). Parameters and every state
/// tensor must be LibTorch's to the last bit.
/// </summary>
public class OptimizerGoldenTests
{
    const string File = "optim.jsonl";

    [Fact]
    public void Every_optimizer_step_is_LibTorchs_bit_for_bit() => Mismatches.CheckEvery(File, Check);

    [Fact]
    public void The_goldens_cover_every_optimizer_in_both_dtypes()
    {
        var cases = GoldenFiles.Read(File);
        var kinds = cases.Select(c => (c.Json.Str("optimizer"), c.Json.Str("dtype"))).Distinct().ToArray();
        foreach (var optimizer in new[] { "Sgd", "Adam", "AdamW", "Rmsprop", "Adagrad" })
            foreach (var dtype in new[] { "Float32", "Float64" })
                Assert.Contains((optimizer, dtype), kinds);
    }

    static Optimizer Make(string optimizer, JsonElement o, Parameter[] ps)
    {
        double D(string name) => o.GetProperty(name).GetDouble();
        bool B(string name) => o.GetProperty(name).GetBoolean();
        var betas = o.GetProperty("betas").EnumerateArray().Select(b => b.GetDouble()).ToArray();
        return optimizer switch
        {
            "Sgd" => new Sgd(ps, D("lr"), D("momentum"), D("weight_decay"), B("nesterov"), D("dampening"), B("maximize")),
            "Adam" => new Adam(ps, D("lr"), (betas[0], betas[1]), D("eps"), D("weight_decay"), B("amsgrad"), B("maximize")),
            "AdamW" => new AdamW(ps, D("lr"), (betas[0], betas[1]), D("eps"), D("weight_decay"), B("amsgrad"), B("maximize")),
            "Rmsprop" => new Rmsprop(ps, D("lr"), D("alpha"), D("eps"), D("weight_decay"), D("momentum"), B("centered"), B("maximize")),
            "Adagrad" => new Adagrad(ps, D("lr"), D("lr_decay"), D("weight_decay"), D("initial_accumulator_value"), D("eps"), B("maximize")),
            var other => throw new InvalidOperationException($"unknown optimizer '{other}' in {File}"),
        };
    }

    static double[] Numbers(JsonElement array) => array.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    // A Float32 value is stored as the shortest text that reads back to the same float, not the same double.
    static double[] Numbers(JsonElement array, DType dtype) =>
        dtype == DType.Float64 ? Numbers(array) : Numbers(array).Select(v => (double)(float)v).ToArray();

    static Tensor Make(double[] values, int[] shape, DType dtype) =>
        dtype == DType.Float64 ? Tensor.FromArray(values, shape) : Tensor.FromArray(values.Select(v => (float)v).ToArray(), shape);

    static double[] Values(Tensor t) => t.ToDType(DType.Float64).ToDoubleArray();

    static void Check(GoldenCase c, Mismatches m)
    {
        var j = c.Json;
        var dtype = j.Str("dtype") == "Float64" ? DType.Float64 : DType.Float32;
        var shapes = j.IntLists("shapes");
        var start = j.GetProperty("start").EnumerateArray().Select(Numbers).ToArray();
        var ps = shapes.Select((s, i) => new Parameter(Make(start[i], s, dtype))).ToArray();
        var optimizer = Make(j.Str("optimizer")!, j.GetProperty("options"), ps);
        foreach (var step in j.GetProperty("grads").EnumerateArray())
        {
            var grads = step.EnumerateArray().Select(Numbers).ToArray();
            for (int i = 0; i < ps.Length; i++) ps[i].Grad = Make(grads[i], shapes[i], dtype);
            optimizer.Step();
        }

        string what = $"{j.Str("case")} {j.Str("dtype")}";
        var expectedParams = j.GetProperty("params").EnumerateArray().Select(p => Numbers(p, dtype)).ToArray();
        var expectedState = j.GetProperty("state").EnumerateArray().ToArray();
        for (int i = 0; i < ps.Length; i++)
        {
            Compare(m, c, $"{what}: parameter {i}", expectedParams[i], Values(ps[i]));
            var state = optimizer.GetState(ps[i]);
            var keys = expectedState[i].EnumerateObject().Select(e => e.Name).ToArray();
            m.Same(c, $"{what}: parameter {i}'s state keys", string.Join(",", keys), string.Join(",", state.Keys));
            foreach (var entry in expectedState[i].EnumerateObject())
            {
                if (!state.TryGetValue(entry.Name, out var tensor)) continue;
                var expectedDType = entry.Name == "step" ? DType.Float32 : dtype;
                m.Same(c, $"{what}: parameter {i}'s {entry.Name} dtype", expectedDType, tensor.DType);
                Compare(m, c, $"{what}: parameter {i}'s {entry.Name}", Numbers(entry.Value, expectedDType), Values(tensor));
            }
        }
    }

    static void Compare(Mismatches m, GoldenCase c, string what, double[] expected, double[] actual)
    {
        if (expected.Length != actual.Length)
        {
            m.Add(c, $"{what}: {actual.Length} elements, LibTorch has {expected.Length}");
            return;
        }
        var differ = Enumerable.Range(0, expected.Length)
            .Where(i => BitConverter.DoubleToInt64Bits(expected[i]) != BitConverter.DoubleToInt64Bits(actual[i])).ToArray();
        if (differ.Length > 0)
            m.Add(c, $"{what}: {differ.Length} of {expected.Length} elements differ, first at {differ[0]} (ShapeSafe {actual[differ[0]]:R}, LibTorch {expected[differ[0]]:R})");
    }
}
