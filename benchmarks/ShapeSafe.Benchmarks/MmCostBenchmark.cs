using System.Diagnostics;
using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Kernels.Parallel;

namespace ShapeSafe.Benchmarks;

/// <summary>
/// Where a square <c>Tensor.Mm</c> spends its time beyond the arithmetic, in alternating rounds so that a shared
/// machine's load disturbs every variant alike: an empty parallel loop (the fork-join cost a kernel pays per
/// loop), the GEMM kernel into one reused output (as the <c>gemm</c> command), the kernel into a fresh output
/// array per call (what <c>Tensor.Mm</c> allocates), and <c>Tensor.Mm</c> itself; then what a fresh array costs
/// alone: allocating it, and writing one float per cache line of it against the same writes to the reused array. Microseconds per call, best and
/// median of the rounds, and the shortest single call (wall time: under load, the call no preemption hit); with <c>--cpu-time</c> the calling thread's CPU time instead of wall time (steadier under
/// load, meaningful at one thread only).
/// </summary>
internal static class MmCostBenchmark
{
    public static int Run(string[] args)
    {
        var sizes = BenchOutput.Option(args, "--sizes", "64,128,256").Split(',').Select(int.Parse).ToArray();
        int rounds = int.Parse(BenchOutput.Option(args, "--rounds", "9"));
        s_cpuTime = args.Contains("--cpu-time");
        ParallelRuntime.NumThreads = Tensor.GetNumThreads();
        var empty = new EmptyBody();
        Report("empty parallel loop (2 iterations)", 0, rounds, () => ParallelRuntime.For(2, ref empty));
        if (ParallelRuntime.NumThreads >= 2)
        {
            // The empty loop's caller may run both iterations before the worker arrives; here each iteration waits
            // for the other to start, so every call pays the worker's arrival and the join.
            var meet = new RendezvousBody(new Counter());
            Report("rendezvous of 2 threads", 0, rounds, () => { meet.Arrived.Value = 0; ParallelRuntime.For(2, ref meet); });
        }

        Tensor.ManualSeed(1);
        foreach (int n in sizes)
        {
            var (ta, tb) = (Tensor.Randn(n, n), Tensor.Randn(n, n));
            float[] a = ta.ToFloatArray(), b = tb.ToFloatArray(), reused = new float[n * n];
            var variants = new (string Name, Action Call)[]
            {
                ("kernel, reused output", () => GemmKernel.Sgemm(n, n, n, 1f, a, 0, n, 1, b, 0, n, 1, 0f, reused, 0, n, 1)),
                ("kernel, fresh output", () => GemmKernel.Sgemm(n, n, n, 1f, a, 0, n, 1, b, 0, n, 1, 0f,
                    GC.AllocateUninitializedArray<float>(n * n), 0, n, 1)),
                ("kernel, fresh zeroed output", () => GemmKernel.Sgemm(n, n, n, 1f, a, 0, n, 1, b, 0, n, 1, 0f,
                    new float[n * n], 0, n, 1)),
                ("kernel, fresh output cleared first", () => { var x = GC.AllocateUninitializedArray<float>(n * n); x.AsSpan().Clear();
                    GemmKernel.Sgemm(n, n, n, 1f, a, 0, n, 1, b, 0, n, 1, 0f, x, 0, n, 1); }),
                ("Tensor.Mm", () => GC.KeepAlive(Tensor.Mm(ta, tb))),
                ("fresh output alone", () => GC.KeepAlive(GC.AllocateUninitializedArray<float>(n * n))),
                ("fresh output, every line written", () => { var x = GC.AllocateUninitializedArray<float>(n * n); for (int i = 0; i < x.Length; i += 16) x[i] = 1; GC.KeepAlive(x); }),
                ("reused output, every line written", () => { var x = reused; for (int i = 0; i < x.Length; i += 16) x[i] = 1; GC.KeepAlive(x); }),
            };
            var times = Measure(variants.Select(v => v.Call).ToArray(), rounds);
            var shortest = s_shortestCall;
            for (int v = 0; v < variants.Length; v++)
                Row(variants[v].Name, n, times[v], shortest[v]);
        }
        return 0;
    }

    static bool s_cpuTime;

    static double Now() => s_cpuTime ? CpuClock.ThreadSeconds() : Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    static void Report(string name, int n, int rounds, Action call)
    {
        var times = Measure([call], rounds);
        Row(name, n, times[0], s_shortestCall[0]);
    }

    // The shortest single call of each variant (wall time) over every round of the last Measure: on a loaded machine
    // the one call during which no thread of it lost its core, so nearer a quiet machine's time than any average.
    static double[] s_shortestCall = [];

    // times[variant][round], seconds per call; the variants take turns within each round.
    static double[][] Measure(Action[] calls, int rounds)
    {
        var iterations = new int[calls.Length];
        for (int v = 0; v < calls.Length; v++)
        {
            for (int w = 0; w < 5; w++) calls[v]();
            var sw = Stopwatch.StartNew();
            calls[v]();
            iterations[v] = Math.Max(1, (int)(0.05 / Math.Max(sw.Elapsed.TotalSeconds, 1e-7)));
        }
        var times = calls.Select(_ => new double[rounds]).ToArray();
        var shortest = calls.Select(_ => long.MaxValue).ToArray();
        for (int r = 0; r < rounds; r++)
        {
            for (int v = 0; v < calls.Length; v++)
            {
                double start = Now();
                for (int i = 0; i < iterations[v]; i++)
                {
                    long before = Stopwatch.GetTimestamp();
                    calls[v]();
                    shortest[v] = Math.Min(shortest[v], Stopwatch.GetTimestamp() - before);
                }
                times[v][r] = (Now() - start) / iterations[v];
            }
        }
        s_shortestCall = shortest.Select(t => t / (double)Stopwatch.Frequency).ToArray();
        return times;
    }

    static void Row(string name, int n, double[] seconds, double shortestCall)
    {
        var row = new Dictionary<string, object?> { ["bench"] = "mm-cost", ["what"] = name };
        if (n > 0)
        {
            row["n"] = n;
            row["gflops_best"] = 2.0 * n * n * n / seconds.Min() / 1e9;
        }
        row["us_best"] = seconds.Min() * 1e6;
        row["us_median"] = BenchOutput.Median(seconds) * 1e6;
        row["us_shortest_call"] = shortestCall * 1e6;
        if (n > 0)
            row["gflops_shortest_call"] = 2.0 * n * n * n / shortestCall / 1e9;
        BenchOutput.Row(row);
    }

    private readonly struct EmptyBody : IParallelBody
    {
        public void Invoke(int index) { }
    }

    private sealed class Counter
    {
        public int Value;
    }

    private readonly struct RendezvousBody(Counter arrived) : IParallelBody
    {
        public Counter Arrived => arrived;

        public void Invoke(int index)
        {
            Interlocked.Increment(ref arrived.Value);
            // Bounded, in case one thread ends up running both iterations (a busy pool runs loops serially).
            long deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 100;
            while (Volatile.Read(ref arrived.Value) < 2 && Stopwatch.GetTimestamp() < deadline)
                Thread.SpinWait(1);
        }
    }
}
