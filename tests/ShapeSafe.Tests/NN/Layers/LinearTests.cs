using ShapeSafe.NN;
using static ShapeSafe.Tests.NN.FiniteDifferences;

namespace ShapeSafe.Tests.NN.Layers;

/// <summary>nn.Linear and F.linear: PyTorch's init draws, the fused forward on strided inputs, gradients.</summary>
public class LinearTests
{
    [Fact]
    public void Prints_like_pytorch_and_names_its_parameters()
    {
        var layer = new Linear(10, 20, generator: new Generator(1));

        Assert.Equal("Linear(in_features=10, out_features=20, bias=True)", layer.ToString());
        Assert.Equal("Linear(in_features=3, out_features=1, bias=False)", new Linear(3, 1, bias: false, generator: new Generator(1)).ToString());
        Assert.Equal(new[] { "weight", "bias" }, layer.StateDict().Keys);
        Assert.Equal(new[] { 20, 10 }, layer.Weight.Shape);
        Assert.Equal(new[] { 20 }, layer.Bias!.Shape);
        Assert.True(layer.Weight.RequiresGrad);
    }

    [Fact]
    public void Without_bias_has_only_a_weight()
    {
        var layer = new Linear(3, 2, bias: false, generator: new Generator(1));

        Assert.Null(layer.Bias);
        Assert.Equal(new[] { "weight" }, layer.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void Seed_0_gives_pytorchs_values()
    {
        // torch.manual_seed(0); nn.Linear(3, 2)
        var layer = new Linear(3, 2, generator: new Generator(0));

        Close(new[] { -0.0043225177f, 0.30971584f, -0.47518533f, -0.4248946f, -0.22236897f, 0.15482073f }, layer.Weight.ToFloatArray(), 1e-7);
        Close(new[] { -0.011439145f, 0.45777494f }, layer.Bias!.ToFloatArray(), 1e-7);
    }

    [Fact]
    public void Init_draws_weight_then_bias_from_the_uniform_stream()
    {
        var layer = new Linear(4, 3, generator: new Generator(11));

        var expectedWeight = Init.KaimingUniform(Tensor.Empty(3, 4), a: Math.Sqrt(5), generator: new Generator(11));
        var g = new Generator(11);
        Init.Uniform(Tensor.Empty(3, 4), generator: g);
        var expectedBias = Init.Uniform(Tensor.Empty(3), -0.5, 0.5, g);
        Assert.Equal(expectedWeight.ToFloatArray(), layer.Weight.ToFloatArray());
        Assert.Equal(expectedBias.ToFloatArray(), layer.Bias!.ToFloatArray());
        Assert.All(layer.Weight.ToFloatArray(), v => Assert.InRange(v, -0.5f, 0.5f));
    }

    [Fact]
    public void Forward_matches_a_double_reference_on_a_strided_input()
    {
        var layer = new Linear(3, 2, generator: new Generator(5));
        // A transposed view: [4, 3] over storage laid out as [3, 4].
        var x = Tensor.FromArray(Enumerable.Range(0, 12).Select(i => MathF.Sin(i)).ToArray(), 3, 4).Transpose(0, 1);
        Assert.False(x.IsContiguous);

        var y = layer.Forward(x);

        Assert.Equal(new[] { 4, 2 }, y.Shape);
        Close(Reference(x, layer.Weight, layer.Bias), y.ToFloatArray(), 1e-6);
    }

    [Fact]
    public void Folds_leading_dims_and_keeps_them()
    {
        var layer = new Linear(3, 5, generator: new Generator(5));
        var x = Tensor.FromArray(Enumerable.Range(0, 24).Select(i => i * 0.1f - 1).ToArray(), 2, 4, 3);

        var y = layer.Forward(x);

        Assert.Equal(new[] { 2, 4, 5 }, y.Shape);
        Close(Reference(x.Reshape(8, 3), layer.Weight, layer.Bias), y.ToFloatArray(), 1e-6);
        Assert.Equal(new[] { 5 }, layer.Forward(Tensor.Ones(3)).Shape);
    }

    [Fact]
    public void Wrong_in_features_throw_naming_linear_and_both_shapes()
    {
        var layer = new Linear(784, 128, generator: new Generator(1));

        var e = Assert.Throws<ShapeException>(() => layer.Forward(Tensor.Zeros(64, 100)));

        Assert.Equal("Linear", e.Operation);
        Assert.Contains("[64, 100]", e.Message);
        Assert.Contains("[128, 784]", e.Message);
        Assert.Contains("in_features=784", e.Message);
    }

    [Fact]
    public void Records_addmm_and_mm()
    {
        var x = Leaf(1, -1, 1, 4, 3);
        var layer = new Linear(3, 2, generator: new Generator(2));

        Assert.Equal("AddmmBackward", layer.Forward(x).GradFn);
        Assert.Equal("MmBackward", F.Linear(x, layer.Weight).GradFn);
        using (global::ShapeSafe.Autograd.NoGrad()) Assert.Null(layer.Forward(x).GradFn);
    }

    [Fact]
    public void Gradients_match_finite_differences()
    {
        var x = Leaf(1, -1, 1, 4, 3);
        var w = Leaf(2, -1, 1, 2, 3);
        var b = Leaf(3, -1, 1, 2);

        Check(t => F.Linear(t[0], t[1], t[2]), new[] { x, w, b });
        Check(t => F.Linear(t[0], t[1]), new[] { x, w });
    }

    [Fact]
    public void Gradients_are_exact_products_of_the_upstream_gradient()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        x.RequiresGrad = true;
        var w = Tensor.FromArray(new float[] { 1, 0, -1, 2, 1, 0 }, 2, 3);
        w.RequiresGrad = true;
        var b = Tensor.FromArray(new float[] { 0.5f, -0.5f });
        b.RequiresGrad = true;

        F.Linear(x, w, b).Backward(Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2));

        // dx = g·w, dw = gᵀ·x, db = Σ g
        Assert.Equal(new float[] { 5, 2, -1, 11, 4, -3 }, x.Grad!.ToFloatArray());
        Assert.Equal(new float[] { 13, 17, 21, 18, 24, 30 }, w.Grad!.ToFloatArray());
        Assert.Equal(new float[] { 4, 6 }, b.Grad!.ToFloatArray());
    }

    [Fact]
    public void Gradient_flows_through_a_transposed_input()
    {
        var source = Leaf(4, -1, 1, 3, 4);
        var w = Leaf(5, -1, 1, 2, 3);

        Check(t => F.Linear(t[0].Transpose(0, 1), t[1]), new[] { source, w });
    }

    static float[] Reference(Tensor x, Tensor w, Tensor? b)
    {
        var xs = x.ToFloatArray();
        var ws = w.ToFloatArray();
        var bs = b?.ToFloatArray();
        int m = x.Shape[0], k = x.Shape[1], n = w.Shape[0];
        var y = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = bs?[j] ?? 0;
                for (int p = 0; p < k; p++) s += (double)xs[i * k + p] * ws[j * k + p];
                y[i * n + j] = (float)s;
            }
        return y;
    }
}
