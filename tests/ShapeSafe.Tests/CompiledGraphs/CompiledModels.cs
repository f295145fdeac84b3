using ShapeSafe.NN;

namespace ShapeSafe.Tests.CompiledGraphs;

/// <summary>
/// Models written as users write them, as <c>[Module]</c> classes with their own <c>Forward</c>, for the compiled
/// graphs' tests. Each takes the generator its weights come from, so two instances built with one seed are equal.
/// </summary>
public static partial class CompiledModels
{
    /// <summary>The 784-128-10 MLP of the benchmarks, the ReLU through <c>F</c>.</summary>
    [Module]
    public sealed partial class Mlp : Module
    {
        readonly Linear _fc1;
        readonly Linear _fc2;

        public Mlp(int hidden, Generator generator)
        {
            _fc1 = new Linear(784, hidden, generator: generator);
            _fc2 = new Linear(hidden, 10, generator: generator);
        }

        public Tensor Forward(Tensor x) => _fc2.Forward(F.Relu(_fc1.Forward(x)));
    }

    /// <summary>The Fashion-MNIST sample's 2-conv CNN, with its own <c>Forward</c> instead of a <c>Sequential</c>.</summary>
    [Module]
    public sealed partial class Cnn : Module
    {
        readonly Conv2d _conv1;
        readonly ReLU _relu1 = new();
        readonly MaxPool2d _pool1 = new(2);
        readonly Conv2d _conv2;
        readonly ReLU _relu2 = new();
        readonly MaxPool2d _pool2 = new(2);
        readonly Flatten _flatten = new();
        readonly Linear _fc;

        public Cnn(Generator generator)
        {
            _conv1 = new Conv2d(1, 16, 3, padding: 1, generator: generator);
            _conv2 = new Conv2d(16, 32, 3, padding: 1, generator: generator);
            _fc = new Linear(32 * 7 * 7, 10, generator: generator);
        }

        public Tensor Forward(Tensor x)
        {
            x = _pool1.Forward(_relu1.Forward(_conv1.Forward(x)));
            x = _pool2.Forward(_relu2.Forward(_conv2.Forward(x)));
            return _fc.Forward(_flatten.Forward(x));
        }
    }

    /// <summary>A residual block: <c>x + fc2(relu(fc1(x)))</c>, so x's gradient arrives along two paths.</summary>
    [Module]
    public sealed partial class Residual : Module
    {
        readonly Linear _fc1;
        readonly Linear _fc2;

        public Residual(int features, Generator generator)
        {
            _fc1 = new Linear(features, features, generator: generator);
            _fc2 = new Linear(features, features, generator: generator);
        }

        public Tensor Forward(Tensor x)
        {
            var h = _fc1.Forward(x).Relu();
            return x + _fc2.Forward(h);
        }
    }

    /// <summary>Two residual blocks and a head: child <c>[Module]</c> classes are inlined into one graph.</summary>
    [Module]
    public sealed partial class ResidualNet : Module
    {
        readonly Linear _stem;
        readonly Residual _block1;
        readonly Residual _block2;
        readonly Linear _head;

        public ResidualNet(Generator generator)
        {
            _stem = new Linear(20, 32, generator: generator);
            _block1 = new Residual(32, generator);
            _block2 = new Residual(32, generator);
            _head = new Linear(32, 5, generator: generator);
        }

        public Tensor Forward(Tensor x)
        {
            var h = F.Relu(_stem.Forward(x));
            h = _block2.Forward(_block1.Forward(h));
            return _head.Forward(h);
        }
    }

    /// <summary>
    /// Loops over module arrays, unrolled at build time: a <c>foreach</c> over residual blocks (inlined), and a
    /// <c>for</c> over the heads' indices, bounded by the array's length.
    /// </summary>
    [Module]
    public sealed partial class Unrolled : Module
    {
        readonly Linear _stem = new(12, 16, generator: new Generator(4));
        readonly Residual[] _blocks = { new Residual(16, new Generator(5)), new Residual(16, new Generator(6)), new Residual(16, new Generator(7)) };
        readonly Linear[] _heads = [new Linear(16, 16, generator: new Generator(8)), new Linear(16, 4, generator: new Generator(9))];

        public Tensor Forward(Tensor x)
        {
            x = F.Relu(_stem.Forward(x));
            foreach (var block in _blocks)
                x = block.Forward(x);
            for (int i = 0; i < _heads.Length; i++)
            {
                x = _heads[i].Forward(x);
                if (i == 0) x = x.Tanh();
            }
            return x;
        }
    }

