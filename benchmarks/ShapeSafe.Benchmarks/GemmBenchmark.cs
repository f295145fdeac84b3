using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Kernels.Parallel;

namespace ShapeSafe.Benchmarks;

/// <summary>
/// Square SGEMM throughput, measured like torchref's matmul (warm up, size the repetition count to
/// about 0.3 s, then best and median of 7), so the two tools' figures compare directly.
/// </summary>
internal static class GemmBenchmark
{
    public static int Run(string[] args)
    {
        int threads = Environment.ProcessorCount;
        // (m, n, k) products: square sizes by default, any shapes with --shapes MxNxK,...
        (int M, int N, int K)[] shapes = [(128, 128, 128), (256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048)];
        bool square = true;
        GemmMicroKernel kernel = GemmKernel.MicroKernel;
        int? mc = null, kc = null, nc = null;
        bool transposeB = false;
        int repeats = 7;
        GemmRoute route = GemmRoute.Auto;
        bool cpuTime = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads": threads = int.Parse(args[++i]); break;
                case "--sizes": shapes = args[++i].Split(',').Select(int.Parse).Select(n => (n, n, n)).ToArray(); break;
                case "--shapes":
                    shapes = args[++i].Split(',').Select(x => x.Split('x').Select(int.Parse).ToArray()).Select(d => (d[0], d[1], d[2])).ToArray();
                    square = false;
                    break;
                case "--kernel":
                    string name = args[++i];
                    kernel = GemmMicroKernels.Supported.FirstOrDefault(x => x.Name == name)
                        ?? throw new ArgumentException($"Unknown or unsupported kernel {name}; have {string.Join(", ", GemmMicroKernels.Supported.Select(x => x.Name))}.");
                    break;
                case "--mc": mc = int.Parse(args[++i]); break;
                case "--kc": kc = int.Parse(args[++i]); break;
                case "--nc": nc = int.Parse(args[++i]); break;
                case "--transpose-b": transposeB = true; break;
                case "--repeat": repeats = int.Parse(args[++i]); break;
                case "--route": route = Enum.Parse<GemmRoute>(args[++i], ignoreCase: true); break;
                // Times this thread's CPU time instead of wall time: steadier on a shared machine, for
                // one-thread tuning only (Linux).
                case "--cpu-time": cpuTime = true; break;
                case "--json": break; // handled by Program (BenchOutput.Json)
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }
        kernel = kernel.WithBlocking(mc ?? kernel.Mc, kc ?? kernel.Kc, nc ?? kernel.Nc);
        ParallelRuntime.NumThreads = threads;
        if (!BenchOutput.Json)
            Console.WriteLine($"# kernel {kernel}, route {route}, threads {threads}, Vector512.IsHardwareAccelerated={Vector512.IsHardwareAccelerated}, Avx512F={Avx512F.IsSupported}");

        var rng = new Random(1);
        foreach (var (m, n, k) in shapes)
        {
            float[] a = RandomMatrix(rng, m * k), b = RandomMatrix(rng, k * n), c = new float[m * n];
            int bRow = transposeB ? 1 : n, bCol = transposeB ? k : 1;
            void Multiply() => GemmKernel.SgemmWith(kernel, route, m, n, k, 1f, a, 0, k, 1, b, 0, bRow, bCol, 0f, c, 0, n, 1);

            for (int w = 0; w < 5; w++)
                Multiply();
            var sw = Stopwatch.StartNew();
            Multiply();
            int iterations = Math.Max(1, (int)(0.3 * 7 / repeats / Math.Max(sw.Elapsed.TotalSeconds, 1e-6)));
            var times = new double[repeats];
            for (int r = 0; r < times.Length; r++)
            {
                sw.Restart();
                double cpuStart = cpuTime ? CpuClock.ThreadSeconds() : 0;
                for (int i = 0; i < iterations; i++)
                    Multiply();
                times[r] = (cpuTime ? CpuClock.ThreadSeconds() - cpuStart : sw.Elapsed.TotalSeconds) / iterations;
            }
            Array.Sort(times);
            double flop = 2.0 * m * n * (double)k;
            var row = new Dictionary<string, object?> { ["bench"] = "matmul" };
            if (square)
                row["n"] = n;
            else
                row["shape"] = $"{m}x{n}x{k}";
            row["gflops_best"] = flop / times[0] / 1e9;
            row["gflops_median"] = flop / times[times.Length / 2] / 1e9;
            BenchOutput.Row(row);
        }
        return 0;
    }


    private static float[] RandomMatrix(Random rng, int count)
    {
        var data = new float[count];
        for (int i = 0; i < data.Length; i++)
            data[i] = (float)(rng.NextDouble() * 2 - 1);
        return data;
    }
}
