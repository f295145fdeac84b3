using BenchmarkDotNet.Attributes;
using ShapeSafe.Kernels.Convolution;

namespace ShapeSafe.MicroBenchmarks;

/// <summary>
/// The pieces of the benchmark CNN's second convolution (16→32 channels, 3×3, padding 1, on 14×14) for
/// one image: im2col, its adjoint col2im, and the whole forward and backward for scale. The questions
/// are what share of a convolution the column copies take, and whether steady-state calls allocate
/// (the scratch columns live in <see cref="ConvolutionBuffers"/>, so they should not).
/// </summary>
[MemoryDiagnoser]
public class ConvolutionBenchmarks
{
    private const int InChannels = 16, OutChannels = 32, Side = 14;

    private Conv2dGeometry _g;
    private float[] _input = [], _weight = [], _bias = [], _output = [], _columns = [];
    private float[] _gradOutput = [], _gradInput = [], _gradWeight = [], _gradBias = [];

    [GlobalSetup]
    public void Setup()
    {
        BenchmarkData.UseOneThread();
        _g = Conv2dGeometry.Create([1, InChannels, Side, Side], [OutChannels, InChannels, 3, 3], (1, 1), (1, 1), (1, 1));
        _input = BenchmarkData.Uniform(_g.InImage, seed: 1);
        _weight = BenchmarkData.Uniform(_g.WeightCount, seed: 2);
        _bias = BenchmarkData.Uniform(OutChannels, seed: 3);
        _output = new float[_g.OutImage];
        _columns = BenchmarkData.Uniform(_g.ColumnRows * _g.OutPlane, seed: 4);
        _gradOutput = BenchmarkData.Uniform(_g.OutImage, seed: 5);
        _gradInput = new float[_g.InImage];
        _gradWeight = new float[_g.WeightCount];
        _gradBias = new float[OutChannels];
    }

    /// <summary>im2col: the [144, 196] column matrix of the image.</summary>
    [Benchmark]
    public void Im2ColFill() => Im2Col.Fill(_g, _input, 0, InChannels, _columns, 0, _g.OutPlane);

    /// <summary>col2im: the column matrix added back onto a [16, 14, 14] input gradient.</summary>
    [Benchmark]
    public void Im2ColAccumulate() => Im2Col.Accumulate(_g, _columns, 0, _g.OutPlane, InChannels, _gradInput, 0);

    /// <summary>The whole forward: im2col, one [32, 144] × [144, 196] product, the bias.</summary>
    [Benchmark]
    public void Forward() => ConvolutionKernel.Forward(_g, _input, 0, _weight, 0, _bias, 0, _output, 0);

    /// <summary>The whole backward: input, weight and bias gradients.</summary>
    [Benchmark]
    public void Backward() => ConvolutionKernel.Backward(_g, _input, 0, _weight, 0, _gradOutput, 0,
        _gradInput, 0, _gradWeight, 0, _gradBias, 0);
}
