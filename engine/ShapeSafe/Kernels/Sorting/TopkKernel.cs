namespace ShapeSafe.Kernels.Sorting;

/// <summary>
/// <c>topk</c> as LibTorch's CPU kernel computes it, so equal values come out in LibTorch's order too: each line is
/// a list of (value, position) pairs; when <c>64·k ≤ n</c> a partial sort puts the best k first, else an
/// nth-element selection places the k-th and a sort orders the k − 1 before it (skipped when not sorted). The
/// comparison ranks NaN above every number. The selections are <see cref="StdSort"/>'s, GCC's libstdc++ algorithms step
/// for step, since the order of ties is whatever they leave.
/// </summary>
internal static class TopkKernel
{
    public static void Topk(float[] source, int start, int outer, int size, int inner, int k, bool largest, bool sorted, float[] values, long[] indices) =>
        Lines(source, start, outer, size, inner, k, sorted, new StdSort.FloatOrder(largest), values, indices);

    public static void Topk(long[] source, int start, int outer, int size, int inner, int k, bool largest, bool sorted, long[] values, long[] indices) =>
        Lines(source, start, outer, size, inner, k, sorted, new StdSort.LongOrder(largest), values, indices);

    static void Lines<T, TOrder>(T[] source, int start, int outer, int size, int inner, int k, bool sorted, TOrder order, T[] values, long[] indices)
        where TOrder : struct, StdSort.IOrder<T>
    {
        if (k == 0) return;
        var queue = new StdSort.Entry<T>[size];
        var sorter = new StdSort.Sorter<T, TOrder>(queue, order);
        for (int o = 0; o < outer; o++)
            for (int n = 0; n < inner; n++)
            {
                int from = start + o * size * inner + n;
                for (int i = 0; i < size; i++)
                {
                    queue[i].Value = source[from + i * inner];
                    queue[i].Index = i;
                }
                if ((long)k * 64 <= size)
                {
                    sorter.PartialSort(0, k, size);
                }
                else
                {
                    sorter.NthElement(0, k - 1, size);
                    if (sorted) sorter.Sort(0, k - 1);
                }
                int to = o * k * inner + n;
                for (int j = 0; j < k; j++)
                {
                    values[to + j * inner] = queue[j].Value;
                    indices[to + j * inner] = queue[j].Index;
                }
            }
    }
}
