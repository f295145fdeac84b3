namespace ShapeSafe.Kernels.Gemm;

/// <summary>
/// Checks GEMM arguments up front: the kernels read and write through raw pointers, so every
/// element an operand's sizes and strides can reach must lie inside its array.
/// </summary>
internal static class GemmArguments
{
    public static void Validate<T>(int m, int n, int k,
        T[] a, int aOffset, int aRowStride, int aColStride,
        T[] b, int bOffset, int bRowStride, int bColStride,
        float[] c, int cOffset, int cRowStride, int cColStride)
        => ValidateBatched(1, m, n, k, a, aOffset, 0, aRowStride, aColStride,
            b, bOffset, 0, bRowStride, bColStride, c, cOffset, 0, cRowStride, cColStride);

    /// <summary><see cref="Validate{T}"/> for operands of two element types (a BFloat16 A times a float32 B).</summary>
    public static void ValidateMixed<TA, TB>(int m, int n, int k,
        TA[] a, int aOffset, int aRowStride, int aColStride,
        TB[] b, int bOffset, int bRowStride, int bColStride,
        float[] c, int cOffset, int cRowStride, int cColStride)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        CheckOperand(a, nameof(a), aOffset, 1, 0, m, aRowStride, k, aColStride);
        CheckOperand(b, nameof(b), bOffset, 1, 0, k, bRowStride, n, bColStride);
        CheckOperand(c, nameof(c), cOffset, 1, 0, m, cRowStride, n, cColStride);
        CheckNoSelfOverlap(1, 0, m, cRowStride, n, cColStride);
    }

    /// <remarks>A and B are float32, or BFloat16 bits for the BFloat16 products; C is always float32.</remarks>
    public static void ValidateBatched<T>(int batch, int m, int n, int k,
        T[] a, int aOffset, int aBatchStride, int aRowStride, int aColStride,
        T[] b, int bOffset, int bBatchStride, int bRowStride, int bColStride,
        float[] c, int cOffset, int cBatchStride, int cRowStride, int cColStride)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        CheckOperand(a, nameof(a), aOffset, batch, aBatchStride, m, aRowStride, k, aColStride);
        CheckOperand(b, nameof(b), bOffset, batch, bBatchStride, k, bRowStride, n, bColStride);
        CheckOperand(c, nameof(c), cOffset, batch, cBatchStride, m, cRowStride, n, cColStride);
        CheckNoSelfOverlap(batch, cBatchStride, m, cRowStride, n, cColStride);
    }

    /// <summary>
    /// Checks that the epilogue's bias holds one element per column (or row) of the m x n output, and that its
    /// pre-activation array can hold an m x n matrix laid out with C's strides.
    /// </summary>
    public static void ValidateEpilogue(int m, int n, in GemmEpilogue epilogue, int cRowStride, int cColStride)
    {
        if (epilogue.BiasAlong == GemmBias.None)
        {
            if (epilogue.Bias is not null)
                throw new ArgumentException("The epilogue has a bias array but no bias direction.", nameof(epilogue));
        }
        else
        {
            int count = epilogue.BiasAlong == GemmBias.PerColumn ? n : m;
            CheckOperand(epilogue.Bias!, "bias", epilogue.BiasOffset, 1, 0, 1, 0, count, 1);
        }
        if (epilogue.PreActivation is not null)
            CheckOperand(epilogue.PreActivation, "preActivation", epilogue.PreActivationOffset, 1, 0, m, cRowStride, n, cColStride);
    }

    private static void CheckOperand<T>(T[] array, string name, int offset,
        int batch, int batchStride, int rows, int rowStride, int cols, int colStride)
    {
        ArgumentNullException.ThrowIfNull(array, name);
        if (offset < 0 || batchStride < 0 || rowStride < 0 || colStride < 0)
            throw new ArgumentOutOfRangeException(name, $"Offset and strides of {name} must be non-negative.");
        if (batch == 0 || rows == 0 || cols == 0)
            return;
        long last = offset + (batch - 1L) * batchStride + (rows - 1L) * rowStride + (cols - 1L) * colStride;
        if (last >= array.Length)
        {
            throw new ArgumentException(
                $"Operand {name} reaches element {last} but its array holds {array.Length}.", name);
        }
    }

    // Writing C from several threads is only well defined when no two of its elements share memory,
    // as PyTorch also demands of an output. Sufficient test: ordered by stride, each dim starts past
    // the extent of the smaller ones.
    private static void CheckNoSelfOverlap(int batch, int batchStride, int rows, int rowStride, int cols, int colStride)
    {
        if (batch == 0 || rows == 0 || cols == 0)
            return;
        Span<(long Size, long Stride)> dims = [(batch, batchStride), (rows, rowStride), (cols, colStride)];
        dims.Sort((x, y) => x.Stride.CompareTo(y.Stride));
        long extent = 0;
        foreach (var (size, stride) in dims)
        {
            if (size == 1)
                continue;
            if (stride <= extent)
                throw new ArgumentException("The output C has overlapping elements (a zero or too small stride).", "c");
            extent += (size - 1) * stride;
        }
    }
}
