using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ShapeSafe.Kernels.Gemm;

/// <summary>
/// Copies blocks of A and B into the micro-panel layouts the micro-kernels stream through.
/// Packing reads any strides, so transposed, sliced and broadcast operands cost no extra pass;
/// panels past the matrix edge are padded with zeros so edge tiles run the same kernel.
/// </summary>
internal static unsafe partial class GemmPacking
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
            // Each line is contiguous along p (A row-major, or B transposed): a transpose. Blocks of 8 lines
            // by 8 steps go through registers (8 loads, 24 shuffles, 8 stores instead of 64 scalar moves),
            // then four lines at a time keep four read streams and one sequential write stream; then two, then one.
            int i = 0;
            if (Avx.IsSupported)
            {
                int kc8 = kc & ~7;
                for (; i <= lines - 8; i += 8)
                {
                    for (int p = 0; p < kc8; p += 8)
                        Transpose8x8(src + i * lineStride + p, lineStride, dst + p * width + i, width);
                    CopyLinesScalar(src + i * lineStride, lineStride, 8, kc8, kc, width, dst + i);
                }
            }
            if (Sse.IsSupported)
            {
                int kc4 = kc & ~3;
                for (; i <= lines - 4; i += 4)
                {
                    for (int p = 0; p < kc4; p += 4)
                        Transpose4x4(src + i * lineStride + p, lineStride, dst + p * width + i, width);
                    CopyLinesScalar(src + i * lineStride, lineStride, 4, kc4, kc, width, dst + i);
                }
            }
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

    // dst[p * width + l] = src[l * lineStride + p] for l < lines and p in [from, to): the steps a block transpose left over.
    private static void CopyLinesScalar(float* src, nint lineStride, int lines, int from, int to, int width, float* dst)
    {
        for (int p = from; p < to; p++)
        {
            for (int l = 0; l < lines; l++)
                dst[p * width + l] = src[l * lineStride + p];
        }
    }

    // dst[q * dstStride + l] = src[l * srcStride + q] for l, q < 8, through AVX registers.
    internal static void Transpose8x8(float* src, nint srcStride, float* dst, nint dstStride)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + srcStride);
        var r2 = Avx.LoadVector256(src + 2 * srcStride);
        var r3 = Avx.LoadVector256(src + 3 * srcStride);
        var r4 = Avx.LoadVector256(src + 4 * srcStride);
        var r5 = Avx.LoadVector256(src + 5 * srcStride);
        var r6 = Avx.LoadVector256(src + 6 * srcStride);
        var r7 = Avx.LoadVector256(src + 7 * srcStride);
        // Interleave pairs of lines, then pairs of pairs, within each 128-bit half ...
        var t0 = Avx.UnpackLow(r0, r1);
        var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3);
        var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5);
        var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7);
        var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44);
        var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44);
        var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44);
        var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44);
        var u7 = Avx.Shuffle(t5, t7, 0xEE);
        // ... then join the lower halves (steps 0-3) and the upper halves (steps 4-7) of lines 0-3 and 4-7.
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + dstStride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * dstStride, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * dstStride, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * dstStride, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * dstStride, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * dstStride, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * dstStride, Avx.Permute2x128(u3, u7, 0x31));
    }

    // dst[q * dstStride + l] = src[l * srcStride + q] for l, q < 4, through SSE registers.
    private static void Transpose4x4(float* src, nint srcStride, float* dst, nint dstStride)
    {
        var r0 = Sse.LoadVector128(src);
        var r1 = Sse.LoadVector128(src + srcStride);
        var r2 = Sse.LoadVector128(src + 2 * srcStride);
        var r3 = Sse.LoadVector128(src + 3 * srcStride);
        var t0 = Sse.UnpackLow(r0, r1);
        var t1 = Sse.UnpackLow(r2, r3);
        var t2 = Sse.UnpackHigh(r0, r1);
        var t3 = Sse.UnpackHigh(r2, r3);
        Sse.Store(dst, Sse.MoveLowToHigh(t0, t1));
        Sse.Store(dst + dstStride, Sse.MoveHighToLow(t1, t0));
        Sse.Store(dst + 2 * dstStride, Sse.MoveLowToHigh(t2, t3));
        Sse.Store(dst + 3 * dstStride, Sse.MoveHighToLow(t3, t2));
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
