using System.Diagnostics;
using ShapeSafe.Kernels.Convolution;
using ShapeSafe.Kernels.Pooling;

namespace ShapeSafe.Benchmarks;

/// <summary>
/// The convolution layers of the benchmark CNN (conv 1→16 3×3 pad 1 on 28×28, max-pool 2, conv 16→32
/// 3×3 pad 1 on 14×14, max-pool 2) at batch 64: forward and backward time per batch of each kernel,
/// on 1 and 2 threads, with GFLOP/s for the convolutions (2 flops per multiply-add), plus the same
/// step through the Tensor API with autograd.
/// </summary>
/// <remarks>Usage: <c>conv [--batch 64] [--threads 1,2] [--reps 30] [--no-direct]</c>. Prints the median and best of the repetitions.</remarks>
public static class ConvBenchmark
{
    public static void Run(string[] args)
    {
        int batch = IntOption(args, "--batch", 64);
        int reps = IntOption(args, "--reps", 30);
        int[] threadCounts = Option(args, "--threads")?.Split(',').Select(int.Parse).ToArray() ?? new[] { 1, 2 };
        // --no-direct: the first layer by im2col + GEMM, as before the direct loop (ConvolutionKernel.Direct.cs).
        ConvolutionKernel.DirectEnabled = !args.Contains("--no-direct");

        var conv1 = Conv2dGeometry.Create(new[] { batch, 1, 28, 28 }, new[] { 16, 1, 3, 3 }, (1, 1), (1, 1), (1, 1));
        var pool1 = Pool2dGeometry.Create(new[] { batch, 16, 28, 28 }, (2, 2), (2, 2), (0, 0), (1, 1), "MaxPool2d");
        var conv2 = Conv2dGeometry.Create(new[] { batch, 16, 14, 14 }, new[] { 32, 16, 3, 3 }, (1, 1), (1, 1), (1, 1));
        var pool2 = Pool2dGeometry.Create(new[] { batch, 32, 14, 14 }, (2, 2), (2, 2), (0, 0), (1, 1), "MaxPool2d");

        var random = new Random(1);
        float[] Data(int n) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var x = Data(conv1.Batch * conv1.InImage);
        var w1 = Data(conv1.WeightCount);
        var b1 = Data(16);
        var y1 = new float[conv1.Batch * conv1.OutImage];
        var p1 = new float[pool1.Planes * pool1.OutPlane];
        var i1 = new long[p1.Length];
        var w2 = Data(conv2.WeightCount);
        var b2 = Data(32);
        var y2 = new float[conv2.Batch * conv2.OutImage];
        var p2 = new float[pool2.Planes * pool2.OutPlane];
        var i2 = new long[p2.Length];
        var gp2 = Data(p2.Length);
        var gy2 = new float[y2.Length];
        var gp1 = new float[p1.Length];
        var gw2 = new float[w2.Length];
        var gb2 = new float[32];
        var gy1 = new float[y1.Length];
        var gw1 = new float[w1.Length];
        var gb1 = new float[16];
        var columns = new float[conv2.ColumnRows * conv2.OutPlane];

        var steps = new (string Name, long Flops, Action Body)[]
        {
            ("conv1 forward", 2 * conv1.MultiplyAdds, () => ConvolutionKernel.Forward(conv1, x, 0, w1, 0, b1, 0, y1, 0)),
            ("pool1 forward", 0, () => MaxPoolKernel.Forward(pool1, y1, 0, p1, 0, i1, 0)),
            ("conv2 forward", 2 * conv2.MultiplyAdds, () => ConvolutionKernel.Forward(conv2, p1, 0, w2, 0, b2, 0, y2, 0)),
            ("pool2 forward", 0, () => MaxPoolKernel.Forward(pool2, y2, 0, p2, 0, i2, 0)),
            ("pool2 backward", 0, () => MaxPoolKernel.Backward(pool2, gp2, 0, i2, 0, gy2, 0)),
            ("conv2 backward (in, w, b)", 4 * conv2.MultiplyAdds,
                () => ConvolutionKernel.Backward(conv2, p1, 0, w2, 0, gy2, 0, gp1, 0, gw2, 0, gb2, 0)),
            ("pool1 backward", 0, () => MaxPoolKernel.Backward(pool1, gp1, 0, i1, 0, gy1, 0)),
            ("conv1 backward (w, b)", 2 * conv1.MultiplyAdds,
                () => ConvolutionKernel.Backward(conv1, x, 0, w1, 0, gy1, 0, null, 0, gw1, 0, gb1, 0)),
        };
        var parts = new (string Name, long Flops, Action Body)[]
        {
            ("  conv2 backward input only", 2 * conv2.MultiplyAdds,
                () => ConvolutionKernel.BackwardInput(conv2, w2, 0, gy2, 0, gp1, 0)),
            ("  conv2 backward weight only", 2 * conv2.MultiplyAdds,
                () => ConvolutionKernel.BackwardWeight(conv2, p1, 0, gy2, 0, gw2, 0)),
            ("  conv2 im2col alone", 0, () =>
            {
                for (int n = 0; n < conv2.Batch; n++)
                    Im2Col.Fill(conv2, p1, n * conv2.InImage, conv2.InChannels, columns, 0, conv2.OutPlane);
            }),
        };

        Console.WriteLine($"Conv benchmark: batch {batch}, {reps} repetitions, median (best) ms per batch; {Environment.ProcessorCount} processors");
        int before = Tensor.GetNumThreads();
        try
        {
            foreach (int threads in threadCounts)
            {
                Tensor.SetNumThreads(threads);
                Console.WriteLine($"-- {threads} thread{(threads == 1 ? "" : "s")}");
                double total = 0, totalFlops = 0;
                foreach (var (name, flops, body) in steps)
                {
                    var (median, best) = Time(body, reps);
                    total += median;
                    totalFlops += flops;
                    Print(name, median, best, flops);
                }
                foreach (var (name, flops, body) in parts)
                {
                    var (median, best) = Time(body, reps);
                    Print(name, median, best, flops);
                }
                Print("kernels, forward + backward", total, double.NaN, (long)totalFlops);
                var (tensorMedian, tensorBest) = Time(TensorStep(batch), reps);
                Print("Tensor API with autograd", tensorMedian, tensorBest, (long)totalFlops);
            }
        }
        finally
        {
            Tensor.SetNumThreads(before);
        }
    }

