using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using ShapeSafe.Kernels.Elementwise;

namespace ShapeSafe.Kernels.Gemm;

// Packing from BFloat16 operands: the same panel layouts as the float32 packers, each element widened to float32
// (exact: its bits shifted up) as it is copied. .NET exposes no AVX-512 BF16 dot products, so this is where a BFloat16
// product becomes a float32 one; the micro-kernels and their float32 accumulation are the float32 product's own.
internal static unsafe partial class GemmPacking
{
    /// <summary><see cref="PackAPanel"/> for BFloat16 A: <c>dst[p * mr + i] = (float)A[i, p]</c>, rows past <paramref name="rows"/> zero.</summary>
    public static void PackAPanelBFloat16(ushort* a, nint rowStride, nint colStride, int rows, int kc, int mr, float* dst) =>
        PackWidened(a, rowStride, colStride, rows, kc, mr, dst);

    /// <summary><see cref="PackBPanel"/> for BFloat16 B: <c>dst[p * nr + j] = (float)B[p, j]</c>, columns past <paramref name="cols"/> zero.</summary>
    public static void PackBPanelBFloat16(ushort* b, nint rowStride, nint colStride, int cols, int kc, int nr, float* dst) =>
        PackWidened(b, colStride, rowStride, cols, kc, nr, dst);

    // dst[p * width + i] = widen(src[i * lineStride + p * stepStride]) for i < lines, zero for lines <= i < width.
    private static void PackWidened(ushort* src, nint lineStride, nint stepStride, int lines, int kc, int width, float* dst)
    {
        int done = 0;
        if (lineStride == 1)
        {
            // Each step's lines are contiguous (B row-major, A stored transposed): one widening run per step.
            for (int p = 0; p < kc; p++)
                DTypeConversion.FromBFloat16(new ReadOnlySpan<ushort>(src + p * stepStride, lines), new Span<float>(dst + p * width, lines));
            done = lines;
        }
        else if (stepStride == 1 && Avx2.IsSupported)
        {
            // Each line is contiguous along p (A row-major, B transposed as in a linear layer): widen 8 lines x 8 steps
            // into a register-sized block, then transpose it with the float32 packer's 8 x 8 shuffle.
            float* block = stackalloc float[64];
            int kc8 = kc & ~7;
            for (; done <= lines - 8; done += 8)
            {
                ushort* lineBlock = src + done * lineStride;
                for (int p = 0; p < kc8; p += 8)
                {
                    for (int l = 0; l < 8; l++)
                        Avx.Store(block + l * 8, Widen8(lineBlock + l * lineStride + p));
                    Transpose8x8(block, 8, dst + p * width + done, width);
                }
                for (int p = kc8; p < kc; p++)
                {
                    for (int l = 0; l < 8; l++)
                        dst[p * width + done + l] = DTypeConversion.FromBFloat16(lineBlock[l * lineStride + p]);
                }
            }
        }
        for (int p = 0; p < kc && done < lines; p++)
        {
            ushort* s = src + p * stepStride;
            float* d = dst + p * width;
            for (int i = done; i < lines; i++)
                d[i] = DTypeConversion.FromBFloat16(s[i * lineStride]);
        }
        if (lines < width)
        {
            for (int p = 0; p < kc; p++)
                new Span<float>(dst + p * width + lines, width - lines).Clear();
        }
    }

    // Eight BFloat16 values as eight float32 ones: zero-extend to 32 bits, shift into the upper half.
    private static Vector256<float> Widen8(ushort* src) =>
        Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(Sse2.LoadVector128(src)), 16).AsSingle();
}
