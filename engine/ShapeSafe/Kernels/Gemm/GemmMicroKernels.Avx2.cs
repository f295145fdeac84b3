using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ShapeSafe.Kernels.Gemm;

// Written out in full, one local per accumulator, so the JIT keeps every accumulator in a register
// (arrays or loops over accumulators would live in memory). Broadcasts come straight from the
// packed A panel, and each k step loads the B panel's vectors once.
internal static unsafe partial class GemmMicroKernels
{
    /// <summary>6x16 with Vector256 and FMA: 12 accumulators, fits the 16 AVX2 registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx2Kernel6x16(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector256<float> c0_0 = Vector256<float>.Zero; Vector256<float> c0_1 = Vector256<float>.Zero;
        Vector256<float> c1_0 = Vector256<float>.Zero; Vector256<float> c1_1 = Vector256<float>.Zero;
        Vector256<float> c2_0 = Vector256<float>.Zero; Vector256<float> c2_1 = Vector256<float>.Zero;
        Vector256<float> c3_0 = Vector256<float>.Zero; Vector256<float> c3_1 = Vector256<float>.Zero;
        Vector256<float> c4_0 = Vector256<float>.Zero; Vector256<float> c4_1 = Vector256<float>.Zero;
        Vector256<float> c5_0 = Vector256<float>.Zero; Vector256<float> c5_1 = Vector256<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Avx.LoadVector256(b); Vector256<float> b1 = Avx.LoadVector256(b + 8);
            Vector256<float> a0 = Vector256.Create(a[0]); c0_0 = Fma.MultiplyAdd(a0, b0, c0_0); c0_1 = Fma.MultiplyAdd(a0, b1, c0_1);
            Vector256<float> a1 = Vector256.Create(a[1]); c1_0 = Fma.MultiplyAdd(a1, b0, c1_0); c1_1 = Fma.MultiplyAdd(a1, b1, c1_1);
            Vector256<float> a2 = Vector256.Create(a[2]); c2_0 = Fma.MultiplyAdd(a2, b0, c2_0); c2_1 = Fma.MultiplyAdd(a2, b1, c2_1);
            Vector256<float> a3 = Vector256.Create(a[3]); c3_0 = Fma.MultiplyAdd(a3, b0, c3_0); c3_1 = Fma.MultiplyAdd(a3, b1, c3_1);
            Vector256<float> a4 = Vector256.Create(a[4]); c4_0 = Fma.MultiplyAdd(a4, b0, c4_0); c4_1 = Fma.MultiplyAdd(a4, b1, c4_1);
            Vector256<float> a5 = Vector256.Create(a[5]); c5_0 = Fma.MultiplyAdd(a5, b0, c5_0); c5_1 = Fma.MultiplyAdd(a5, b1, c5_1);
            a += 6;
            b += 16;
        }
        Vector256<float> va = Vector256.Create(alpha);
        if (beta == 0)
        {
            Avx.Store(c, Avx.Multiply(c0_0, va)); Avx.Store(c + 8, Avx.Multiply(c0_1, va));
            Avx.Store(c + 1 * ldc, Avx.Multiply(c1_0, va)); Avx.Store(c + 1 * ldc + 8, Avx.Multiply(c1_1, va));
            Avx.Store(c + 2 * ldc, Avx.Multiply(c2_0, va)); Avx.Store(c + 2 * ldc + 8, Avx.Multiply(c2_1, va));
            Avx.Store(c + 3 * ldc, Avx.Multiply(c3_0, va)); Avx.Store(c + 3 * ldc + 8, Avx.Multiply(c3_1, va));
            Avx.Store(c + 4 * ldc, Avx.Multiply(c4_0, va)); Avx.Store(c + 4 * ldc + 8, Avx.Multiply(c4_1, va));
            Avx.Store(c + 5 * ldc, Avx.Multiply(c5_0, va)); Avx.Store(c + 5 * ldc + 8, Avx.Multiply(c5_1, va));
        }
        else
        {
            Vector256<float> vb = Vector256.Create(beta);
            Avx.Store(c, Fma.MultiplyAdd(c0_0, va, Avx.Multiply(vb, Avx.LoadVector256(c)))); Avx.Store(c + 8, Fma.MultiplyAdd(c0_1, va, Avx.Multiply(vb, Avx.LoadVector256(c + 8))));
            Avx.Store(c + 1 * ldc, Fma.MultiplyAdd(c1_0, va, Avx.Multiply(vb, Avx.LoadVector256(c + 1 * ldc)))); Avx.Store(c + 1 * ldc + 8, Fma.MultiplyAdd(c1_1, va, Avx.Multiply(vb, Avx.LoadVector256(c + 1 * ldc + 8))));
            Avx.Store(c + 2 * ldc, Fma.MultiplyAdd(c2_0, va, Avx.Multiply(vb, Avx.LoadVector256(c + 2 * ldc)))); Avx.Store(c + 2 * ldc + 8, Fma.MultiplyAdd(c2_1, va, Avx.Multiply(vb, Avx.LoadVector256(c + 2 * ldc + 8))));
            Avx.Store(c + 3 * ldc, Fma.MultiplyAdd(c3_0, va, Avx.Multiply(vb, Avx.LoadVector256(c + 3 * ldc)))); Avx.Store(c + 3 * ldc + 8, Fma.MultiplyAdd(c3_1, va, Avx.Multiply(vb, Avx.LoadVector256(c + 3 * ldc + 8))));
            Avx.Store(c + 4 * ldc, Fma.MultiplyAdd(c4_0, va, Avx.Multiply(vb, Avx.LoadVector256(c + 4 * ldc)))); Avx.Store(c + 4 * ldc + 8, Fma.MultiplyAdd(c4_1, va, Avx.Multiply(vb, Avx.LoadVector256(c + 4 * ldc + 8))));
            Avx.Store(c + 5 * ldc, Fma.MultiplyAdd(c5_0, va, Avx.Multiply(vb, Avx.LoadVector256(c + 5 * ldc)))); Avx.Store(c + 5 * ldc + 8, Fma.MultiplyAdd(c5_1, va, Avx.Multiply(vb, Avx.LoadVector256(c + 5 * ldc + 8))));
        }
    }

    /// <summary>6x8 with Vector256 and FMA: for a last B panel at most 8 wide.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx2Kernel6x8(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector256<float> c0_0 = Vector256<float>.Zero;
        Vector256<float> c1_0 = Vector256<float>.Zero;
        Vector256<float> c2_0 = Vector256<float>.Zero;
        Vector256<float> c3_0 = Vector256<float>.Zero;
        Vector256<float> c4_0 = Vector256<float>.Zero;
        Vector256<float> c5_0 = Vector256<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Avx.LoadVector256(b);
            Vector256<float> a0 = Vector256.Create(a[0]); c0_0 = Fma.MultiplyAdd(a0, b0, c0_0);
            Vector256<float> a1 = Vector256.Create(a[1]); c1_0 = Fma.MultiplyAdd(a1, b0, c1_0);
            Vector256<float> a2 = Vector256.Create(a[2]); c2_0 = Fma.MultiplyAdd(a2, b0, c2_0);
            Vector256<float> a3 = Vector256.Create(a[3]); c3_0 = Fma.MultiplyAdd(a3, b0, c3_0);
            Vector256<float> a4 = Vector256.Create(a[4]); c4_0 = Fma.MultiplyAdd(a4, b0, c4_0);
            Vector256<float> a5 = Vector256.Create(a[5]); c5_0 = Fma.MultiplyAdd(a5, b0, c5_0);
            a += 6;
            b += 8;
        }
        Vector256<float> va = Vector256.Create(alpha);
        if (beta == 0)
        {
            Avx.Store(c, Avx.Multiply(c0_0, va));
            Avx.Store(c + 1 * ldc, Avx.Multiply(c1_0, va));
            Avx.Store(c + 2 * ldc, Avx.Multiply(c2_0, va));
            Avx.Store(c + 3 * ldc, Avx.Multiply(c3_0, va));
            Avx.Store(c + 4 * ldc, Avx.Multiply(c4_0, va));
            Avx.Store(c + 5 * ldc, Avx.Multiply(c5_0, va));
        }
        else
        {
            Vector256<float> vb = Vector256.Create(beta);
            Avx.Store(c, Fma.MultiplyAdd(c0_0, va, Avx.Multiply(vb, Avx.LoadVector256(c))));
            Avx.Store(c + 1 * ldc, Fma.MultiplyAdd(c1_0, va, Avx.Multiply(vb, Avx.LoadVector256(c + 1 * ldc))));
            Avx.Store(c + 2 * ldc, Fma.MultiplyAdd(c2_0, va, Avx.Multiply(vb, Avx.LoadVector256(c + 2 * ldc))));
            Avx.Store(c + 3 * ldc, Fma.MultiplyAdd(c3_0, va, Avx.Multiply(vb, Avx.LoadVector256(c + 3 * ldc))));
            Avx.Store(c + 4 * ldc, Fma.MultiplyAdd(c4_0, va, Avx.Multiply(vb, Avx.LoadVector256(c + 4 * ldc))));
            Avx.Store(c + 5 * ldc, Fma.MultiplyAdd(c5_0, va, Avx.Multiply(vb, Avx.LoadVector256(c + 5 * ldc))));
        }
    }
}
