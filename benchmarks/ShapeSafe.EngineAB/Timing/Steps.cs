using System.Runtime.InteropServices;
using ShapeSafe;
using ShapeSafe.NN;

namespace ShapeSafe.EngineAB;

/// <summary>
/// The steps the host times, on one thread: the benchmark CNN's second convolution (F.Conv2d of [64, 16, 14, 14]
/// by [32, 16, 3, 3], padding 1, with bias) forward and backward, in Float32 and in BFloat16.
/// </summary>
public static class Steps
{
    static Tensor[] _float32 = [], _bfloat16 = [];

    public static string[] Names => ["F.Conv2d Float32 forward+backward", "F.Conv2d BFloat16 forward+backward"];

    public static void Setup()
    {
        Tensor.SetNumThreads(1);
        Tensor.ManualSeed(1);
        _float32 = [Tensor.Randn(64, 16, 14, 14), Tensor.Randn(32, 16, 3, 3), Tensor.Randn(32), Tensor.Randn(64, 32, 14, 14)];
        _bfloat16 = _float32.Select(t => t.ToDType(DType.BFloat16)).ToArray();
        foreach (var t in _float32.Take(3).Concat(_bfloat16.Take(3)))
            t.RequiresGrad = true;
    }

    /// <summary>Thread CPU seconds of <paramref name="reps"/> runs of step <paramref name="step"/>.</summary>
    public static double Run(int step, int reps)
    {
        var (x, w, b, upstream) = step == 0
            ? (_float32[0], _float32[1], _float32[2], _float32[3])
            : (_bfloat16[0], _bfloat16[1], _bfloat16[2], _bfloat16[3]);
        double start = ThreadSeconds();
        for (int r = 0; r < reps; r++)
        {
            x.Grad = null;
            w.Grad = null;
            b.Grad = null;
            F.Conv2d(x, w, b, 1, 1).Backward(upstream);
        }
        return ThreadSeconds() - start;
    }

    static double ThreadSeconds()
    {
        if (clock_gettime(3, out var t) != 0) // CLOCK_THREAD_CPUTIME_ID
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
