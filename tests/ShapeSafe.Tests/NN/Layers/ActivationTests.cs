using ShapeSafe.NN;

namespace ShapeSafe.Tests.NN.Layers;

/// <summary>The activation modules: printed forms, and values equal to the tensor ops (double references for the functions).</summary>
public class ActivationTests
{
    static readonly float[] Values = { -3f, -1f, -0.5f, 0f, 0.25f, 1f, 4f };

    static Tensor Input() => Tensor.FromArray(Values);

    [Fact]
    public void Print_like_pytorch()
    {
        Assert.Equal("ReLU()", new ReLU().ToString());
        Assert.Equal("Sigmoid()", new Sigmoid().ToString());
        Assert.Equal("Tanh()", new Tanh().ToString());
        Assert.Equal("LeakyReLU(negative_slope=0.01)", new LeakyReLU().ToString());
        Assert.Equal("LeakyReLU(negative_slope=0.2)", new LeakyReLU(0.2).ToString());
        Assert.Equal("GELU(approximate='none')", new GELU().ToString());
        Assert.Equal("GELU(approximate='tanh')", new GELU("tanh").ToString());
        Assert.Equal("Softmax(dim=1)", new Softmax(1).ToString());
        Assert.Equal("Softmax(dim=None)", new Softmax().ToString());
        Assert.Equal("LogSoftmax(dim=-1)", new LogSoftmax(-1).ToString());
    }

    [Fact]
    public void Compute_the_functions()
    {
        Close(Values.Select(v => Math.Max(v, 0.0)), new ReLU().Forward(Input()));
        Close(Values.Select(v => 1 / (1 + Math.Exp(-v))), new Sigmoid().Forward(Input()));
        Close(Values.Select(v => Math.Tanh(v)), new Tanh().Forward(Input()));
        Close(Values.Select(v => v > 0 ? v : 0.01 * v), new LeakyReLU().Forward(Input()));
        Close(Values.Select(v => v > 0 ? v : 0.2 * v), new LeakyReLU(0.2).Forward(Input()));
        Close(Values.Select(v => 0.5 * v * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))), new GELU("tanh").Forward(Input()));
        Assert.Equal(Input().Gelu().ToFloatArray(), new GELU().Forward(Input()).ToFloatArray());
        Assert.Throws<ArgumentException>(() => new GELU("fast"));
    }

    [Fact]
    public void Softmax_modules_use_their_dim_or_pytorchs_legacy_choice()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 7 }, 2, 3);

        Assert.Equal(x.Softmax(1).ToFloatArray(), new Softmax(1).Forward(x).ToFloatArray());
        Assert.Equal(x.Softmax(0).ToFloatArray(), new Softmax(0).Forward(x).ToFloatArray());
        Assert.Equal(x.Softmax(1).ToFloatArray(), new Softmax().Forward(x).ToFloatArray());
        Assert.Equal(x.LogSoftmax(-1).ToFloatArray(), new LogSoftmax(-1).Forward(x).ToFloatArray());
        Assert.Equal(Input().Softmax(0).ToFloatArray(), new Softmax().Forward(Input()).ToFloatArray());
    }

    [Fact]
    public void Sequential_of_layers_prints_pytorchs_tree()
    {
        var model = new Sequential(new Linear(10, 20, generator: new Generator(1)), new ReLU(), new Dropout(0.1), new Linear(20, 2, generator: new Generator(2)));

        Assert.Equal(
            "Sequential(\n" +
            "  (0): Linear(in_features=10, out_features=20, bias=True)\n" +
            "  (1): ReLU()\n" +
            "  (2): Dropout(p=0.1, inplace=False)\n" +
            "  (3): Linear(in_features=20, out_features=2, bias=True)\n" +
            ")", model.ToString());
        Assert.Equal(new[] { "0.weight", "0.bias", "3.weight", "3.bias" }, model.StateDict().Keys);
        model.Eval();
        Assert.Equal(new[] { 5, 2 }, model.Forward(Tensor.Ones(5, 10)).Shape);
    }

    static void Close(IEnumerable<double> expected, Tensor actual)
    {
        var e = expected.ToArray();
        var a = actual.ToFloatArray();
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++) Assert.Equal(e[i], a[i], 5);
    }
}
