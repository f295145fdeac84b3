// Clean: an MLP sized by [Dim], written three ways. Nothing here may be reported.
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus;

public sealed class Mlp : Module
{
    readonly Linear _fc1;
    readonly Linear _fc2;
    readonly Linear _out;
    readonly Dropout _drop = new Dropout(0.1);

    public Mlp([Dim("In")] int inputs, [Dim("H")] int hidden, [Dim("C")] int classes)
    {
        _fc1 = new Linear(inputs, hidden);
        _fc2 = new Linear(hidden, hidden);
        _out = new Linear(hidden, classes);
    }

    [return: Shape("B, C")]
    public Tensor Forward([Shape("B, In")] Tensor x)
    {
        var h = _drop.Forward(_fc1.Forward(x).Relu());
        h = _fc2.Forward(h).Relu() + h;
        return _out.Forward(h);
    }

    [return: Shape("B, C")]
    public Tensor Probabilities([Shape("B, In")] Tensor x) => Forward(x).Softmax(-1);
}

public sealed class MnistMlp : Module
{
    readonly Sequential _layers = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, 128), new ReLU(), new Linear(128, 10));

    [return: Shape("B, 10")]
    public Tensor Forward([Shape("B, 1, 28, 28")] Tensor images) => _layers.Forward(images.Flatten(1));

    [return: Shape("B, 10")]
    public Tensor FromRows([Shape("B, 784")] Tensor rows)
    {
        var logits = _layers.Forward(rows);
        var centered = logits - logits.Mean(1, true);
        return centered;
    }
}