    /// <summary>
    /// A pre-norm residual MLP block with a final norm: <c>final(x + fc2(gelu(fc1(norm(x)))))</c>, the norm with a
    /// weight but no bias and the final one without an affine transform, over the last two dims.
    /// </summary>
    [Module]
    public sealed partial class PreNorm : Module
    {
        readonly LayerNorm _norm = new(24, bias: false);
        readonly Linear _fc1;
        readonly Linear _fc2;
        readonly LayerNorm _final = new(new[] { 3, 24 }, eps: 1e-3, elementwiseAffine: false);

        public PreNorm(Generator generator)
        {
            _fc1 = new Linear(24, 48, generator: generator);
            _fc2 = new Linear(48, 24, generator: generator);
            // Not the ones the layer starts with, so that a wrong weight gradient shows.
            using (global::ShapeSafe.Autograd.NoGrad()) _norm.Weight!.CopyFrom(Tensor.Randn(new[] { 24 }, generator) * 0.5f + 1f);
        }

        public Tensor Forward(Tensor x)
        {
            var h = _fc2.Forward(F.Gelu(_fc1.Forward(_norm.Forward(x))));
            return _final.Forward(x + h);
        }
    }

    /// <summary>An MLP with dropout after each hidden layer, each dropout drawing from a generator of its own.</summary>
    [Module]
    public sealed partial class Dropped : Module
    {
        readonly Linear _fc1 = new(10, 32, generator: new Generator(12));
        readonly Dropout _drop1 = new(0.3, new Generator(13));
        readonly Linear _fc2 = new(32, 32, generator: new Generator(14));
        readonly Dropout _drop2 = new(0.5, new Generator(15));
        readonly Linear _head = new(32, 3, generator: new Generator(16));

        public Tensor Forward(Tensor x)
        {
            var h = _drop1.Forward(F.Relu(_fc1.Forward(x)));
            h = _drop2.Forward(_fc2.Forward(h).Tanh());
            return _head.Forward(h);
        }
    }

    /// <summary>Softmax and log-softmax as children, functions and tensor methods, over the last dim and an inner one.</summary>
    [Module]
    public sealed partial class Softmaxes : Module
    {
        readonly Linear _fc = new(6, 6, generator: new Generator(17));
        readonly Softmax _softmax = new(-1);
        readonly LogSoftmax _logSoftmax = new();

        public Tensor Forward(Tensor x)
        {
            // x is [N, 4, 6]: softmax along the 6 and along the 4, then log-softmax along the legacy dim of a 3-d input
            // (0) and along the 6. (The layer's bias varies along the softmax's dim, so its gradient is not zero.)
            var p = _softmax.Forward(_fc.Forward(x));
            var q = F.Softmax(x, 1) * p.Tanh();
            return _logSoftmax.Forward(q).LogSoftmax(2) + F.LogSoftmax(p, 2);
        }
    }

    /// <summary>One linear layer used twice: its parameters' gradients add up over both uses.</summary>
    [Module]
    public sealed partial class Shared : Module
    {
        readonly Linear _fc;

        public Shared(Generator generator) => _fc = new Linear(8, 8, generator: generator);

        public Tensor Forward(Tensor x) => _fc.Forward(_fc.Forward(x).Relu());
    }

    /// <summary>A branch on a tensor's value: a graph break, so the module runs eagerly.</summary>
    [Module]
    public sealed partial class DataDependent : Module
    {
        readonly Linear _fc;

        public DataDependent(Generator generator) => _fc = new Linear(4, 4, generator: generator);

        public Tensor Forward(Tensor x)
        {
            var y = _fc.Forward(x);
            if (y.Sum().Item() > 0) y = y.Relu();
            return y;
        }
    }

    /// <summary>A break in an expression-bodied <c>Forward</c>: nothing to split, so the whole module runs eagerly (SS2009).</summary>
    [Module]
    public sealed partial class WholeEager : Module
    {
        readonly Linear _fc;

        public WholeEager(Generator generator) => _fc = new Linear(4, 4, generator: generator);

        public Tensor Forward(Tensor x) => x.Sum().Item() > 0 ? _fc.Forward(x) : x;
    }

    /// <summary>A gated unit: tanh(fc(x)) · σ(gate(x)) through an exact GELU into a head, so x feeds two layers.</summary>
    [Module]
    public sealed partial class Gated : Module
    {
        readonly Linear _fc;
        readonly Linear _gate;
        readonly Sigmoid _sigmoid = new();
        readonly Linear _head;

        public Gated(Generator generator)
        {
            _fc = new Linear(12, 16, generator: generator);
            _gate = new Linear(12, 16, generator: generator);
            _head = new Linear(16, 3, generator: generator);
        }

        public Tensor Forward(Tensor x)
        {
            var a = _fc.Forward(x).Tanh();
            var g = _sigmoid.Forward(_gate.Forward(x));
            return _head.Forward(F.Gelu(a * g));
        }
    }

