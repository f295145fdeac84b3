using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ShapeSafe.Kernels.Gemm;

// The 6x64 AVX-512 micro-kernel, written once for A packed and A read in place, and for edge panels of fewer rows. The
// two type parameters are structs, so the JIT compiles each instantiation on its own with their members as constants:
// the packed form's broadcasts take fixed offsets (a[0] .. a[5], then a += 6), as a kernel written for packed panels
// would, and the rows an edge instantiation does not have compile away with their accumulators.
internal static unsafe partial class GemmMicroKernels
{
    /// <summary>6x64 on a packed A panel (<see cref="GemmMicroKernel.Compute"/>).</summary>
    private static void Avx512Kernel6x64(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta) =>
        Avx512Kernel6x64<PackedPanelA, Rows6>(kc, a, 0, b, c, ldc, alpha, beta);

    /// <summary>
    /// 6x64 reading <paramref name="rows"/> (1 to 6) rows of A where they lie, A[i, p] at <c>a[i * lda + p]</c>
    /// (<see cref="GemmMicroKernel.ComputeRowA"/>); only those rows of C are written.
    /// </summary>
    private static void Avx512Kernel6x64RowA(int rows, int kc, float* a, nint lda, float* b, float* c, nint ldc, float alpha, float beta)
    {
        switch (rows)
        {
            case 6: Avx512Kernel6x64<RowMajorA, Rows6>(kc, a, lda, b, c, ldc, alpha, beta); break;
            case 5: Avx512Kernel6x64<RowMajorA, Rows5>(kc, a, lda, b, c, ldc, alpha, beta); break;
            case 4: Avx512Kernel6x64<RowMajorA, Rows4>(kc, a, lda, b, c, ldc, alpha, beta); break;
            case 3: Avx512Kernel6x64<RowMajorA, Rows3>(kc, a, lda, b, c, ldc, alpha, beta); break;
            case 2: Avx512Kernel6x64<RowMajorA, Rows2>(kc, a, lda, b, c, ldc, alpha, beta); break;
            case 1: Avx512Kernel6x64<RowMajorA, Rows1>(kc, a, lda, b, c, ldc, alpha, beta); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows), rows, "avx512-6x64: an in-place A panel has 1 to 6 rows");
        }
    }

    /// <summary>
    /// 6x64 with Vector512: 24 accumulators; per k step 4 B loads, 6 broadcasts, 24 FMAs (fewer rows: fewer broadcasts and
    /// FMAs, the same B loads). A[i, p] is at <c>a[i * TA.RowStride(lda) + p * TA.StepStride(lda)]</c>, B is a packed
    /// panel. Each accumulator sums its products in k order whatever the layout and row count, so a C element's bits do
    /// not depend on which instantiation computed it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Avx512Kernel6x64<TA, TRows>(int kc, float* a, nint lda, float* b, float* c, nint ldc, float alpha, float beta)
        where TA : struct, IKernelAPanel
        where TRows : struct, IKernelRows
    {
        nint r1 = TA.RowStride(lda), r2 = 2 * r1, r3 = 3 * r1, r4 = 4 * r1, r5 = 5 * r1;
        nint step = TA.StepStride(lda);
        Vector512<float> c0_0 = Vector512<float>.Zero; Vector512<float> c0_1 = Vector512<float>.Zero; Vector512<float> c0_2 = Vector512<float>.Zero; Vector512<float> c0_3 = Vector512<float>.Zero;
        Vector512<float> c1_0 = Vector512<float>.Zero; Vector512<float> c1_1 = Vector512<float>.Zero; Vector512<float> c1_2 = Vector512<float>.Zero; Vector512<float> c1_3 = Vector512<float>.Zero;
        Vector512<float> c2_0 = Vector512<float>.Zero; Vector512<float> c2_1 = Vector512<float>.Zero; Vector512<float> c2_2 = Vector512<float>.Zero; Vector512<float> c2_3 = Vector512<float>.Zero;
        Vector512<float> c3_0 = Vector512<float>.Zero; Vector512<float> c3_1 = Vector512<float>.Zero; Vector512<float> c3_2 = Vector512<float>.Zero; Vector512<float> c3_3 = Vector512<float>.Zero;
        Vector512<float> c4_0 = Vector512<float>.Zero; Vector512<float> c4_1 = Vector512<float>.Zero; Vector512<float> c4_2 = Vector512<float>.Zero; Vector512<float> c4_3 = Vector512<float>.Zero;
        Vector512<float> c5_0 = Vector512<float>.Zero; Vector512<float> c5_1 = Vector512<float>.Zero; Vector512<float> c5_2 = Vector512<float>.Zero; Vector512<float> c5_3 = Vector512<float>.Zero;
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Avx512F.LoadVector512(b); Vector512<float> b1 = Avx512F.LoadVector512(b + 16); Vector512<float> b2 = Avx512F.LoadVector512(b + 32); Vector512<float> b3 = Avx512F.LoadVector512(b + 48);
            Vector512<float> a0 = Vector512.Create(a[0]); c0_0 = Avx512F.FusedMultiplyAdd(a0, b0, c0_0); c0_1 = Avx512F.FusedMultiplyAdd(a0, b1, c0_1); c0_2 = Avx512F.FusedMultiplyAdd(a0, b2, c0_2); c0_3 = Avx512F.FusedMultiplyAdd(a0, b3, c0_3);
            if (TRows.Count > 1)
            {
                Vector512<float> a1 = Vector512.Create(a[r1]); c1_0 = Avx512F.FusedMultiplyAdd(a1, b0, c1_0); c1_1 = Avx512F.FusedMultiplyAdd(a1, b1, c1_1); c1_2 = Avx512F.FusedMultiplyAdd(a1, b2, c1_2); c1_3 = Avx512F.FusedMultiplyAdd(a1, b3, c1_3);
            }
            if (TRows.Count > 2)
            {
                Vector512<float> a2 = Vector512.Create(a[r2]); c2_0 = Avx512F.FusedMultiplyAdd(a2, b0, c2_0); c2_1 = Avx512F.FusedMultiplyAdd(a2, b1, c2_1); c2_2 = Avx512F.FusedMultiplyAdd(a2, b2, c2_2); c2_3 = Avx512F.FusedMultiplyAdd(a2, b3, c2_3);
            }
            if (TRows.Count > 3)
            {
                Vector512<float> a3 = Vector512.Create(a[r3]); c3_0 = Avx512F.FusedMultiplyAdd(a3, b0, c3_0); c3_1 = Avx512F.FusedMultiplyAdd(a3, b1, c3_1); c3_2 = Avx512F.FusedMultiplyAdd(a3, b2, c3_2); c3_3 = Avx512F.FusedMultiplyAdd(a3, b3, c3_3);
            }
            if (TRows.Count > 4)
            {
                Vector512<float> a4 = Vector512.Create(a[r4]); c4_0 = Avx512F.FusedMultiplyAdd(a4, b0, c4_0); c4_1 = Avx512F.FusedMultiplyAdd(a4, b1, c4_1); c4_2 = Avx512F.FusedMultiplyAdd(a4, b2, c4_2); c4_3 = Avx512F.FusedMultiplyAdd(a4, b3, c4_3);
            }
            if (TRows.Count > 5)
            {
                Vector512<float> a5 = Vector512.Create(a[r5]); c5_0 = Avx512F.FusedMultiplyAdd(a5, b0, c5_0); c5_1 = Avx512F.FusedMultiplyAdd(a5, b1, c5_1); c5_2 = Avx512F.FusedMultiplyAdd(a5, b2, c5_2); c5_3 = Avx512F.FusedMultiplyAdd(a5, b3, c5_3);
            }
            a += step;
            b += 64;
        }
        Vector512<float> va = Vector512.Create(alpha);
        if (beta == 0)
        {
            Avx512F.Store(c, Avx512F.Multiply(c0_0, va)); Avx512F.Store(c + 16, Avx512F.Multiply(c0_1, va)); Avx512F.Store(c + 32, Avx512F.Multiply(c0_2, va)); Avx512F.Store(c + 48, Avx512F.Multiply(c0_3, va));
            if (TRows.Count > 1)
            {
                Avx512F.Store(c + 1 * ldc, Avx512F.Multiply(c1_0, va)); Avx512F.Store(c + 1 * ldc + 16, Avx512F.Multiply(c1_1, va)); Avx512F.Store(c + 1 * ldc + 32, Avx512F.Multiply(c1_2, va)); Avx512F.Store(c + 1 * ldc + 48, Avx512F.Multiply(c1_3, va));
            }
            if (TRows.Count > 2)
            {
                Avx512F.Store(c + 2 * ldc, Avx512F.Multiply(c2_0, va)); Avx512F.Store(c + 2 * ldc + 16, Avx512F.Multiply(c2_1, va)); Avx512F.Store(c + 2 * ldc + 32, Avx512F.Multiply(c2_2, va)); Avx512F.Store(c + 2 * ldc + 48, Avx512F.Multiply(c2_3, va));
            }
            if (TRows.Count > 3)
            {
                Avx512F.Store(c + 3 * ldc, Avx512F.Multiply(c3_0, va)); Avx512F.Store(c + 3 * ldc + 16, Avx512F.Multiply(c3_1, va)); Avx512F.Store(c + 3 * ldc + 32, Avx512F.Multiply(c3_2, va)); Avx512F.Store(c + 3 * ldc + 48, Avx512F.Multiply(c3_3, va));
            }
            if (TRows.Count > 4)
            {
                Avx512F.Store(c + 4 * ldc, Avx512F.Multiply(c4_0, va)); Avx512F.Store(c + 4 * ldc + 16, Avx512F.Multiply(c4_1, va)); Avx512F.Store(c + 4 * ldc + 32, Avx512F.Multiply(c4_2, va)); Avx512F.Store(c + 4 * ldc + 48, Avx512F.Multiply(c4_3, va));
            }
            if (TRows.Count > 5)
            {
                Avx512F.Store(c + 5 * ldc, Avx512F.Multiply(c5_0, va)); Avx512F.Store(c + 5 * ldc + 16, Avx512F.Multiply(c5_1, va)); Avx512F.Store(c + 5 * ldc + 32, Avx512F.Multiply(c5_2, va)); Avx512F.Store(c + 5 * ldc + 48, Avx512F.Multiply(c5_3, va));
            }
        }
        else
        {
            Vector512<float> vb = Vector512.Create(beta);
            Avx512F.Store(c, Avx512F.FusedMultiplyAdd(c0_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c)))); Avx512F.Store(c + 16, Avx512F.FusedMultiplyAdd(c0_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 16)))); Avx512F.Store(c + 32, Avx512F.FusedMultiplyAdd(c0_2, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 32)))); Avx512F.Store(c + 48, Avx512F.FusedMultiplyAdd(c0_3, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 48))));
            if (TRows.Count > 1)
            {
                Avx512F.Store(c + 1 * ldc, Avx512F.FusedMultiplyAdd(c1_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 1 * ldc)))); Avx512F.Store(c + 1 * ldc + 16, Avx512F.FusedMultiplyAdd(c1_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 1 * ldc + 16)))); Avx512F.Store(c + 1 * ldc + 32, Avx512F.FusedMultiplyAdd(c1_2, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 1 * ldc + 32)))); Avx512F.Store(c + 1 * ldc + 48, Avx512F.FusedMultiplyAdd(c1_3, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 1 * ldc + 48))));
            }
            if (TRows.Count > 2)
            {
                Avx512F.Store(c + 2 * ldc, Avx512F.FusedMultiplyAdd(c2_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 2 * ldc)))); Avx512F.Store(c + 2 * ldc + 16, Avx512F.FusedMultiplyAdd(c2_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 2 * ldc + 16)))); Avx512F.Store(c + 2 * ldc + 32, Avx512F.FusedMultiplyAdd(c2_2, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 2 * ldc + 32)))); Avx512F.Store(c + 2 * ldc + 48, Avx512F.FusedMultiplyAdd(c2_3, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 2 * ldc + 48))));
            }
            if (TRows.Count > 3)
            {
                Avx512F.Store(c + 3 * ldc, Avx512F.FusedMultiplyAdd(c3_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 3 * ldc)))); Avx512F.Store(c + 3 * ldc + 16, Avx512F.FusedMultiplyAdd(c3_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 3 * ldc + 16)))); Avx512F.Store(c + 3 * ldc + 32, Avx512F.FusedMultiplyAdd(c3_2, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 3 * ldc + 32)))); Avx512F.Store(c + 3 * ldc + 48, Avx512F.FusedMultiplyAdd(c3_3, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 3 * ldc + 48))));
            }
            if (TRows.Count > 4)
            {
                Avx512F.Store(c + 4 * ldc, Avx512F.FusedMultiplyAdd(c4_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 4 * ldc)))); Avx512F.Store(c + 4 * ldc + 16, Avx512F.FusedMultiplyAdd(c4_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 4 * ldc + 16)))); Avx512F.Store(c + 4 * ldc + 32, Avx512F.FusedMultiplyAdd(c4_2, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 4 * ldc + 32)))); Avx512F.Store(c + 4 * ldc + 48, Avx512F.FusedMultiplyAdd(c4_3, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 4 * ldc + 48))));
            }
            if (TRows.Count > 5)
            {
                Avx512F.Store(c + 5 * ldc, Avx512F.FusedMultiplyAdd(c5_0, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 5 * ldc)))); Avx512F.Store(c + 5 * ldc + 16, Avx512F.FusedMultiplyAdd(c5_1, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 5 * ldc + 16)))); Avx512F.Store(c + 5 * ldc + 32, Avx512F.FusedMultiplyAdd(c5_2, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 5 * ldc + 32)))); Avx512F.Store(c + 5 * ldc + 48, Avx512F.FusedMultiplyAdd(c5_3, va, Avx512F.Multiply(vb, Avx512F.LoadVector512(c + 5 * ldc + 48))));
            }
        }
    }
}

