using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ShapeSafe.Kernels.Gemm;

/// <summary>
/// The micro-kernels this machine can run, and the fastest of them, picked once at start-up.
/// </summary>
/// <remarks>
/// Blocking targets AMD Zen 4 (32 KiB L1d, 1 MiB L2 per core, 32 MiB L3) and is a sound guess for
/// other recent x64 cores: an A micro-panel (MR x KC) stays in L1, a thread's packed B block
/// (KC x NC) in its L2, the shared packed A block (MC x KC) in L3.
/// </remarks>
internal static unsafe partial class GemmMicroKernels
{
    // 6x64 measured fastest on Zen 4 (about 103 GFLOP/s of a 115 peak on one core at n = 1024, against
    // about 98 for 12x32, 14x32 and 8x48, and 83 for 12x16 on Vector256). KC = 512, NC = 256 won a sweep
    // of KC 256..768 and NC 128..384. MC only bounds the shared A block (L3).
    public static readonly GemmMicroKernel Avx512_6x64 = new("avx512-6x64", 6, 64, &Avx512Kernel6x64, mc: 4096, kc: 512, nc: 256,
        narrow: new("avx512-6x32", 6, 32, &Avx512Kernel6x32, 4096, 512, 256,
            narrow: new("avx512-6x16", 6, 16, &Avx512Kernel6x16, 4096, 512, 256)))
    {
        ComputeRowA = &Avx512Kernel6x64RowA,
    };
    public static readonly GemmMicroKernel Avx512_12x32 = new("avx512-12x32", 12, 32, &Avx512Kernel12x32, mc: 4096, kc: 384, nc: 320,
        narrow: new("avx512-12x16", 12, 16, &Avx512Kernel12x16, 4096, 384, 320));
    public static readonly GemmMicroKernel Avx2_6x16 = new("avx2-6x16", 6, 16, &Avx2Kernel6x16, mc: 4096, kc: 512, nc: 256,
        narrow: new("avx2-6x8", 6, 8, &Avx2Kernel6x8, 4096, 512, 256));
    public static readonly GemmMicroKernel Vector128_4x8 = new("vector128-4x8", 4, 8, &Vector128Kernel4x8, mc: 4096, kc: 512, nc: 256,
        narrow: new("vector128-4x4", 4, 4, &Vector128Kernel4x4, 4096, 512, 256));
    public static readonly GemmMicroKernel Scalar_4x4 = new("scalar-4x4", 4, 4, &ScalarKernel4x4, mc: 4096, kc: 512, nc: 256);

    /// <summary>Every micro-kernel this machine supports, fastest first.</summary>
    public static IReadOnlyList<GemmMicroKernel> Supported { get; } = FindSupported();

    /// <summary>The kernel <see cref="GemmKernel"/> uses unless told otherwise.</summary>
    public static GemmMicroKernel Best => Supported[0];

    private static GemmMicroKernel[] FindSupported()
    {
        var kernels = new List<GemmMicroKernel>();
        // Avx512F rather than Vector512.IsHardwareAccelerated: the intrinsics work even where the
        // runtime prefers 256-bit vectors for its own code.
        if (Avx512F.IsSupported)
            kernels.AddRange([Avx512_6x64, Avx512_12x32]);
        if (Avx2.IsSupported && Fma.IsSupported)
            kernels.Add(Avx2_6x16);
        if (Vector128.IsHardwareAccelerated)
            kernels.Add(Vector128_4x8);
        kernels.Add(Scalar_4x4);
        return [.. kernels];
    }

    /// <summary>Only for hardware without SIMD; written for clarity, not speed.</summary>
    private static void ScalarKernel4x4(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        float* acc = stackalloc float[16];
        for (int t = 0; t < 16; t++)
            acc[t] = 0;
        for (int p = 0; p < kc; p++, a += 4, b += 4)
        {
            for (int i = 0; i < 4; i++)
            {
                for (int j = 0; j < 4; j++)
                    acc[i * 4 + j] = MathF.FusedMultiplyAdd(a[i], b[j], acc[i * 4 + j]);
            }
        }
        for (int i = 0; i < 4; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                float* cij = c + i * ldc + j;
                *cij = beta == 0 ? acc[i * 4 + j] * alpha : MathF.FusedMultiplyAdd(acc[i * 4 + j], alpha, beta * *cij);
            }
        }
    }
}
