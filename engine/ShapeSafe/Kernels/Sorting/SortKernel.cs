namespace ShapeSafe.Kernels.Sorting;

/// <summary>
/// Sorts each line of a contiguous <c>[Outer, Size, Inner]</c> block along the middle dim and keeps the first
/// <c>k</c> (all of them for sort, k for topk), with each value's position in its line as an Int64 index.
/// </summary>
/// <remarks>
/// <see cref="Sort(float[], int, int, int, int, int, bool, float[], long[])"/> gives the stable order (<c>stable=True</c>):
/// equal values keep their input order, in both directions; NaN counts as larger than every number (last ascending,
/// first descending), as ATen's sort comparators treat it. Ties are broken by position, so the comparison is a total
/// order and an unstable sort gives the stable result. <c>SortUnstable</c> is LibTorch's
/// <c>stable=False</c>: libstdc++'s <c>std::sort</c> on (value, position) pairs (<see cref="StdSort"/>), whose order
/// of equal values on lines longer than 16 is its own.
/// </remarks>
internal static class SortKernel
{
    public static void Sort(float[] source, int start, int outer, int size, int inner, int k, bool descending, float[] values, long[] indices)
    {
        Comparison<float> compare = descending
            ? (a, b) => float.IsNaN(a) ? (float.IsNaN(b) ? 0 : -1) : float.IsNaN(b) ? 1 : b.CompareTo(a)
            : (a, b) => float.IsNaN(a) ? (float.IsNaN(b) ? 0 : 1) : float.IsNaN(b) ? -1 : a.CompareTo(b);
        SortLines(source, start, outer, size, inner, k, compare, values, indices);
    }

    public static void Sort(long[] source, int start, int outer, int size, int inner, int k, bool descending, long[] values, long[] indices)
    {
        Comparison<long> compare = descending ? (a, b) => b.CompareTo(a) : (a, b) => a.CompareTo(b);
        SortLines(source, start, outer, size, inner, k, compare, values, indices);
    }

    static void SortLines<T>(T[] source, int start, int outer, int size, int inner, int k, Comparison<T> compare, T[] values, long[] indices)
    {
        var line = new T[size];
        var order = new int[size];
        Comparison<int> byValue = (i, j) =>
        {
            int c = compare(line[i], line[j]);
            return c != 0 ? c : i.CompareTo(j);
        };
        for (int o = 0; o < outer; o++)
            for (int n = 0; n < inner; n++)
            {
                int from = start + o * size * inner + n;
                for (int i = 0; i < size; i++)
                {
                    line[i] = source[from + i * inner];
                    order[i] = i;
                }
                Array.Sort(order, byValue);
                int to = o * k * inner + n;
                for (int j = 0; j < k; j++)
                {
                    values[to + j * inner] = line[order[j]];
                    indices[to + j * inner] = order[j];
                }
            }
    }

    /// <summary>LibTorch's unstable sort of each line (<see cref="StdSort.Sorter{T, TOrder}.Sort"/>), values and positions.</summary>
    public static void SortUnstable(float[] source, int start, int outer, int size, int inner, bool descending, float[] values, long[] indices) =>
        Lines(source, start, outer, size, inner, new StdSort.FloatOrder(descending), values, indices);

    /// <summary>LibTorch's unstable sort of each line of Int64 values.</summary>
    public static void SortUnstable(long[] source, int start, int outer, int size, int inner, bool descending, long[] values, long[] indices) =>
        Lines(source, start, outer, size, inner, new StdSort.LongOrder(descending), values, indices);

    static void Lines<T, TOrder>(T[] source, int start, int outer, int size, int inner, TOrder order, T[] values, long[] indices)
        where TOrder : struct, StdSort.IOrder<T>
    {
        var line = new StdSort.Entry<T>[size];
        var sorter = new StdSort.Sorter<T, TOrder>(line, order);
        for (int o = 0; o < outer; o++)
            for (int n = 0; n < inner; n++)
            {
                int from = start + o * size * inner + n;
                for (int i = 0; i < size; i++)
                {
                    line[i].Value = source[from + i * inner];
                    line[i].Index = i;
                }
                sorter.Sort(0, size);
                int to = o * size * inner + n;
                for (int j = 0; j < size; j++)
                {
                    values[to + j * inner] = line[j].Value;
                    indices[to + j * inner] = line[j].Index;
                }
            }
    }
}
