// Side-by-side conformance with LibTorch: each case runs one op or layer in ShapeSafe and in LibTorch (through
// TorchSharp) on the same inputs (and weights), then backpropagates the same cotangent through both, and prints the
// largest relative error of the output and of every input's (and parameter's) gradient.
// Relative error of a against the reference b: max_i |a_i - b_i| / max(|b_i|, 1e-3 * max_j |b_j|, 1e-30), so
// elements near zero are measured against the tensor's scale. Int64 outputs must match exactly.
using ShapeSafe.Conformance;

if (args is ["--optim-goldens", var goldens])
{
    OptimizerGoldens.Write(goldens);
    return 0;
}

string? filter = null;
for (int i = 0; i < args.Length; i++)
    if (args[i] == "--filter") filter = args[++i];

int failures = 0;
Console.WriteLine($"{"case",-44} {"output",10} {"gradients",10}  notes");
foreach (var c in Cases.All())
{
    if (filter is not null && !c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)) continue;
    Result r;
    try
    {
        r = c.Run();
    }
    catch (Exception e)
    {
        failures++;
        Console.WriteLine($"{c.Name,-44} {"ERROR",10} {"",10}  {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        continue;
    }
    bool bad = r.Output > c.Tolerance || r.Gradient > c.Tolerance || r.Notes.Contains("MISMATCH");
    if (bad) failures++;
    Console.WriteLine($"{c.Name,-44} {Fmt(r.Output),10} {Fmt(r.Gradient),10}  {(bad ? "FAIL " : "")}{r.Notes}");
}
Console.WriteLine(failures == 0 ? "all cases within tolerance" : $"{failures} case(s) out of tolerance");
return failures == 0 ? 0 : 1;

static string Fmt(double v) => double.IsNaN(v) ? "-" : v.ToString("0.0e+0");
