using ShapeSafe.NN;
using ShapeSafe.Tests.TestSupport;
using static ShapeSafe.Tests.NN.Sequence.SequenceReference;

namespace ShapeSafe.Tests.NN.Sequence;

/// <summary>nn.TransformerEncoderLayer, the decoder layer, the stacks and nn.Transformer: names, printing, wiring, init, masks, gradients.</summary>
public class TransformerTests
{
    static Tensor Sequence(int salt, params int[] shape) => Tensor.FromArray(Pattern(shape.Aggregate(1, (a, b) => a * b), salt), shape);

    static readonly string[] AttentionNames = { "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias" };

    [Fact]
    public void Encoder_layer_names_and_prints_like_pytorch()
    {
        var layer = new TransformerEncoderLayer(4, 2, dimFeedforward: 8, generator: new Generator(0));

        Assert.Equal(
            AttentionNames.Select(n => "self_attn." + n)
                .Concat(new[] { "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias" }),
            layer.StateDict().Keys);
        Assert.Equal(
            "TransformerEncoderLayer(\n" +
            "  (self_attn): MultiheadAttention(\n" +
            "    (out_proj): NonDynamicallyQuantizableLinear(in_features=4, out_features=4, bias=True)\n" +
            "  )\n" +
            "  (linear1): Linear(in_features=4, out_features=8, bias=True)\n" +
            "  (dropout): Dropout(p=0.1, inplace=False)\n" +
            "  (linear2): Linear(in_features=8, out_features=4, bias=True)\n" +
            "  (norm1): LayerNorm((4,), eps=1e-05, elementwise_affine=True)\n" +
            "  (norm2): LayerNorm((4,), eps=1e-05, elementwise_affine=True)\n" +
            "  (dropout1): Dropout(p=0.1, inplace=False)\n" +
            "  (dropout2): Dropout(p=0.1, inplace=False)\n" +
            ")", layer.ToString());
        Assert.Throws<ArgumentException>(() => new TransformerEncoderLayer(4, 2, activation: "tanh"));
    }

    [Fact]
    public void Decoder_layer_names_its_parameters_like_pytorch()
    {
        var layer = new TransformerDecoderLayer(4, 2, dimFeedforward: 8, generator: new Generator(0));

        Assert.Equal(
            AttentionNames.Select(n => "self_attn." + n)
                .Concat(AttentionNames.Select(n => "multihead_attn." + n))
                .Concat(new[] { "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias" })
                .Concat(new[] { "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias", "norm3.weight", "norm3.bias" }),
            layer.StateDict().Keys);
        Assert.Equal(new[] { "self_attn", "multihead_attn", "linear1", "dropout", "linear2", "norm1", "norm2", "norm3", "dropout1", "dropout2", "dropout3" },
            layer.NamedChildren().Select(c => c.Name));
    }

    [Theory]
    [InlineData(false, "relu")]
    [InlineData(true, "gelu")]
    public void Encoder_layer_wires_residuals_and_norms(bool normFirst, string activation)
    {
        var layer = new TransformerEncoderLayer(4, 2, dimFeedforward: 6, dropout: 0, activation: activation, normFirst: normFirst, generator: new Generator(1));
        SetPatternWeights(layer);
        var x = Sequence(3, 3, 2, 4);
        var mask = Transformer.GenerateSquareSubsequentMask(3);

        Tensor Sa(Tensor t) => layer.SelfAttn.Forward(t, t, t, attnMask: mask).Output;
        Tensor Ff(Tensor t)
        {
            var hidden = layer.Linear1.Forward(t);
            return layer.Linear2.Forward(activation == "relu" ? hidden.Relu() : hidden.Gelu());
        }
        Tensor expected;
        if (normFirst)
        {
            var y = x + Sa(layer.Norm1.Forward(x));
            expected = y + Ff(layer.Norm2.Forward(y));
        }
        else
        {
            var y = layer.Norm1.Forward(x + Sa(x));
            expected = layer.Norm2.Forward(y + Ff(y));
        }

        Assert.Equal(expected.ToFloatArray(), layer.Forward(x, srcMask: mask).ToFloatArray());
    }

    [Fact]
    public void Decoder_layer_attends_to_the_memory()
    {
        var layer = new TransformerDecoderLayer(4, 2, dimFeedforward: 6, dropout: 0, generator: new Generator(2));
        var tgt = Sequence(1, 3, 2, 4);
        var memory = Sequence(2, 5, 2, 4);

        var y1 = layer.Norm1.Forward(tgt + layer.SelfAttn.Forward(tgt, tgt, tgt, needWeights: false).Output);
        var y2 = layer.Norm2.Forward(y1 + layer.MultiheadAttn.Forward(y1, memory, memory, needWeights: false).Output);
        var expected = layer.Norm3.Forward(y2 + layer.Linear2.Forward(layer.Linear1.Forward(y2).Relu()));

        Assert.Equal(expected.ToFloatArray(), layer.Forward(tgt, memory).ToFloatArray());
    }

