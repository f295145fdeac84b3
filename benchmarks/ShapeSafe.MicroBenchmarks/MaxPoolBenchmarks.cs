using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using ShapeSafe.Kernels.Pooling;

namespace ShapeSafe.MicroBenchmarks;

/// <summary>
/// The benchmark CNN's second max-pool (2×2, stride 2, on [1, 32, 14, 14]) for one image. The questions
/// are whether the AVX2 gather kernel beats the scalar 2×2 loop it replaces (Ratio against
/// <see cref="ForwardScalarPlanes"/>), what Int64 indices (the public <c>MaxPool2dWithIndices</c>) cost
/// over the Int32 ones training uses, and what the backward scatter costs.
/// </summary>
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class MaxPoolBenchmarks
{
    private Pool2dGeometry _g;
    private float[] _input = [], _output = [], _gradOutput = [], _gradInput = [];
    private int[] _indices = [];
    private long[] _longIndices = [];

    [GlobalSetup]
    public void Setup()
    {
        BenchmarkData.UseOneThread();
        _g = Pool2dGeometry.Create([1, 32, 14, 14], (2, 2), (2, 2), (0, 0), (1, 1), "MaxPool2d");
        _input = BenchmarkData.Uniform(_g.Planes * _g.InPlane, seed: 1);
        _output = new float[_g.Planes * _g.OutPlane];
        _indices = new int[_output.Length];
        _longIndices = new long[_output.Length];
        _gradOutput = BenchmarkData.Uniform(_output.Length, seed: 2);
        _gradInput = new float[_input.Length];
        // The backward reads the argmax of a real forward.
        MaxPoolKernel.Forward(_g, _input, 0, _output, 0, _indices, 0);
    }

    /// <summary>The scalar 2×2 plane loop, which the kernel takes where AVX2 is missing.</summary>
    [Benchmark(Baseline = true), BenchmarkCategory("Forward")]
    public void ForwardScalarPlanes()
    {
        for (int p = 0; p < _g.Planes; p++)
        {
            MaxPoolKernel.ForwardPlaneTwoByTwo(_g, _input, p * _g.InPlane, _output, p * _g.OutPlane,
                _indices, p * _g.OutPlane);
        }
    }

    /// <summary>The kernel as training calls it: gathered 2×2 windows, Int32 indices.</summary>
    [Benchmark, BenchmarkCategory("Forward")]
    public void Forward() => MaxPoolKernel.Forward(_g, _input, 0, _output, 0, _indices, 0);

    /// <summary>The same with Int64 indices, as <c>MaxPool2dWithIndices</c> returns them.</summary>
    [Benchmark, BenchmarkCategory("Forward")]
    public void ForwardInt64Indices() => MaxPoolKernel.Forward(_g, _input, 0, _output, 0, _longIndices, 0);

    /// <summary>The input gradient: cleared, then each output's gradient added at its argmax.</summary>
    [Benchmark, BenchmarkCategory("Backward")]
    public void Backward() => MaxPoolKernel.Backward(_g, _gradOutput, 0, _indices, 0, _gradInput, 0);
}
