using System.Diagnostics;
using ShapeSafe.Kernels.Gemm;
using ShapeSafe.NN;

namespace ShapeSafe.Benchmarks;

/// <summary>
/// BFloat16 against float32: the Fashion-MNIST CNN's convolutions forward + backward (float32, under autocast, and the
/// autocast path before the BFloat16 convolution kernels: whole-operand casts around the float32 convolution), the GEMM
/// kernels and <c>Tensor.Mm</c> at n = 256, 512, 1024, and the CNN's training step (batch 64, Adam) in float32 and under
/// <c>Autograd.Autocast(DType.BFloat16)</c>.
/// </summary>
/// <remarks>
/// The variants of each row run in alternating rounds (a, b, c, a, b, c, ...), so a change in the machine's load hits
/// them alike; each round's ratio is taken, and the median of rounds is printed. On one thread the clock is the thread's
/// CPU time (steady under load from other processes); on more threads it is wall time, which such load moves.
/// </remarks>
internal static class BFloat16Benchmark
{
    public static int Run(string[] args)
    {
        var sizes = BenchOutput.Option(args, "--sizes", "256,512,1024").Split(',').Select(int.Parse).ToArray();
        int steps = int.Parse(BenchOutput.Option(args, "--steps", "30"));
        int rounds = int.Parse(BenchOutput.Option(args, "--rounds", "7"));
        string only = BenchOutput.Option(args, "--only", "conv,gemm,train");
        if (only.Contains("conv"))
            ConvLayers(rounds);
        if (only.Contains("gemm"))
        {
            foreach (int n in sizes)
                Gemm(n, rounds);
        }
        if (only.Contains("train"))
            TrainStep(steps, rounds);
        return 0;
    }

    static string ClockName => Tensor.GetNumThreads() == 1 ? "thread-cpu" : "wall";

    static double Now() => Tensor.GetNumThreads() == 1 ? CpuClock.ThreadSeconds() : Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    /// <summary>
    /// Seconds per call of each variant: <paramref name="rounds"/> rounds, each timing every variant over
    /// <paramref name="reps"/> calls in turn (after one untimed call); returns each variant's per-round times.
    /// </summary>
    static List<double>[] Alternate(int rounds, int reps, params Action[] variants)
    {
        var times = variants.Select(_ => new List<double>()).ToArray();
        foreach (var v in variants) v();
        for (int r = 0; r < rounds; r++)
        {
            for (int i = 0; i < variants.Length; i++)
            {
                variants[i]();
                double start = Now();
                for (int k = 0; k < reps; k++) variants[i]();
                times[i].Add((Now() - start) / reps);
            }
        }
        return times;
    }

    static double MedianRatio(List<double> numerator, List<double> denominator) =>
        BenchOutput.Median(numerator.Zip(denominator, (a, b) => a / b));

    // The CNN's two convolutions at batch 64 (conv1 1→16 on 28×28, its input taking no gradient; conv2 16→32 on 14×14),
    // forward + backward through the Tensor API, Float32 parameters.
    static void ConvLayers(int rounds)
    {
        const int batch = 64;
        foreach (var (name, inChannels, outChannels, size, inputGrad) in new[] { ("conv1", 1, 16, 28, false), ("conv2", 16, 32, 14, true) })
        {
            Tensor.ManualSeed(1);
            var x = Tensor.Randn(batch, inChannels, size, size);
            x.RequiresGrad = inputGrad;
            var w = Tensor.Randn(outChannels, inChannels, 3, 3);
            var b = Tensor.Randn(outChannels);
            w.RequiresGrad = b.RequiresGrad = true;
            var g32 = Tensor.Randn(batch, outChannels, size, size);
            var g16 = g32.ToDType(DType.BFloat16);
            void Clear()
            {
                x.Grad = null;
                w.Grad = null;
                b.Grad = null;
            }
            void Float32()
            {
                Clear();
                F.Conv2d(x, w, b, padding: 1).Backward(g32);
            }
            void Autocast()
            {
                Clear();
                Tensor y;
                using (Autograd.Autocast(DType.BFloat16))
                    y = F.Conv2d(x, w, b, padding: 1);
                y.Backward(g16);
            }
            // What autocast ran before the BFloat16 kernels: the casts, the widening back, the float32 convolution, one rounding.
            static Tensor Widened(Tensor t) => t.ToDType(DType.BFloat16).ToDType(DType.Float32);
            void AutocastWholeOperands()
            {
                Clear();
                F.Conv2d(Widened(x), Widened(w), Widened(b), padding: 1).ToDType(DType.BFloat16).Backward(g16);
            }
            var times = Alternate(rounds, 10, Float32, Autocast, AutocastWholeOperands);
            BenchOutput.Row(new()
            {
                ["bench"] = "bf16-conv", ["layer"] = name, ["batch"] = batch, ["clock"] = ClockName,
                ["f32_ms"] = 1e3 * BenchOutput.Median(times[0]), ["autocast_ms"] = 1e3 * BenchOutput.Median(times[1]),
                ["autocast_whole_operands_ms"] = 1e3 * BenchOutput.Median(times[2]),
                ["autocast_over_f32"] = MedianRatio(times[1], times[0]), ["whole_operands_over_autocast"] = MedianRatio(times[2], times[1]),
            });
        }
    }

