namespace ShapeSafe.Tensorboard;

/// <summary>TensorFlow's <c>HistogramProto</c> over its default buckets (what PyTorch's <c>bins='tensorflow'</c> uses).</summary>
internal static class Histogram
{
    // TensorFlow's default bucket limits: ±1e-12 × 1.1^k up to 1e20, 0 between them, and DBL_MAX as the last limit.
    static readonly double[] Limits = DefaultLimits();

    static double[] DefaultLimits()
    {
        var positive = new List<double>();
        for (double v = 1e-12; v < 1e20; v *= 1.1) positive.Add(v);
        var limits = new List<double>();
        for (int i = positive.Count - 1; i >= 0; i--) limits.Add(-positive[i]);
        limits.Add(0);
        limits.AddRange(positive);
        limits.Add(double.MaxValue);
        return limits.ToArray();
    }

    /// <summary>
    /// min (1), max (2), num (3), sum (4), sum_squares (5), bucket_limit (6) and bucket (7): bucket i counts the
    /// values in (limit[i-1], limit[i]], and empty buckets before the first and after the last filled one are dropped.
    /// </summary>
    public static ProtoMessage Build(double[] values)
    {
        var counts = new double[Limits.Length];
        double min = double.PositiveInfinity, max = double.NegativeInfinity, sum = 0, squares = 0;
        foreach (var v in values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
            sum += v;
            squares += v * v;
            int i = Array.BinarySearch(Limits, v);
            counts[Math.Min(i >= 0 ? i : ~i, Limits.Length - 1)]++;
        }
        if (values.Length == 0) min = max = 0;
        int first = Array.FindIndex(counts, c => c > 0), last = Array.FindLastIndex(counts, c => c > 0);
        var limits = new List<double>();
        var buckets = new List<double>();
        if (first >= 0)
        {
            for (int i = first; i <= last; i++)
            {
                limits.Add(Limits[i]);
                buckets.Add(counts[i]);
            }
        }
        return new ProtoMessage()
            .DoubleAlways(1, min).DoubleAlways(2, max).DoubleAlways(3, values.Length).DoubleAlways(4, sum).DoubleAlways(5, squares)
            .PackedDoubles(6, limits).PackedDoubles(7, buckets);
    }
}
