using ShapeSafe.NN;
using ShapeSafe.Tests.TestSupport;
using static ShapeSafe.Tests.NN.Sequence.SequenceReference;

namespace ShapeSafe.Tests.NN.Sequence;

/// <summary>nn.MultiheadAttention: PyTorch's parameters and init, printing, values and weights against a double reference, masks, layouts, gradients.</summary>
public class MultiheadAttentionTests
{
    static Tensor Sequence(int salt, params int[] shape) => Tensor.FromArray(Pattern(shape.Aggregate(1, (a, b) => a * b), salt), shape);

    [Fact]
    public void Has_pytorchs_parameters_and_init()
    {
        var mha = new MultiheadAttention(4, 2, generator: new Generator(0));

        Assert.Equal(new[] { "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias" }, mha.StateDict().Keys);
        Assert.Equal(new[] { 12, 4 }, mha.InProjWeight.Shape);
        Assert.Equal(new[] { 12 }, mha.InProjBias!.Shape);
        Assert.All(mha.InProjBias.ToFloatArray(), v => Assert.Equal(0f, v));
        Assert.All(mha.OutProj.Bias!.ToFloatArray(), v => Assert.Equal(0f, v));
        double xavier = Math.Sqrt(6.0 / (4 + 12));
        Assert.All(mha.InProjWeight.ToFloatArray(), v => Assert.InRange(v, -xavier, xavier));
        Assert.Equal(2, mha.HeadDim);
        Assert.Equal(new[] { "in_proj_weight", "out_proj.weight" }, new MultiheadAttention(4, 2, bias: false).StateDict().Keys);
    }

    [Fact]
    public void Draws_out_proj_before_in_proj_weight_as_pytorch_does()
    {
        var mha = new MultiheadAttention(4, 2, generator: new Generator(3));

        var generator = new Generator(3);
        var outProj = new Linear(4, 4, generator: generator);
        var inProj = Init.XavierUniform(Tensor.Empty(12, 4), generator: generator);
        Assert.Equal(outProj.Weight.ToFloatArray(), mha.OutProj.Weight.ToFloatArray());
        Assert.Equal(inProj.ToFloatArray(), mha.InProjWeight.ToFloatArray());
    }

    [Fact]
    public void Prints_like_pytorch()
    {
        Assert.Equal(
            "MultiheadAttention(\n" +
            "  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)\n" +
            ")", new MultiheadAttention(8, 2).ToString());
    }

    [Fact]
    public void Embed_dim_must_divide_into_heads()
    {
        var e = Assert.Throws<ShapeException>(() => new MultiheadAttention(5, 2));
        Assert.Contains("MultiheadAttention", e.Message);
        Assert.Contains("divisible", e.Message);
    }

    [Fact]
    public void Matches_the_reference_with_masks()
    {
        var mha = new MultiheadAttention(4, 2);
        SetPatternWeights(mha);
        var q = Pattern(3 * 2 * 4, 2);
        var k = Pattern(2 * 2 * 4, 3);
        var v = Pattern(2 * 2 * 4, 4);
        var attnMask = new float[] { 0, -1.5f, 0.5f, 0, 0, float.NegativeInfinity };
        var padding = new float[] { 0, 0, 0, float.NegativeInfinity };

        var (output, weights) = mha.Forward(Tensor.FromArray(q, 3, 2, 4), Tensor.FromArray(k, 2, 2, 4), Tensor.FromArray(v, 2, 2, 4),
            keyPaddingMask: Tensor.FromArray(padding, 2, 2), attnMask: Tensor.FromArray(attnMask, 3, 2), averageAttnWeights: false);

        var expected = Attention(mha, q, k, v, 3, 2, 2, attnMask, padding);
        Close(expected.Output, output);
        Assert.Equal(new[] { 2, 2, 3, 2 }, weights!.Shape);
        Close(expected.Weights, weights);
        // The padded key (batch 1, key 1) gets no weight.
        Assert.All(weights.Select(0, 1).Select(-1, 1).ToFloatArray(), w => Assert.Equal(0f, w));
    }

    [Fact]
    public void Averages_weights_over_heads_and_rows_sum_to_one()
    {
        var mha = new MultiheadAttention(4, 2, generator: new Generator(1));
        var x = Sequence(5, 3, 2, 4);

        var (_, weights) = mha.Forward(x, x, x);
        var (_, perHead) = mha.Forward(x, x, x, averageAttnWeights: false);
        var (_, none) = mha.Forward(x, x, x, needWeights: false);

        Assert.Equal(new[] { 2, 3, 3 }, weights!.Shape);
        Close(perHead!.Mean(1).ToFloatArray().Select(w => (double)w).ToArray(), weights);
        Close(Enumerable.Repeat(1.0, 6).ToArray(), weights.Sum(-1));
        Close(Enumerable.Repeat(1.0, 12).ToArray(), perHead.Sum(-1));
        Assert.Null(none);
    }

