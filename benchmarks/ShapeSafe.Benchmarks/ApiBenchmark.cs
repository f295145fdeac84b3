using System.Diagnostics;
using System.Runtime;
using ShapeSafe.NN;

namespace ShapeSafe.Benchmarks;

/// <summary>
/// The public calls users make, each returning a fresh output as in user code: <c>Tensor.Mm</c> and
/// <c>Tensor.Matmul</c> of square matrices, <c>F.Linear</c> of a [n, n] batch and <c>F.Conv2d</c> of a
/// ResNet-style 3×3 layer. Timed like torchref's matmul (warm up, about 0.3 s per repetition, best and median
/// of 7), and beside each figure what the allocations cost: collections of each generation and the GC's pause
/// time per 1,000 calls, and the process's peak working set. run.sh pairs the Tensor.Mm rows with LibTorch's
/// "matmul" rows (torch.mm on fresh outputs) beside the "gemm" command's kernel-only rows, so a gap between the
/// kernel and the call users make shows in one table.
/// </summary>
internal static class ApiBenchmark
{
    public static int Run(string[] args)
    {
        var sizes = BenchOutput.Option(args, "--sizes", "128,256,512,1024").Split(',').Select(int.Parse).ToArray();
        var ops = BenchOutput.Option(args, "--ops", "mm,matmul,linear,conv2d").Split(',');
        if (!BenchOutput.Json)
            Console.WriteLine($"# LOH threshold {GC.GetConfigurationVariables().GetValueOrDefault("LOHThreshold")}, server GC {GCSettings.IsServerGC}, threads {Tensor.GetNumThreads()}");
        Tensor.ManualSeed(1);
        foreach (var op in ops)
            foreach (int n in op == "conv2d" ? new[] { 56, 28 } : sizes)
                Measure(op, n);
        return 0;
    }

    static void Measure(string op, int n)
    {
        Func<Tensor> call;
        double flop;
        switch (op)
        {
            case "mm":
            {
                var (a, b) = (Tensor.Randn(n, n), Tensor.Randn(n, n));
                call = () => Tensor.Mm(a, b);
                flop = 2.0 * n * n * n;
                break;
            }
            case "matmul":
            {
                var (a, b) = (Tensor.Randn(n, n), Tensor.Randn(n, n));
                call = () => a.Matmul(b);
                flop = 2.0 * n * n * n;
                break;
            }
            case "linear":
            {
                var (x, w, bias) = (Tensor.Randn(n, n), Tensor.Randn(n, n), Tensor.Randn(n));
                call = () => F.Linear(x, w, bias);
                flop = 2.0 * n * n * n;
                break;
            }
            case "conv2d":
            {
                // n is the image side; 64 channels in and out, batch 8, 3×3 with padding 1 (ResNet-18's first stage at 56).
                const int batch = 8, channels = 64;
                var (x, w) = (Tensor.Randn(batch, channels, n, n), Tensor.Randn(channels, channels, 3, 3));
                call = () => F.Conv2d(x, w, null, 1, 1);
                flop = 2.0 * batch * channels * channels * 9 * n * n;
                break;
            }
            default: throw new ArgumentException($"Unknown op {op}; have mm, matmul, linear, conv2d.");
        }

        Tensor? sink = null;
        for (int w = 0; w < 5; w++) sink = call();
        var sw = Stopwatch.StartNew();
        sink = call();
        int iterations = Math.Max(1, (int)(0.3 / Math.Max(sw.Elapsed.TotalSeconds, 1e-6)));
        var times = new double[7];
        int[] before = Collections();
        var pauseBefore = GC.GetTotalPauseDuration();
        for (int r = 0; r < times.Length; r++)
        {
            sw.Restart();
            for (int i = 0; i < iterations; i++) sink = call();
            times[r] = sw.Elapsed.TotalSeconds / iterations;
        }
        GC.KeepAlive(sink);
        int[] after = Collections();
        double calls = (double)times.Length * iterations;
        double per1000 = 1000 / calls;
        Array.Sort(times);
        BenchOutput.Row(new()
        {
            ["bench"] = Names[op], ["n"] = n,
            ["gflops_best"] = flop / times[0] / 1e9, ["gflops_median"] = flop / times[times.Length / 2] / 1e9,
            ["gen0_per_1000"] = (after[0] - before[0]) * per1000,
            ["gen1_per_1000"] = (after[1] - before[1]) * per1000,
            ["gen2_per_1000"] = (after[2] - before[2]) * per1000,
            ["gc_pause_ms_per_1000"] = (GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds * per1000,
            ["peak_working_set_mb"] = Process.GetCurrentProcess().PeakWorkingSet64 / 1e6,
        });
    }

    static readonly Dictionary<string, string> Names = new()
    {
        ["mm"] = "Tensor.Mm", ["matmul"] = "Tensor.Matmul", ["linear"] = "F.Linear", ["conv2d"] = "F.Conv2d",
    };

    static int[] Collections() => new[] { GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2) };
}
