namespace ShapeSafe.Kernels.Strided;

/// <summary>
/// Layout decisions of element-wise ops, following ATen's TensorIterator so results have PyTorch's strides:
/// inputs are broadcast to the output shape with stride 0, and a new output takes the memory order of its inputs
/// (<c>x.T + 1</c> is transposed too) instead of always being row-major.
/// </summary>
internal static class ElementwiseLayout
{
    /// <summary>Strides of a tensor read as <paramref name="outSizes"/>: stride 0 on dims it broadcasts along.</summary>
    public static int[] BroadcastStrides(int[] sizes, int[] strides, int[] outSizes)
    {
        var result = new int[outSizes.Length];
        int pad = outSizes.Length - sizes.Length;
        for (int i = pad; i < outSizes.Length; i++)
        {
            int d = i - pad;
            result[i] = sizes[d] == 1 && outSizes[i] != 1 ? 0 : strides[d];
        }
        return result;
    }

    /// <summary>
    /// Strides of a new output of shape <paramref name="outSizes"/> computed from <paramref name="a"/> and (when
    /// given) <paramref name="b"/> (TensorIterator's fast setup, else its <c>reorder_dimensions</c>).
    /// <paramref name="aStrides"/>/<paramref name="bStrides"/> are the operands' broadcast strides.
    /// </summary>
    public static int[] OutputStrides(int[] outSizes, Tensor a, int[] aStrides, Tensor? b, int[]? bStrides)
    {
        int rank = outSizes.Length;
        bool sameShape = a.Sizes.AsSpan().SequenceEqual(outSizes) && (b is null || b.Sizes.AsSpan().SequenceEqual(outSizes));
        if (sameShape)
        {
            // Fast setup: all contiguous -> contiguous; all dense with identical strides -> those strides.
            if (a.IsContiguous && (b is null || b.IsContiguous))
                return Rules.ContiguousStrides(outSizes);
            if (IsNonOverlappingAndDense(a.Sizes, a.StrideArray)
                && (b is null || (IsNonOverlappingAndDense(b.Sizes, b.StrideArray) && a.StrideArray.AsSpan().SequenceEqual(b.StrideArray))))
                return (int[])a.StrideArray.Clone();
        }

        // reorder_dimensions: perm[0] is the fastest dim. Start from row-major and insertion-sort by the operands'
        // strides, first operand first; broadcast (stride 0) dims are ambiguous and leave the order to later operands.
        Span<int> perm = stackalloc int[rank];
        for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        for (int i = 1; i < rank; i++)
        {
            int dim1 = i;
            for (int dim0 = i - 1; dim0 >= 0; dim0--)
            {
                int cmp = ShouldSwap(perm[dim0], perm[dim1], outSizes, aStrides, bStrides);
                if (cmp > 0)
                {
                    (perm[dim0], perm[dim1]) = (perm[dim1], perm[dim0]);
                    dim1 = dim0;
                }
                else if (cmp < 0)
                {
                    break;
                }
            }
        }

        bool rowMajor = true;
        for (int i = 0; i < rank; i++) rowMajor &= perm[i] == rank - 1 - i;
        if (rowMajor) return Rules.ContiguousStrides(outSizes);

        var strides = new int[rank];
        int next = 1;
        for (int i = 0; i < rank; i++)
        {
            strides[perm[i]] = next;
            next *= outSizes[perm[i]];
        }
        return strides;
    }

    static int ShouldSwap(int dim0, int dim1, int[] sizes, int[] aStrides, int[]? bStrides)
    {
        int cmp = Compare(dim0, dim1, sizes, aStrides);
        if (cmp != 0 || bStrides is null) return cmp;
        return Compare(dim0, dim1, sizes, bStrides);
    }

    static int Compare(int dim0, int dim1, int[] sizes, int[] strides)
    {
        int s0 = strides[dim0], s1 = strides[dim1];
        if (s0 == 0 || s1 == 0) return 0;
        if (s0 < s1) return -1;
        if (s0 > s1) return 1;
        // Equal strides: the smaller dim goes first (returns only when a swap is needed).
        return sizes[dim0] > sizes[dim1] ? 1 : 0;
    }

    /// <summary>PyTorch's is_non_overlapping_and_dense: some permutation of the dims is contiguous.</summary>
    public static bool IsNonOverlappingAndDense(int[] sizes, int[] strides)
    {
        int rank = sizes.Length;
        if (rank == 0) return true;
        if (rank == 1) return sizes[0] < 2 || strides[0] == 1;
        Span<int> perm = stackalloc int[rank];
        for (int i = 0; i < rank; i++) perm[i] = i;
        // Stable sort by stride with dims of size < 2 last.
        for (int i = 1; i < rank; i++)
        {
            int d = perm[i], j = i - 1;
            while (j >= 0 && Before(d, perm[j], sizes, strides))
            {
                perm[j + 1] = perm[j];
                j--;
            }
            perm[j + 1] = d;
        }
        int required = 1;
        foreach (int d in perm)
        {
            if (sizes[d] < 2) return true;
            if (strides[d] != required) return false;
            required *= sizes[d];
        }
        return true;
    }

    static bool Before(int x, int y, int[] sizes, int[] strides)
    {
        if (sizes[x] < 2) return false;
        if (sizes[y] < 2) return true;
        return strides[x] < strides[y];
    }

    /// <summary>True when some element of the layout is reached by more than one index (a stride-0 dim of size &gt; 1), PyTorch's detectable internal overlap.</summary>
    public static bool HasInternalOverlap(int[] sizes, int[] strides)
    {
        for (int i = 0; i < sizes.Length; i++)
            if (strides[i] == 0 && sizes[i] > 1) return true;
        return false;
    }
}