    [Fact]
    public void Batch_first_and_unbatched_inputs_compute_the_same_attention()
    {
        var seqFirst = new MultiheadAttention(4, 2, generator: new Generator(2));
        var batchFirst = new MultiheadAttention(4, 2, batchFirst: true, generator: new Generator(2));
        var q = Sequence(1, 3, 2, 4);
        var kv = Sequence(2, 5, 2, 4);

        var (a, wa) = seqFirst.Forward(q, kv, kv);
        var (b, wb) = batchFirst.Forward(q.Transpose(0, 1), kv.Transpose(0, 1), kv.Transpose(0, 1));
        var (u, wu) = seqFirst.Forward(q.Select(1, 1), kv.Select(1, 1), kv.Select(1, 1));

        Assert.Equal(new[] { 2, 3, 4 }, b.Shape);
        Close(a.Transpose(0, 1).Contiguous().ToFloatArray().Select(x => (double)x).ToArray(), b);
        Close(wa!.ToFloatArray().Select(x => (double)x).ToArray(), wb!);
        Assert.Equal(new[] { 3, 4 }, u.Shape);
        Assert.Equal(new[] { 3, 5 }, wu!.Shape);
        Close(a.Select(1, 1).ToFloatArray().Select(x => (double)x).ToArray(), u);
        Close(wa.Select(0, 1).ToFloatArray().Select(x => (double)x).ToArray(), wu);
    }

    [Fact]
    public void Causal_mask_blocks_the_future()
    {
        var mask = Transformer.GenerateSquareSubsequentMask(3);
        float inf = float.NegativeInfinity;
        Assert.Equal(new[] { 0, inf, inf, 0, 0, inf, 0, 0, 0 }, mask.ToFloatArray());

        var mha = new MultiheadAttention(4, 2, generator: new Generator(3));
        var x = Sequence(4, 3, 1, 4);
        var changed = x.Clone();
        using (global::ShapeSafe.Autograd.NoGrad())
            changed.Select(0, 2).CopyFrom(Tensor.Full(new[] { 1, 4 }, 9f));

        var (a, weights) = mha.Forward(x, x, x, attnMask: mask);
        var (b, _) = mha.Forward(changed, changed, changed, attnMask: mask);

        Assert.Equal(a.Narrow(0, 0, 2).ToFloatArray(), b.Narrow(0, 0, 2).ToFloatArray());
        Assert.NotEqual(a.Select(0, 2).ToFloatArray(), b.Select(0, 2).ToFloatArray());
        Assert.Equal(new[] { 1f, 0f, 0f }, weights!.Select(0, 0).Select(0, 0).ToFloatArray());
    }

    [Fact]
    public void Rejects_mismatched_shapes_and_non_float_masks()
    {
        var mha = new MultiheadAttention(4, 2);
        var x = Sequence(1, 3, 2, 4);

        Assert.Throws<ShapeException>(() => mha.Forward(Sequence(1, 3, 2, 6), x, x));
        Assert.Throws<ShapeException>(() => mha.Forward(x, Sequence(1, 3, 1, 4), Sequence(1, 3, 1, 4)));
        Assert.Throws<ShapeException>(() => mha.Forward(x, x, x, attnMask: Tensor.Zeros(3, 4)));
        Assert.Throws<ShapeException>(() => mha.Forward(x, x, x, keyPaddingMask: Tensor.Zeros(3, 2)));
        Assert.Throws<ArgumentException>(() => mha.Forward(x, x, x, attnMask: Tensor.Zeros(new[] { 3, 3 }, DType.Int64)));
    }

    [Fact]
    public void Gradients_match_finite_differences()
    {
        var mha = new MultiheadAttention(4, 2, generator: new Generator(4));
        var mask = Tensor.FromArray(new float[] { 0, -1, 0.5f, 0, 0, -2 }, 3, 2);

        GradCheck.Check(t => mha.Forward(t[0], t[1], t[2], attnMask: mask).Output, Sequence(1, 3, 2, 4), Sequence(2, 2, 2, 4), Sequence(3, 2, 2, 4));
        GradCheck.Check(t => mha.Forward(t[0], t[0], t[0], averageAttnWeights: false).Weights!, Sequence(5, 3, 4));

        var q = Sequence(1, 3, 2, 4);
        var kv = Sequence(2, 2, 2, 4);
        FiniteDifferences.Check(_ => mha.Forward(q, kv, kv).Output, mha.Parameters().ToArray<Tensor>());
    }
}
