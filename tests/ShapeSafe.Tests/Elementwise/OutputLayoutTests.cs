using ShapeSafe;

namespace ShapeSafe.Tests.Elementwise;

/// <summary>Output strides follow PyTorch's TensorIterator: a new result takes its inputs' memory order.</summary>
public class OutputLayoutTests
{
    static Tensor Transposed() => Tensor.Arange(12.0, 0, -1).View(3, 4).Transpose(0, 1); // shape [4, 3], strides [1, 4]

    [Fact]
    public void UnaryOnATransposedTensorKeepsItsStrides()
    {
        var t = Transposed();

        var y = t.Exp();

        Assert.Equal(new[] { 1, 4 }, y.Strides);
        Assert.Equal(t.Contiguous().Exp().ToFloatArray(), y.ToFloatArray());
    }

    [Fact]
    public void ScalarOpOnATransposedTensorKeepsItsStrides()
    {
        Assert.Equal(new[] { 1, 4 }, (Transposed() + 1f).Strides);
        Assert.Equal(new[] { 1, 4 }, (2f * Transposed()).Strides);
    }

    [Fact]
    public void FirstOperandsOrderWins()
    {
        var t = Transposed();
        var c = Tensor.Ones(4, 3);

        Assert.Equal(new[] { 1, 4 }, (t + c).Strides);
        Assert.Equal(new[] { 3, 1 }, (c + t).Strides);
        Assert.Equal((t + c).ToFloatArray(), (c + t).ToFloatArray());
    }

    [Fact]
    public void BroadcastOperandsLeaveTheOrderToTheOther()
    {
        var t = Transposed();
        var row = Tensor.FromArray(new[] { 1f, 2f, 3f });

        var y = row + t;

        Assert.Equal(new[] { 1, 4 }, y.Strides);
        Assert.Equal(new[] { 4, 3 }, y.Shape);
    }

    [Fact]
    public void GappedInputsGiveADenseOutputInTheSameOrder()
    {
        var sliced = Tensor.Zeros(4, 6).Slice(1, 0, 6, 2); // [4, 3], strides [6, 2]

        Assert.Equal(new[] { 3, 1 }, sliced.Neg().Strides);
        Assert.Equal(new[] { 1, 4 }, Tensor.Zeros(6, 4).Slice(0, 0, 6, 2).Transpose(0, 1).Relu().Strides);
    }

    [Fact]
    public void ContiguousInputsGiveContiguousOutputs()
    {
        Assert.True((Tensor.Ones(2, 3) * Tensor.Ones(2, 3)).IsContiguous);
        Assert.True((Tensor.Ones(2, 1) * Tensor.Ones(1, 3)).IsContiguous);
    }
}