    // The same layers through Tensor.Conv2d / MaxPool2d and Backward (no ReLU or linear layer).
    private static Action TensorStep(int batch)
    {
        var x = Tensor.Randn(new[] { batch, 1, 28, 28 }, new Generator(1));
        var w1 = Tensor.Randn(new[] { 16, 1, 3, 3 }, new Generator(2));
        var b1 = Tensor.Randn(new[] { 16 }, new Generator(3));
        var w2 = Tensor.Randn(new[] { 32, 16, 3, 3 }, new Generator(4));
        var b2 = Tensor.Randn(new[] { 32 }, new Generator(5));
        foreach (var p in new[] { w1, b1, w2, b2 })
            p.RequiresGrad = true;
        var grad = Tensor.Ones(batch, 32, 7, 7);
        return () =>
        {
            var h = Tensor.MaxPool2d(Tensor.Conv2d(x, w1, b1, padding: 1), 2);
            var y = Tensor.MaxPool2d(Tensor.Conv2d(h, w2, b2, padding: 1), 2);
            y.Backward(grad);
            foreach (var p in new[] { w1, b1, w2, b2 })
                p.Grad = null;
        };
    }

    private static (double Median, double Best) Time(Action body, int reps)
    {
        for (int i = 0; i < 5; i++)
            body();     // tier up, size the buffers
        var times = new double[reps];
        for (int r = 0; r < reps; r++)
        {
            long start = Stopwatch.GetTimestamp();
            body();
            times[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        return (times[reps / 2], times[0]);
    }

    private static void Print(string name, double median, double best, long flops)
    {
        string gflops = flops > 0 ? $"{flops / (median * 1e6),7:F1} GFLOP/s" : "";
        string bestText = double.IsNaN(best) ? "" : $"({best,7:F3})";
        Console.WriteLine($"  {name,-30} {median,8:F3} {bestText,-9} ms  {gflops}");
    }

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int IntOption(string[] args, string name, int fallback) =>
        Option(args, name) is { } text ? int.Parse(text) : fallback;
}
