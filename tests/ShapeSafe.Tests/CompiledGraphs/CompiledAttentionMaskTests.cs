using ShapeSafe.NN;
using ShapeSafe.Shapes;
using static ShapeSafe.Tests.CompiledGraphs.CompiledModels;

namespace ShapeSafe.Tests.CompiledGraphs;

/// <summary>
/// Compiled attention layers given masks as Forward inputs (Bool and float, 2-D and 3-D attention masks, key padding
/// masks), against the same modules run eagerly: outputs and every gradient, bit for bit, in training mode (the
/// dropouts drawing eager mode's masks from the default generator) and eval mode, for two batch sizes and two sequence
/// lengths; the guard on the masks' dtypes; the errors of a mask of the wrong shape; a 12-layer encoder; and the
/// graph break of an attention with bias_k and bias_v.
/// </summary>
[Collection(nameof(DefaultGeneratorCollection))]
public class CompiledAttentionMaskTests
{
    /// <summary>Makes a call's masks for an input of the given sequence length and batch size.</summary>
    delegate Tensor[] MaskMaker(int length, int batch);

    static (float[] Output, Dictionary<string, float[]> Grads, float[] InputGrad) Step(Module model, Func<Tensor, Tensor[], Tensor> forward, Tensor data, Tensor[] masks, long seed)
    {
        model.ZeroGrad();
        var x = data.Clone();
        x.RequiresGrad = true;
        Generator.Default.ManualSeed(seed);
        var y = forward(x, masks);
        var weights = Tensor.Arange(y.NumEl).Reshape(y.Shape.ToArray()).Mul(0.01f).Sin();
        y.Mul(weights).Sum().Backward();
        return (y.Detach().ToFloatArray(), model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToFloatArray()), x.Grad!.ToFloatArray());
    }

    static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}[{i}]: eager {expected[i]:R}, compiled {actual[i]:R}");
    }

    /// <summary>
    /// Eager and compiled twins, in training and eval mode, for inputs of two batch sizes and two sequence lengths (and
    /// the first again, from its cached plan), each call given the masks <paramref name="masks"/> makes.
    /// </summary>
    static void AssertMatchesEager(Module eager, Module twin, Func<Tensor, Tensor[], Tensor> eagerForward, Func<Tensor, Tensor[], Tensor> compiled,
        bool batchFirst, int features, MaskMaker masks)
    {
        foreach (var training in new[] { true, false })
        {
            eager.Train(training);
            twin.Train(training);
            foreach (var (length, batch) in new[] { (5, 3), (4, 2), (5, 3) })
            {
                int[] shape = batchFirst ? [batch, length, features] : [length, batch, features];
                var data = Tensor.Randn(shape, new Generator(length * 10 + batch));
                var given = masks(length, batch);
                long seed = length * 10 + batch + (training ? 100 : 0);
                var (y1, g1, dx1) = Step(eager, eagerForward, data, given, seed);
                var (y2, g2, dx2) = Step(twin, compiled, data, given, seed);
                string where = $"{eager.GetType().Name} {(training ? "train" : "eval")} [{string.Join(", ", shape)}]";
                Assert.All(y1, v => Assert.True(float.IsFinite(v), where + ": the eager output is not finite"));
                AssertBitwise(y1, y2, where + " output");
                Assert.Equal(g1.Keys, g2.Keys);
                foreach (var (name, grad) in g1) AssertBitwise(grad, g2[name], where + " grad of " + name);
                AssertBitwise(dx1, dx2, where + " grad of the input");
            }
        }
    }

    // A Bool key padding mask [N, S]: entry b pads its last b % 3 keys, and entry 1 all of them when everything is set
    // (its queries then attend to nothing: zero weights, as PyTorch's safe softmax gives).
    static Tensor BoolPadding(int length, int batch, bool oneEntryFullyPadded = false)
    {
        var values = new bool[batch * length];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < length; j++)
                values[b * length + j] = j >= length - b % 3 || oneEntryFullyPadded && b == 1;
        return Tensor.FromArray(values, new[] { batch, length });
    }

    // A float key padding mask: -inf for the padded keys of BoolPadding, small values elsewhere.
    static Tensor FloatPadding(int length, int batch)
    {
        var noise = Tensor.Randn(new[] { batch, length }, new Generator(length + batch)).Mul(0.3f);
        return noise.MaskedFill(BoolPadding(length, batch), double.NegativeInfinity);
    }

    // A Bool attention mask [L, S] or [N·heads, L, S]: random, with every query of the first row of each head fully masked.
    static Tensor BoolAttnMask(int length, int rows, bool perHead, int seed)
    {
        var random = Tensor.Rand(perHead ? new[] { rows, length, length } : new[] { length, length }, new Generator(seed)).ToFloatArray();
        var values = random.Select(v => v < 0.3f).ToArray();
        int blocks = perHead ? rows : 1;
        for (int b = 0; b < blocks; b++)
            for (int j = 0; j < length; j++) values[b * length * length + j] = true;
        return Tensor.FromArray(values, perHead ? new[] { rows, length, length } : new[] { length, length });
    }

    // A float attention mask: the causal mask (0 and -inf) plus noise.
    static Tensor FloatAttnMask(int length, int rows, bool perHead, int seed)
    {
        var causal = Transformer.GenerateSquareSubsequentMask(length);
        var shape = perHead ? new[] { rows, length, length } : new[] { length, length };
        return Tensor.Randn(shape, new Generator(seed)).Mul(0.5f).Add(causal);
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, false)]
    [InlineData(false, true, true)]
    [InlineData(true, true, false)]
    public void Self_attention_with_an_attention_mask_and_a_key_padding_mask_matches_eager(bool batchFirst, bool floatMasks, bool perHead)
    {
        var compiled = new MaskedAttentionNet(batchFirst, new Generator(31)).Compile();
        Assert.True(compiled.IsCompiled);
        var eager = new MaskedAttentionNet(batchFirst, new Generator(31));
        Tensor[] Masks(int length, int batch) => floatMasks
            ? [FloatAttnMask(length, batch * 2, perHead, length), FloatPadding(length, batch)]
            : [BoolAttnMask(length, batch * 2, perHead, length), BoolPadding(length, batch, oneEntryFullyPadded: true)];
        AssertMatchesEager(eager, compiled.Module, (x, m) => eager.Forward(x, m[0], m[1]), (x, m) => compiled.Forward(x, m[0], m[1]), batchFirst, 16, Masks);
        Assert.Equal(0, compiled.EagerCalls);
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, true, false)]
    [InlineData(false, false, true)]
    [InlineData(true, true, true)]
    public void Self_attention_with_an_attention_mask_alone_matches_eager(bool batchFirst, bool floatMask, bool perHead)
    {
        var compiled = new AttnMaskNet(batchFirst, new Generator(32)).Compile();
        var eager = new AttnMaskNet(batchFirst, new Generator(32));
        Tensor[] Masks(int length, int batch) => [floatMask ? FloatAttnMask(length, batch * 2, perHead, length) : BoolAttnMask(length, batch * 2, perHead, length)];
        AssertMatchesEager(eager, compiled.Module, (x, m) => eager.Forward(x, m[0]), (x, m) => compiled.Forward(x, m[0]), batchFirst, 16, Masks);
        Assert.Equal(0, compiled.EagerCalls);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void Self_attention_with_a_key_padding_mask_matches_eager(bool batchFirst, bool floatMask)
    {
        var compiled = new PaddedAttentionNet(batchFirst, new Generator(33)).Compile();
        var eager = new PaddedAttentionNet(batchFirst, new Generator(33));
        Tensor[] Masks(int length, int batch) => [floatMask ? FloatPadding(length, batch) : BoolPadding(length, batch, oneEntryFullyPadded: true)];
        AssertMatchesEager(eager, compiled.Module, (x, m) => eager.Forward(x, m[0]), (x, m) => compiled.Forward(x, m[0]), batchFirst, 16, Masks);
        Assert.Equal(0, compiled.EagerCalls);
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, true, false)]
    [InlineData(false, true, true)]
    [InlineData(true, false, true)]
    public void Encoder_layer_with_both_masks_matches_eager(bool normFirst, bool batchFirst, bool floatMasks)
    {
        var compiled = new MaskedEncoderLayerNet(normFirst, batchFirst, new Generator(34)).Compile();
        Assert.True(compiled.IsCompiled);
        var eager = new MaskedEncoderLayerNet(normFirst, batchFirst, new Generator(34));
        Tensor[] Masks(int length, int batch) => floatMasks
            ? [FloatAttnMask(length, batch * 2, false, length), FloatPadding(length, batch)]
            : [BoolAttnMask(length, batch * 2, true, length), BoolPadding(length, batch)];
        AssertMatchesEager(eager, compiled.Module, (x, m) => eager.Forward(x, m[0], m[1]), (x, m) => compiled.Forward(x, m[0], m[1]), batchFirst, 12, Masks);
        Assert.Equal(0, compiled.EagerCalls);
    }

    [Fact]
    public void Encoder_whose_layers_all_read_both_masks_matches_eager()
    {
        var compiled = new MaskedEncoderNet().Compile();
        Assert.True(compiled.IsCompiled);
        var eager = new MaskedEncoderNet();
        Tensor[] Masks(int length, int batch) => [BoolAttnMask(length, batch * 2, false, length), FloatPadding(length, batch)];
        AssertMatchesEager(eager, compiled.Module, (x, m) => eager.Forward(x, m[0], m[1]), (x, m) => compiled.Forward(x, m[0], m[1]), true, 16, Masks);
        Assert.Equal(0, compiled.EagerCalls);
    }

    [Fact]
    public void A_twelve_layer_encoder_compiles_and_matches_eager()
    {
        var compiled = new DeepEncoderNet().Compile();
        Assert.True(compiled.IsCompiled);
        var eager = new DeepEncoderNet();
        Assert.Equal(146, eager.Parameters().Count());
        Tensor[] Masks(int length, int batch) => [BoolPadding(length, batch)];
        AssertMatchesEager(eager, compiled.Module, (x, m) => eager.Forward(x, m[0]), (x, m) => compiled.Forward(x, m[0]), false, 16, Masks);
        Assert.Equal(0, compiled.EagerCalls);
    }

    [Fact]
    public void A_bool_mask_and_a_float_mask_in_turn_each_get_a_plan_of_their_own()
    {
        var compiled = new MaskedAttentionNet(batchFirst: false, new Generator(35)).Compile();
        var eager = new MaskedAttentionNet(batchFirst: false, new Generator(35));
        eager.Eval();
        compiled.Module.Eval();
        var x = Tensor.Randn(new[] { 5, 3, 16 }, new Generator(6));
        var boolMasks = new[] { BoolAttnMask(5, 6, false, 1), BoolPadding(5, 3) };
        var floatMasks = new[] { FloatAttnMask(5, 6, false, 1), FloatPadding(5, 3) };
        var mixed = new[] { BoolAttnMask(5, 6, false, 1), FloatPadding(5, 3) };
        foreach (var (masks, plans) in new[] { (boolMasks, 1), (floatMasks, 2), (boolMasks, 2), (mixed, 3), (floatMasks, 3) })
        {
            AssertBitwise(eager.Forward(x, masks[0], masks[1]).ToFloatArray(), compiled.Forward(x, masks[0], masks[1]).ToFloatArray(),
                $"{masks[0].DType} and {masks[1].DType} masks");
            Assert.Equal(plans, compiled.PlannedShapes);
        }
        Assert.Equal(0, compiled.EagerCalls);
        // A mask the graph does not compute with (Float64, or one that takes a gradient) runs eagerly: eager mode refuses
        // a Float64 mask of a Float32 attention, and gives a learned mask its gradient.
        var wide = FloatPadding(5, 3).ToDType(DType.Float64);
        var refused = Assert.Throws<ArgumentException>(() => eager.Forward(x, boolMasks[0], wide));
        Assert.Equal(refused.Message, Assert.Throws<ArgumentException>(() => compiled.Forward(x, boolMasks[0], wide)).Message);
        var learned = FloatAttnMask(5, 6, false, 2);
        learned.RequiresGrad = true;
        compiled.Forward(x, learned, boolMasks[1]).Sum().Backward();
        Assert.NotNull(learned.Grad);
        Assert.Equal(2, compiled.EagerCalls);
        Assert.Equal(3, compiled.PlannedShapes);
    }

    public static TheoryData<int[], int[]> WrongMasks => new()
    {
        { new[] { 5, 4 }, new[] { 3, 5 } },       // a 2-D attention mask of the wrong key length
        { new[] { 5, 5 }, new[] { 3, 6 } },       // a key padding mask of the wrong length
        { new[] { 7, 5, 5 }, new[] { 3, 5 } },    // a 3-D attention mask with the wrong N·heads
        { new[] { 5 }, new[] { 3, 5 } },          // a 1-D attention mask
        { new[] { 5, 5 }, new[] { 3, 5, 1 } },    // a 3-D key padding mask
    };

    [Theory]
    [MemberData(nameof(WrongMasks))]
    public void A_mask_of_the_wrong_shape_throws_the_eager_layers_error(int[] maskShape, int[] paddingShape)
    {
        var compiled = new MaskedAttentionNet(batchFirst: false, new Generator(36)).Compile();
        var x = Tensor.Randn(new[] { 5, 3, 16 }, new Generator(7));
        var mask = Tensor.Zeros(maskShape, DType.Bool);
        var padding = Tensor.Zeros(paddingShape, DType.Bool);
        var eager = Assert.Throws<ShapeException>(() => compiled.Module.Forward(x, mask, padding));
        var error = Assert.Throws<ShapeException>(() => compiled.Forward(x, mask, padding));
        Assert.Equal(eager.Message, error.Message);
        Assert.StartsWith("MultiheadAttention: ", error.Message);
        Assert.Contains("query [5, 3, 16]", error.Message);
        Assert.Equal(0, compiled.PlannedShapes);
        // The graph still plans the right shapes afterwards.
        compiled.Forward(x, Tensor.Zeros(new[] { 5, 5 }, DType.Bool), Tensor.Zeros(new[] { 3, 5 }, DType.Bool));
        Assert.Equal(1, compiled.PlannedShapes);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Bias_kv_and_zero_attention_are_a_graph_break_found_when_planning(bool addBiasKv, bool addZeroAttn)
    {
        var compiled = new BiasKvAttentionNet(addBiasKv, addZeroAttn, new Generator(37)).Compile();
        var eager = new BiasKvAttentionNet(addBiasKv, addZeroAttn, new Generator(37));
        var x = Tensor.Randn(new[] { 4, 2, 16 }, new Generator(8));
        AssertBitwise(eager.Forward(x).ToFloatArray(), compiled.Forward(x).ToFloatArray(), "output");
        AssertBitwise(eager.Forward(x).ToFloatArray(), compiled.Forward(x).ToFloatArray(), "output");
        Assert.Equal(2, compiled.EagerCalls);
        Assert.Equal(0, compiled.PlannedShapes);
        Assert.Equal($"a MultiheadAttention with {(addBiasKv ? "addBiasKv" : "addZeroAttn")} (its extra key and value positions are not compiled; input [4, 2, 16])", compiled.GraphBreak);
    }
}
