namespace ShapeSafe.Kernels.Strided;

/// <summary>
/// Walks the storage offsets of a strided layout in row-major order of its logical indices.
/// Dims are coalesced first (adjacent dims that are contiguous with each other merge), so a
/// contiguous tensor becomes one run and a transposed one two loops.
/// </summary>
internal static class StridedLayout
{
    /// <summary>
    /// Merges adjacent dims whose strides chain (stride[i] == size[i+1] * stride[i+1]) and drops size-1 dims.
    /// Returns the merged rank; <paramref name="sizes"/> and <paramref name="strides"/> hold the result.
    /// </summary>
    public static int Coalesce(Span<int> sizes, Span<int> strides)
    {
        int rank = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            if (sizes[i] == 1) continue;
            if (rank > 0 && strides[rank - 1] == sizes[i] * strides[i])
            {
                sizes[rank - 1] *= sizes[i];
                strides[rank - 1] = strides[i];
                continue;
            }
            sizes[rank] = sizes[i];
            strides[rank] = strides[i];
            rank++;
        }
        return rank;
    }

    /// <summary>Fills <paramref name="offsets"/> with the storage offset of every element, in logical order.</summary>
    public static void Offsets(ReadOnlySpan<int> sizes, ReadOnlySpan<int> strides, int offset, Span<int> offsets)
    {
        Span<int> s = stackalloc int[sizes.Length];
        Span<int> st = stackalloc int[sizes.Length];
        sizes.CopyTo(s);
        strides.CopyTo(st);
        int rank = Coalesce(s, st);
        if (rank == 0)
        {
            if (offsets.Length > 0) offsets[0] = offset;
            return;
        }
        Span<int> index = stackalloc int[rank];
        int inner = s[rank - 1], innerStride = st[rank - 1];
        int pos = offset, n = 0;
        while (n < offsets.Length)
        {
            for (int j = 0, p = pos; j < inner; j++, p += innerStride) offsets[n++] = p;
            int d = rank - 2;
            for (; d >= 0; d--)
            {
                pos += st[d];
                if (++index[d] < s[d]) break;
                pos -= st[d] * s[d];
                index[d] = 0;
            }
            if (d < 0) break;
        }
    }

    /// <summary>Copies a strided source into a strided destination of the same shape (may be the same storage only if non-overlapping).</summary>
    public static void Copy<T>(T[] src, ReadOnlySpan<int> sizes, ReadOnlySpan<int> srcStrides, int srcOffset,
        T[] dst, ReadOnlySpan<int> dstStrides, int dstOffset)
    {
        int rank = sizes.Length;
        long count = 1;
        foreach (var s in sizes) count *= s;
        if (count == 0) return;

        // Coalesce over both layouts at once: a dim merges only when it chains in both.
        Span<int> s2 = stackalloc int[rank];
        Span<int> a = stackalloc int[rank];
        Span<int> b = stackalloc int[rank];
        int r = 0;
        for (int i = 0; i < rank; i++)
        {
            if (sizes[i] == 1) continue;
            if (r > 0 && a[r - 1] == sizes[i] * srcStrides[i] && b[r - 1] == sizes[i] * dstStrides[i])
            {
                s2[r - 1] *= sizes[i];
                a[r - 1] = srcStrides[i];
                b[r - 1] = dstStrides[i];
                continue;
            }
            s2[r] = sizes[i];
            a[r] = srcStrides[i];
            b[r] = dstStrides[i];
            r++;
        }
        if (r == 0)
        {
            dst[dstOffset] = src[srcOffset];
            return;
        }

        int inner = s2[r - 1], sa = a[r - 1], sb = b[r - 1];
        Span<int> index = stackalloc int[r];
        int ps = srcOffset, pd = dstOffset;
        while (true)
        {
            if (sa == 1 && sb == 1)
            {
                Array.Copy(src, ps, dst, pd, inner);
            }
            else
            {
                for (int j = 0, x = ps, y = pd; j < inner; j++, x += sa, y += sb) dst[y] = src[x];
            }
            int d = r - 2;
            for (; d >= 0; d--)
            {
                ps += a[d];
                pd += b[d];
                if (++index[d] < s2[d]) break;
                ps -= a[d] * s2[d];
                pd -= b[d] * s2[d];
                index[d] = 0;
            }
            if (d < 0) return;
        }
    }
}
