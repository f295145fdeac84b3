using System.Numerics;

namespace ShapeSafe.Kernels.Indexing;

/// <summary>The reductions of <c>Tensor.scatter_reduce</c>.</summary>
internal enum ScatterReduction
{
    Sum,
    Prod,
    Mean,
    Amax,
    Amin,
}

/// <summary>
/// <c>scatter_reduce</c> over the addressing of <see cref="IndexAlongDim"/>, in ATen's CPU order (index elements
/// row-major): each target position combines its own value (when <c>include_self</c>) with every source value
/// scattered to it; positions nothing is scattered to keep their value. Without <c>include_self</c> a scattered
/// position starts from the reduction's identity. amax and amin propagate NaN from either side; an integer mean
/// divides with floor, as ATen does.
/// </summary>
internal static class ScatterReduceKernel
{
    /// <summary>Parses PyTorch's reduce argument.</summary>
    public static ScatterReduction Parse(string reduce, string op) => reduce switch
    {
        "sum" => ScatterReduction.Sum,
        "prod" => ScatterReduction.Prod,
        "mean" => ScatterReduction.Mean,
        "amax" => ScatterReduction.Amax,
        "amin" => ScatterReduction.Amin,
        _ => throw new ArgumentException($"{op}: reduce argument must be either sum, prod, mean, amax or amin, got {reduce}", nameof(reduce)),
    };

    /// <summary>
    /// Reduces <paramref name="src"/> (from <paramref name="srcStart"/>) into <paramref name="target"/>, which holds a
    /// contiguous copy of self on entry; returns how many source values reached each position (for the mean and its gradient).
    /// </summary>
    public static int[] Reduce<T>(T[] target, T[] src, int srcStart, IndexAlongDim at, ScatterReduction reduction, bool includeSelf)
        where T : INumber<T>
    {
        var counts = new int[target.Length];
        if (!includeSelf)
        {
            T identity = reduction switch
            {
                ScatterReduction.Prod => T.One,
                ScatterReduction.Amax => Lowest<T>(),
                ScatterReduction.Amin => Highest<T>(),
                _ => T.Zero,
            };
            foreach (int o in at.Indexed) target[o] = identity;
        }
        for (int p = 0; p < at.Indexed.Length; p++)
        {
            int o = at.Indexed[p];
            T v = src[srcStart + at.Aligned[p]];
            T t = target[o];
            target[o] = reduction switch
            {
                ScatterReduction.Sum or ScatterReduction.Mean => t + v,
                ScatterReduction.Prod => t * v,
                // ATen: isnan(src) ? src : max(self, src), where max keeps a NaN self.
                ScatterReduction.Amax => T.IsNaN(v) ? v : (t < v ? v : t),
                _ => T.IsNaN(v) ? v : (v < t ? v : t),
            };
            counts[o]++;
        }
        if (reduction == ScatterReduction.Mean)
            for (int o = 0; o < target.Length; o++)
            {
                int n = counts[o] + (includeSelf ? 1 : 0);
                if (counts[o] == 0 || n == 1) continue;
                target[o] = Divide(target[o], T.CreateChecked(n));
            }
        return counts;
    }

    static T Divide<T>(T a, T n) where T : INumber<T>
    {
        if (typeof(T) == typeof(float)) return a / n;
        T q = a / n;
        return (a % n != T.Zero && (a < T.Zero) != (n < T.Zero)) ? q - T.One : q;   // floor, as ATen's integer mean
    }

    static T Lowest<T>() where T : INumber<T> =>
        typeof(T) == typeof(float) ? T.CreateChecked(float.NegativeInfinity) : T.CreateChecked(long.MinValue);

    static T Highest<T>() where T : INumber<T> =>
        typeof(T) == typeof(float) ? T.CreateChecked(float.PositiveInfinity) : T.CreateChecked(long.MaxValue);

