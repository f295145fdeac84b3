// An MLP sized by [Dim] with the mistakes people make when they resize a network.
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus;

public sealed class WideMlp : Module
{
    readonly Linear _fc1;
    readonly Linear _fc2;
    readonly Linear _head;
    readonly Linear _skip;

    public WideMlp([Dim("H")] int hidden)
    {
        _fc1 = new Linear(784, hidden);
        _fc2 = new Linear(2 * hidden, hidden);
        _head = new Linear(hidden, 10);
        _skip = new Linear(784, 10);
    }

    [return: Shape("B, 10")]
    public Tensor Forward([Shape("B, 784")] Tensor x)
    {
        var h = _fc1.Forward(x).Relu();
        h = _fc2.Forward(h); // BUG: SS0008
        return _head.Forward(h);
    }

    [return: Shape("B, 10")]
    public Tensor Residual([Shape("B, 784")] Tensor x)
    {
        var h = _fc1.Forward(x).Relu();
        return _head.Forward(h) + _skip.Forward(x);
    }

    [return: Shape("B, 10")]
    public Tensor Features([Shape("B, 784")] Tensor x) => Tensor.Cat(new[] { _skip.Forward(x), _skip.Forward(x) }, 1); // BUG: SS0007

    [return: Shape("B, 10")]
    public Tensor Hidden([Shape("B, 784")] Tensor x) => _fc1.Forward(x); // BUG: SS0007 (only when H is 10)

    public Tensor WithBias([Shape("B, 784")] Tensor x, [Shape("H")] Tensor bias, [Shape("10")] Tensor classBias)
    {
        var h = _fc1.Forward(x) + bias;
        var logits = _head.Forward(h.Relu());
        var maybe = logits + h; // BUG: SS0005 (only when H is 10 or 1)
        return logits + x; // BUG: SS0005
    }

    public Tensor Scaled([Shape("B, 784")] Tensor x, [Shape("10")] Tensor classBias) => _skip.Forward(x) + classBias;
}

public sealed class TwoTower : Module
{
    readonly Sequential _user = new Sequential(new Linear(64, 128), new ReLU(), new Linear(128, 32));
    readonly Sequential _item = new Sequential(new Linear(48, 128), new ReLU(), new Linear(64, 32));

    [return: Shape("B")]
    public Tensor Score([Shape("B, 64")] Tensor user, [Shape("B, 48")] Tensor item)
    {
        var u = _user.Forward(user);
        var v = _item.Forward(item); // BUG: SS0008
        return (u * _user.Forward(user)).Sum(1);
    }

    public Tensor Swapped([Shape("B, 64")] Tensor user, [Shape("B, 48")] Tensor item) => _user.Forward(item); // BUG: SS0008
}
