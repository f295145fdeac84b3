using ShapeSafe.Kernels.Elementwise;

namespace ShapeSafe.Kernels.Gemm;

/// <summary>
/// The scalar reference for <see cref="GemmKernel"/>: the same contract as a plain triple loop with
/// double accumulation, so tests can judge the fast kernel's rounding against a better answer.
/// </summary>
internal static class GemmReference
{
    /// <summary>
    /// C = act(alpha * A * B + beta * C + bias) on element strides; see <see cref="GemmKernel.Sgemm"/>. The
    /// epilogue works in double on the unrounded sum: the pre-activation is rounded once, and so is the result.
    /// </summary>
    public static void Sgemm(int m, int n, int k, float alpha,
        float[] a, int aOffset, int aRowStride, int aColStride,
        float[] b, int bOffset, int bRowStride, int bColStride,
        float beta, float[] c, int cOffset, int cRowStride, int cColStride, in GemmEpilogue epilogue = default)
    {
        GemmArguments.Validate(m, n, k, a, aOffset, aRowStride, aColStride,
            b, bOffset, bRowStride, bColStride, c, cOffset, cRowStride, cColStride);
        GemmArguments.ValidateEpilogue(m, n, epilogue, cRowStride, cColStride);
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
                c[ci] = (float)Epilogue(epilogue, result, i, j, i * cRowStride + j * cColStride);
            }
        }
    }

    // The bias, the pre-activation's copy and the activation for element (i, j), whose offset from C's first element is cij.
    private static double Epilogue(in GemmEpilogue epilogue, double x, int i, int j, int cij)
    {
        if (epilogue.BiasAlong != GemmBias.None)
            x += epilogue.Bias![epilogue.BiasOffset + (epilogue.BiasAlong == GemmBias.PerColumn ? j : i)];
        if (epilogue.PreActivation is { } pre)
            pre[epilogue.PreActivationOffset + cij] = (float)x;
        return epilogue.Activation switch
        {
            GemmActivation.Relu => Math.Max(x, 0),
            GemmActivation.Gelu => 0.5 * x * Erf.Erfc(-x * 0.70710678118654752440),
            _ => x,
        };
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
