using System.Diagnostics;

namespace ShapeSafe.Kernels.Gemm;

/// <summary>
/// One register-blocked micro-kernel and the cache blocking that suits it.
/// </summary>
/// <remarks>
/// The kernel computes an <see cref="Mr"/> x <see cref="Nr"/> tile of C from packed panels over
/// <c>kc</c> steps: <c>acc[i, j] = sum_p a[p * Mr + i] * b[p * Nr + j]</c>, then writes
/// <c>c[i * ldc + j] = alpha * acc</c> when beta is 0 (C is not read) or
/// <c>fma(acc, alpha, beta * c)</c> otherwise. Columns of the tile are contiguous in C.
/// </remarks>
internal sealed unsafe class GemmMicroKernel
{
    public GemmMicroKernel(string name, int mr, int nr,
        delegate*<int, float*, float*, float*, nint, float, float, void> compute, int mc, int kc, int nc,
        GemmMicroKernel? narrow = null)
    {
        Name = name;
        Mr = mr;
        Nr = nr;
        Compute = compute;
        Mc = mc;
        Kc = kc;
        Nc = nc;
        Narrow = narrow;
        Debug.Assert(narrow is null || (narrow.Mr == mr && narrow.Nr < nr));
    }

    public string Name { get; }

    /// <summary>Rows of the C tile (rows of an A micro-panel).</summary>
    public int Mr { get; }

    /// <summary>Columns of the C tile (columns of a B micro-panel).</summary>
    public int Nr { get; }

    /// <summary>(kc, packed A panel, packed B panel, C tile, C row stride, alpha, beta).</summary>
    public delegate*<int, float*, float*, float*, nint, float, float, void> Compute { get; }

    /// <summary>
    /// The same kernel reading A in place, (rows, kc, A, A's row stride, packed B panel, C tile, C row stride, alpha, beta)
    /// with A[i, p] at <c>A[i * lda + p]</c> for the first <c>rows</c> (1 to <see cref="Mr"/>) rows of the tile, which alone
    /// are read and written; bitwise the same results as <see cref="Compute"/> on those rows. Null when the kernel has none.
    /// </summary>
    public delegate*<int, int, float*, nint, float*, float*, nint, float, float, void> ComputeRowA { get; init; }

    /// <summary>Whether the kernel has a <see cref="ComputeRowA"/> form.</summary>
    public bool HasRowA => ComputeRowA != null;

    /// <summary>Rows of A packed at once into the block all threads share (meant for L3).</summary>
    public int Mc { get; init; }

    /// <summary>Depth of one packed block; an A micro-panel (Mr x Kc) is meant to stay in L1.</summary>
    public int Kc { get; init; }

    /// <summary>Columns of B one thread packs at once; its B block (Kc x Nc) is meant to stay in L2.</summary>
    public int Nc { get; init; }

    /// <summary>
    /// The same tile with fewer columns (same <see cref="Mr"/>, same A panels), for the last B panel of a
    /// product whose width is not a multiple of <see cref="Nr"/>: less work is wasted on zero padding.
    /// </summary>
    public GemmMicroKernel? Narrow { get; }

    /// <summary>The narrowest kernel in the <see cref="Narrow"/> chain that still covers <paramref name="columns"/>.</summary>
    public GemmMicroKernel NarrowestCovering(int columns)
    {
        GemmMicroKernel kernel = this;
        while (kernel.Narrow is { } narrower && narrower.Nr >= columns)
            kernel = narrower;
        return kernel;
    }

    /// <summary>The same kernel with other cache blocks, for tuning.</summary>
    public GemmMicroKernel WithBlocking(int mc, int kc, int nc) => new(Name, Mr, Nr, Compute, mc, kc, nc, Narrow) { ComputeRowA = ComputeRowA };

    public override string ToString() => $"{Name} (MC={Mc}, KC={Kc}, NC={Nc})";
}
