namespace ShapeSafe.Kernels.Sorting;

/// <summary>
/// Sorts each line of a contiguous <c>[Outer, Size, Inner]</c> block along the middle dim and keeps the first
/// <c>k</c> (all of them for sort, k for topk), with each value's position in its line as an Int64 index.
/// </summary>
/// <remarks>
/// The order is PyTorch's stable one: equal values keep their input order, in both directions; NaN counts as larger
/// than every number (last ascending, first descending), as ATen's sort comparators treat it. Ties are broken by
/// position, so the comparison is a total order and an unstable sort gives the stable result.
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
}
