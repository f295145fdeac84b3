using System.Runtime.Intrinsics;

namespace ShapeSafe.Kernels.Gemm;

/// <summary>
/// Copies blocks of A and B into the micro-panel layouts the micro-kernels stream through.
/// Packing reads any strides, so transposed, sliced and broadcast operands cost no extra pass;
/// panels past the matrix edge are padded with zeros so edge tiles run the same kernel.
/// </summary>
internal static unsafe class GemmPacking
{
    /// <summary>
    /// Packs rows [0, rows) x depth [0, kc) of A (starting at <paramref name="a"/>) as one micro-panel
    /// of <paramref name="mr"/> rows: <c>dst[p * mr + i] = A[i, p]</c>, rows past <paramref name="rows"/> zero.
    /// </summary>
    public static void PackAPanel(float* a, nint rowStride, nint colStride, int rows, int kc, int mr, float* dst)
    {
        if (rows == mr && rowStride == 1)
        {
            // A's columns are contiguous (A is stored transposed): each step is one straight copy.
            for (int p = 0; p < kc; p++)
                CopyShort(a + p * colStride, dst + p * mr, mr);
            return;
        }
        PackStrided(a, rowStride, colStride, rows, kc, mr, dst);
    }

    /// <summary>
    /// Packs depth [0, kc) x columns [0, cols) of B as one micro-panel of <paramref name="nr"/> columns:
    /// <c>dst[p * nr + j] = B[p, j]</c>, columns past <paramref name="cols"/> zero.
    /// </summary>
    public static void PackBPanel(float* b, nint rowStride, nint colStride, int cols, int kc, int nr, float* dst)
    {
        if (cols == nr && colStride == 1)
        {
            for (int p = 0; p < kc; p++)
                CopyShort(b + p * rowStride, dst + p * nr, nr);
            return;
        }
        // B[p, j] as "row j, step p" of the transposed operand.
        PackStrided(b, colStride, rowStride, cols, kc, nr, dst);
    }

    // dst[p * width + i] = src[i * lineStride + p * stepStride] for i < lines, zero for lines <= i < width.
    private static void PackStrided(float* src, nint lineStride, nint stepStride, int lines, int kc, int width, float* dst)
    {
        if (stepStride == 1)
        {
            // Each line is contiguous along p (A row-major, or B transposed). Four lines at a time keeps
            // four read streams and one sequential write stream; then two, then one.
            int i = 0;
            for (; i <= lines - 4; i += 4)
            {
                float* s0 = src + i * lineStride, s1 = s0 + lineStride, s2 = s1 + lineStride, s3 = s2 + lineStride;
                float* d = dst + i;
                for (int p = 0; p < kc; p++, d += width)
                {
                    d[0] = s0[p];
                    d[1] = s1[p];
                    d[2] = s2[p];
                    d[3] = s3[p];
                }
            }
            if (i <= lines - 2)
            {
                float* s0 = src + i * lineStride, s1 = s0 + lineStride;
                float* d = dst + i;
                for (int p = 0; p < kc; p++, d += width)
                {
                    d[0] = s0[p];
                    d[1] = s1[p];
                }
                i += 2;
            }
            for (; i < lines; i++)
            {
                float* s = src + i * lineStride;
                float* d = dst + i;
                for (int p = 0; p < kc; p++)
                    d[p * width] = s[p];
            }
        }
        else
        {
            for (int p = 0; p < kc; p++)
            {
                float* s = src + p * stepStride;
                float* d = dst + p * width;
                for (int i = 0; i < lines; i++)
                    d[i] = s[i * lineStride];
            }
        }
        if (lines < width)
        {
            for (int p = 0; p < kc; p++)
            {
                float* d = dst + p * width;
                for (int i = lines; i < width; i++)
                    d[i] = 0;
            }
        }
    }

    private static void CopyShort(float* src, float* dst, int count)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= count - Vector256<float>.Count; i += Vector256<float>.Count)
                Vector256.Store(Vector256.Load(src + i), dst + i);
        }
        for (; i < count; i++)
            dst[i] = src[i];
    }
}
