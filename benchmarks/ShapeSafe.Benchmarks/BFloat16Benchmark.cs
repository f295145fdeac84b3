using System.Diagnostics;
using ShapeSafe.Kernels.Gemm;

namespace ShapeSafe.Benchmarks;

/// <summary>
/// BFloat16 against float32: the GEMM kernels and <c>Tensor.Mm</c> on fresh outputs at n = 256, 512, 1024, and a training
/// step of the Fashion-MNIST CNN (batch 64, Adam) in float32 and under <c>Autograd.Autocast(DType.BFloat16)</c>.
/// </summary>
internal static class BFloat16Benchmark
{
    public static int Run(string[] args)
    {
        var sizes = BenchOutput.Option(args, "--sizes", "256,512,1024").Split(',').Select(int.Parse).ToArray();
        int steps = int.Parse(BenchOutput.Option(args, "--steps", "30"));
        foreach (int n in sizes)
            Gemm(n);
        TrainStep(autocast: false, steps);
        TrainStep(autocast: true, steps);
        return 0;
    }

    static void Gemm(int n)
    {
        var a = Tensor.Randn(n, n);
        var b = Tensor.Randn(n, n);
        var a16 = a.ToDType(DType.BFloat16);
        var b16 = b.ToDType(DType.BFloat16);
        var c = new float[n * n];
        double flops = 2.0 * n * n * n;
        int reps = Math.Max(3, (int)(2e9 / flops));
        float[] af = a.ToFloatArray(), bf = b.ToFloatArray();
        ushort[] ah = a16.BFloat16Data, bh = b16.BFloat16Data;
        var rows = new (string Name, Action Call)[]
        {
            ("kernel-f32", () => GemmKernel.Sgemm(n, n, n, 1f, af, 0, n, 1, bf, 0, n, 1, 0f, c, 0, n, 1)),
            ("kernel-bf16", () => GemmBFloat16.Gemm(n, n, n, ah, 0, n, 1, bh, 0, n, 1, c, 0, n)),
            ("Mm-f32", () => Tensor.Mm(a, b)),
            ("Mm-bf16", () => Tensor.Mm(a16, b16)),
        };
        foreach (var (name, call) in rows)
        {
            call();
            var times = new List<double>();
            for (int r = 0; r < reps; r++)
            {
                var sw = Stopwatch.StartNew();
                call();
                times.Add(sw.Elapsed.TotalSeconds);
            }
            BenchOutput.Row(new() { ["bench"] = "bf16-gemm", ["op"] = name, ["n"] = n, ["threads"] = Tensor.GetNumThreads(),
                ["gflops"] = flops / BenchOutput.Median(times) / 1e9 });
        }
    }

    static void TrainStep(bool autocast, int steps)
    {
        Tensor.ManualSeed(1);
        var (model, loss, optimizer) = FashionBenchmark.Cnn();
        const int batch = 64;
        var x = Tensor.Randn(batch, 1, 28, 28);
        var y = Tensor.Randint(0, 10, new[] { batch });
        void Step()
        {
            optimizer.ZeroGrad();
            Tensor l;
            using (Autograd.Autocast(DType.BFloat16, enabled: autocast))
                l = loss.Forward(model.Forward(x), y);
            l.Backward();
            optimizer.Step();
        }
        for (int i = 0; i < 3; i++) Step();
        var times = new List<double>();
        for (int i = 0; i < steps; i++)
        {
            var sw = Stopwatch.StartNew();
            Step();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        BenchOutput.Row(new() { ["bench"] = "bf16-train", ["model"] = "fashion-cnn", ["autocast"] = autocast,
            ["threads"] = Tensor.GetNumThreads(), ["samples_per_s"] = batch / BenchOutput.Median(times) });
    }
}
