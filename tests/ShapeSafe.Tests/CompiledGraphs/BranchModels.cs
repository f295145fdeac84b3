using ShapeSafe.NN;

namespace ShapeSafe.Tests.CompiledGraphs;

public static partial class CompiledModels
{
    /// <summary>An activation a model is built with, for a switch on a constructor option.</summary>
    public enum Activation
    {
        Relu,
        Tanh,
        Gelu,
    }

    /// <summary>A branch on the training mode: dropout and a ReLU in training, a scaled tanh in eval mode.</summary>
    [Module]
    public sealed partial class ModeSwitched : Module
    {
        readonly Linear _fc1 = new(10, 16, generator: new Generator(50));
        readonly Dropout _drop = new(0.4, new Generator(51));
        readonly Linear _fc2 = new(16, 4, generator: new Generator(52));

        public Tensor Forward(Tensor x)
        {
            var h = _fc1.Forward(x);
            if (Training)
                h = _drop.Forward(h).Relu();
            else
                h = h.Tanh() * 0.5;
            return _fc2.Forward(h);
        }
    }

    /// <summary>Branches on constructor options: a switch statement on an enum, and <c>?:</c> on a bool.</summary>
    [Module]
    public sealed partial class Activated : Module
    {
        readonly Linear _fc = new(10, 12, generator: new Generator(53));
        readonly Linear _head = new(12, 5, generator: new Generator(54));
        readonly Activation _activation;
        readonly bool _scaled;
        readonly double _scale = 0.75;

        public Activated(Activation activation, bool scaled)
        {
            _activation = activation;
            _scaled = scaled;
        }

        public Tensor Forward(Tensor x)
        {
            var h = _fc.Forward(x);
            switch (_activation)
            {
                case Activation.Relu:
                    h = h.Relu();
                    break;
                case Activation.Tanh:
                    h = h.Tanh();
                    break;
                default:
                    h = F.Gelu(h);
                    break;
            }
            return _scaled ? _head.Forward(h) * _scale : _head.Forward(h);
        }
    }

    /// <summary>A residual block whose shortcut is projected only when the widths differ (ResNet's downsample), with dropout in training.</summary>
    [Module]
    public sealed partial class BasicBlock : Module
    {
        readonly Linear _fc1;
        readonly Linear _fc2;
        readonly Dropout _drop;
        readonly Linear? _downsample;

        public BasicBlock(int inFeatures, int outFeatures, int seed)
        {
            _fc1 = new Linear(inFeatures, outFeatures, generator: new Generator(seed));
            _fc2 = new Linear(outFeatures, outFeatures, generator: new Generator(seed + 1));
            _drop = new Dropout(0.2, new Generator(seed + 2));
            if (inFeatures != outFeatures) _downsample = new Linear(inFeatures, outFeatures, generator: new Generator(seed + 3));
        }

        public Tensor Forward(Tensor x)
        {
            var h = F.Relu(_fc1.Forward(x));
            if (Training) h = _drop.Forward(h);
            h = _fc2.Forward(h);
            var identity = x;
            if (_downsample != null) identity = _downsample.Forward(x);
            return F.Relu(h + identity);
        }
    }

    /// <summary>Two blocks, one with a projected shortcut: their branches are inlined into the parent's graphs.</summary>
    [Module]
    public sealed partial class Blocks : Module
    {
        readonly BasicBlock _block1 = new(12, 12, 60);
        readonly BasicBlock _block2 = new(12, 8, 70);
        readonly Linear _head = new(8, 3, generator: new Generator(80));

        public Tensor Forward(Tensor x) => _head.Forward(_block2.Forward(_block1.Forward(x)));
    }
}

/// <summary>Generic <c>[Module]</c> classes, which get a compiled graph generic with them.</summary>
public static partial class CompiledModels
{
    /// <summary>A classifier generic over its labels: one output per member of <typeparamref name="TLabel"/>.</summary>
    [Module]
    public sealed partial class Classifier<TLabel> : Module where TLabel : struct, Enum
    {
        readonly Linear _fc1 = new(10, 16, generator: new Generator(81));
        readonly Linear _fc2 = new(16, Enum.GetValues<TLabel>().Length, generator: new Generator(82));

        public Tensor Forward(Tensor x) => _fc2.Forward(Training ? F.Relu(_fc1.Forward(x)) : _fc1.Forward(x).Tanh());
    }

    /// <summary>A stem and a constructed generic child, inlined into one graph.</summary>
    [Module]
    public sealed partial class ActivationClassifier : Module
    {
        readonly Linear _stem = new(10, 10, generator: new Generator(83));
        readonly Classifier<Activation> _head = new();

        public Tensor Forward(Tensor x) => _head.Forward(_stem.Forward(x).Sigmoid());
    }
}