    static void Gemm(int n, int rounds)
    {
        var a = Tensor.Randn(n, n);
        var b = Tensor.Randn(n, n);
        var a16 = a.ToDType(DType.BFloat16);
        var b16 = b.ToDType(DType.BFloat16);
        var c = new float[n * n];
        double flops = 2.0 * n * n * n;
        int reps = Math.Max(2, (int)(3e8 / flops));
        float[] af = a.ToFloatArray(), bf = b.ToFloatArray();
        ushort[] ah = a16.BFloat16Data, bh = b16.BFloat16Data;
        var times = Alternate(rounds, reps,
            () => GemmKernel.Sgemm(n, n, n, 1f, af, 0, n, 1, bf, 0, n, 1, 0f, c, 0, n, 1),
            () => GemmBFloat16.Gemm(n, n, n, ah, 0, n, 1, bh, 0, n, 1, c, 0, n),
            () => Tensor.Mm(a, b),
            () => Tensor.Mm(a16, b16));
        BenchOutput.Row(new()
        {
            ["bench"] = "bf16-gemm", ["n"] = n, ["clock"] = ClockName,
            ["kernel_f32_gflops"] = flops / BenchOutput.Median(times[0]) / 1e9, ["kernel_bf16_gflops"] = flops / BenchOutput.Median(times[1]) / 1e9,
            ["mm_f32_gflops"] = flops / BenchOutput.Median(times[2]) / 1e9, ["mm_bf16_gflops"] = flops / BenchOutput.Median(times[3]) / 1e9,
            ["kernel_bf16_over_f32_speed"] = MedianRatio(times[0], times[1]), ["mm_bf16_over_f32_speed"] = MedianRatio(times[2], times[3]),
        });
    }

    static void TrainStep(int steps, int rounds)
    {
        const int batch = 64;
        var x = Tensor.Randn(batch, 1, 28, 28);
        var y = Tensor.Randint(0, 10, new[] { batch });
        Action Step(bool autocast)
        {
            Tensor.ManualSeed(1);
            var (model, loss, optimizer) = FashionBenchmark.Cnn();
            return () =>
            {
                optimizer.ZeroGrad();
                Tensor l;
                using (Autograd.Autocast(DType.BFloat16, enabled: autocast))
                    l = loss.Forward(model.Forward(x), y);
                l.Backward();
                optimizer.Step();
            };
        }
        var float32 = Step(autocast: false);
        var autocast = Step(autocast: true);
        for (int i = 0; i < 3; i++)
        {
            float32();
            autocast();
        }
        var times = Alternate(rounds, Math.Max(1, steps / rounds), float32, autocast);
        BenchOutput.Row(new()
        {
            ["bench"] = "bf16-train", ["model"] = "fashion-cnn", ["batch"] = batch, ["clock"] = ClockName,
            ["f32_samples_per_s"] = batch / BenchOutput.Median(times[0]), ["autocast_samples_per_s"] = batch / BenchOutput.Median(times[1]),
            ["autocast_over_f32_speed"] = MedianRatio(times[0], times[1]),
        });
    }
}