    [Fact]
    public void Encoder_layer_gradients_match_finite_differences()
    {
        var post = new TransformerEncoderLayer(4, 2, dimFeedforward: 6, dropout: 0, generator: new Generator(3));
        var pre = new TransformerEncoderLayer(4, 2, dimFeedforward: 6, dropout: 0, normFirst: true, generator: new Generator(4));
        var padding = Tensor.FromArray(new float[] { 0, 0, -1e9f, 0, 0, 0 }, 2, 3);

        GradCheck.Check(t => post.Forward(t[0], srcKeyPaddingMask: padding), Sequence(5, 3, 2, 4));
        GradCheck.Check(t => pre.Forward(t[0]), Sequence(6, 3, 2, 4));
        var x = Sequence(5, 3, 2, 4);
        FiniteDifferences.Check(_ => pre.Forward(x), pre.Parameters().ToArray<Tensor>());
    }

    [Fact]
    public void Transformer_names_stacks_and_prints_them_compressed()
    {
        var model = new Transformer(4, 2, numEncoderLayers: 2, numDecoderLayers: 1, dimFeedforward: 8, generator: new Generator(0));
        var names = model.StateDict().Keys.ToList();

        Assert.Equal("encoder.layers.0.self_attn.in_proj_weight", names[0]);
        Assert.Contains("encoder.layers.1.norm2.bias", names);
        Assert.Contains("encoder.norm.weight", names);
        Assert.Contains("decoder.layers.0.multihead_attn.out_proj.bias", names);
        Assert.Equal("decoder.norm.bias", names[^1]);
        Assert.Equal(2 * 12 + 2 + 18 + 2, names.Count);
        Assert.Contains("  (encoder): TransformerEncoder(\n    (layers): ModuleList(\n      (0-1): 2 x TransformerEncoderLayer(\n", model.ToString());
        Assert.Contains("    (norm): LayerNorm((4,), eps=1e-05, elementwise_affine=True)\n", model.ToString());
    }

    [Fact]
    public void Transformer_copies_layers_then_redraws_matrices_with_xavier()
    {
        var model = new Transformer(4, 2, numEncoderLayers: 2, numDecoderLayers: 1, dimFeedforward: 8, generator: new Generator(5));
        var layers = model.Encoder.Layers;

        // Copies, not shared: separate parameters, but the 1-D ones (not redrawn) keep the prototype's values.
        Assert.NotSame(layers[0].Linear1.Bias, layers[1].Linear1.Bias);
        Assert.Equal(layers[0].Linear1.Bias!.ToFloatArray(), layers[1].Linear1.Bias!.ToFloatArray());
        Assert.NotEqual(layers[0].Linear1.Weight.ToFloatArray(), layers[1].Linear1.Weight.ToFloatArray());
        foreach (var (name, p) in model.NamedParameters().Where(p => p.Parameter.Rank > 1))
        {
            double bound = Math.Sqrt(6.0 / (p.Shape[0] + p.Shape[1]));
            Assert.True(p.ToFloatArray().All(v => Math.Abs(v) <= bound), name);
        }

        // PyTorch's draw order: the encoder layer, the decoder layer, then xavier over the matrices in order.
        var generator = new Generator(5);
        var encoderLayer = new TransformerEncoderLayer(4, 2, 8, generator: generator);
        _ = new TransformerDecoderLayer(4, 2, 8, generator: generator);
        Assert.Equal(encoderLayer.Linear1.Bias!.ToFloatArray(), layers[1].Linear1.Bias!.ToFloatArray());
        Assert.Equal(Init.XavierUniform(Tensor.Empty(12, 4), generator: generator).ToFloatArray(), layers[0].SelfAttn.InProjWeight!.ToFloatArray());
    }

