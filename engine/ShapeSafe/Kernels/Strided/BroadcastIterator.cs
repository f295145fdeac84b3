namespace ShapeSafe.Kernels.Strided;

/// <summary>
/// What <see cref="BroadcastIterator"/> calls for each inner run: <c>count</c> elements, and for each of
/// up to three operands the storage offset of the run's first element and the step between elements (0 for a
/// broadcast operand). Operand 0 is the one written (the output, or the tensor updated in place).
/// </summary>
internal interface IRunKernel
{
    void Run(int count, int o0, int s0, int o1, int s1, int o2, int s2);
}

/// <summary>
/// The one strided/broadcast loop behind every element-wise op: walks up to three operands that share a logical
/// shape (inputs already broadcast to it, stride 0 on broadcast dims) and hands the kernel inner runs.
/// Dims are ordered by operand 0's strides (so a transposed output is still written in memory order), size-1 dims
/// dropped and adjacent dims merged when they chain in every operand; a contiguous op becomes one run, so the
/// kernel can call TensorPrimitives on whole spans. Written by hand because TensorPrimitives has no strided iteration.
/// </summary>
internal static class BroadcastIterator
{
    /// <summary>
    /// Runs <paramref name="kernel"/> over every element. A strides span may be empty: that operand is unused
    /// (its offset and strides are passed as 0).
    /// </summary>
    public static void Run<TKernel>(ref TKernel kernel, ReadOnlySpan<int> sizes,
        ReadOnlySpan<int> strides0, int offset0,
        ReadOnlySpan<int> strides1, int offset1,
        ReadOnlySpan<int> strides2, int offset2)
        where TKernel : struct, IRunKernel
    {
        int rank = sizes.Length;
        for (int i = 0; i < rank; i++)
            if (sizes[i] == 0) return;

        // Order dims by operand 0's strides, largest first (insertion sort: rank is small and usually sorted).
        Span<int> order = stackalloc int[rank];
        for (int i = 0; i < rank; i++) order[i] = i;
        for (int i = 1; i < rank; i++)
        {
            int d = order[i], j = i - 1;
            while (j >= 0 && strides0[order[j]] < strides0[d])
            {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = d;
        }

        Span<int> n = stackalloc int[rank];
        Span<int> a = stackalloc int[rank];
        Span<int> b = stackalloc int[rank];
        Span<int> c = stackalloc int[rank];
        bool has1 = !strides1.IsEmpty, has2 = !strides2.IsEmpty;
        int r = 0;
        foreach (int d in order)
        {
            int size = sizes[d];
            if (size == 1) continue;
            int sa = strides0[d], sb = has1 ? strides1[d] : 0, sc = has2 ? strides2[d] : 0;
            if (r > 0 && a[r - 1] == size * sa && b[r - 1] == size * sb && c[r - 1] == size * sc)
            {
                n[r - 1] *= size;
                a[r - 1] = sa;
                b[r - 1] = sb;
                c[r - 1] = sc;
                continue;
            }
            n[r] = size;
            a[r] = sa;
            b[r] = sb;
            c[r] = sc;
            r++;
        }
        if (!has1) offset1 = 0;
        if (!has2) offset2 = 0;
        if (r == 0)
        {
            kernel.Run(1, offset0, 1, offset1, has1 ? 1 : 0, offset2, has2 ? 1 : 0);
            return;
        }

        int inner = n[r - 1], ia = a[r - 1], ib = b[r - 1], ic = c[r - 1];
        if (r == 1)
        {
            kernel.Run(inner, offset0, ia, offset1, ib, offset2, ic);
            return;
        }
        Span<int> index = stackalloc int[r];
        int p0 = offset0, p1 = offset1, p2 = offset2;
        while (true)
        {
            kernel.Run(inner, p0, ia, p1, ib, p2, ic);
            int d = r - 2;
            for (; d >= 0; d--)
            {
                p0 += a[d];
                p1 += b[d];
                p2 += c[d];
                if (++index[d] < n[d]) break;
                p0 -= a[d] * n[d];
                p1 -= b[d] * n[d];
                p2 -= c[d] * n[d];
                index[d] = 0;
            }
            if (d < 0) return;
        }
    }
}
