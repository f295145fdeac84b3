using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ShapeSafe.Kernels.Gemm;

// Written out in full, one local per accumulator, so the JIT keeps every accumulator in a register
// (arrays or loops over accumulators would live in memory). Broadcasts come straight from the
// packed A panel, and each k step loads the B panel's vectors once.
internal static unsafe partial class GemmMicroKernels
{
    /// <summary>4x8 with Vector128 (SSE, Arm64 AdvSimd): 8 accumulators; fused multiply-add where the hardware has it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Vector128Kernel4x8(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector128<float> c0_0 = Vector128<float>.Zero; Vector128<float> c0_1 = Vector128<float>.Zero;
        Vector128<float> c1_0 = Vector128<float>.Zero; Vector128<float> c1_1 = Vector128<float>.Zero;
        Vector128<float> c2_0 = Vector128<float>.Zero; Vector128<float> c2_1 = Vector128<float>.Zero;
        Vector128<float> c3_0 = Vector128<float>.Zero; Vector128<float> c3_1 = Vector128<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            Vector128<float> b0 = Vector128.Load(b); Vector128<float> b1 = Vector128.Load(b + 4);
            Vector128<float> a0 = Vector128.Create(a[0]); c0_0 = Vector128.MultiplyAddEstimate(a0, b0, c0_0); c0_1 = Vector128.MultiplyAddEstimate(a0, b1, c0_1);
            Vector128<float> a1 = Vector128.Create(a[1]); c1_0 = Vector128.MultiplyAddEstimate(a1, b0, c1_0); c1_1 = Vector128.MultiplyAddEstimate(a1, b1, c1_1);
            Vector128<float> a2 = Vector128.Create(a[2]); c2_0 = Vector128.MultiplyAddEstimate(a2, b0, c2_0); c2_1 = Vector128.MultiplyAddEstimate(a2, b1, c2_1);
            Vector128<float> a3 = Vector128.Create(a[3]); c3_0 = Vector128.MultiplyAddEstimate(a3, b0, c3_0); c3_1 = Vector128.MultiplyAddEstimate(a3, b1, c3_1);
            a += 4;
            b += 8;
        }
        Vector128<float> va = Vector128.Create(alpha);
        if (beta == 0)
        {
            Vector128.Store(c0_0 * va, c); Vector128.Store(c0_1 * va, c + 4);
            Vector128.Store(c1_0 * va, c + 1 * ldc); Vector128.Store(c1_1 * va, c + 1 * ldc + 4);
            Vector128.Store(c2_0 * va, c + 2 * ldc); Vector128.Store(c2_1 * va, c + 2 * ldc + 4);
            Vector128.Store(c3_0 * va, c + 3 * ldc); Vector128.Store(c3_1 * va, c + 3 * ldc + 4);
        }
        else
        {
            Vector128<float> vb = Vector128.Create(beta);
            Vector128.Store(Vector128.MultiplyAddEstimate(c0_0, va, vb * Vector128.Load(c)), c); Vector128.Store(Vector128.MultiplyAddEstimate(c0_1, va, vb * Vector128.Load(c + 4)), c + 4);
            Vector128.Store(Vector128.MultiplyAddEstimate(c1_0, va, vb * Vector128.Load(c + 1 * ldc)), c + 1 * ldc); Vector128.Store(Vector128.MultiplyAddEstimate(c1_1, va, vb * Vector128.Load(c + 1 * ldc + 4)), c + 1 * ldc + 4);
            Vector128.Store(Vector128.MultiplyAddEstimate(c2_0, va, vb * Vector128.Load(c + 2 * ldc)), c + 2 * ldc); Vector128.Store(Vector128.MultiplyAddEstimate(c2_1, va, vb * Vector128.Load(c + 2 * ldc + 4)), c + 2 * ldc + 4);
            Vector128.Store(Vector128.MultiplyAddEstimate(c3_0, va, vb * Vector128.Load(c + 3 * ldc)), c + 3 * ldc); Vector128.Store(Vector128.MultiplyAddEstimate(c3_1, va, vb * Vector128.Load(c + 3 * ldc + 4)), c + 3 * ldc + 4);
        }
    }

    /// <summary>4x4 with Vector128: for a last B panel at most 4 wide.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Vector128Kernel4x4(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector128<float> c0_0 = Vector128<float>.Zero;
        Vector128<float> c1_0 = Vector128<float>.Zero;
        Vector128<float> c2_0 = Vector128<float>.Zero;
        Vector128<float> c3_0 = Vector128<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            Vector128<float> b0 = Vector128.Load(b);
            Vector128<float> a0 = Vector128.Create(a[0]); c0_0 = Vector128.MultiplyAddEstimate(a0, b0, c0_0);
            Vector128<float> a1 = Vector128.Create(a[1]); c1_0 = Vector128.MultiplyAddEstimate(a1, b0, c1_0);
            Vector128<float> a2 = Vector128.Create(a[2]); c2_0 = Vector128.MultiplyAddEstimate(a2, b0, c2_0);
            Vector128<float> a3 = Vector128.Create(a[3]); c3_0 = Vector128.MultiplyAddEstimate(a3, b0, c3_0);
            a += 4;
            b += 4;
        }
        Vector128<float> va = Vector128.Create(alpha);
        if (beta == 0)
        {
            Vector128.Store(c0_0 * va, c);
            Vector128.Store(c1_0 * va, c + 1 * ldc);
            Vector128.Store(c2_0 * va, c + 2 * ldc);
            Vector128.Store(c3_0 * va, c + 3 * ldc);
        }
        else
        {
            Vector128<float> vb = Vector128.Create(beta);
            Vector128.Store(Vector128.MultiplyAddEstimate(c0_0, va, vb * Vector128.Load(c)), c);
            Vector128.Store(Vector128.MultiplyAddEstimate(c1_0, va, vb * Vector128.Load(c + 1 * ldc)), c + 1 * ldc);
            Vector128.Store(Vector128.MultiplyAddEstimate(c2_0, va, vb * Vector128.Load(c + 2 * ldc)), c + 2 * ldc);
            Vector128.Store(Vector128.MultiplyAddEstimate(c3_0, va, vb * Vector128.Load(c + 3 * ldc)), c + 3 * ldc);
        }
    }
}
