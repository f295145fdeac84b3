using ShapeSafe.NN;
using static ShapeSafe.Tests.NN.FiniteDifferences;

namespace ShapeSafe.Tests.NN.Layers;

/// <summary>nn.Dropout: identity in eval, LibTorch's mask and scaling in training, the p = 0 and p = 1 edges.</summary>
public class DropoutTests
{
    [Fact]
    public void Prints_like_pytorch()
    {
        Assert.Equal("Dropout(p=0.5, inplace=False)", new Dropout().ToString());
        Assert.Equal("Dropout(p=0.2, inplace=False)", new Dropout(0.2).ToString());
        Assert.Empty(new Dropout().StateDict());
    }

    [Fact]
    public void Eval_returns_the_input_itself()
    {
        var dropout = new Dropout(0.5, new Generator(1));
        dropout.Eval();
        var x = Tensor.Ones(10);

        Assert.Same(x, dropout.Forward(x));
    }

    [Fact]
    public void Seeded_masks_are_libtorchs()
    {
        // torch.manual_seed(0); F.dropout(torch.ones(40), p)
        Assert.Equal("0010001101111011110010101000010011100101", Mask(F.Dropout(Tensor.Ones(40), 0.5, generator: new Generator(0))));
        Assert.Equal("0110111111111111111111111111110111101111", Mask(F.Dropout(Tensor.Ones(40), 0.2, generator: new Generator(0))));
    }

    [Fact]
    public void Kept_elements_are_scaled_by_one_over_one_minus_p()
    {
        var x = Tensor.FromArray(Enumerable.Range(1, 1000).Select(i => (float)i).ToArray());

        var y = F.Dropout(x, 0.2, generator: new Generator(3)).ToFloatArray();

        var kept = y.Select((v, i) => (v, i)).Where(e => e.v != 0).ToArray();
        Assert.All(kept, e => Assert.Equal((e.i + 1) * (1f / 0.8f), e.v));
        Assert.InRange(kept.Length, 740, 860);
    }

    [Fact]
    public void P_zero_returns_the_input_and_p_one_gives_zeros()
    {
        var x = Leaf(1, -1, 1, 3, 4);

        Assert.Same(x, F.Dropout(x, 0.0, generator: new Generator(1)));
        var zeros = F.Dropout(x, 1.0, generator: new Generator(1));
        Assert.All(zeros.ToFloatArray(), v => Assert.Equal(0f, v));
        Assert.Equal("MulBackward", zeros.GradFn);
    }

    [Fact]
    public void Probability_outside_zero_one_throws()
    {
        Assert.Contains("between 0 and 1, but got 1.5", Assert.Throws<ArgumentOutOfRangeException>(() => new Dropout(1.5)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => F.Dropout(Tensor.Ones(2), -0.1));
    }

    [Fact]
    public void Gradient_is_the_mask_times_the_scale()
    {
        var x = Leaf(2, -1, 1, 50);

        var y = F.Dropout(x, 0.3, generator: new Generator(5));
        y.Backward(Tensor.Ones(50));

        Assert.Equal("MulBackward", y.GradFn);
        var kept = y.ToFloatArray().Select(v => v != 0).ToArray();
        var grad = x.Grad!.ToFloatArray();
        for (int i = 0; i < 50; i++) Assert.Equal(kept[i] ? 1f / 0.7f : 0f, grad[i]);
    }

    static string Mask(Tensor t) => string.Concat(t.ToFloatArray().Select(v => v == 0 ? '0' : '1'));
}
