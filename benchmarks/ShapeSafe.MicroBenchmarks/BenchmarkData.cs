namespace ShapeSafe.MicroBenchmarks;

/// <summary>Fixed pseudo-random inputs, so every run and every benchmark sees the same numbers.</summary>
internal static class BenchmarkData
{
    /// <summary><paramref name="length"/> floats uniform in [-1, 1) from <paramref name="seed"/>.</summary>
    public static float[] Uniform(int length, int seed = 1)
    {
        var random = new Random(seed);
        var data = new float[length];
        for (int i = 0; i < data.Length; i++)
            data[i] = (float)(random.NextDouble() * 2 - 1);
        return data;
    }

    /// <summary>
    /// Kernels run on one thread here: the question is what a call costs, and on a shared two-core machine
    /// a second thread mostly adds noise. The console app's <c>--threads</c> commands measure scaling.
    /// </summary>
    public static void UseOneThread() => Tensor.SetNumThreads(1);
}
