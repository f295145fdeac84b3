using System.Diagnostics;

namespace ShapeSafe.Benchmarks;

/// <summary>Tiny-op overhead: a + b on 4 elements without gradients, as torchref's "overhead".</summary>
internal static class OverheadBenchmark
{
    public static int Run(string[] args)
    {
        const int n = 10_000;
        var a = Tensor.Ones(4);
        var b = Tensor.Ones(4);
        Tensor? sink = null;
        void Body()
        {
            for (int i = 0; i < n; i++) sink = a + b;
        }
        for (int w = 0; w < 50; w++) Body();
        var times = new List<double>();
        var sw = new Stopwatch();
        for (int r = 0; r < 15; r++)
        {
            sw.Restart();
            Body();
            times.Add(sw.Elapsed.TotalSeconds / n);
        }
        GC.KeepAlive(sink);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) sink = a + b;
        long bytesPerOp = (GC.GetAllocatedBytesForCurrentThread() - before) / 1000;
        BenchOutput.Row(new()
        {
            ["bench"] = "tiny-add", ["us_best"] = times.Min() * 1e6, ["us_median"] = BenchOutput.Median(times) * 1e6,
            ["bytes_per_op"] = bytesPerOp,
        });
        return 0;
    }
}
