using ShapeSafe.NN;

namespace ShapeSafe.Benchmarks;

/// <summary>
/// The training workloads the benchmarks share with torchref's "train": the models and their batch sizes. Linked
/// into each benchmark project that trains them, so every table measures the same networks.
/// </summary>
internal static class BenchmarkModels
{
    /// <summary>A multilayer perceptron with ReLU between the layers: <c>Mlp(784, 128, 10)</c>.</summary>
    public static Sequential Mlp(params int[] sizes)
    {
        var layers = new List<Module>();
        for (int i = 0; i + 1 < sizes.Length; i++)
        {
            layers.Add(new Linear(sizes[i], sizes[i + 1]));
            if (i + 2 < sizes.Length) layers.Add(new ReLU());
        }
        return new Sequential(layers.ToArray());
    }

    /// <summary>A workload by name (<c>mlp</c>, <c>mlpbig</c>, <c>cnn</c>): its model, batch size and one sample's shape.</summary>
    public static (Sequential Model, int Batch, int[] Sample) Build(string name) => name switch
    {
        "mlp" => (Mlp(784, 128, 10), 64, new[] { 784 }),
        "mlpbig" => (Mlp(784, 1024, 1024, 10), 256, new[] { 784 }),
        "cnn" => (new Sequential(
            new Conv2d(1, 16, 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Conv2d(16, 32, 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(32 * 7 * 7, 10)), 64, new[] { 1, 28, 28 }),
        _ => throw new ArgumentException($"unknown model {name}"),
    };
}
