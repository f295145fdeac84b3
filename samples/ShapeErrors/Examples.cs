using ShapeSafe;
using ShapeSafe.NN;

namespace ShapeErrors;

/// <summary>One method per diagnostic. Each compiles with a warning and throws a ShapeException when run.</summary>
public static class Examples
{
    // SS0001: attention output [B, heads, T, d] moved to [B, T, heads, d] is no longer contiguous: View cannot merge heads and d.
    public static Tensor MergeHeads()
    {
        var context = Tensor.Randn(2, 8, 16, 8).Matmul(Tensor.Randn(8, 8));
        return context.Transpose(1, 2).View(2, 16, 64);
    }

    // SS0002: the key must be transposed before the product.
    public static Tensor Scores([Shape("B, 8, 16, 64")] Tensor q, [Shape("B, 8, 16, 64")] Tensor k) => q.Matmul(k);

    // SS0003: the features differ in width, so they join along dim 1, not 0.
    public static Tensor Join([Shape("B, 10")] Tensor a, [Shape("B, 12")] Tensor b) => Tensor.Cat(new[] { a, b }, 0);

    // SS0004: 28 × 27 is not 784.
    public static Tensor Image([Shape("B, 784")] Tensor x) => x.View(x.Size(0), 28, 27);

    // SS0005: a bias of the wrong width.
    public static Tensor AddBias([Shape("B, 10")] Tensor x, [Shape("12")] Tensor bias) => x + bias;

    // SS0006: a 3-D tensor has no dim 3.
    public static Tensor Swap([Shape("B, T, D")] Tensor x) => x.Transpose(0, 3);

    // SS0007: the product is [B, 12], not the declared [B, 10].
    [return: Shape("B, 10")]
    public static Tensor Logits([Shape("B, 784")] Tensor x, [Shape("784, 12")] Tensor w) => x.Matmul(w);

    // SS0009: '...' may only lead.
    public static Tensor Leading([Shape("B, ...")] Tensor x) => x;

    // SS0010: a 7×7 window does not fit a 5×5 image.
    public static Tensor Pool() => new Window(7).Forward(Tensor.Randn(1, 3, 5, 5));
}

/// <summary>SS0008: the second layer expects 2*H features, the first gives H.</summary>
[Module]
public sealed partial class Mlp : Module
{
    readonly Dense _fc1;
    readonly Relu _act = new();
    readonly Dense _fc2;

    public Mlp([Dim("H")] int hidden)
    {
        _fc1 = new Dense(784, hidden);
        _fc2 = new Dense(2 * hidden, 10);
    }

    [return: Shape("B, 10")]
    public Tensor Forward([Shape("B, 784")] Tensor x) => _fc2.Forward(_act.Forward(_fc1.Forward(new Dense(784, 784).Forward(x))));

    [return: Shape("B, 10")]
    public Tensor Fixed([Shape("B, 784")] Tensor x) => new Sequential(new Dense(784, 128), new Relu(), new Dense(128, 10)).Forward(x);

    public static Tensor Broken([Shape("B, 784")] Tensor x) => new Sequential(new Dense(784, 128), new Relu(), new Dense(256, 10)).Forward(x);
}
