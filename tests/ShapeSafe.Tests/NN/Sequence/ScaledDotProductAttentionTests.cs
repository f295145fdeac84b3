using ShapeSafe.NN;
using static ShapeSafe.Tests.NN.Sequence.SequenceReference;

namespace ShapeSafe.Tests.NN.Sequence;

/// <summary>F.ScaledDotProductAttention: shapes and broadcasting, values against a double reference, both mask kinds, causal, scale, fully masked rows, errors, Float64 gradients, dropout statistics.</summary>
public class ScaledDotProductAttentionTests
{
    static Tensor Values(int salt, params int[] shape) => Tensor.FromArray(Pattern(shape.Aggregate(1, (a, b) => a * b), salt), shape);

    static Tensor Doubles(int salt, params int[] shape) => Values(salt, shape).ToDType(DType.Float64);

    /// <summary>
    /// softmax(q·kᵀ·scale + bias)·v over [B, L, E], [B, S, E], [B, S, Ev] (flat), bias [L, S] added to every batch
    /// entry (-inf forbids); a row with no allowed key gives zeros.
    /// </summary>
    static double[] Reference(float[] q, float[] k, float[] v, int batch, int l, int s, int e, int ev, double scale, double[]? bias = null)
    {
        var output = new double[batch * l * ev];
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < l; i++)
            {
                var scores = new double[s];
                for (int j = 0; j < s; j++)
                {
                    double dot = 0;
                    for (int x = 0; x < e; x++) dot += (double)q[(b * l + i) * e + x] * k[(b * s + j) * e + x];
                    scores[j] = dot * scale + (bias?[i * s + j] ?? 0);
                }
                double max = scores.Max();
                if (double.IsNegativeInfinity(max)) continue;
                var exp = scores.Select(x => Math.Exp(x - max)).ToArray();
                double total = exp.Sum();
                for (int j = 0; j < s; j++)
                    for (int x = 0; x < ev; x++)
                        output[(b * l + i) * ev + x] += exp[j] / total * v[(b * s + j) * ev + x];
            }
        return output;
    }

    [Fact]
    public void Output_is_the_query_length_by_the_value_features_with_broadcast_batch_dims()
    {
        Assert.Equal(new[] { 2, 3, 4, 7 }, F.ScaledDotProductAttention(Values(1, 2, 3, 4, 5), Values(2, 2, 3, 6, 5), Values(3, 2, 3, 6, 7)).Shape);
        Assert.Equal(new[] { 2, 3, 4, 7 }, F.ScaledDotProductAttention(Values(1, 2, 1, 4, 5), Values(2, 1, 3, 6, 5), Values(3, 1, 3, 6, 7)).Shape);
        Assert.Equal(new[] { 2, 3, 4, 7 }, F.ScaledDotProductAttention(Values(1, 2, 3, 4, 5), Values(2, 6, 5), Values(3, 6, 7)).Shape);
        Assert.Equal(new[] { 4, 7 }, F.ScaledDotProductAttention(Values(1, 4, 5), Values(2, 6, 5), Values(3, 6, 7)).Shape);
        var noKeys = F.ScaledDotProductAttention(Values(1, 1, 3, 4), Tensor.Zeros(1, 0, 4), Tensor.Zeros(1, 0, 2));
        Assert.Equal(new[] { 1, 3, 2 }, noKeys.Shape);
        Assert.All(noKeys.ToFloatArray(), x => Assert.Equal(0f, x));
    }

    [Fact]
    public void Matches_the_reference_with_the_default_and_a_given_scale()
    {
        var (q, k, v) = (Values(1, 2, 3, 4), Values(2, 2, 5, 4), Values(3, 2, 5, 3));
        Close(Reference(q.ToFloatArray(), k.ToFloatArray(), v.ToFloatArray(), 2, 3, 5, 4, 3, 0.5), F.ScaledDotProductAttention(q, k, v));
        Close(Reference(q.ToFloatArray(), k.ToFloatArray(), v.ToFloatArray(), 2, 3, 5, 4, 3, 1.7), F.ScaledDotProductAttention(q, k, v, scale: 1.7));
    }

    [Fact]
    public void A_float_mask_is_added_and_a_bool_mask_keeps_where_true()
    {
        var (q, k, v) = (Values(1, 2, 3, 4), Values(2, 2, 5, 4), Values(3, 2, 5, 3));
        var bias = Pattern(15, 4).Select(x => (double)x * 3).ToArray();
        var floatMask = Tensor.FromArray(bias.Select(x => (float)x).ToArray(), 3, 5);
        Close(Reference(q.ToFloatArray(), k.ToFloatArray(), v.ToFloatArray(), 2, 3, 5, 4, 3, 0.5, bias), F.ScaledDotProductAttention(q, k, v, floatMask));

        var keep = Enumerable.Range(0, 15).Select(i => i % 3 != 1).ToArray();
        var boolMask = Tensor.FromArray(keep, 3, 5);
        var expected = Reference(q.ToFloatArray(), k.ToFloatArray(), v.ToFloatArray(), 2, 3, 5, 4, 3, 0.5,
            keep.Select(x => x ? 0.0 : double.NegativeInfinity).ToArray());
        Close(expected, F.ScaledDotProductAttention(q, k, v, boolMask));
        // The same mask per batch entry ([2, 3, 5]) gives the same result.
        Close(expected, F.ScaledDotProductAttention(q, k, v, boolMask.Unsqueeze(0).Expand(2, 3, 5)));
    }

    [Fact]
    public void Causal_is_the_top_left_lower_triangle()
    {
        foreach (var (l, s) in new[] { (4, 4), (5, 3), (3, 6) })
        {
            var (q, k, v) = (Values(1, 2, l, 4), Values(2, 2, s, 4), Values(3, 2, s, 2));
            var tril = new double[l * s];
            for (int i = 0; i < l; i++)
                for (int j = 0; j < s; j++)
                    tril[i * s + j] = j <= i ? 0 : double.NegativeInfinity;
            Close(Reference(q.ToFloatArray(), k.ToFloatArray(), v.ToFloatArray(), 2, l, s, 4, 2, 0.5, tril), F.ScaledDotProductAttention(q, k, v, isCausal: true));
            var allowed = Tensor.FromArray(tril.Select(x => x == 0).ToArray(), l, s);
            Assert.Equal(F.ScaledDotProductAttention(q, k, v, allowed).ToFloatArray(), F.ScaledDotProductAttention(q, k, v, isCausal: true).ToFloatArray());
        }
    }

    [Fact]
    public void A_fully_masked_row_gives_zeros_and_zero_gradients_as_pytorchs_cpu_kernels()
    {
        var q = Values(1, 1, 3, 4);
        var k = Values(2, 1, 5, 4);
        var v = Values(3, 1, 5, 2);
        foreach (var tensor in new[] { q, k, v }) tensor.RequiresGrad = true;
        var keep = Enumerable.Range(0, 15).Select(i => i / 5 != 1 && i % 2 == 0).ToArray();   // row 1 keeps nothing
        var output = F.ScaledDotProductAttention(q, k, v, Tensor.FromArray(keep, 3, 5));

        var expected = Reference(q.ToFloatArray(), k.ToFloatArray(), v.ToFloatArray(), 1, 3, 5, 4, 2, 0.5,
            keep.Select(x => x ? 0.0 : double.NegativeInfinity).ToArray());
        Close(expected, output);
        Assert.Equal(new[] { 0f, 0f }, output.Select(1, 1).ToFloatArray());
        output.Sum().Backward();
        Assert.Equal(new[] { 0f, 0f, 0f, 0f }, q.Grad!.Select(1, 1).ToFloatArray());
        Assert.All(q.Grad.ToFloatArray().Concat(k.Grad!.ToFloatArray()).Concat(v.Grad!.ToFloatArray()), g => Assert.True(float.IsFinite(g)));

        // A float mask of -inf on the whole row is the same.
        var floatMask = Tensor.FromArray(keep.Select(x => x ? 0f : float.NegativeInfinity).ToArray(), 3, 5);
        Assert.Equal(output.ToFloatArray(), F.ScaledDotProductAttention(q, k, v, floatMask).ToFloatArray());
    }

    [Fact]
    public void Gradients_match_finite_differences_in_float64()
    {
        var (q, k, v) = (Doubles(1, 2, 3, 4), Doubles(2, 2, 5, 4), Doubles(3, 2, 5, 3));
        Assert.True(global::ShapeSafe.Autograd.GradCheck(x => F.ScaledDotProductAttention(x[0], x[1], x[2]), new[] { q, k, v }));
        var floatMask = Doubles(4, 3, 5) * 2.0;
        Assert.True(global::ShapeSafe.Autograd.GradCheck(x => F.ScaledDotProductAttention(x[0], x[1], x[2], floatMask, scale: 0.8), new[] { q, k, v }));
        var keep = Tensor.FromArray(Enumerable.Range(0, 15).Select(i => i / 5 != 1 && i % 2 == 0).ToArray(), 3, 5);   // with a fully masked row
        Assert.True(global::ShapeSafe.Autograd.GradCheck(x => F.ScaledDotProductAttention(x[0], x[1], x[2], keep), new[] { q, k, v }));
        Assert.True(global::ShapeSafe.Autograd.GradCheck(x => F.ScaledDotProductAttention(x[0], x[1], x[2], isCausal: true), new[] { q, k, v }));
        // The mask itself is differentiable as an addend.
        Assert.True(global::ShapeSafe.Autograd.GradCheck(x => F.ScaledDotProductAttention(q, k, v, x[0]), new[] { floatMask }));
        // Broadcast batch dims sum their gradients.
        Assert.True(global::ShapeSafe.Autograd.GradCheck(x => F.ScaledDotProductAttention(x[0], x[1], x[2]), new[] { Doubles(5, 2, 1, 3, 4), Doubles(6, 1, 2, 4, 4), Doubles(7, 4, 2) }));
    }

    [Fact]
    public void Float64_values_match_the_float32_ones()
    {
        var (q, k, v) = (Values(1, 2, 3, 4), Values(2, 2, 5, 4), Values(3, 2, 5, 3));
        var expected = Reference(q.ToFloatArray(), k.ToFloatArray(), v.ToFloatArray(), 2, 3, 5, 4, 3, 0.5);
        var result = F.ScaledDotProductAttention(q.ToDType(DType.Float64), k.ToDType(DType.Float64), v.ToDType(DType.Float64));
        Assert.Equal(DType.Float64, result.DType);
        var values = result.ToDoubleArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], values[i], 1e-12);
    }

    [Fact]
    public void Dropout_zeroes_weights_with_probability_p_and_scales_the_rest()
    {
        // Equal scores give weights 1/S; identity values return the dropped weights themselves.
        const int s = 64;
        var q = Tensor.Zeros(8, s, 4);
        var k = Tensor.Zeros(8, s, 4);
        var v = Tensor.Eye(s);
        Tensor.ManualSeed(11);
        var dropped = F.ScaledDotProductAttention(q, k, v, dropoutP: 0.3).ToFloatArray();
        float kept = 1f / s / 0.7f;
        Assert.All(dropped, x => Assert.True(x == 0 || Math.Abs(x - kept) < 1e-6, $"{x}"));
        double zeros = dropped.Count(x => x == 0) / (double)dropped.Length;
        Assert.InRange(zeros, 0.27, 0.33);     // 32768 draws: the standard deviation is 0.0025

        // Drawn as F.Dropout draws on the weights, from the default generator.
        Tensor.ManualSeed(11);
        var same = F.Dropout(Tensor.Full(new[] { 8, s, s }, 1f / s), 0.3).ToFloatArray();
        Assert.Equal(same, dropped);
        Assert.Equal(Enumerable.Repeat(1f / s, 8 * s * s), F.ScaledDotProductAttention(q, k, v, dropoutP: 0).ToFloatArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => F.ScaledDotProductAttention(q, k, v, dropoutP: 1.5));
    }

    [Fact]
    public void Rejects_bad_shapes_and_dtypes_naming_the_op_and_the_shapes()
    {
        var (q, k, v) = (Values(1, 2, 3, 4), Values(2, 2, 5, 4), Values(3, 2, 5, 3));
        var both = Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, k, v, Tensor.Ones(new[] { 3, 5 }, DType.Bool), isCausal: true));
        Assert.Contains("Explicit attn_mask should not be set when is_causal=True", both.Message);

        var rank = Assert.Throws<ShapeException>(() => F.ScaledDotProductAttention(Values(1, 4), k, v));
        Assert.Contains("ScaledDotProductAttention", rank.Message);
        Assert.Contains("at least 2 dimensional", rank.Message);

        var features = Assert.Throws<ShapeException>(() => F.ScaledDotProductAttention(q, Values(2, 2, 5, 6), v));
        Assert.Contains("embedding size 4 differs from key's 6", features.Message);
        Assert.Contains("key [2, 5, 6]", features.Message);

        var length = Assert.Throws<ShapeException>(() => F.ScaledDotProductAttention(q, k, Values(3, 2, 4, 3)));
        Assert.Contains("sequence length 5 differs from value's 4", length.Message);

        var batch = Assert.Throws<ShapeException>(() => F.ScaledDotProductAttention(q, Values(2, 3, 5, 4), Values(3, 3, 5, 3)));
        Assert.Contains("do not broadcast", batch.Message);

        var mask = Assert.Throws<ShapeException>(() => F.ScaledDotProductAttention(q, k, v, Tensor.Zeros(3, 4)));
        Assert.Contains("attn_mask [3, 4] does not broadcast to the attention scores' shape [2, 3, 5]", mask.Message);
        Assert.Throws<ShapeException>(() => F.ScaledDotProductAttention(q, k, v, Tensor.Zeros(4, 2, 3, 5)));

        var intMask = Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, k, v, Tensor.Zeros(new[] { 3, 5 }, DType.Int64)));
        Assert.Contains("Expected attn_mask dtype to be bool or float or to match query dtype", intMask.Message);
        Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, k, v, Tensor.Zeros(new[] { 3, 5 }, DType.Float64)));

        var mixed = Assert.Throws<ArgumentException>(() => F.ScaledDotProductAttention(q, k.ToDType(DType.Float64), v));
        Assert.Contains("same dtype", mixed.Message);
    }
}
