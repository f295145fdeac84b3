namespace ShapeSafe.Kernels.Gemm;

/// <summary>One micro-kernel call on managed arrays, pinned for the call (tests compare the kernel's forms through these).</summary>
internal static unsafe class GemmMicroKernelCalls
{
    /// <summary><see cref="GemmMicroKernel.Compute"/> on a packed A panel and a packed B panel into C (row stride <paramref name="ldc"/>).</summary>
    public static void ComputeTile(this GemmMicroKernel kernel, int kc, float[] packedA, float[] packedB, float[] c, int ldc, float alpha, float beta)
    {
        fixed (float* pa = packedA, pb = packedB, pc = c)
            kernel.Compute(kc, pa, pb, pc, ldc, alpha, beta);
    }

    /// <summary><see cref="GemmMicroKernel.ComputeRowA"/>: <paramref name="rows"/> rows of A in place (row stride <paramref name="lda"/>).</summary>
    public static void ComputeTileRowA(this GemmMicroKernel kernel, int rows, int kc, float[] a, int lda, float[] packedB, float[] c, int ldc,
        float alpha, float beta)
    {
        if (kernel.ComputeRowA == null)
            throw new InvalidOperationException($"{kernel.Name} has no in-place form");
        fixed (float* pa = a, pb = packedB, pc = c)
            kernel.ComputeRowA(rows, kc, pa, lda, pb, pc, ldc, alpha, beta);
    }
}
