using System.Globalization;
using System.Text;

namespace ShapeSafe;

/// <summary>
/// Prints tensors the way PyTorch does: <c>tensor([[0, 1, 2],\n        [3, 4, 5]])</c>, floats with four
/// decimals (<c>0.4963</c>) or a trailing dot when all are whole (<c>1.</c>), right-aligned columns, and
/// "..." past 1000 elements (three items at each end of a dim).
/// </summary>
internal static class TensorFormatter
{
    const int Threshold = 1000;
    const int EdgeItems = 3;

    public static string Format(Tensor t)
    {
        bool summarize = t.NumEl > Threshold;
        var values = t.ToFloatArray();
        bool isInt = t.DType == DType.Int64;
        var render = ElementFormat(values, isInt);
        int width = 0;
        foreach (var v in values) width = Math.Max(width, render(v).Length);

        var sb = new StringBuilder("tensor(");
        if (t.Rank == 0)
        {
            sb.Append(render(values[0]));
        }
        else
        {
            var strides = Rules.ContiguousStrides(t.Sizes);
            Append(sb, t.Sizes, strides, values, 0, 0, render, width, summarize, "tensor(".Length);
        }
        return sb.Append(')').ToString();
    }

    static void Append(StringBuilder sb, int[] sizes, int[] strides, float[] values, int dim, int offset,
        Func<float, string> render, int width, bool summarize, int indent)
    {
        sb.Append('[');
        int n = sizes[dim];
        bool last = dim == sizes.Length - 1;
        for (int i = 0; i < n; i++)
        {
            if (summarize && n > 2 * EdgeItems && i == EdgeItems)
            {
                sb.Append(last ? "..., " : "...,\n" + new string(' ', indent + dim + 1));
                i = n - EdgeItems - 1;
                continue;
            }
            if (last)
            {
                sb.Append(render(values[offset + i * strides[dim]]).PadLeft(width));
            }
            else
            {
                Append(sb, sizes, strides, values, dim + 1, offset + i * strides[dim], render, width, summarize, indent);
            }
            if (i < n - 1)
            {
                sb.Append(',');
                if (last) sb.Append(' ');
                else sb.Append('\n', sizes.Length - dim - 1).Append(' ', indent + dim + 1);
            }
        }
        sb.Append(']');
    }

    static Func<float, string> ElementFormat(float[] values, bool isInt)
    {
        var inv = CultureInfo.InvariantCulture;
        if (isInt) return v => ((long)v).ToString(inv);
        bool whole = true;
        double maxAbs = 0, minAbs = double.MaxValue;
        foreach (var v in values)
        {
            if (float.IsNaN(v) || float.IsInfinity(v)) continue;
            if (v != MathF.Round(v)) whole = false;
            double a = Math.Abs(v);
            maxAbs = Math.Max(maxAbs, a);
            if (a > 0) minAbs = Math.Min(minAbs, a);
        }
        bool scientific = maxAbs >= 1e8 || (minAbs < 1e-4 && !whole) || (minAbs != double.MaxValue && maxAbs / minAbs > 1000 && !whole);
        if (scientific) return v => Special(v) ?? v.ToString("0.0000e+00", inv);
        if (whole) return v => Special(v) ?? v.ToString("0", inv) + ".";
        return v => Special(v) ?? v.ToString("0.0000", inv);
    }

    static string? Special(float v) =>
        float.IsNaN(v) ? "nan" : float.IsPositiveInfinity(v) ? "inf" : float.IsNegativeInfinity(v) ? "-inf" : null;
}
