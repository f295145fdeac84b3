using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using ShapeSafe.Kernels.Gemm;

namespace ShapeSafe.MicroBenchmarks;

/// <summary>
/// Square single-precision products around the small/packed crossover, each through both routes of
/// <see cref="GemmKernel"/> with the machine's best micro-kernel. The question is where packing starts to
/// pay, which is what <see cref="GemmKernel.SmallProductLimit"/> (128³) encodes: the Auto route takes the
/// unpacked loops below it and the packed ones from it on. Read the Ratio column (packed ÷ unpacked, per
/// size): above 1 the unpacked loops win. B is row-major, or transposed as a linear layer's weight is.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class GemmRouteBenchmarks
{
    private const string RowMajorB = "B row-major";
    private const string TransposedB = "B transposed";

    private float[] _a = [], _b = [], _c = [];

    /// <summary>m = n = k.</summary>
    [Params(32, 64, 96, 128, 192)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        BenchmarkData.UseOneThread();
        _a = BenchmarkData.Uniform(Size * Size, seed: 1);
        _b = BenchmarkData.Uniform(Size * Size, seed: 2);
        _c = new float[Size * Size];
    }

    [Benchmark(Baseline = true), BenchmarkCategory(RowMajorB)]
    public void Unpacked() => Multiply(GemmRoute.Unpacked, transposeB: false);

    [Benchmark, BenchmarkCategory(RowMajorB)]
    public void Packed() => Multiply(GemmRoute.Packed, transposeB: false);

    [Benchmark(Baseline = true), BenchmarkCategory(TransposedB)]
    public void UnpackedTransposedB() => Multiply(GemmRoute.Unpacked, transposeB: true);

    [Benchmark, BenchmarkCategory(TransposedB)]
    public void PackedTransposedB() => Multiply(GemmRoute.Packed, transposeB: true);

    // C = A·B with A and C row-major; B[p, j] at p·n + j, or at j·k + p when transposed (x·Wᵀ).
    private void Multiply(GemmRoute route, bool transposeB)
    {
        int n = Size;
        GemmKernel.SgemmWith(GemmKernel.MicroKernel, route, n, n, n, 1f,
            _a, 0, n, 1,
            _b, 0, transposeB ? 1 : n, transposeB ? n : 1,
            0f, _c, 0, n, 1);
    }
}
