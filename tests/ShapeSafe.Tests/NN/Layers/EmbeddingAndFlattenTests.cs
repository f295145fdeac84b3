using ShapeSafe.NN;
using static ShapeSafe.Tests.NN.FiniteDifferences;

namespace ShapeSafe.Tests.NN.Layers;

/// <summary>nn.Embedding and nn.Flatten.</summary>
public class EmbeddingAndFlattenTests
{
    [Fact]
    public void Embedding_prints_and_draws_like_pytorch()
    {
        // torch.manual_seed(0); nn.Embedding(5, 3)
        var embedding = new Embedding(5, 3, generator: new Generator(0));

        Assert.Equal("Embedding(5, 3)", embedding.ToString());
        Assert.Equal("Embedding(10, 4, padding_idx=9)", new Embedding(10, 4, paddingIdx: -1, generator: new Generator(1)).ToString());
        Assert.Equal(new[] { "weight" }, embedding.StateDict().Keys);
        Close(new[] { 1.5409961f, -0.2934289f, -2.1787894f, 0.56843126f, -1.0845224f, -1.3985955f }, embedding.Weight.ToFloatArray()[..6], 1e-6);
    }

    [Fact]
    public void Embedding_weight_tied_to_a_head_is_one_parameter_with_the_summed_gradient()
    {
        // wte.weight = lm_head.weight; L = Σ_j (W[1] · W[j]), so dL/dW[j] = W[1] (the head) plus, for row 1, Σ_j W[j] (the lookup).
        var head = new Linear(2, 3, bias: false, generator: new Generator(6));
        var embedding = new Embedding(3, 2) { Weight = head.Weight };
        var w = head.Weight.ToFloatArray();

        head.Forward(embedding.Forward(Tensor.FromArray(new long[] { 1 }, 1))).Sum().Backward();

        var expected = new float[6];
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 2; k++)
                expected[j * 2 + k] = w[2 + k] + (j == 1 ? w[k] + w[2 + k] + w[4 + k] : 0f);
        Close(expected, head.Weight.Grad!.ToFloatArray(), 1e-6);
        Assert.Same(head.Weight, embedding.Weight);
        Assert.Same(head.Weight, embedding.StateDict(keepVars: true)["weight"]);
    }

    [Fact]
    public void Embedding_looks_up_indices_of_any_shape()
    {
        var embedding = new Embedding(4, 2, generator: new Generator(2));
        var table = embedding.Weight.ToFloatArray();
        var index = Tensor.FromArray(new long[] { 3, 0, 3, 1, 2, 2 }, 2, 3);

        var y = embedding.Forward(index);

        Assert.Equal(new[] { 2, 3, 2 }, y.Shape);
        var expected = new long[] { 3, 0, 3, 1, 2, 2 }.SelectMany(i => new[] { table[i * 2], table[i * 2 + 1] }).ToArray();
        Assert.Equal(expected, y.ToFloatArray());
        Assert.Equal(new[] { 2 }, embedding.Forward(Tensor.Scalar(1L)).Shape);
    }

    [Fact]
    public void Embedding_out_of_range_indices_throw_naming_embedding()
    {
        var embedding = new Embedding(10, 3, generator: new Generator(2));

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => embedding.Forward(Tensor.FromArray(new long[] { 1, 10 })));
        Assert.Contains("Embedding: index 10 is out of range in self: expected an index in [0, 10) (10 embeddings", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => embedding.Forward(Tensor.FromArray(new long[] { -1 })));
        Assert.Throws<ArgumentException>(() => embedding.Forward(Tensor.Ones(2)));
    }

    [Fact]
    public void Embedding_gradient_scatter_adds_rows_and_skips_padding()
    {
        var embedding = new Embedding(4, 2, paddingIdx: 0, generator: new Generator(2));
        Assert.Equal(new float[] { 0, 0 }, embedding.Weight.ToFloatArray()[..2]);
        var index = Tensor.FromArray(new long[] { 3, 0, 3, 1 });

        var y = embedding.Forward(index);
        y.Backward(Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, 4, 2));

        Assert.Equal("EmbeddingBackward", y.GradFn);
        Assert.Equal(new float[] { 0, 0, 7, 8, 0, 0, 6, 8 }, embedding.Weight.Grad!.ToFloatArray());
    }

    [Fact]
    public void Embedding_gradient_matches_finite_differences()
    {
        var weight = Leaf(3, -1, 1, 5, 3);
        var index = Tensor.FromArray(new long[] { 4, 1, 1, 0, 4, 4 }, 3, 2);

        Check(t => F.Embedding(index, t[0]), new[] { weight });
    }

    [Fact]
    public void Flatten_keeps_the_batch_dim_by_default()
    {
        var flatten = new Flatten();
        var x = Tensor.Zeros(2, 3, 4, 5);

        Assert.Equal("Flatten(start_dim=1, end_dim=-1)", flatten.ToString());
        Assert.Equal(new[] { 2, 60 }, flatten.Forward(x).Shape);
        Assert.True(flatten.Forward(x).SharesStorage(x));
        Assert.Equal(new[] { 2, 12, 5 }, new Flatten(1, 2).Forward(x).Shape);
        Assert.Equal(new[] { 120 }, F.Flatten(x).Shape);
    }
}
