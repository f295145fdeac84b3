// LeNet-style classifiers on 28x28 images, with the classic flatten-size mistake.
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus;

public sealed class LeNet : Module
{
    readonly Conv2d _conv1 = new Conv2d(1, 6, 5, padding: 2);
    readonly Conv2d _conv2 = new Conv2d(6, 16, 5);
    readonly MaxPool2d _pool = new MaxPool2d(2);
    readonly Linear _fc1 = new Linear(16 * 5 * 5, 120);
    readonly Linear _fc2 = new Linear(120, 84);
    readonly Linear _fc3 = new Linear(84, 10);

    [return: Shape("N, 10")]
    public Tensor Forward([Shape("N, 1, 28, 28")] Tensor x)
    {
        var h = _pool.Forward(_conv1.Forward(x).Relu());
        h = _pool.Forward(_conv2.Forward(h).Relu());
        h = h.Flatten(1);
        return _fc3.Forward(_fc2.Forward(_fc1.Forward(h).Relu()).Relu());
    }

    public Tensor Color([Shape("N, 3, 28, 28")] Tensor x) => _conv1.Forward(x); // BUG: SS0008

    public Tensor Thumbnail()
    {
        var tiny = Tensor.Randn(4, 1, 8, 8);
        var h = _pool.Forward(_conv1.Forward(tiny).Relu());
        h = _pool.Forward(_conv2.Forward(h).Relu()); // BUG: SS0010
        return h;
    }
}

public sealed class FashionCnn : Module
{
    readonly Conv2d _conv1 = new Conv2d(1, 32, 3, padding: 1);
    readonly Conv2d _conv2 = new Conv2d(32, 64, 3, padding: 1);
    readonly MaxPool2d _pool = new MaxPool2d(2);
    readonly Linear _fc = new Linear(64 * 14 * 14, 10);

    public Tensor Forward([Shape("N, 1, 28, 28")] Tensor x)
    {
        var h = _pool.Forward(_conv1.Forward(x).Relu());
        h = _pool.Forward(_conv2.Forward(h).Relu());
        return _fc.Forward(h.Flatten(1)); // BUG: SS0008
    }

    public Tensor Functional([Shape("N, 1, 28, 28")] Tensor x, [Shape("32, 1, 3, 3")] Tensor w, [Shape("32, 3, 3, 3")] Tensor rgb)
    {
        var a = F.Conv2d(x, w, padding: 1);
        var b = F.Conv2d(x, rgb); // BUG: SS0008
        return F.MaxPool2d(a, 2);
    }
}
