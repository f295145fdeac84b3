using BenchmarkDotNet.Attributes;

namespace ShapeSafe.MicroBenchmarks;

/// <summary>
/// Eager dispatch on a 4-element tensor, where the arithmetic is nothing and the op's fixed cost is all:
/// argument and shape checks, broadcasting, the kernel choice, the result. The question is how many
/// nanoseconds that is and whether an op allocates anything beyond its result tensor;
/// <see cref="ResultTensorOnly"/> allocates exactly a contiguous result, the floor for the Allocated column.
/// </summary>
[MemoryDiagnoser]
public class DispatchBenchmarks
{
    private Tensor _a = null!, _b = null!, _matrix = null!, _leaf = null!;
    private readonly int[] _resultSizes = [4];

    [GlobalSetup]
    public void Setup()
    {
        BenchmarkData.UseOneThread();
        _a = Tensor.FromArray(BenchmarkData.Uniform(4, seed: 1), 4);
        _b = Tensor.FromArray(BenchmarkData.Uniform(4, seed: 2), 4);
        _matrix = Tensor.FromArray(BenchmarkData.Uniform(4, seed: 3), 2, 2);
        _leaf = Tensor.FromArray(BenchmarkData.Uniform(4, seed: 4), 4);
        _leaf.RequiresGrad = true;
    }

    /// <summary>A new 4-element Float32 tensor (sizes, strides, storage, data) and nothing else.</summary>
    [Benchmark]
    public Tensor ResultTensorOnly() => Tensor.Uninitialized(DType.Float32, (int[])_resultSizes.Clone());

    /// <summary>The operator, as user code writes it (the console app's "overhead" figure).</summary>
    [Benchmark(Baseline = true)]
    public Tensor AddOperator() => _a + _b;

    /// <summary>The method form; it should cost the same as the operator.</summary>
    [Benchmark]
    public Tensor AddMethod() => _a.Add(_b);

    /// <summary>
    /// The same add with one operand requiring gradients: the extra time and bytes are the recorded graph node.
    /// </summary>
    [Benchmark]
    public Tensor AddRecordingGrad() => _leaf + _b;

    /// <summary>A view: new sizes and strides over the same storage, no data copied.</summary>
    [Benchmark]
    public Tensor Transpose() => _matrix.Transpose(0, 1);

    /// <summary>A view with a new shape, checked against the element count.</summary>
    [Benchmark]
    public Tensor View() => _a.View(2, 2);

    /// <summary>A full reduction to a 0-d tensor.</summary>
    [Benchmark]
    public Tensor Sum() => _a.Sum();
}
