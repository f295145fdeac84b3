using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using ShapeSafe.Kernels.Loss;
using ShapeSafe.Kernels.Reduction;

namespace ShapeSafe.MicroBenchmarks;

/// <summary>
/// Row-wise softmax, log-softmax and the fused cross entropy on a classifier's logits: [64, 10] (the
/// benchmark models' batch) and [256, 1000] (an ImageNet-sized head). The questions are what the fused
/// cross entropy costs beside a bare log-softmax, and what the kernels allocate per call (the cross
/// entropy's row bodies are objects and its scratch comes from the array pool). The baseline is one
/// vectorized exp over the logits, the pass none of them can avoid: a ratio near 1 leaves little to gain.
/// </summary>
[MemoryDiagnoser]
public class SoftmaxBenchmarks
{
    // PyTorch's default ignore_index: no target in the data equals it.
    private const long IgnoreIndex = -100;

    private int _rows, _classes;
    private float[] _logits = [], _probabilities = [], _rowLoss = [], _rowMax = [], _rowLogSum = [], _gradLogits = [];
    private long[] _targets = [];

    /// <summary>Rows × classes.</summary>
    [Params("64x10", "256x1000")]
    public string Shape { get; set; } = "64x10";

    [GlobalSetup]
    public void Setup()
    {
        BenchmarkData.UseOneThread();
        var parts = Shape.Split('x');
        _rows = int.Parse(parts[0]);
        _classes = int.Parse(parts[1]);
        // Logits of a few units, as a trained classifier produces.
        _logits = BenchmarkData.Uniform(_rows * _classes, seed: 1).Select(x => 4 * x).ToArray();
        _probabilities = new float[_logits.Length];
        _gradLogits = new float[_logits.Length];
        _rowLoss = new float[_rows];
        _rowMax = new float[_rows];
        _rowLogSum = new float[_rows];
        var random = new Random(2);
        _targets = Enumerable.Range(0, _rows).Select(_ => (long)random.Next(_classes)).ToArray();
        // The backward reads the row statistics of a real forward.
        CrossEntropyForward();
    }

    /// <summary>exp of every logit, nothing else: the floor for the kernels below.</summary>
    [Benchmark(Baseline = true)]
    public void ExpOnly() => TensorPrimitives.Exp(_logits, _probabilities);

    [Benchmark]
    public void Softmax() => SoftmaxKernel.Run(_logits, 0, _rows, _classes, 1, _probabilities, log: false);

    [Benchmark]
    public void LogSoftmax() => SoftmaxKernel.Run(_logits, 0, _rows, _classes, 1, _probabilities, log: true);

    /// <summary>Per-row losses and the saved row max and log-sum-exp; returns the mean's divisor.</summary>
    [Benchmark]
    public double CrossEntropyForward() => CrossEntropyKernel.Forward(_rows, _classes, _logits, 0, _targets, 0,
        weight: null, IgnoreIndex, labelSmoothing: 0, _rowLoss, _rowMax, _rowLogSum, "CrossEntropy");

    /// <summary>The logits' gradient for a mean reduction, rebuilt from the saved row statistics.</summary>
    [Benchmark]
    public void CrossEntropyBackward() => CrossEntropyKernel.Backward(_rows, _classes, _logits, 0, _targets, 0,
        weight: null, IgnoreIndex, labelSmoothing: 0, _rowMax, _rowLogSum, scales: null, 0, scale: 1f / _rows,
        _gradLogits, 0);
}
