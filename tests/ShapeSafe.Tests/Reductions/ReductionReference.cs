using ShapeSafe;

namespace ShapeSafe.Tests.Reductions;

/// <summary>
/// Scalar reference for reductions: groups the row-major elements by their kept-dim index and folds each group
/// in double, in logical order. Shares no code with the engine's plans and kernels.
/// </summary>
internal static class ReductionReference
{
    /// <summary>The values of each output element's group, in logical order (output elements in row-major order).</summary>
    public static List<double>[] Groups(Tensor t, bool[] reduced)
    {
        var shape = t.Shape.ToArray();
        var values = t.ToFloatArray();
        int outCount = 1;
        for (int d = 0; d < shape.Length; d++)
            if (!reduced[d]) outCount *= shape[d];
        var groups = new List<double>[outCount];
        for (int i = 0; i < outCount; i++) groups[i] = new List<double>();
        var index = new int[shape.Length];
        for (int k = 0; k < values.Length; k++)
        {
            int rem = k;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                index[d] = rem % shape[d];
                rem /= shape[d];
            }
            int o = 0;
            for (int d = 0; d < shape.Length; d++)
                if (!reduced[d]) o = o * shape[d] + index[d];
            groups[o].Add(values[k]);
        }
        return groups;
    }

    public static double[] Sum(Tensor t, bool[] reduced) => Groups(t, reduced).Select(g => g.Sum()).ToArray();

    public static (double[] Values, long[] Indices) Max(Tensor t, bool[] reduced)
    {
        var groups = Groups(t, reduced);
        var values = new double[groups.Length];
        var indices = new long[groups.Length];
        for (int i = 0; i < groups.Length; i++)
        {
            var g = groups[i];
            int best = 0;
            for (int k = 1; k < g.Count; k++)
            {
                if (double.IsNaN(g[best])) break;
                if (double.IsNaN(g[k]) || g[k] > g[best]) best = k;
            }
            values[i] = g[best];
            indices[i] = best;
        }
        return (values, indices);
    }

    public static bool[] Flags(int rank, params int[] dims)
    {
        var flags = new bool[rank];
        foreach (var d in dims) flags[d < 0 ? d + rank : d] = true;
        return flags;
    }
}