    [Fact]
    public void Transformer_causal_mask_keeps_earlier_outputs_from_later_targets()
    {
        var model = new Transformer(4, 2, numEncoderLayers: 1, numDecoderLayers: 2, dimFeedforward: 8, generator: new Generator(6));
        model.Eval();
        var src = Sequence(1, 5, 2, 4);
        var tgt = Sequence(2, 3, 2, 4);
        var changed = tgt.Clone();
        using (global::ShapeSafe.Autograd.NoGrad())
            changed.Select(0, 2).CopyFrom(Tensor.Full(new[] { 2, 4 }, 3f));
        var mask = Transformer.GenerateSquareSubsequentMask(3);

        var a = model.Forward(src, tgt, tgtMask: mask);
        var b = model.Forward(src, changed, tgtMask: mask);
        var open = model.Forward(src, changed);

        Assert.Equal(new[] { 3, 2, 4 }, a.Shape);
        Assert.Equal(a.Narrow(0, 0, 2).ToFloatArray(), b.Narrow(0, 0, 2).ToFloatArray());
        Assert.NotEqual(a.Select(0, 2).ToFloatArray(), b.Select(0, 2).ToFloatArray());
        Assert.NotEqual(b.Narrow(0, 0, 2).ToFloatArray(), open.Narrow(0, 0, 2).ToFloatArray());
    }

    [Fact]
    public void Transformer_accepts_batch_first_and_checks_shapes()
    {
        var model = new Transformer(4, 2, numEncoderLayers: 1, numDecoderLayers: 1, dimFeedforward: 8, dropout: 0, batchFirst: true, generator: new Generator(7));

        Assert.Equal(new[] { 2, 3, 4 }, model.Forward(Sequence(1, 2, 5, 4), Sequence(2, 2, 3, 4)).Shape);
        Assert.Equal(new[] { 3, 4 }, model.Forward(Sequence(1, 5, 4), Sequence(2, 3, 4)).Shape);
        Assert.Throws<ShapeException>(() => model.Forward(Sequence(1, 2, 5, 4), Sequence(2, 3, 3, 4)));
        Assert.Throws<ShapeException>(() => model.Forward(Sequence(1, 2, 5, 6), Sequence(2, 2, 3, 6)));
    }

    [Fact]
    public void Layers_and_stacks_take_bool_masks_and_causal_hints_as_pytorch()
    {
        var layer = new TransformerEncoderLayer(4, 2, dimFeedforward: 6, dropout: 0, generator: new Generator(2));
        var src = Sequence(1, 5, 2, 4);
        var causalFloat = Transformer.GenerateSquareSubsequentMask(5);
        var causalBool = causalFloat.Eq(double.NegativeInfinity);
        var padding = Tensor.FromArray(new[] { false, false, false, true, true, false, false, false, false, false }, 2, 5);
        var paddingFloat = Tensor.Zeros(2, 5).MaskedFill(padding, double.NegativeInfinity);

        var expected = layer.Forward(src, causalFloat, paddingFloat).ToFloatArray();
        Assert.Equal(expected, layer.Forward(src, causalBool, padding).ToFloatArray());
        var noPadding = layer.Forward(src, causalFloat).ToFloatArray().Select(v => (double)v).ToArray();
        Close(noPadding, layer.Forward(src, causalBool, isCausal: true));
        Assert.Throws<ArgumentException>(() => layer.Forward(src, isCausal: true));

        var encoder = new TransformerEncoder(layer, 2);
        var stacked = encoder.Forward(src, causalBool).ToFloatArray().Select(v => (double)v).ToArray();
        Close(stacked, encoder.Forward(src, causalBool, isCausal: true));
        Close(stacked, encoder.Forward(src, causalFloat, isCausal: false));
        Assert.True(TransformerMasks.DetectCausal(causalBool, null, 5));
        Assert.True(TransformerMasks.DetectCausal(causalFloat, null, 5));
        Assert.False(TransformerMasks.DetectCausal(causalFloat.Transpose(0, 1), null, 5));
        Assert.False(TransformerMasks.DetectCausal(causalFloat, null, 4));
        Assert.True(TransformerMasks.DetectCausal(null, true, 5));

        var model = new Transformer(4, 2, 1, 1, 6, dropout: 0, generator: new Generator(3));
        var tgt = Sequence(2, 3, 2, 4);
        var tgtCausal = Transformer.GenerateSquareSubsequentMask(3);
        var memoryPadding = Tensor.FromArray(new[] { false, false, false, false, true, false, false, false, false, false }, 2, 5);
        var reference = model.Forward(src, tgt, tgtMask: tgtCausal, memoryKeyPaddingMask: Tensor.Zeros(2, 5).MaskedFill(memoryPadding, double.NegativeInfinity));
        var withBool = model.Forward(src, tgt, tgtMask: tgtCausal.Eq(double.NegativeInfinity), memoryKeyPaddingMask: memoryPadding, tgtIsCausal: true);
        Close(reference.ToFloatArray().Select(v => (double)v).ToArray(), withBool);
        GradCheck.Check(t => layer.Forward(t[0], causalBool, padding, isCausal: true), Sequence(4, 5, 2, 4));
    }
}
