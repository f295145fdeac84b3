// Multi-head self-attention over [B, T, D] with H heads of D/H, and the usual slips.
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus;

public sealed class SelfAttention : Module
{
    readonly Linear _q;
    readonly Linear _k;
    readonly Linear _v;
    readonly Linear _proj;
    readonly int _heads;

    public SelfAttention([Dim("D")] int dim, int heads)
    {
        _heads = heads;
        _q = new Linear(dim, dim);
        _k = new Linear(dim, dim);
        _v = new Linear(dim, dim);
        _proj = new Linear(dim, dim);
    }

    [return: Shape("B, T, D")]
    public Tensor Forward([Shape("B, T, D")] Tensor x)
    {
        int b = x.Size(0), t = x.Size(1), d = x.Size(2), hd = d / _heads;
        var q = _q.Forward(x).View(b, t, _heads, hd).Transpose(1, 2);
        var k = _k.Forward(x).View(b, t, _heads, hd).Transpose(1, 2);
        var v = _v.Forward(x).View(b, t, _heads, hd).Transpose(1, 2);
        var scores = q.Matmul(k.Transpose(-2, -1)) / (float)System.Math.Sqrt(hd);
        var context = scores.Softmax(-1).Matmul(v);
        return _proj.Forward(context.Transpose(1, 2).Reshape(b, t, d));
    }

    public Tensor Scores([Shape("B, T, D")] Tensor x)
    {
        var q = _q.Forward(x);
        var k = _k.Forward(x);
        return q.Matmul(k); // BUG: SS0002
    }

    public Tensor Normalize([Shape("B, T, D")] Tensor x) => x.Softmax(3); // BUG: SS0006
}

/// <summary>Fixed-size attention (8 heads of 8 over 16 tokens), where the merge after the transpose is decidable.</summary>
public static class FixedAttention
{
    public static Tensor Merge([Shape("B, 16, 64")] Tensor q, [Shape("B, 16, 64")] Tensor k)
    {
        var heads = Tensor.Randn(2, 16, 64).View(2, 16, 8, 8).Transpose(1, 2);
        var scores = heads.Matmul(heads.Transpose(-2, -1)).Softmax(-1);
        var context = scores.Matmul(heads);
        var merged = context.Transpose(1, 2).View(2, 16, 64); // BUG: SS0001
        var copied = context.Transpose(1, 2).Contiguous().View(2, 16, 64);
        var reshaped = context.Transpose(1, 2).Reshape(2, 16, 64);
        var split = context.View(2, 8, 16, 2, 4);
        return copied + reshaped;
    }

    public static Tensor Heads([Shape("B, 16, 64")] Tensor x)
    {
        var y = x.View(x.Size(0), 16, 8, 8);
        return x.View(x.Size(0), 16, 8, 7); // BUG: SS0004
    }

    public static Tensor Pool([Shape("B, T, 64")] Tensor x, [Shape("64, 10")] Tensor w)
    {
        var pooled = x.Mean(1);
        return pooled.Matmul(w).Matmul(w); // BUG: SS0002
    }
}