    /// <summary>
    /// The gradients of a Float32 scatter_reduce (ATen's scatter_reduce_backward): for self (self's shape, 0 at
    /// scattered positions without include_self) and for src (src's shape; elements the index does not reach get 0).
    /// prod divides out each factor, and takes the product of the others when the factor is 0; amax and amin share the
    /// gradient evenly among the elements equal to the result (self counted whenever it equals it, as ATen does).
    /// </summary>
    public static (float[] Self, float[] Src) Backward(float[] grad, float[] self, float[] src, int srcStart, int srcLength,
        float[] result, int[] counts, IndexAlongDim at, ScatterReduction reduction, bool includeSelf)
    {
        int n = self.Length;
        var gradSelf = new float[n];
        var gradSrc = new float[srcLength];
        switch (reduction)
        {
            case ScatterReduction.Sum:
                Array.Copy(grad, gradSelf, n);
                for (int p = 0; p < at.Indexed.Length; p++) gradSrc[at.Aligned[p]] = grad[at.Indexed[p]];
                break;
            case ScatterReduction.Mean:
                for (int o = 0; o < n; o++) gradSelf[o] = grad[o] / Math.Max(counts[o] + (includeSelf ? 1 : 0), 1);
                for (int p = 0; p < at.Indexed.Length; p++) gradSrc[at.Aligned[p]] = gradSelf[at.Indexed[p]];
                break;
            case ScatterReduction.Prod:
                ProdBackward(grad, self, src, srcStart, counts, at, includeSelf, gradSelf, gradSrc);
                break;
            default:
                var share = new float[n];
                for (int o = 0; o < n; o++) share[o] = self[o] == result[o] ? 1f : 0f;
                for (int p = 0; p < at.Indexed.Length; p++)
                    if (src[srcStart + at.Aligned[p]] == result[at.Indexed[p]]) share[at.Indexed[p]] += 1f;
                for (int o = 0; o < n; o++)
                    if (self[o] == result[o]) gradSelf[o] = grad[o] / share[o];
                for (int p = 0; p < at.Indexed.Length; p++)
                {
                    int o = at.Indexed[p];
                    if (src[srcStart + at.Aligned[p]] == result[o]) gradSrc[at.Aligned[p]] = grad[o] / share[o];
                }
                break;
        }
        if (!includeSelf)
            foreach (int o in at.Indexed) gradSelf[o] = 0f;
        return (gradSelf, gradSrc);
    }

    /// <summary>Each factor's gradient is the product of the other factors at its position (exact when a factor is 0).</summary>
    static void ProdBackward(float[] grad, float[] self, float[] src, int srcStart, int[] counts, IndexAlongDim at, bool includeSelf,
        float[] gradSelf, float[] gradSrc)
    {
        int n = self.Length;
        // Per position: the product of its non-zero factors and how many factors are 0.
        var nonZero = new float[n];
        var zeros = new int[n];
        for (int o = 0; o < n; o++)
        {
            bool counted = includeSelf || counts[o] == 0;
            nonZero[o] = counted && self[o] != 0f ? self[o] : 1f;
            zeros[o] = counted && self[o] == 0f ? 1 : 0;
        }
        for (int p = 0; p < at.Indexed.Length; p++)
        {
            int o = at.Indexed[p];
            float v = src[srcStart + at.Aligned[p]];
            if (v == 0f) zeros[o]++;
            else nonZero[o] *= v;
        }
        float Others(int o, float factor) =>
            factor == 0f ? (zeros[o] == 1 ? nonZero[o] : 0f) : (zeros[o] == 0 ? nonZero[o] / factor : 0f);
        for (int o = 0; o < n; o++) gradSelf[o] = grad[o] * Others(o, self[o]);
        for (int p = 0; p < at.Indexed.Length; p++)
        {
            int o = at.Indexed[p];
            gradSrc[at.Aligned[p]] = grad[o] * Others(o, src[srcStart + at.Aligned[p]]);
        }
    }
}
