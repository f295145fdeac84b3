using System.Diagnostics;
using System.Runtime.InteropServices;
using ShapeSafe.NN;

namespace ShapeSafe.Benchmarks;

/// <summary>
/// Issue 10's workload: forward and backward of <c>TransformerEncoderLayer(256, 4, 1024)</c> on [32, 16, 256],
/// eager against the <c>[Module]</c> graph compiled at build time. The two run in alternating rounds (eager,
/// compiled, eager, ...) so that a change in the machine's load falls on both, and each round is timed by the
/// thread's CPU time, which other helpers' processes on the shared cores do not inflate.
/// </summary>
internal static partial class TransformerBenchmark
{
    /// <summary>The layer as a user writes it: a <c>[Module]</c> class whose <c>Forward</c> calls the child.</summary>
    [Module]
    public sealed partial class Encoder : Module
    {
        readonly TransformerEncoderLayer _layer = new(256, 4, 1024, batchFirst: true);

        public Tensor Forward(Tensor x) => _layer.Forward(x);
    }

    public static int Run(string[] args)
    {
        int rounds = int.Parse(BenchOutput.Option(args, "--rounds", "6"));
        int steps = int.Parse(BenchOutput.Option(args, "--steps", "10"));
        int batch = int.Parse(BenchOutput.Option(args, "--batch", "32"));
        // Eval mode times the layer without dropout's masks (their draws are the same in both columns either way).
        bool eval = args.Contains("--eval");
        Tensor.ManualSeed(42);
        var model = new Encoder();
        if (eval) model.Eval();
        var compiled = model.Compile();
        var x = Tensor.Randn(batch, 16, 256);
        x.RequiresGrad = true;
        var gradient = Tensor.Randn(batch, 16, 256);

        void Step(Func<Tensor, Tensor> forward)
        {
            model.ZeroGrad();
            x.Grad = null;
            forward(x).Backward(gradient);
        }

        // Warm up both paths for at least 1.5 s so the tiered JIT has moved the kernels' loops to optimized code.
        var warmup = Stopwatch.StartNew();
        while (warmup.Elapsed.TotalSeconds < 1.5)
        {
            Step(model.Forward);
            Step(compiled.Forward);
        }

        var eager = new List<double>();
        var graph = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            eager.Add(Time(() => Step(model.Forward), steps));
            graph.Add(Time(() => Step(compiled.Forward), steps));
        }
        // The ratio of each round's pair, so a slow round does not favour the column measured in it.
        var ratios = eager.Zip(graph, (e, c) => e / c).ToList();
        BenchOutput.Row(new()
        {
            ["bench"] = "transformer", ["batch"] = batch, ["mode"] = eval ? "eval" : "train", ["is_compiled"] = compiled.IsCompiled,
            ["eager_ms_median"] = BenchOutput.Median(eager) * 1e3, ["compiled_ms_median"] = BenchOutput.Median(graph) * 1e3,
            ["speedup_median"] = BenchOutput.Median(ratios), ["rounds"] = rounds, ["steps"] = steps, ["clock"] = "thread-cpu",
        });
        return 0;
    }

    /// <summary>Thread CPU seconds per call of <paramref name="step"/>, over <paramref name="steps"/> calls.</summary>
    static double Time(Action step, int steps)
    {
        double start = ThreadCpuSeconds();
        for (int i = 0; i < steps; i++) step();
        return (ThreadCpuSeconds() - start) / steps;
    }

    static double ThreadCpuSeconds()
    {
        const int ClockThreadCpuTime = 3;
        if (clock_gettime(ClockThreadCpuTime, out var t) != 0)
            throw new InvalidOperationException("clock_gettime failed");
        return t.Seconds + t.Nanoseconds * 1e-9;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    static extern int clock_gettime(int clock, out Timespec time);

    [StructLayout(LayoutKind.Sequential)]
    struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
