using ShapeSafe.NN;

namespace ShapeSafe.Benchmarks;

/// <summary>
/// The train benchmark's MLP and CNN written as users write models, <c>[Module]</c> classes with their own
/// <c>Forward</c>, for the compiled column. Their layers are made in the order <see cref="BenchmarkModels"/> makes
/// them, so under one seed they hold the same weights as the <c>Sequential</c> workloads.
/// </summary>
internal static partial class CompiledModels
{
    /// <summary>784-128-10, ReLU between.</summary>
    [Module]
    public sealed partial class Mlp : Module
    {
        readonly Linear _fc1 = new(784, 128);
        readonly Linear _fc2 = new(128, 10);

        public Tensor Forward(Tensor x) => _fc2.Forward(F.Relu(_fc1.Forward(x)));
    }

    /// <summary>The trainer benchmark's 784-256-10 MLP on [N, 1, 28, 28] images, flattened first.</summary>
    [Module]
    public sealed partial class TrainerMlp : Module
    {
        readonly Flatten _flatten = new();
        readonly Linear _fc1 = new(784, 256);
        readonly Linear _fc2 = new(256, 10);

        public Tensor Forward(Tensor x) => _fc2.Forward(F.Relu(_fc1.Forward(_flatten.Forward(x))));
    }

    /// <summary>784-1024-1024-10, ReLU between.</summary>
    [Module]
    public sealed partial class MlpBig : Module
    {
        readonly Linear _fc1 = new(784, 1024);
        readonly Linear _fc2 = new(1024, 1024);
        readonly Linear _fc3 = new(1024, 10);

        public Tensor Forward(Tensor x) => _fc3.Forward(F.Relu(_fc2.Forward(F.Relu(_fc1.Forward(x)))));
    }

    /// <summary>The 2-conv CNN.</summary>
    [Module]
    public sealed partial class Cnn : Module
    {
        readonly Conv2d _conv1 = new(1, 16, 3, padding: 1);
        readonly MaxPool2d _pool = new(2);
        readonly Conv2d _conv2 = new(16, 32, 3, padding: 1);
        readonly Linear _fc = new(32 * 7 * 7, 10);

        public Tensor Forward(Tensor x)
        {
            var h = _pool.Forward(F.Relu(_conv1.Forward(x)));
            h = _pool.Forward(F.Relu(_conv2.Forward(h)));
            return _fc.Forward(h.Flatten(1, -1));
        }
    }

    /// <summary>A workload by name, compiled: the compiled module's <c>Forward</c> and the module whose parameters it trains.</summary>
    public static (Func<Tensor, Tensor> Forward, Module Model) Build(string name)
    {
        switch (name)
        {
            case "mlp":
            {
                var compiled = new Mlp().Compile();
                return (compiled.Forward, compiled.Module);
            }
            case "mlpbig":
            {
                var compiled = new MlpBig().Compile();
                return (compiled.Forward, compiled.Module);
            }
            case "cnn":
            {
                var compiled = new Cnn().Compile();
                return (compiled.Forward, compiled.Module);
            }
            default:
                throw new ArgumentException($"unknown model {name}");
        }
    }
}
