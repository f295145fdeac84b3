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
        var render = ElementFormat(t);
        int width = 0;
        for (int i = 0; i < t.Count; i++) width = Math.Max(width, render(i).Length);

        var sb = new StringBuilder("tensor(");
        if (t.Rank == 0)
        {
            sb.Append(render(0));
        }
        else
        {
            var strides = Rules.ContiguousStrides(t.Sizes);
            Append(sb, t.Sizes, strides, 0, 0, render, width, summarize, "tensor(".Length);
        }
        // PyTorch names the dtype unless it is the default float, Int64 or Bool (whose values show what they are).
        if (t.DType is DType.Float64 or DType.BFloat16 || (t.DType == DType.Bool && t.NumEl == 0))
            sb.Append(", dtype=torch.").Append(t.DType switch { DType.Float64 => "float64", DType.BFloat16 => "bfloat16", _ => "bool" });
        return sb.Append(')').ToString();
    }

    static void Append(StringBuilder sb, int[] sizes, int[] strides, int dim, int offset,
        Func<int, string> render, int width, bool summarize, int indent)
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
                sb.Append(render(offset + i * strides[dim]).PadLeft(width));
            }
            else
            {
                Append(sb, sizes, strides, dim + 1, offset + i * strides[dim], render, width, summarize, indent);
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

    /// <summary>How element i (row-major) prints.</summary>
    static Func<int, string> ElementFormat(Tensor t)
    {
        var inv = CultureInfo.InvariantCulture;
        switch (t.DType)
        {
            case DType.Int64:
            {
                var longs = t.ToInt64Array();
                return i => longs[i].ToString(inv);
            }
            case DType.Bool:
            {
                var bools = t.ToBoolArray();
                return i => bools[i] ? "True" : "False";
            }
            case DType.Float64:
            {
                var doubles = t.ToDoubleArray();
                var format = FloatFormat(doubles);
                return i => Special(doubles[i]) ?? doubles[i].ToString(format, inv);
            }
            default:
            {
                var floats = t.ToFloatArray();
                var format = FloatFormat(Array.ConvertAll(floats, v => (double)v));
                return i => Special(floats[i]) ?? floats[i].ToString(format, inv);
            }
        }
    }

    static string FloatFormat(double[] values)
    {
        bool whole = true;
        double maxAbs = 0, minAbs = double.MaxValue;
        foreach (var v in values)
        {
            if (double.IsNaN(v) || double.IsInfinity(v)) continue;
            if (v != Math.Round(v)) whole = false;
            double a = Math.Abs(v);
            maxAbs = Math.Max(maxAbs, a);
            if (a > 0) minAbs = Math.Min(minAbs, a);
        }
        bool scientific = maxAbs >= 1e8 || (minAbs < 1e-4 && !whole) || (minAbs != double.MaxValue && maxAbs / minAbs > 1000 && !whole);
        if (scientific) return "0.0000e+00";
        return whole ? "0'.'" : "0.0000";
    }

    static string? Special(double v) =>
        double.IsNaN(v) ? "nan" : double.IsPositiveInfinity(v) ? "inf" : double.IsNegativeInfinity(v) ? "-inf" : null;
}
