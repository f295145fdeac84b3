using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ShapeSafe.Kernels.Gemm;

// Written out in full, one local per accumulator, so the JIT keeps every accumulator in a register
// (arrays or loops over accumulators would live in memory). Broadcasts come straight from the
// packed A panel, and each k step loads the B panel's vectors once.
internal static unsafe partial class GemmMicroKernels
{
    /// <summary>6x32 with Vector512: for a last B panel at most 32 wide.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx512Kernel6x32(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = Vector512<float>.Zero; Vector512<float> c0_1 = Vector512<float>.Zero;
        Vector512<float> c1_0 = Vector512<float>.Zero; Vector512<float> c1_1 = Vector512<float>.Zero;
        Vector512<float> c2_0 = Vector512<float>.Zero; Vector512<float> c2_1 = Vector512<float>.Zero;
        Vector512<float> c3_0 = Vector512<float>.Zero; Vector512<float> c3_1 = Vector512<float>.Zero;
        Vector512<float> c4_0 = Vector512<float>.Zero; Vector512<float> c4_1 = Vector512<float>.Zero;
        Vector512<float> c5_0 = Vector512<float>.Zero; Vector512<float> c5_1 = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Avx512F.LoadVector512(b); Vector512<float> b1 = Avx512F.LoadVector512(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]); c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            Vector512<float> a1 = Vector512.Create(a[1]); c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            Vector512<float> a2 = Vector512.Create(a[2]); c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1);
            Vector512<float> a3 = Vector512.Create(a[3]); c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(a3, b1, c3_1);
            Vector512<float> a4 = Vector512.Create(a[4]); c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(a4, b1, c4_1);
            Vector512<float> a5 = Vector512.Create(a[5]); c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(a5, b1, c5_1);
            a += 6;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha);
        if (beta == 0)
        {
            Avx512F.Store(c, Avx512F.Multiply(c0_0, va)); Avx512F.Store(c + 16, Avx512F.Multiply(c0_1, va));
            Avx512F.Store(c + 1 * ldc, Avx512F.Multiply(c1_0, va)); Avx512F.Store(c + 1 * ldc + 16, Avx512F.Multiply(c1_1, va));
            Avx512F.Store(c + 2 * ldc, Avx512F.Multiply(c2_0, va)); Avx512F.Store(c + 2 * ldc + 16, Avx512F.Multiply(c2_1, va));
            Avx512F.Store(c + 3 * ldc, Avx512F.Multiply(c3_0, va)); Avx512F.Store(c + 3 * ldc + 16, Avx512F.Multiply(c3_1, va));
            Avx512F.Store(c + 4 * ldc, Avx512F.Multiply(c4_0, va)); Avx512F.Store(c + 4 * ldc + 16, Avx512F.Multiply(c4_1, va));
            Avx512F.Store(c + 5 * ldc, Avx512F.Multiply(c5_0, va)); Avx512F.Store(c + 5 * ldc + 16, Avx512F.Multiply(c5_1, va));
        }
        else
        {
            Vector512<float> vb = Vector512.Create(beta);
            Avx512F.Store(c, Avx512F.FusedMultiplyAdd(c0_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c)))); Avx512F.Store(c + 16, Avx512F.FusedMultiplyAdd(c0_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 16))));
            Avx512F.Store(c + 1 * ldc, Avx512F.FusedMultiplyAdd(c1_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 1 * ldc)))); Avx512F.Store(c + 1 * ldc + 16, Avx512F.FusedMultiplyAdd(c1_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 1 * ldc + 16))));
            Avx512F.Store(c + 2 * ldc, Avx512F.FusedMultiplyAdd(c2_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 2 * ldc)))); Avx512F.Store(c + 2 * ldc + 16, Avx512F.FusedMultiplyAdd(c2_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 2 * ldc + 16))));
            Avx512F.Store(c + 3 * ldc, Avx512F.FusedMultiplyAdd(c3_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 3 * ldc)))); Avx512F.Store(c + 3 * ldc + 16, Avx512F.FusedMultiplyAdd(c3_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 3 * ldc + 16))));
            Avx512F.Store(c + 4 * ldc, Avx512F.FusedMultiplyAdd(c4_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 4 * ldc)))); Avx512F.Store(c + 4 * ldc + 16, Avx512F.FusedMultiplyAdd(c4_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 4 * ldc + 16))));
            Avx512F.Store(c + 5 * ldc, Avx512F.FusedMultiplyAdd(c5_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 5 * ldc)))); Avx512F.Store(c + 5 * ldc + 16, Avx512F.FusedMultiplyAdd(c5_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 5 * ldc + 16))));
        }
    }

    /// <summary>6x16 with Vector512: for a last B panel at most 16 wide.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx512Kernel6x16(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = Vector512<float>.Zero;
        Vector512<float> c1_0 = Vector512<float>.Zero;
        Vector512<float> c2_0 = Vector512<float>.Zero;
        Vector512<float> c3_0 = Vector512<float>.Zero;
        Vector512<float> c4_0 = Vector512<float>.Zero;
        Vector512<float> c5_0 = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Avx512F.LoadVector512(b);
            Vector512<float> a0 = Vector512.Create(a[0]); c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            Vector512<float> a1 = Vector512.Create(a[1]); c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            Vector512<float> a2 = Vector512.Create(a[2]); c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0);
            Vector512<float> a3 = Vector512.Create(a[3]); c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0);
            Vector512<float> a4 = Vector512.Create(a[4]); c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0);
            Vector512<float> a5 = Vector512.Create(a[5]); c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0);
            a += 6;
            b += 16;
        }
        Vector512<float> va = Vector512.Create(alpha);
        if (beta == 0)
        {
            Avx512F.Store(c, Avx512F.Multiply(c0_0, va));
            Avx512F.Store(c + 1 * ldc, Avx512F.Multiply(c1_0, va));
            Avx512F.Store(c + 2 * ldc, Avx512F.Multiply(c2_0, va));
            Avx512F.Store(c + 3 * ldc, Avx512F.Multiply(c3_0, va));
            Avx512F.Store(c + 4 * ldc, Avx512F.Multiply(c4_0, va));
            Avx512F.Store(c + 5 * ldc, Avx512F.Multiply(c5_0, va));
        }
        else
        {
            Vector512<float> vb = Vector512.Create(beta);
            Avx512F.Store(c, Avx512F.FusedMultiplyAdd(c0_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c))));
            Avx512F.Store(c + 1 * ldc, Avx512F.FusedMultiplyAdd(c1_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 1 * ldc))));
            Avx512F.Store(c + 2 * ldc, Avx512F.FusedMultiplyAdd(c2_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 2 * ldc))));
            Avx512F.Store(c + 3 * ldc, Avx512F.FusedMultiplyAdd(c3_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 3 * ldc))));
            Avx512F.Store(c + 4 * ldc, Avx512F.FusedMultiplyAdd(c4_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 4 * ldc))));
            Avx512F.Store(c + 5 * ldc, Avx512F.FusedMultiplyAdd(c5_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 5 * ldc))));
        }
    }

    /// <summary>12x32 with Vector512: 24 accumulators; per k step 2 B loads, 12 broadcasts, 24 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx512Kernel12x32(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = Vector512<float>.Zero; Vector512<float> c0_1 = Vector512<float>.Zero;
        Vector512<float> c1_0 = Vector512<float>.Zero; Vector512<float> c1_1 = Vector512<float>.Zero;
        Vector512<float> c2_0 = Vector512<float>.Zero; Vector512<float> c2_1 = Vector512<float>.Zero;
        Vector512<float> c3_0 = Vector512<float>.Zero; Vector512<float> c3_1 = Vector512<float>.Zero;
        Vector512<float> c4_0 = Vector512<float>.Zero; Vector512<float> c4_1 = Vector512<float>.Zero;
        Vector512<float> c5_0 = Vector512<float>.Zero; Vector512<float> c5_1 = Vector512<float>.Zero;
        Vector512<float> c6_0 = Vector512<float>.Zero; Vector512<float> c6_1 = Vector512<float>.Zero;
        Vector512<float> c7_0 = Vector512<float>.Zero; Vector512<float> c7_1 = Vector512<float>.Zero;
        Vector512<float> c8_0 = Vector512<float>.Zero; Vector512<float> c8_1 = Vector512<float>.Zero;
        Vector512<float> c9_0 = Vector512<float>.Zero; Vector512<float> c9_1 = Vector512<float>.Zero;
        Vector512<float> c10_0 = Vector512<float>.Zero; Vector512<float> c10_1 = Vector512<float>.Zero;
        Vector512<float> c11_0 = Vector512<float>.Zero; Vector512<float> c11_1 = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Avx512F.LoadVector512(b); Vector512<float> b1 = Avx512F.LoadVector512(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]); c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1);
            Vector512<float> a1 = Vector512.Create(a[1]); c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1);
            Vector512<float> a2 = Vector512.Create(a[2]); c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1);
            Vector512<float> a3 = Vector512.Create(a[3]); c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(a3, b1, c3_1);
            Vector512<float> a4 = Vector512.Create(a[4]); c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(a4, b1, c4_1);
            Vector512<float> a5 = Vector512.Create(a[5]); c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(a5, b1, c5_1);
            Vector512<float> a6 = Vector512.Create(a[6]); c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0); c6_1 = Avx512F.FusedMultiplyAdd(a6, b1, c6_1);
            Vector512<float> a7 = Vector512.Create(a[7]); c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0); c7_1 = Avx512F.FusedMultiplyAdd(a7, b1, c7_1);
            Vector512<float> a8 = Vector512.Create(a[8]); c8_0 = Avx512F.FusedMultiplyAdd(a8, b0, c8_0); c8_1 = Avx512F.FusedMultiplyAdd(a8, b1, c8_1);
            Vector512<float> a9 = Vector512.Create(a[9]); c9_0 = Avx512F.FusedMultiplyAdd(a9, b0, c9_0); c9_1 = Avx512F.FusedMultiplyAdd(a9, b1, c9_1);
            Vector512<float> a10 = Vector512.Create(a[10]); c10_0 = Avx512F.FusedMultiplyAdd(a10, b0, c10_0); c10_1 = Avx512F.FusedMultiplyAdd(a10, b1, c10_1);
            Vector512<float> a11 = Vector512.Create(a[11]); c11_0 = Avx512F.FusedMultiplyAdd(a11, b0, c11_0); c11_1 = Avx512F.FusedMultiplyAdd(a11, b1, c11_1);
            a += 12;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha);
        if (beta == 0)
        {
            Avx512F.Store(c, Avx512F.Multiply(c0_0, va)); Avx512F.Store(c + 16, Avx512F.Multiply(c0_1, va));
            Avx512F.Store(c + 1 * ldc, Avx512F.Multiply(c1_0, va)); Avx512F.Store(c + 1 * ldc + 16, Avx512F.Multiply(c1_1, va));
            Avx512F.Store(c + 2 * ldc, Avx512F.Multiply(c2_0, va)); Avx512F.Store(c + 2 * ldc + 16, Avx512F.Multiply(c2_1, va));
            Avx512F.Store(c + 3 * ldc, Avx512F.Multiply(c3_0, va)); Avx512F.Store(c + 3 * ldc + 16, Avx512F.Multiply(c3_1, va));
            Avx512F.Store(c + 4 * ldc, Avx512F.Multiply(c4_0, va)); Avx512F.Store(c + 4 * ldc + 16, Avx512F.Multiply(c4_1, va));
            Avx512F.Store(c + 5 * ldc, Avx512F.Multiply(c5_0, va)); Avx512F.Store(c + 5 * ldc + 16, Avx512F.Multiply(c5_1, va));
            Avx512F.Store(c + 6 * ldc, Avx512F.Multiply(c6_0, va)); Avx512F.Store(c + 6 * ldc + 16, Avx512F.Multiply(c6_1, va));
            Avx512F.Store(c + 7 * ldc, Avx512F.Multiply(c7_0, va)); Avx512F.Store(c + 7 * ldc + 16, Avx512F.Multiply(c7_1, va));
            Avx512F.Store(c + 8 * ldc, Avx512F.Multiply(c8_0, va)); Avx512F.Store(c + 8 * ldc + 16, Avx512F.Multiply(c8_1, va));
            Avx512F.Store(c + 9 * ldc, Avx512F.Multiply(c9_0, va)); Avx512F.Store(c + 9 * ldc + 16, Avx512F.Multiply(c9_1, va));
            Avx512F.Store(c + 10 * ldc, Avx512F.Multiply(c10_0, va)); Avx512F.Store(c + 10 * ldc + 16, Avx512F.Multiply(c10_1, va));
            Avx512F.Store(c + 11 * ldc, Avx512F.Multiply(c11_0, va)); Avx512F.Store(c + 11 * ldc + 16, Avx512F.Multiply(c11_1, va));
        }
        else
        {
            Vector512<float> vb = Vector512.Create(beta);
            Avx512F.Store(c, Avx512F.FusedMultiplyAdd(c0_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c)))); Avx512F.Store(c + 16, Avx512F.FusedMultiplyAdd(c0_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 16))));
            Avx512F.Store(c + 1 * ldc, Avx512F.FusedMultiplyAdd(c1_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 1 * ldc)))); Avx512F.Store(c + 1 * ldc + 16, Avx512F.FusedMultiplyAdd(c1_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 1 * ldc + 16))));
            Avx512F.Store(c + 2 * ldc, Avx512F.FusedMultiplyAdd(c2_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 2 * ldc)))); Avx512F.Store(c + 2 * ldc + 16, Avx512F.FusedMultiplyAdd(c2_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 2 * ldc + 16))));
            Avx512F.Store(c + 3 * ldc, Avx512F.FusedMultiplyAdd(c3_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 3 * ldc)))); Avx512F.Store(c + 3 * ldc + 16, Avx512F.FusedMultiplyAdd(c3_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 3 * ldc + 16))));
            Avx512F.Store(c + 4 * ldc, Avx512F.FusedMultiplyAdd(c4_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 4 * ldc)))); Avx512F.Store(c + 4 * ldc + 16, Avx512F.FusedMultiplyAdd(c4_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 4 * ldc + 16))));
            Avx512F.Store(c + 5 * ldc, Avx512F.FusedMultiplyAdd(c5_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 5 * ldc)))); Avx512F.Store(c + 5 * ldc + 16, Avx512F.FusedMultiplyAdd(c5_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 5 * ldc + 16))));
            Avx512F.Store(c + 6 * ldc, Avx512F.FusedMultiplyAdd(c6_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 6 * ldc)))); Avx512F.Store(c + 6 * ldc + 16, Avx512F.FusedMultiplyAdd(c6_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 6 * ldc + 16))));
            Avx512F.Store(c + 7 * ldc, Avx512F.FusedMultiplyAdd(c7_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 7 * ldc)))); Avx512F.Store(c + 7 * ldc + 16, Avx512F.FusedMultiplyAdd(c7_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 7 * ldc + 16))));
            Avx512F.Store(c + 8 * ldc, Avx512F.FusedMultiplyAdd(c8_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 8 * ldc)))); Avx512F.Store(c + 8 * ldc + 16, Avx512F.FusedMultiplyAdd(c8_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 8 * ldc + 16))));
            Avx512F.Store(c + 9 * ldc, Avx512F.FusedMultiplyAdd(c9_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 9 * ldc)))); Avx512F.Store(c + 9 * ldc + 16, Avx512F.FusedMultiplyAdd(c9_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 9 * ldc + 16))));
            Avx512F.Store(c + 10 * ldc, Avx512F.FusedMultiplyAdd(c10_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 10 * ldc)))); Avx512F.Store(c + 10 * ldc + 16, Avx512F.FusedMultiplyAdd(c10_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 10 * ldc + 16))));
            Avx512F.Store(c + 11 * ldc, Avx512F.FusedMultiplyAdd(c11_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 11 * ldc)))); Avx512F.Store(c + 11 * ldc + 16, Avx512F.FusedMultiplyAdd(c11_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 11 * ldc + 16))));
        }
    }

    /// <summary>12x16 with Vector512: for a last B panel at most 16 wide.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx512Kernel12x16(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector512<float> c0_0 = Vector512<float>.Zero;
        Vector512<float> c1_0 = Vector512<float>.Zero;
        Vector512<float> c2_0 = Vector512<float>.Zero;
        Vector512<float> c3_0 = Vector512<float>.Zero;
        Vector512<float> c4_0 = Vector512<float>.Zero;
        Vector512<float> c5_0 = Vector512<float>.Zero;
        Vector512<float> c6_0 = Vector512<float>.Zero;
        Vector512<float> c7_0 = Vector512<float>.Zero;
        Vector512<float> c8_0 = Vector512<float>.Zero;
        Vector512<float> c9_0 = Vector512<float>.Zero;
        Vector512<float> c10_0 = Vector512<float>.Zero;
        Vector512<float> c11_0 = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Avx512F.LoadVector512(b);
            Vector512<float> a0 = Vector512.Create(a[0]); c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0);
            Vector512<float> a1 = Vector512.Create(a[1]); c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0);
            Vector512<float> a2 = Vector512.Create(a[2]); c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0);
            Vector512<float> a3 = Vector512.Create(a[3]); c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0);
            Vector512<float> a4 = Vector512.Create(a[4]); c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0);
            Vector512<float> a5 = Vector512.Create(a[5]); c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0);
            Vector512<float> a6 = Vector512.Create(a[6]); c6_0 = Avx512F.FusedMultiplyAdd(a6, b0, c6_0);
            Vector512<float> a7 = Vector512.Create(a[7]); c7_0 = Avx512F.FusedMultiplyAdd(a7, b0, c7_0);
            Vector512<float> a8 = Vector512.Create(a[8]); c8_0 = Avx512F.FusedMultiplyAdd(a8, b0, c8_0);
            Vector512<float> a9 = Vector512.Create(a[9]); c9_0 = Avx512F.FusedMultiplyAdd(a9, b0, c9_0);
            Vector512<float> a10 = Vector512.Create(a[10]); c10_0 = Avx512F.FusedMultiplyAdd(a10, b0, c10_0);
            Vector512<float> a11 = Vector512.Create(a[11]); c11_0 = Avx512F.FusedMultiplyAdd(a11, b0, c11_0);
            a += 12;
            b += 16;
        }
        Vector512<float> va = Vector512.Create(alpha);
        if (beta == 0)
        {
            Avx512F.Store(c, Avx512F.Multiply(c0_0, va));
            Avx512F.Store(c + 1 * ldc, Avx512F.Multiply(c1_0, va));
            Avx512F.Store(c + 2 * ldc, Avx512F.Multiply(c2_0, va));
            Avx512F.Store(c + 3 * ldc, Avx512F.Multiply(c3_0, va));
            Avx512F.Store(c + 4 * ldc, Avx512F.Multiply(c4_0, va));
            Avx512F.Store(c + 5 * ldc, Avx512F.Multiply(c5_0, va));
            Avx512F.Store(c + 6 * ldc, Avx512F.Multiply(c6_0, va));
            Avx512F.Store(c + 7 * ldc, Avx512F.Multiply(c7_0, va));
            Avx512F.Store(c + 8 * ldc, Avx512F.Multiply(c8_0, va));
            Avx512F.Store(c + 9 * ldc, Avx512F.Multiply(c9_0, va));
            Avx512F.Store(c + 10 * ldc, Avx512F.Multiply(c10_0, va));
            Avx512F.Store(c + 11 * ldc, Avx512F.Multiply(c11_0, va));
        }
        else
        {
            Vector512<float> vb = Vector512.Create(beta);
            Avx512F.Store(c, Avx512F.FusedMultiplyAdd(c0_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c))));
            Avx512F.Store(c + 1 * ldc, Avx512F.FusedMultiplyAdd(c1_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 1 * ldc))));
            Avx512F.Store(c + 2 * ldc, Avx512F.FusedMultiplyAdd(c2_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 2 * ldc))));
            Avx512F.Store(c + 3 * ldc, Avx512F.FusedMultiplyAdd(c3_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 3 * ldc))));
            Avx512F.Store(c + 4 * ldc, Avx512F.FusedMultiplyAdd(c4_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 4 * ldc))));
            Avx512F.Store(c + 5 * ldc, Avx512F.FusedMultiplyAdd(c5_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 5 * ldc))));
            Avx512F.Store(c + 6 * ldc, Avx512F.FusedMultiplyAdd(c6_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 6 * ldc))));
            Avx512F.Store(c + 7 * ldc, Avx512F.FusedMultiplyAdd(c7_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 7 * ldc))));
            Avx512F.Store(c + 8 * ldc, Avx512F.FusedMultiplyAdd(c8_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 8 * ldc))));
            Avx512F.Store(c + 9 * ldc, Avx512F.FusedMultiplyAdd(c9_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 9 * ldc))));
            Avx512F.Store(c + 10 * ldc, Avx512F.FusedMultiplyAdd(c10_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 10 * ldc))));
            Avx512F.Store(c + 11 * ldc, Avx512F.FusedMultiplyAdd(c11_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 11 * ldc))));
        }
    }
}
