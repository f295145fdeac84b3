namespace ShapeSafe.Kernels.Gemm;

/// <summary>
/// The scalar reference for <see cref="GemmKernel"/>: the same contract as a plain triple loop with
/// double accumulation, so tests can judge the fast kernel's rounding against a better answer.
/// </summary>
internal static class GemmReference
{
    /// <summary>C = alpha * A * B + beta * C on element strides; see <see cref="GemmKernel.Sgemm"/>.</summary>
    public static void Sgemm(int m, int n, int k, float alpha,
        float[] a, int aOffset, int aRowStride, int aColStride,
        float[] b, int bOffset, int bRowStride, int bColStride,
        float beta, float[] c, int cOffset, int cRowStride, int cColStride)
    {
        GemmArguments.Validate(m, n, k, a, aOffset, aRowStride, aColStride,
            b, bOffset, bRowStride, bColStride, c, cOffset, cRowStride, cColStride);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                if (alpha != 0)
                {
                    for (int p = 0; p < k; p++)
                        sum += (double)a[aOffset + i * aRowStride + p * aColStride] * b[bOffset + p * bRowStride + j * bColStride];
                }
                int ci = cOffset + i * cRowStride + j * cColStride;
                double result = alpha * sum;
                if (beta != 0)
                    result += (double)beta * c[ci];
                c[ci] = (float)result;
            }
        }
    }

    /// <summary>Independent products over a batch; see <see cref="GemmKernel.SgemmBatched"/>.</summary>
    public static void SgemmBatched(int batch, int m, int n, int k, float alpha,
        float[] a, int aOffset, int aBatchStride, int aRowStride, int aColStride,
        float[] b, int bOffset, int bBatchStride, int bRowStride, int bColStride,
        float beta, float[] c, int cOffset, int cBatchStride, int cRowStride, int cColStride)
    {
        GemmArguments.ValidateBatched(batch, m, n, k, a, aOffset, aBatchStride, aRowStride, aColStride,
            b, bOffset, bBatchStride, bRowStride, bColStride, c, cOffset, cBatchStride, cRowStride, cColStride);
        for (int s = 0; s < batch; s++)
        {
            Sgemm(m, n, k, alpha,
                a, aOffset + s * aBatchStride, aRowStride, aColStride,
                b, bOffset + s * bBatchStride, bRowStride, bColStride,
                beta, c, cOffset + s * cBatchStride, cRowStride, cColStride);
        }
    }
}
