using ShapeSafe.NN;

namespace ShapeSafe.Samples.FashionMnist;

/// <summary>The two models of the sample, built from the engine's layers.</summary>
internal static class Models
{
    public static Sequential Create(string name) => name switch
    {
        // 784-256-10 with ReLU.
        "mlp" => new Sequential(
            new Flatten(),
            new Linear(28 * 28, 256),
            new ReLU(),
            new Linear(256, 10)),

        // The "2 Conv+pooling" row of Fashion-MNIST's benchmark table.
        "cnn" => new Sequential(
            new Conv2d(1, 16, 3, padding: 1),
            new ReLU(),
            new MaxPool2d(2),
            new Conv2d(16, 32, 3, padding: 1),
            new ReLU(),
            new MaxPool2d(2),
            new Flatten(),
            new Linear(32 * 7 * 7, 10)),

        _ => throw new ArgumentException($"unknown model {name}"),
    };
}
