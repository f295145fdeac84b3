using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using ShapeSafe.Kernels.Convolution;
using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Kernels.Pooling;

namespace ShapeSafe.MicroBenchmarks;

/// <summary>
/// Each fast kernel against the scalar reference its tests compare it with, at one size, on one thread.
/// The question is what the fast kernel buys: the Ratio column is its time over the reference's (the
/// baseline), so 0.01 means a hundredfold speedup. The references are written to be obviously right,
/// not fast (double sums, every bound checked, the convolution through a delegate per tap), so the ratio
/// is an upper bound on what a naive loop would lose, not a comparison with another library.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ReferenceBenchmarks
{
    private const string Gemm = "sgemm 128";
    private const string Conv = "conv2d 16->32 3x3 on 14x14";
    private const string Pool = "max-pool 2x2 on [32, 14, 14]";
    private const int GemmSize = 128;

    private float[] _a = [], _b = [], _c = [];
    private Conv2dGeometry _conv;
    private float[] _convInput = [], _weight = [], _bias = [], _convOutput = [];
    private Pool2dGeometry _pool;
    private float[] _poolInput = [], _poolOutput = [];
    private long[] _indices = [];

    [GlobalSetup]
    public void Setup()
    {
        BenchmarkData.UseOneThread();
        _a = BenchmarkData.Uniform(GemmSize * GemmSize, seed: 1);
        _b = BenchmarkData.Uniform(GemmSize * GemmSize, seed: 2);
        _c = new float[GemmSize * GemmSize];

        _conv = Conv2dGeometry.Create([1, 16, 14, 14], [32, 16, 3, 3], (1, 1), (1, 1), (1, 1));
        _convInput = BenchmarkData.Uniform(_conv.InImage, seed: 3);
        _weight = BenchmarkData.Uniform(_conv.WeightCount, seed: 4);
        _bias = BenchmarkData.Uniform(_conv.OutChannels, seed: 5);
        _convOutput = new float[_conv.OutImage];

        _pool = Pool2dGeometry.Create([1, 32, 14, 14], (2, 2), (2, 2), (0, 0), (1, 1), "MaxPool2d");
        _poolInput = BenchmarkData.Uniform(_pool.Planes * _pool.InPlane, seed: 6);
        _poolOutput = new float[_pool.Planes * _pool.OutPlane];
        _indices = new long[_poolOutput.Length];
    }

    [Benchmark(Baseline = true), BenchmarkCategory(Gemm)]
    public void GemmReferenceLoop() => GemmReference.Sgemm(GemmSize, GemmSize, GemmSize, 1f,
        _a, 0, GemmSize, 1, _b, 0, GemmSize, 1, 0f, _c, 0, GemmSize, 1);

    [Benchmark, BenchmarkCategory(Gemm)]
    public void GemmKernelAuto() => GemmKernel.Sgemm(GemmSize, GemmSize, GemmSize, 1f,
        _a, 0, GemmSize, 1, _b, 0, GemmSize, 1, 0f, _c, 0, GemmSize, 1);

    [Benchmark(Baseline = true), BenchmarkCategory(Conv)]
    public double[] ConvolutionReferenceForward() => ConvolutionReference.Forward(_conv, _convInput, _weight, _bias);

    [Benchmark, BenchmarkCategory(Conv)]
    public void ConvolutionKernelForward() => ConvolutionKernel.Forward(_conv, _convInput, 0, _weight, 0, _bias, 0, _convOutput, 0);

    [Benchmark(Baseline = true), BenchmarkCategory(Pool)]
    public (float[], long[]) PoolingReferenceMaxPool() => PoolingReference.MaxPool(_pool, _poolInput);

    [Benchmark, BenchmarkCategory(Pool)]
    public void MaxPoolKernelForward() => MaxPoolKernel.Forward(_pool, _poolInput, 0, _poolOutput, 0, _indices, 0);
}
