namespace ShapeSafe.Kernels.Gemm;

/// <summary>
/// One product C = epilogue(alpha * A * B + beta * C) with operands as base pointers and element strides
/// (A is M x K, B is K x N, C is M x N). The arrays behind the pointers are pinned by the caller.
/// </summary>
internal readonly unsafe struct GemmProblem(int m, int n, int k, float alpha,
    float* a, nint aRowStride, nint aColStride,
    float* b, nint bRowStride, nint bColStride,
    float beta, float* c, nint cRowStride, nint cColStride,
    GemmTileEpilogue epilogue = default)
{
    public readonly int M = m, N = n, K = k;
    public readonly float Alpha = alpha, Beta = beta;
    public readonly float* A = a, B = b, C = c;
    public readonly nint ARowStride = aRowStride, AColStride = aColStride;
    public readonly nint BRowStride = bRowStride, BColStride = bColStride;
    public readonly nint CRowStride = cRowStride, CColStride = cColStride;

    /// <summary>Applied to each tile of C after its last k block.</summary>
    public readonly GemmTileEpilogue Epilogue = epilogue;

    /// <summary>
    /// The same product with C's contiguous dimension as its columns where that is possible, since the
    /// kernels vectorize along columns: C^T = B^T * A^T needs only swapped strides.
    /// </summary>
    public GemmProblem WithContiguousColumns()
    {
        // With one column, C's column stride is never applied.
        nint cCol = N == 1 ? 1 : CColStride;
        // A column-major matrix times a vector runs best as one row of sums over A's contiguous columns.
        bool columnMajorTimesVector = N == 1 && M > 1 && ARowStride == 1 && AColStride != 1;
        if ((cCol != 1 && M > 1 && CRowStride == 1) || columnMajorTimesVector)
        {
            return new GemmProblem(N, M, K, Alpha, B, BColStride, BRowStride, A, AColStride, ARowStride,
                Beta, C, CColStride, CRowStride, Epilogue.Transposed());
        }
        return new GemmProblem(M, N, K, Alpha, A, ARowStride, AColStride, B, BRowStride, BColStride, Beta, C, CRowStride, cCol, Epilogue);
    }
}
