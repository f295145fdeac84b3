using System.Globalization;
using System.Text.Json;
using S = ShapeSafe;
using T = TorchSharp.torch;

namespace ShapeSafe.Conformance;

/// <summary>
/// Records tests/goldens/optim.jsonl (<c>run.sh --optim-goldens PATH</c>): for every optimizer configuration of
/// <see cref="OptimizerCases"/>, in Float32 and Float64, the starting parameters, four steps of gradients, and
/// LibTorch's parameters and state after them, computed by PyTorch's single-tensor loop with LibTorch's kernels and
/// correctly rounded square roots (LibTorch's own, oneMKL's, are not; see OptimizerCases). One JSON object per line;
/// every number is written in round-trip form, so a Float32 value reads back to the same float.
/// </summary>
static class OptimizerGoldens
{
    static readonly int[][] Shapes = [[37], [5, 3], [1]];
    const int Steps = 4;

    public static void Write(string path)
    {
        using var output = new StreamWriter(path);
        foreach (var c in OptimizerCases.Configs)
        {
            foreach (var dtype in new[] { S.DType.Float32, S.DType.Float64 })
            {
                var (start, grads) = OptimizerCases.Inputs(Shapes, Steps);
                if (dtype == S.DType.Float32)
                {
                    // The values as Float32 holds them, so the file says exactly what each side starts from.
                    start = start.Select(Round).ToArray();
                    grads = grads.Select(g => g.Select(Round).ToArray()).ToArray();
                }
                var (parameters, state) = OptimizerCases.TheirRun(c.Name, dtype, Shapes, start, grads, exactSqrt: true, out _, out _);
                var buffer = new MemoryStream();
                using (var json = new Utf8JsonWriter(buffer))
                {
                    json.WriteStartObject();
                    json.WriteString("case", c.Name);
                    json.WriteString("optimizer", c.Kind == OptimizerCases.Kind.Adam && c.Decoupled ? "AdamW" : c.Kind.ToString());
                    json.WriteString("dtype", dtype.ToString());
                    json.WriteStartObject("options");
                    json.WriteNumber("lr", c.Lr);
                    json.WriteNumber("momentum", c.Momentum);
                    json.WriteNumber("dampening", c.Dampening);
                    json.WriteNumber("weight_decay", c.WeightDecay);
                    json.WriteBoolean("nesterov", c.Nesterov);
                    json.WriteBoolean("maximize", c.Maximize);
                    json.WriteBoolean("amsgrad", c.Amsgrad);
                    var (beta1, beta2) = c.Betas ?? (0.9, 0.999);
                    json.WriteStartArray("betas");
                    json.WriteNumberValue(beta1);
                    json.WriteNumberValue(beta2);
                    json.WriteEndArray();
                    json.WriteNumber("eps", c.Eps);
                    json.WriteNumber("alpha", c.Alpha);
                    json.WriteBoolean("centered", c.Centered);
                    json.WriteNumber("lr_decay", c.LrDecay);
                    json.WriteNumber("initial_accumulator_value", c.InitialAccumulatorValue);
                    json.WriteEndObject();
                    json.WriteStartArray("shapes");
                    foreach (var s in Shapes) WriteInts(json, s);
                    json.WriteEndArray();
                    json.WriteStartArray("start");
                    foreach (var v in start) WriteNumbers(json, v);
                    json.WriteEndArray();
                    json.WriteStartArray("grads");
                    foreach (var step in grads)
                    {
                        json.WriteStartArray();
                        foreach (var v in step) WriteNumbers(json, v);
                        json.WriteEndArray();
                    }
                    json.WriteEndArray();
                    json.WriteStartArray("params");
                    foreach (var p in parameters) WriteNumbers(json, Values(p));
                    json.WriteEndArray();
                    json.WriteStartArray("state");
                    foreach (var entries in state)
                    {
                        json.WriteStartObject();
                        foreach (var (key, value) in entries)
                        {
                            json.WritePropertyName(key);
                            WriteNumbers(json, Values(value));
                        }
                        json.WriteEndObject();
                    }
                    json.WriteEndArray();
                    json.WriteEndObject();
                }
                output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            }
        }
        Console.WriteLine($"wrote {OptimizerCases.Configs.Length * 2} cases to {path}");
    }

    static double[] Round(double[] values) => values.Select(v => (double)(float)v).ToArray();

    static double[] Values(T.Tensor t) => t.to_type(T.ScalarType.Float64).data<double>().ToArray();

    static void WriteInts(Utf8JsonWriter json, int[] values)
    {
        json.WriteStartArray();
        foreach (var v in values) json.WriteNumberValue(v);
        json.WriteEndArray();
    }

    // Round-trip form; a Float32 value is written as the shortest text that reads back to the same float.
    static void WriteNumbers(Utf8JsonWriter json, double[] values)
    {
        json.WriteStartArray();
        foreach (var v in values)
        {
            var text = (double)(float)v == v
                ? ((float)v).ToString("R", CultureInfo.InvariantCulture)
                : v.ToString("R", CultureInfo.InvariantCulture);
            json.WriteRawValue(text);
        }
        json.WriteEndArray();
    }
}
