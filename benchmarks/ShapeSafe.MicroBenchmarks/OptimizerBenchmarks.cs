using BenchmarkDotNet.Attributes;
using ShapeSafe.NN;
using ShapeSafe.Optim;

namespace ShapeSafe.MicroBenchmarks;

/// <summary>
/// One optimizer step on a 784×1024 weight (the big MLP's first layer, 803k floats). The steps are a few
/// in-place passes over the parameter, its gradient and the state, so the questions are how close a step
/// comes to the memory traffic it needs and whether a steady-state step allocates temporaries.
/// </summary>
[MemoryDiagnoser]
public class OptimizerBenchmarks
{
    private Sgd _sgd = null!;
    private Adam _adam = null!;

    [GlobalSetup]
    public void Setup()
    {
        BenchmarkData.UseOneThread();
        _sgd = new Sgd([NewParameter(seed: 1)], lr: 0.01, momentum: 0.9);
        _adam = new Adam([NewParameter(seed: 3)], lr: 1e-3);
        // The first step creates the state (momentum buffer, moment averages); measure the steps after it.
        _sgd.Step();
        _adam.Step();
    }

    /// <summary>SGD with momentum 0.9: buf = 0.9·buf + g; p -= lr·buf.</summary>
    [Benchmark]
    public void SgdMomentumStep() => _sgd.Step();

    /// <summary>Adam with PyTorch's defaults: two moment updates, the bias corrections, p.addcdiv_.</summary>
    [Benchmark]
    public void AdamStep() => _adam.Step();

    // A parameter with a fixed small gradient; steps never clear it, so every step sees the same one.
    private static Parameter NewParameter(int seed)
    {
        const int rows = 784, columns = 1024;
        var parameter = new Parameter(Tensor.FromArray(BenchmarkData.Uniform(rows * columns, seed), rows, columns));
        parameter.Grad = Tensor.FromArray(BenchmarkData.Uniform(rows * columns, seed + 1), rows, columns).Mul(1e-3f);
        return parameter;
    }
}