    /// <summary>
    /// Arithmetic that broadcasts both ways, and with scalars: literals, a const, and readonly fields bound with the
    /// graph. <c>x</c> is [N, 4, 6] and <c>bias</c> [6]; the gate is [N, 4, 1], so a quotient of the two broadcasts
    /// each operand, and every gradient is summed back to its operand's shape.
    /// </summary>
    [Module]
    public sealed partial class Broadcasting : Module
    {
        const double Half = 0.5;
        readonly Linear _fc = new(6, 6, generator: new Generator(18));
        readonly Linear _gate = new(6, 1, generator: new Generator(19));
        readonly double _scale;
        readonly float _shift = -1.25f;

        public Broadcasting(double scale) => _scale = scale;

        public Tensor Forward(Tensor x, Tensor bias)
        {
            var h = _fc.Forward(x) + bias;
            var g = _gate.Forward(x).Sigmoid();
            var y = h * g - bias / (g + 2);
            y = -y.Div(g.Add(1.5)) * _scale + _shift;
            var z = Tensor.Sub(y.Mul(bias), h.Sub(0.25f)) / 3;
            return (1 - z) + Half * y.Tanh() - 2 / (g + 3);
        }
    }

    /// <summary>
    /// Views and layout: <c>View</c> and <c>Reshape</c> with constant sizes, -1 and an input's sizes, transposes and
    /// permutes (of a buffer and of the input) read by arithmetic, <c>Contiguous</c>, <c>Squeeze</c> and
    /// <c>Unsqueeze</c>, and a transposed output. <c>x</c> is [N, 4, 6] with N &gt; 1.
    /// </summary>
    [Module]
    public sealed partial class Views : Module
    {
        readonly Linear _fc = new(6, 12, generator: new Generator(20));
        readonly Linear _head = new(16, 8, generator: new Generator(21));

        public Tensor Forward(Tensor x)
        {
            var h = _fc.Forward(x).View(x.Size(0), 4, 3, -1);
            var t = h.Transpose(1, 2) + h.Permute(0, 2, 3, 1);
            var c = t.Contiguous().Reshape(x.Shape[0], 3, 16);
            var u = x.Permute(0, 2, 1) * x.Transpose(1, 2);
            var v = u.Contiguous().Unsqueeze(1).Squeeze(1).Flatten(1, 2).View(-1, 3, 8);
            return (_head.Forward(c) + v).Unsqueeze(2).Squeeze().Transpose(0, 1);
        }
    }

    /// <summary>
    /// Batch norms of every kind: a <c>BatchNorm2d</c> after a convolution, a <c>BatchNorm1d</c> with a cumulative
    /// average (momentum null), one without an affine transform and one without running statistics (batch
    /// statistics in eval mode too). <c>x</c> is [N, 3, 6, 6].
    /// </summary>
    [Module]
    public sealed partial class Normalized : Module
    {
        readonly Conv2d _conv = new(3, 4, 3, padding: 1, generator: new Generator(22));
        readonly BatchNorm2d _bn2 = new(4);
        readonly Linear _fc = new(4 * 6 * 6, 10, generator: new Generator(23));
        readonly BatchNorm1d _bn1 = new(10, momentum: null);
        readonly BatchNorm1d _plain = new(10, affine: false);
        readonly BatchNorm1d _untracked = new(10, eps: 1e-3, trackRunningStats: false);

        public Normalized()
        {
            // Not the ones the layers start with, so that a wrong weight or bias shows.
            using (global::ShapeSafe.Autograd.NoGrad())
            {
                _bn2.Weight!.CopyFrom(Tensor.Randn(new[] { 4 }, new Generator(24)) * 0.5f + 1f);
                _bn2.Bias!.CopyFrom(Tensor.Randn(new[] { 4 }, new Generator(25)));
                _untracked.Weight!.CopyFrom(Tensor.Randn(new[] { 10 }, new Generator(26)) * 0.5f + 1f);
            }
        }

        public Tensor Forward(Tensor x)
        {
            var h = F.Relu(_bn2.Forward(_conv.Forward(x)));
            var z = _bn1.Forward(_fc.Forward(h.Flatten(1, -1)));
            return _untracked.Forward(_plain.Forward(z).Tanh());
        }
    }

    /// <summary>
    /// An embedding with a padding index, read twice (its weight's gradients add up over both uses), into a head.
    /// <c>ids</c> is an Int64 [N, 7].
    /// </summary>
    [Module]
    public sealed partial class Embedded : Module
    {
        readonly Embedding _tokens = new(20, 8, paddingIdx: 0, generator: new Generator(27));
        readonly Linear _fc = new(8, 5, generator: new Generator(28));

        public Tensor Forward(Tensor ids)
        {
            var e = _tokens.Forward(ids);
            return _fc.Forward(e.Tanh() + _tokens.Forward(ids) * e.Sigmoid());
        }
    }
}
