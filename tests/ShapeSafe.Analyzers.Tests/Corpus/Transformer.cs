// Clean: a pre-norm transformer encoder stack held in a ModuleList. Nothing here may be reported.
using System.Linq;
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus;

public sealed class FeedForward : Module
{
    readonly Linear _up;
    readonly Linear _down;
    readonly LayerNorm _norm;

    public FeedForward([Dim("D")] int dim, [Dim("F")] int hidden)
    {
        _up = new Linear(dim, hidden);
        _down = new Linear(hidden, dim);
        _norm = new LayerNorm(dim);
    }

    [return: Shape("B, T, D")]
    public Tensor Forward([Shape("B, T, D")] Tensor x) => x + _down.Forward(_up.Forward(_norm.Forward(x)).Relu());
}

public sealed class Encoder : Module
{
    readonly Embedding _tokens;
    readonly ModuleList<FeedForward> _blocks;
    readonly LayerNorm _final;
    readonly Linear _classifier;

    public Encoder([Dim("V")] int vocabulary, [Dim("D")] int dim, int depth, [Dim("C")] int classes)
    {
        _tokens = new Embedding(vocabulary, dim);
        _blocks = new ModuleList<FeedForward>(Enumerable.Range(0, depth).Select(_ => new FeedForward(dim, 4 * dim)));
        _final = new LayerNorm(dim);
        _classifier = new Linear(dim, classes);
    }

    [return: Shape("B, C")]
    public Tensor Forward([Shape("B, T")] Tensor tokens)
    {
        var x = _tokens.Forward(tokens);
        foreach (var block in _blocks) x = block.Forward(x);
        var pooled = _final.Forward(x).Mean(1);
        return _classifier.Forward(pooled);
    }

    [return: Shape("B, T, D")]
    public Tensor Hidden([Shape("B, T")] Tensor tokens)
    {
        var x = _tokens.Forward(tokens);
        for (int i = 0; i < _blocks.Count; i++) x = _blocks[i].Forward(x);
        return x;
    }
}
