using ShapeSafe.NN;

namespace ShapeSafe.Tests.CompiledGraphs;

/// <summary>Models whose compiled backward can recompute element-wise values instead of saving them (<see cref="CompileOptions.Recompute"/>).</summary>
public static partial class CompiledModels
{
    /// <summary>
    /// Two GELU layers into a head, small enough to count its bytes by hand: each GELU's output is recomputed from
    /// the linear output its backward saves anyway. <c>x</c> is [N, 4].
    /// </summary>
    [Module]
    public sealed partial class TwoGelu : Module
    {
        readonly Linear _fc1 = new(4, 8, generator: new Generator(30));
        readonly Linear _fc2 = new(8, 8, generator: new Generator(31));
        readonly Linear _fc3 = new(8, 2, generator: new Generator(32));

        public Tensor Forward(Tensor x) => _fc3.Forward(F.Gelu(_fc2.Forward(F.Gelu(_fc1.Forward(x)))));
    }

    /// <summary>
    /// Chains of element-wise ops between layers: a GELU (recomputed from the linear output), a sigmoid (saved: its
    /// input costs as much), then <c>relu(2s - 1)</c> (recomputed from the sigmoid, three ops on), and a product with
    /// the sigmoid and a sum with the GELU, recomputed from those. The cut keeps fc1's output, the sigmoid and fc3's
    /// fused output. <c>x</c> is [N, 12].
    /// </summary>
    [Module]
    public sealed partial class Chains : Module
    {
        readonly Linear _fc1 = new(12, 16, generator: new Generator(33));
        readonly Linear _fc2 = new(16, 16, generator: new Generator(34));
        readonly Linear _fc3 = new(16, 16, generator: new Generator(35));
        readonly Linear _head = new(16, 3, generator: new Generator(36));

        public Tensor Forward(Tensor x)
        {
            var g = F.Gelu(_fc1.Forward(x));
            var s = _fc2.Forward(g).Sigmoid();
            var t = (s * 2 - 1).Relu();
            var u = t * s + g;
            return _head.Forward(F.Relu(_fc3.Forward(u)));
        }
    }

    /// <summary>A pre-activation residual block, <c>x + fc2(gelu(fc1(x)))</c>: the GELU's output is recomputed from fc1's.</summary>
    [Module]
    public sealed partial class GeluResidual : Module
    {
        readonly Linear _fc1;
        readonly Linear _fc2;

        public GeluResidual(int features, Generator generator)
        {
            _fc1 = new Linear(features, 2 * features, generator: generator);
            _fc2 = new Linear(2 * features, features, generator: generator);
        }

        public Tensor Forward(Tensor x) => x + _fc2.Forward(F.Gelu(_fc1.Forward(x)));
    }

    /// <summary>Three residual blocks over a loop, between a stem and a head. <c>x</c> is [N, 10].</summary>
    [Module]
    public sealed partial class GeluResidualNet : Module
    {
        readonly Linear _stem = new(10, 16, generator: new Generator(37));
        readonly GeluResidual[] _blocks = { new GeluResidual(16, new Generator(38)), new GeluResidual(16, new Generator(39)), new GeluResidual(16, new Generator(40)) };
        readonly Linear _head = new(16, 4, generator: new Generator(41));

        public Tensor Forward(Tensor x)
        {
            x = _stem.Forward(x).Tanh();
            foreach (var block in _blocks)
                x = block.Forward(x);
            return _head.Forward(x);
        }
    }

    /// <summary>
    /// A CNN with a GELU between its convolutions, whose output the second convolution's backward reads (recomputed
    /// from the first convolution's output), then the fused convolution, ReLU and pool. <c>x</c> is [N, 1, 12, 12].
    /// </summary>
    [Module]
    public sealed partial class GeluCnn : Module
    {
        readonly Conv2d _conv1 = new(1, 6, 3, padding: 1, generator: new Generator(42));
        readonly Conv2d _conv2 = new(6, 8, 3, padding: 1, generator: new Generator(43));
        readonly MaxPool2d _pool = new(2);
        readonly Linear _fc = new(8 * 6 * 6, 5, generator: new Generator(44));

        public Tensor Forward(Tensor x)
        {
            var h = F.Gelu(_conv1.Forward(x));
            h = _pool.Forward(F.Relu(_conv2.Forward(h)));
            return _fc.Forward(h.Flatten(1, -1));
        }
    }
}