/// <summary>Where <see cref="GemmMicroKernels"/>' 6x64 kernel finds A[i, p]: i rows and p steps of the given strides from the panel's start.</summary>
internal interface IKernelAPanel
{
    /// <summary>Distance between rows of A, given the caller's <paramref name="lda"/>.</summary>
    static abstract nint RowStride(nint lda);

    /// <summary>Distance between k steps of A, given the caller's <paramref name="lda"/>.</summary>
    static abstract nint StepStride(nint lda);
}

/// <summary>A packed micro-panel of 6 rows: A[i, p] at <c>a[p * 6 + i]</c> (<c>lda</c> unused).</summary>
internal readonly struct PackedPanelA : IKernelAPanel
{
    public static nint RowStride(nint lda) => 1;

    public static nint StepStride(nint lda) => 6;
}

/// <summary>A where it lies, rows contiguous: A[i, p] at <c>a[i * lda + p]</c>.</summary>
internal readonly struct RowMajorA : IKernelAPanel
{
    public static nint RowStride(nint lda) => lda;

    public static nint StepStride(nint lda) => 1;
}

/// <summary>How many rows of the tile a kernel instantiation computes and stores.</summary>
internal interface IKernelRows
{
    static abstract int Count { get; }
}

internal readonly struct Rows6 : IKernelRows { public static int Count => 6; }

internal readonly struct Rows5 : IKernelRows { public static int Count => 5; }

internal readonly struct Rows4 : IKernelRows { public static int Count => 4; }

internal readonly struct Rows3 : IKernelRows { public static int Count => 3; }

internal readonly struct Rows2 : IKernelRows { public static int Count => 2; }

internal readonly struct Rows1 : IKernelRows { public static int Count => 1; }
