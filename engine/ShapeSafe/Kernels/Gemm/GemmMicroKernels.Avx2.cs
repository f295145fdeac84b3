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

    /// <summary>12x16 with Vector256: 24 accumulators, needs the 32 registers of AVX-512VL.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx2Kernel12x16(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector256<float> c0_0 = Vector256<float>.Zero; Vector256<float> c0_1 = Vector256<float>.Zero;
        Vector256<float> c1_0 = Vector256<float>.Zero; Vector256<float> c1_1 = Vector256<float>.Zero;
        Vector256<float> c2_0 = Vector256<float>.Zero; Vector256<float> c2_1 = Vector256<float>.Zero;
        Vector256<float> c3_0 = Vector256<float>.Zero; Vector256<float> c3_1 = Vector256<float>.Zero;
        Vector256<float> c4_0 = Vector256<float>.Zero; Vector256<float> c4_1 = Vector256<float>.Zero;
        Vector256<float> c5_0 = Vector256<float>.Zero; Vector256<float> c5_1 = Vector256<float>.Zero;
        Vector256<float> c6_0 = Vector256<float>.Zero; Vector256<float> c6_1 = Vector256<float>.Zero;
        Vector256<float> c7_0 = Vector256<float>.Zero; Vector256<float> c7_1 = Vector256<float>.Zero;
        Vector256<float> c8_0 = Vector256<float>.Zero; Vector256<float> c8_1 = Vector256<float>.Zero;
        Vector256<float> c9_0 = Vector256<float>.Zero; Vector256<float> c9_1 = Vector256<float>.Zero;
        Vector256<float> c10_0 = Vector256<float>.Zero; Vector256<float> c10_1 = Vector256<float>.Zero;
        Vector256<float> c11_0 = Vector256<float>.Zero; Vector256<float> c11_1 = Vector256<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            Vector256<float> b0 = Avx.LoadVector256(b); Vector256<float> b1 = Avx.LoadVector256(b + 8);
            Vector256<float> a0 = Vector256.Create(a[0]); c0_0 = Fma.MultiplyAdd(a0, b0, c0_0); c0_1 = Fma.MultiplyAdd(a0, b1, c0_1);
            Vector256<float> a1 = Vector256.Create(a[1]); c1_0 = Fma.MultiplyAdd(a1, b0, c1_0); c1_1 = Fma.MultiplyAdd(a1, b1, c1_1);
            Vector256<float> a2 = Vector256.Create(a[2]); c2_0 = Fma.MultiplyAdd(a2, b0, c2_0); c2_1 = Fma.MultiplyAdd(a2, b1, c2_1);
            Vector256<float> a3 = Vector256.Create(a[3]); c3_0 = Fma.MultiplyAdd(a3, b0, c3_0); c3_1 = Fma.MultiplyAdd(a3, b1, c3_1);
            Vector256<float> a4 = Vector256.Create(a[4]); c4_0 = Fma.MultiplyAdd(a4, b0, c4_0); c4_1 = Fma.MultiplyAdd(a4, b1, c4_1);
            Vector256<float> a5 = Vector256.Create(a[5]); c5_0 = Fma.MultiplyAdd(a5, b0, c5_0); c5_1 = Fma.MultiplyAdd(a5, b1, c5_1);
            Vector256<float> a6 = Vector256.Create(a[6]); c6_0 = Fma.MultiplyAdd(a6, b0, c6_0); c6_1 = Fma.MultiplyAdd(a6, b1, c6_1);
            Vector256<float> a7 = Vector256.Create(a[7]); c7_0 = Fma.MultiplyAdd(a7, b0, c7_0); c7_1 = Fma.MultiplyAdd(a7, b1, c7_1);
            Vector256<float> a8 = Vector256.Create(a[8]); c8_0 = Fma.MultiplyAdd(a8, b0, c8_0); c8_1 = Fma.MultiplyAdd(a8, b1, c8_1);
            Vector256<float> a9 = Vector256.Create(a[9]); c9_0 = Fma.MultiplyAdd(a9, b0, c9_0); c9_1 = Fma.MultiplyAdd(a9, b1, c9_1);
            Vector256<float> a10 = Vector256.Create(a[10]); c10_0 = Fma.MultiplyAdd(a10, b0, c10_0); c10_1 = Fma.MultiplyAdd(a10, b1, c10_1);
            Vector256<float> a11 = Vector256.Create(a[11]); c11_0 = Fma.MultiplyAdd(a11, b0, c11_0); c11_1 = Fma.MultiplyAdd(a11, b1, c11_1);
            a += 12;
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
            Avx.Store(c + 6 * ldc, Avx.Multiply(c6_0, va)); Avx.Store(c + 6 * ldc + 8, Avx.Multiply(c6_1, va));
            Avx.Store(c + 7 * ldc, Avx.Multiply(c7_0, va)); Avx.Store(c + 7 * ldc + 8, Avx.Multiply(c7_1, va));
            Avx.Store(c + 8 * ldc, Avx.Multiply(c8_0, va)); Avx.Store(c + 8 * ldc + 8, Avx.Multiply(c8_1, va));
            Avx.Store(c + 9 * ldc, Avx.Multiply(c9_0, va)); Avx.Store(c + 9 * ldc + 8, Avx.Multiply(c9_1, va));
            Avx.Store(c + 10 * ldc, Avx.Multiply(c10_0, va)); Avx.Store(c + 10 * ldc + 8, Avx.Multiply(c10_1, va));
            Avx.Store(c + 11 * ldc, Avx.Multiply(c11_0, va)); Avx.Store(c + 11 * ldc + 8, Avx.Multiply(c11_1, va));
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
            Avx.Store(c + 6 * ldc, Fma.MultiplyAdd(c6_0, va, Avx.Multiply(vb, Avx.LoadVector256(c + 6 * ldc)))); Avx.Store(c + 6 * ldc + 8, Fma.MultiplyAdd(c6_1, va, Avx.Multiply(vb, Avx.LoadVector256(c + 6 * ldc + 8))));
            Avx.Store(c + 7 * ldc, Fma.MultiplyAdd(c7_0, va, Avx.Multiply(vb, Avx.LoadVector256(c + 7 * ldc)))); Avx.Store(c + 7 * ldc + 8, Fma.MultiplyAdd(c7_1, va, Avx.Multiply(vb, Avx.LoadVector256(c + 7 * ldc + 8))));
            Avx.Store(c + 8 * ldc, Fma.MultiplyAdd(c8_0, va, Avx.Multiply(vb, Avx.LoadVector256(c + 8 * ldc)))); Avx.Store(c + 8 * ldc + 8, Fma.MultiplyAdd(c8_1, va, Avx.Multiply(vb, Avx.LoadVector256(c + 8 * ldc + 8))));
            Avx.Store(c + 9 * ldc, Fma.MultiplyAdd(c9_0, va, Avx.Multiply(vb, Avx.LoadVector256(c + 9 * ldc)))); Avx.Store(c + 9 * ldc + 8, Fma.MultiplyAdd(c9_1, va, Avx.Multiply(vb, Avx.LoadVector256(c + 9 * ldc + 8))));
            Avx.Store(c + 10 * ldc, Fma.MultiplyAdd(c10_0, va, Avx.Multiply(vb, Avx.LoadVector256(c + 10 * ldc)))); Avx.Store(c + 10 * ldc + 8, Fma.MultiplyAdd(c10_1, va, Avx.Multiply(vb, Avx.LoadVector256(c + 10 * ldc + 8))));
            Avx.Store(c + 11 * ldc, Fma.MultiplyAdd(c11_0, va, Avx.Multiply(vb, Avx.LoadVector256(c + 11 * ldc)))); Avx.Store(c + 11 * ldc + 8, Fma.MultiplyAdd(c11_1, va, Avx.Multiply(vb, Avx.LoadVector256(c + 11 * ldc + 8))));
        }
    }
}
