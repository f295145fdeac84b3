// Residual blocks with batch norm: the shortcut must match the block's channels.
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus;

public sealed class BasicBlock : Module
{
    readonly Conv2d _conv1;
    readonly BatchNorm2d _bn1;
    readonly Conv2d _conv2;
    readonly BatchNorm2d _bn2;

    public BasicBlock([Dim("C")] int channels)
    {
        _conv1 = new Conv2d(channels, channels, 3, padding: 1);
        _bn1 = new BatchNorm2d(channels);
        _conv2 = new Conv2d(channels, channels, 3, padding: 1);
        _bn2 = new BatchNorm2d(channels);
    }

    [return: Shape("N, C, H, W")]
    public Tensor Forward([Shape("N, C, H, W")] Tensor x)
    {
        var h = _bn1.Forward(_conv1.Forward(x)).Relu();
        return (_bn2.Forward(_conv2.Forward(h)) + x).Relu();
    }
}

public sealed class SmallResNet : Module
{
    readonly Conv2d _stem = new Conv2d(3, 16, 3, padding: 1);
    readonly BatchNorm2d _bn = new BatchNorm2d(16);
    readonly BasicBlock _block1 = new BasicBlock(16);
    readonly Conv2d _widen = new Conv2d(16, 32, 3, stride: 2, padding: 1);
    readonly BatchNorm2d _bnWide = new BatchNorm2d(16);
    readonly BasicBlock _block2 = new BasicBlock(32);
    readonly Linear _fc = new Linear(32, 10);

    [return: Shape("N, 10")]
    public Tensor Forward([Shape("N, 3, 32, 32")] Tensor x)
    {
        var h = _block1.Forward(_bn.Forward(_stem.Forward(x)).Relu());
        var wide = _widen.Forward(h);
        var normed = _bnWide.Forward(wide); // BUG: SS0008
        h = _block2.Forward(wide);
        return _fc.Forward(h.Mean(new[] { 2, 3 }));
    }

    public Tensor BadShortcut([Shape("N, 3, 32, 32")] Tensor x)
    {
        var h = _block1.Forward(_stem.Forward(x));
        var wide = _widen.Forward(h);
        return wide + h; // BUG: SS0005
    }

    public Tensor Concat([Shape("N, 3, 32, 32")] Tensor x)
    {
        var h = _stem.Forward(x);
        var both = Tensor.Cat(new[] { h, x }, 1);
        var wrong = Tensor.Cat(new[] { h, x }, 0); // BUG: SS0003
        return _block2.Forward(h); // BUG: SS0008
    }
}
