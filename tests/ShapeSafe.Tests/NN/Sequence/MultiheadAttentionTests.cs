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
        Assert.Equal(new[] { 12, 4 }, mha.InProjWeight!.Shape);
        Assert.Equal(new[] { 12 }, mha.InProjBias!.Shape);
        Assert.All(mha.InProjBias.ToFloatArray(), v => Assert.Equal(0f, v));
        Assert.All(mha.OutProj.Bias!.ToFloatArray(), v => Assert.Equal(0f, v));
        double xavier = Math.Sqrt(6.0 / (4 + 12));
        Assert.All(mha.InProjWeight!.ToFloatArray(), v => Assert.InRange(v, -xavier, xavier));
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
        Assert.Equal(inProj.ToFloatArray(), mha.InProjWeight!.ToFloatArray());
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

    static float[] Additive(bool[] notAllowed) => notAllowed.Select(x => x ? float.NegativeInfinity : 0f).ToArray();

    [Fact]
    public void Bool_masks_are_true_where_not_allowed_and_match_their_additive_form()
    {
        var mha = new MultiheadAttention(4, 2, generator: new Generator(5));
        var q = Sequence(1, 3, 2, 4);
        var kv = Sequence(2, 4, 2, 4);
        var attn = new[] { false, true, false, false, false, false, true, true, true, false, false, false };
        var padding = new[] { false, false, false, true, false, true, false, false };
        var attnBool = Tensor.FromArray(attn, 3, 4);
        var paddingBool = Tensor.FromArray(padding, 2, 4);
        var attnFloat = Tensor.FromArray(Additive(attn), 3, 4);
        var paddingFloat = Tensor.FromArray(Additive(padding), 2, 4);

        var expected = Attention(mha, q.ToFloatArray(), kv.ToFloatArray(), kv.ToFloatArray(), 3, 4, 2, Additive(attn), Additive(padding));
        foreach (bool needWeights in new[] { true, false })
        {
            var (output, weights) = mha.Forward(q, kv, kv, paddingBool, needWeights, attnBool, averageAttnWeights: false);
            Close(expected.Output, output);
            if (needWeights) Close(expected.Weights, weights!);
            // Mixed kinds, as PyTorch accepts them (with a deprecation warning).
            Close(expected.Output, mha.Forward(q, kv, kv, paddingFloat, needWeights, attnBool).Output);
            Close(expected.Output, mha.Forward(q, kv, kv, paddingBool, needWeights, attnFloat).Output);
        }
        // A true padding entry takes the key out: its weight is zero.
        var (_, w) = mha.Forward(q, kv, kv, paddingBool, attnMask: attnBool, averageAttnWeights: false);
        Assert.All(w!.Select(0, 0).Select(-1, 3).ToFloatArray(), x => Assert.Equal(0f, x));
        var e = Assert.Throws<ArgumentException>(() => mha.Forward(q, kv, kv, Tensor.Zeros(new[] { 2, 4 }, DType.Int64)));
        Assert.Contains("only bool and floating types of key_padding_mask are supported", e.Message);
    }

    [Fact]
    public void A_fully_masked_query_is_nan_with_weights_and_the_projected_zero_row_without()
    {
        var mha = new MultiheadAttention(4, 2, generator: new Generator(6));
        using (global::ShapeSafe.Autograd.NoGrad()) mha.OutProj.Bias!.CopyFrom(Tensor.FromArray(new[] { 0.1f, -0.2f, 0.3f, 0.4f }));
        var x = Sequence(1, 3, 1, 4);
        var mask = Tensor.FromArray(new[] { false, false, false, true, true, true, false, true, false }, 3, 3);

        var (withWeights, weights) = mha.Forward(x, x, x, attnMask: mask);
        Assert.All(withWeights.Select(0, 1).ToFloatArray(), v => Assert.True(float.IsNaN(v)));
        Assert.All(weights!.Select(1, 1).ToFloatArray(), v => Assert.True(float.IsNaN(v)));
        var (without, _) = mha.Forward(x, x, x, needWeights: false, attnMask: mask);
        Assert.Equal(new[] { 0.1f, -0.2f, 0.3f, 0.4f }, without.Select(0, 1).ToFloatArray());
        Close(withWeights.Select(0, 0).ToFloatArray().Select(v => (double)v).ToArray(), without.Select(0, 0));
    }

    [Fact]
    public void Is_causal_is_pytorchs_hint_on_the_given_mask()
    {
        var mha = new MultiheadAttention(4, 2, generator: new Generator(7));
        var x = Sequence(3, 4, 2, 4);
        var causal = Transformer.GenerateSquareSubsequentMask(4);
        var other = Tensor.FromArray(Pattern(16, 9), 4, 4);
        var padding = Tensor.Zeros(2, 4);

        var e = Assert.Throws<ArgumentException>(() => mha.Forward(x, x, x, needWeights: false, isCausal: true));
        Assert.Contains("Need attn_mask if specifying the is_causal hint", e.Message);

        var reference = mha.Forward(x, x, x, needWeights: false, attnMask: causal).Output.ToFloatArray();
        Close(reference.Select(v => (double)v).ToArray(), mha.Forward(x, x, x, needWeights: false, attnMask: causal, isCausal: true).Output);
        // Without weights or a padding mask the given mask is not used: the attention is causal whatever it says.
        Close(reference.Select(v => (double)v).ToArray(), mha.Forward(x, x, x, needWeights: false, attnMask: other, isCausal: true).Output);
        // Otherwise the hint is ignored and the mask is applied.
        var withOther = mha.Forward(x, x, x, attnMask: other).Output.ToFloatArray().Select(v => (double)v).ToArray();
        Close(withOther, mha.Forward(x, x, x, attnMask: other, isCausal: true).Output);
        var withPadding = mha.Forward(x, x, x, padding, needWeights: false, attnMask: other).Output.ToFloatArray().Select(v => (double)v).ToArray();
        Close(withPadding, mha.Forward(x, x, x, padding, needWeights: false, attnMask: other, isCausal: true).Output);
        Assert.NotEqual(reference, withOther.Select(v => (float)v).ToArray());
    }

    [Fact]
    public void Kdim_and_vdim_use_separate_projections_with_pytorchs_names_order_and_init()
    {
        var mha = new MultiheadAttention(4, 2, kdim: 3, vdim: 5, generator: new Generator(8));
        Assert.False(mha.QkvSameEmbedDim);
        Assert.Null(mha.InProjWeight);
        Assert.Equal(new[] { "q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias" }, mha.StateDict().Keys);
        Assert.Equal(new[] { 4, 4 }, mha.QProjWeight!.Shape);
        Assert.Equal(new[] { 4, 3 }, mha.KProjWeight!.Shape);
        Assert.Equal(new[] { 4, 5 }, mha.VProjWeight!.Shape);
        Assert.Equal(new[] { "q_proj_weight", "k_proj_weight", "v_proj_weight", "out_proj.weight" },
            new MultiheadAttention(4, 2, bias: false, kdim: 3).StateDict().Keys);
        // kdim = vdim = embed_dim given explicitly is the packed form.
        Assert.Equal(new[] { "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias" }, new MultiheadAttention(4, 2, kdim: 4, vdim: 4).StateDict().Keys);

        // out_proj is drawn first, then q, k and v in order.
        var generator = new Generator(8);
        var outProj = new Linear(4, 4, generator: generator);
        var wq = Init.XavierUniform(Tensor.Empty(4, 4), generator: generator);
        var wk = Init.XavierUniform(Tensor.Empty(4, 3), generator: generator);
        var wv = Init.XavierUniform(Tensor.Empty(4, 5), generator: generator);
        Assert.Equal(outProj.Weight.ToFloatArray(), mha.OutProj.Weight.ToFloatArray());
        Assert.Equal(wq.ToFloatArray(), mha.QProjWeight.ToFloatArray());
        Assert.Equal(wk.ToFloatArray(), mha.KProjWeight.ToFloatArray());
        Assert.Equal(wv.ToFloatArray(), mha.VProjWeight.ToFloatArray());
        Assert.All(mha.InProjBias!.ToFloatArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Kdim_and_vdim_attend_as_the_reference_and_check_the_features()
    {
        var mha = new MultiheadAttention(4, 2, kdim: 3, vdim: 5, batchFirst: true);
        SetPatternWeights(mha);
        var q = Sequence(1, 2, 3, 4);
        var k = Sequence(2, 2, 6, 3);
        var v = Sequence(3, 2, 6, 5);
        var mask = new[] { false, true, false, false, true, false, false, false, false, true, false, false, true, false, false, false, false, false };

        var (output, weights) = mha.Forward(q, k, v, attnMask: Tensor.FromArray(mask, 3, 6), averageAttnWeights: false);
        Assert.Equal(new[] { 2, 3, 4 }, output.Shape);
        Assert.Equal(new[] { 2, 2, 3, 6 }, weights!.Shape);
        var seqFirst = (Tensor t) => t.Transpose(0, 1).Contiguous().ToFloatArray();
        var expected = Attention(mha, seqFirst(q), seqFirst(k), seqFirst(v), 3, 6, 2, Additive(mask));
        Close(expected.Output, output.Transpose(0, 1).Contiguous());
        Close(expected.Weights, weights);
        Close(expected.Output, mha.Forward(q, k, v, needWeights: false, attnMask: Tensor.FromArray(mask, 3, 6)).Output.Transpose(0, 1).Contiguous());

        var wrongKey = Assert.Throws<ShapeException>(() => mha.Forward(q, Sequence(2, 2, 6, 4), v));
        Assert.Contains("kdim=3", wrongKey.Message);
        var wrongValue = Assert.Throws<ShapeException>(() => mha.Forward(q, k, Sequence(3, 2, 6, 4)));
        Assert.Contains("vdim=5", wrongValue.Message);
        var lengths = Assert.Throws<ShapeException>(() => mha.Forward(q, k, Sequence(3, 2, 5, 5)));
        Assert.Contains("key's sequence and batch dims [2, 6] do not match value's [2, 5]", lengths.Message);

        GradCheck.Check(t => mha.Forward(t[0], t[1], t[2]).Output, q, k, v);
        FiniteDifferences.Check(_ => mha.Forward(q, k, v, needWeights: false).Output, mha.Parameters().ToArray<Tensor>());
    }
}
