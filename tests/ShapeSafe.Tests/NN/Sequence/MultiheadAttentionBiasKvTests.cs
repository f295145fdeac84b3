using ShapeSafe.NN;
using static ShapeSafe.Tests.NN.Sequence.SequenceReference;

namespace ShapeSafe.Tests.NN.Sequence;

/// <summary>
/// nn.MultiheadAttention's add_bias_kv and add_zero_attn: PyTorch's parameters, names and draw order, and the extra
/// source positions, which the masks leave open (LibTorch's values and gradients: the conformance cases).
/// </summary>
public class MultiheadAttentionBiasKvTests
{
    static Tensor Sequence(int salt, params int[] shape) => Tensor.FromArray(Pattern(shape.Aggregate(1, (a, b) => a * b), salt), shape);

    static readonly Tensor AllPadded = Tensor.Full(new[] { 2, 3 }, true);

    [Fact]
    public void Bias_kv_are_parameters_named_and_drawn_as_pytorchs()
    {
        var mha = new MultiheadAttention(4, 2, generator: new Generator(3), addBiasKv: true);

        Assert.Equal(new[] { "in_proj_weight", "in_proj_bias", "bias_k", "bias_v", "out_proj.weight", "out_proj.bias" }, mha.StateDict().Keys);
        Assert.Equal(new[] { 1, 1, 4 }, mha.BiasK!.Shape);
        Assert.Equal(new[] { 1, 1, 4 }, mha.BiasV!.Shape);
        // out_proj's construction, in_proj_weight, then bias_k and bias_v by xavier_normal, as _reset_parameters.
        var generator = new Generator(3);
        _ = new Linear(4, 4, generator: generator);
        _ = Init.XavierUniform(Tensor.Empty(12, 4), generator: generator);
        Assert.Equal(Init.XavierNormal(Tensor.Empty(1, 1, 4), generator: generator).ToFloatArray(), mha.BiasK.ToFloatArray());
        Assert.Equal(Init.XavierNormal(Tensor.Empty(1, 1, 4), generator: generator).ToFloatArray(), mha.BiasV.ToFloatArray());
        Assert.Null(new MultiheadAttention(4, 2, addZeroAttn: true).BiasK);
        Assert.Equal(4, new MultiheadAttention(4, 2, addZeroAttn: true).StateDict().Count);
    }

    [Fact]
    public void With_every_key_padded_a_query_attends_only_to_bias_v()
    {
        var mha = new MultiheadAttention(4, 2, generator: new Generator(5), addBiasKv: true);
        var (output, weights) = mha.Forward(Sequence(1, 2, 2, 4), Sequence(2, 3, 2, 4), Sequence(3, 3, 2, 4), keyPaddingMask: AllPadded);

        // [N, L, S + 1]: the padded keys get 0, the appended position 1 (its column is padded with "allowed").
        Assert.Equal(new[] { 2, 2, 4 }, weights!.Shape);
        Assert.Equal(new[] { 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 1f }, weights.ToFloatArray());
        // Every head's value is its slice of bias_v, so the heads concatenate to bias_v itself.
        var expected = mha.OutProj.Forward(mha.BiasV!.Reshape(1, 4)).ToFloatArray();
        var actual = output.ToFloatArray();
        for (int i = 0; i < actual.Length; i++) Assert.Equal(expected[i % 4], actual[i], 6);
    }

    [Fact]
    public void With_every_key_padded_zero_attention_gives_the_output_bias()
    {
        var mha = new MultiheadAttention(4, 2, generator: new Generator(5), addZeroAttn: true);
        using (ShapeSafe.Autograd.NoGrad()) mha.OutProj.Bias!.CopyFrom(Tensor.FromArray(new[] { 0.5f, -1f, 2f, 0.25f }));
        var attnMask = Tensor.Full(new[] { 2, 3 }, false); // [L, S] as given, without the extra column
        var (output, weights) = mha.Forward(Sequence(1, 2, 2, 4), Sequence(2, 3, 2, 4), Sequence(3, 3, 2, 4), keyPaddingMask: AllPadded, attnMask: attnMask);

        Assert.Equal(new[] { 0f, 0f, 0f, 1f }, weights!.ToFloatArray()[..4]);
        Assert.Equal(new[] { 0.5f, -1f, 2f, 0.25f, 0.5f, -1f, 2f, 0.25f }, output.ToFloatArray()[..8]);
    }

    [Fact]
    public void Both_options_add_two_positions_whose_weights_stay_a_distribution()
    {
        var mha = new MultiheadAttention(4, 2, generator: new Generator(7), addBiasKv: true, addZeroAttn: true, batchFirst: true);
        var x = Sequence(4, 2, 3, 4);
        x.RequiresGrad = true;
        var (output, weights) = mha.Forward(x, x, x, averageAttnWeights: false);

        Assert.Equal(new[] { 2, 2, 3, 5 }, weights!.Shape);
        var rows = weights.Sum(-1).ToFloatArray();
        Assert.All(rows, r => Assert.Equal(1f, r, 6));
        output.Sum().Backward();
        Assert.Contains(mha.BiasK!.Grad!.ToFloatArray(), g => g != 0);
        Assert.Contains(mha.BiasV!.Grad!.ToFloatArray(), g => g != 0);
    }
}
