using System.Buffers;
using System.Numerics.Tensors;

namespace ShapeSafe.Kernels.Gemm;

/// <summary>
/// C = A·B in double for strided A and B (Float64 matrix products). Blocked for the cache: a panel of B
/// (<see cref="KBlock"/> rows × <see cref="NBlock"/> columns) is packed contiguous, then every row of A streams over
/// it with fused multiply-adds a row of C at a time (TensorPrimitives vectorises each row update). Accumulation
/// over k runs in order, one FMA per term, as a BLAS dgemm inner loop does; results agree with LibTorch's to a few
/// ulps. It is simpler than the float32 micro-kernels (no register tiling): Float64 is for checking, not speed.
/// </summary>
internal static class DgemmKernel
{
    const int KBlock = 128;
    const int NBlock = 512;

    public static void Dgemm(int m, int n, int k,
        double[] a, int aOffset, int aRowStride, int aColStride,
        double[] b, int bOffset, int bRowStride, int bColStride,
        double[] c, int cOffset, int ldc)
    {
        if (m == 0 || n == 0) return;
        for (int i = 0; i < m; i++) c.AsSpan(cOffset + i * ldc, n).Clear();
        if (k == 0) return;
        var panel = ArrayPool<double>.Shared.Rent(KBlock * Math.Min(n, NBlock));
        try
        {
            for (int j0 = 0; j0 < n; j0 += NBlock)
            {
                int nb = Math.Min(NBlock, n - j0);
                for (int p0 = 0; p0 < k; p0 += KBlock)
                {
                    int kb = Math.Min(KBlock, k - p0);
                    for (int p = 0; p < kb; p++)
                    {
                        int row = bOffset + (p0 + p) * bRowStride + j0 * bColStride;
                        var dst = panel.AsSpan(p * nb, nb);
                        if (bColStride == 1) b.AsSpan(row, nb).CopyTo(dst);
                        else for (int j = 0; j < nb; j++) dst[j] = b[row + j * bColStride];
                    }
                    for (int i = 0; i < m; i++)
                    {
                        var cRow = c.AsSpan(cOffset + i * ldc + j0, nb);
                        int aRow = aOffset + i * aRowStride + p0 * aColStride;
                        for (int p = 0; p < kb; p++)
                            TensorPrimitives.FusedMultiplyAdd(panel.AsSpan(p * nb, nb), a[aRow + p * aColStride], cRow, cRow);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(panel);
        }
    }
}
