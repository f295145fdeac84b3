using ShapeSafe;

namespace ShapeSafe.Tests.Elementwise;

/// <summary>
/// Scalar reference for element-wise kernels: walks the broadcast output by logical index, reads each input
/// through its row-major copy and computes in double. Shares no code with the engine's iterator.
/// </summary>
internal static class ElementwiseReference
{
    public static int[] BroadcastShape(int[] a, int[] b)
    {
        int rank = Math.Max(a.Length, b.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length), db = i - (rank - b.Length);
            int sa = da >= 0 ? a[da] : 1, sb = db >= 0 ? b[db] : 1;
            r[i] = sa == 1 ? sb : sa;
        }
        return r;
    }

    public static double[] Binary(Tensor a, Tensor b, Func<double, double, double> f)
    {
        var shape = BroadcastShape(a.Shape.ToArray(), b.Shape.ToArray());
        var av = a.ToFloatArray();
        var bv = b.ToFloatArray();
        int n = 1;
        foreach (var s in shape) n *= s;
        var result = new double[n];
        var index = new int[shape.Length];
        for (int k = 0; k < n; k++)
        {
            int rem = k;
            for (int d = shape.Length - 1; d >= 0; d--)
            {
                index[d] = rem % shape[d];
                rem /= shape[d];
            }
            result[k] = f(av[Flat(a.Shape, index)], bv[Flat(b.Shape, index)]);
        }
        return result;
    }

    public static double[] Unary(Tensor a, Func<double, double> f)
    {
        var av = a.ToFloatArray();
        var result = new double[av.Length];
        for (int i = 0; i < av.Length; i++) result[i] = f(av[i]);
        return result;
    }

    /// <summary>Row-major position in a tensor of <paramref name="shape"/> of a broadcast output index.</summary>
    static int Flat(IReadOnlyList<int> shape, int[] outIndex)
    {
        int pad = outIndex.Length - shape.Count, flat = 0;
        for (int d = 0; d < shape.Count; d++)
            flat = flat * shape[d] + (shape[d] == 1 ? 0 : outIndex[d + pad]);
        return flat;
    }

    /// <summary>erfc in double by series (small x) or continued fraction (large x): a slow, independent reference.</summary>
    public static double Erfc(double x)
    {
        if (x < 0) return 2 - Erfc(-x);
        if (x < 3)
        {
            double sum = 0, term = x;
            for (int n = 0; n < 300 && term > 1e-30 * sum; n++)
            {
                sum += term;
                term *= 2 * x * x / (2 * n + 3);
            }
            return 1 - 2 / Math.Sqrt(Math.PI) * Math.Exp(-x * x) * sum;
        }
        double f = x, c = x, dd = 0;
        for (int k = 1; k < 500; k++)
        {
            double a = k / 2.0;
            dd = x + a * dd;
            c = x + a / c;
            dd = 1 / dd;
            double delta = c * dd;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Exp(-x * x) / Math.Sqrt(Math.PI) / f;
    }

    public static double Gelu(double x) => 0.5 * x * Erfc(-x / Math.Sqrt(2));
}
