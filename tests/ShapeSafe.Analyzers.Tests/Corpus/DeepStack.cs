// Networks built from lists of layers: arrays iterated by foreach and ModuleLists.
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus;

public sealed class Tapered : Module
{
    readonly Linear[] _layers = { new Linear(512, 256), new Linear(256, 128), new Linear(128, 64) };
    readonly ModuleList<Linear> _heads = new ModuleList<Linear> { new Linear(64, 10), new Linear(64, 2) };

    [return: Shape("B, 64")]
    public Tensor Trunk([Shape("B, 512")] Tensor x)
    {
        foreach (var layer in _layers) x = layer.Forward(x).Relu();
        return x;
    }

    public Tensor Heads([Shape("B, 512")] Tensor x)
    {
        var features = Trunk(x);
        var digits = _heads[0].Forward(features);
        var binary = _heads[1].Forward(features);
        return Tensor.Cat(new[] { digits, binary }, 1);
    }

    public Tensor Skipped([Shape("B, 512")] Tensor x) => _heads[0].Forward(x); // BUG: SS0008

    [return: Shape("B, 10")]
    public Tensor Mislabelled([Shape("B, 512")] Tensor x)
    {
        foreach (var layer in _layers) x = layer.Forward(x);
        return x; // BUG: SS0007
    }
}

public static class Stacks
{
    public static Tensor Broken([Shape("B, 100")] Tensor x)
    {
        var layers = new[] { new Linear(100, 50), new Linear(50, 25), new Linear(20, 5) };
        foreach (var layer in layers) x = layer.Forward(x); // BUG: SS0008
        return x;
    }

    public static Tensor Chain([Shape("B, 100")] Tensor x)
    {
        var stages = new Module[] { new Linear(100, 50), new ReLU(), new Dropout(0.2), new Linear(50, 10) };
        var net = new Sequential(stages);
        var ok = net.Forward(x);
        var wrong = new Sequential(new Linear(100, 50), new Tanh(), new Linear(100, 10)).Forward(x); // BUG: SS0008
        return ok;
    }
}
