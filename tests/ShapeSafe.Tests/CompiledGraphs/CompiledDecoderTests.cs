using ShapeSafe.NN;
using static ShapeSafe.Tests.CompiledGraphs.CompiledModels;

namespace ShapeSafe.Tests.CompiledGraphs;

/// <summary>
/// Compiled decoder layers, a decoder and a whole Transformer against the same modules run eagerly: outputs and every
/// gradient (each parameter's, the target's and the memory's or source's), bit for bit, in training mode (the dropouts
/// drawing eager mode's masks from the default generator) and eval mode, for two batch sizes and two sequence lengths
/// through one compiled object; and masks of the wrong shapes, which give the eager layer's messages.
/// </summary>
[Collection(nameof(DefaultGeneratorCollection))]
public class CompiledDecoderTests
{
    static (float[] Output, Dictionary<string, float[]> Grads, float[][] InputGrads) Step(Module model, Func<Tensor[], Tensor> forward, Tensor[] data, Tensor[] masks, long seed)
    {
        model.ZeroGrad();
        var inputs = data.Select(d =>
        {
            var x = d.Clone();
            x.RequiresGrad = true;
            return x;
        }).ToArray();
        Generator.Default.ManualSeed(seed);
        var y = forward(inputs.Concat(masks).ToArray());
        var weights = Tensor.Arange(y.NumEl).Reshape(y.Shape.ToArray()).Mul(0.01f).Sin();
        y.Mul(weights).Sum().Backward();
        return (y.Detach().ToFloatArray(), model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToFloatArray()),
            inputs.Select(x => x.Grad!.ToFloatArray()).ToArray());
    }

    static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}[{i}]: eager {expected[i]:R}, compiled {actual[i]:R}");
    }

    /// <summary>The (T, S, N) of the calls: two target lengths, two memory lengths, two batch sizes, and the first again from its cached plan.</summary>
    static readonly (int Length, int Source, int Batch)[] Calls = { (5, 7, 3), (4, 7, 3), (5, 6, 2), (5, 7, 3) };

    static void AssertMatchesEager(Module eager, Module twin, Func<Tensor[], Tensor> eagerForward, Func<Tensor[], Tensor> compiled,
        Func<int, int, int, (Tensor[] Inputs, Tensor[] Masks)> inputs, CompiledModule counts)
    {
        foreach (var training in new[] { true, false })
        {
            eager.Train(training);
            twin.Train(training);
            foreach (var (length, source, batch) in Calls)
            {
                var (data, masks) = inputs(length, source, batch);
                long seed = length * 100 + source * 10 + batch + (training ? 1000 : 0);
                var (y1, g1, dx1) = Step(eager, eagerForward, data, masks, seed);
                var (y2, g2, dx2) = Step(twin, compiled, data, masks, seed);
                string where = $"{eager.GetType().Name} {(training ? "train" : "eval")} {string.Join(" ", data.Select(d => "[" + string.Join(", ", d.Sizes) + "]"))}";
                Assert.All(y1, v => Assert.True(float.IsFinite(v), where + ": the eager output is not finite"));
                AssertBitwise(y1, y2, where + " output");
                Assert.Equal(g1.Keys, g2.Keys);
                foreach (var (name, grad) in g1) AssertBitwise(grad, g2[name], where + " grad of " + name);
                for (int i = 0; i < dx1.Length; i++) AssertBitwise(dx1[i], dx2[i], where + " grad of input " + i);
            }
        }
        Assert.Equal(0, counts.EagerCalls);
        // A plan per distinct shape in each mode: the repeated call ran from its cached plan.
        Assert.Equal(2 * 3, counts.PlannedShapes);
    }

    static Tensor Sequence(int length, int batch, int features, bool batchFirst, int seed) =>
        Tensor.Randn(batchFirst ? new[] { batch, length, features } : new[] { length, batch, features }, new Generator(seed));

    /// <summary>A Bool key padding mask [N, S]: entry b pads its last b % 3 positions.</summary>
    static Tensor Padding(int source, int batch)
    {
        var values = new bool[batch * source];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < source; j++)
                values[b * source + j] = j >= source - b % 3;
        return Tensor.FromArray(values, new[] { batch, source });
    }

    [Theory]
    [InlineData(false, "relu", false)]
    [InlineData(false, "gelu", true)]
    [InlineData(true, "relu", true)]
    [InlineData(true, "gelu", false)]
    public void Decoder_layer_matches_eager(bool normFirst, string activation, bool batchFirst)
    {
        var compiled = new DecoderLayerNet(normFirst, activation, batchFirst, new Generator(51)).Compile();
        Assert.True(compiled.IsCompiled);
        var eager = new DecoderLayerNet(normFirst, activation, batchFirst, new Generator(51));
        AssertMatchesEager(eager, compiled.Module, t => eager.Forward(t[0], t[1]), t => compiled.Forward(t[0], t[1]),
            (l, s, n) => ([Sequence(l, n, 12, batchFirst, l * 10 + n), Sequence(s, n, 16, batchFirst, s * 10 + n + 5)], []), compiled);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void Decoder_layer_with_masks_matches_eager(bool batchFirst, bool floatMask)
    {
        var compiled = new MaskedDecoderLayerNet(batchFirst, new Generator(52)).Compile();
        var eager = new MaskedDecoderLayerNet(batchFirst, new Generator(52));
        Tensor Mask(int length)
        {
            var causal = Transformer.GenerateSquareSubsequentMask(length);
            return floatMask ? causal.Add(Tensor.Randn([length, length], new Generator(length)).Mul(0.2f)) : causal.Lt(0.0);
        }
        AssertMatchesEager(eager, compiled.Module, t => eager.Forward(t[0], t[1], t[2], t[3]), t => compiled.Forward(t[0], t[1], t[2], t[3]),
            (l, s, n) => ([Sequence(l, n, 16, batchFirst, l + n), Sequence(s, n, 16, batchFirst, s + n + 1)], [Mask(l), Padding(s, n)]), compiled);
    }

    [Fact]
    public void Two_layer_decoder_with_its_norm_matches_eager()
    {
        var compiled = new DecoderNet().Compile();
        var eager = new DecoderNet();
        AssertMatchesEager(eager, compiled.Module, t => eager.Forward(t[0], t[1], t[2], t[3]), t => compiled.Forward(t[0], t[1], t[2], t[3]),
            (l, s, n) => ([Sequence(l, n, 16, true, l + 2 * n), Sequence(s, n, 16, true, s + 2 * n + 1)], [Transformer.GenerateSquareSubsequentMask(l), Padding(s, n)]),
            compiled);
    }

    [Fact]
    public void Transformer_matches_eager()
    {
        var compiled = new TransformerNet().Compile();
        var eager = new TransformerNet();
        AssertMatchesEager(eager, compiled.Module, t => eager.Forward(t[0], t[1], t[2], t[3]), t => compiled.Forward(t[0], t[1], t[2], t[3]),
            (l, s, n) => ([Sequence(s, n, 16, false, s + 3 * n), Sequence(l, n, 16, false, l + 3 * n + 1)], [Transformer.GenerateSquareSubsequentMask(l), Padding(s, n)]),
            compiled);
    }

    [Fact]
    public void Masks_of_wrong_shapes_give_the_eager_layers_messages()
    {
        var compiled = new MaskedDecoderLayerNet(false, new Generator(53)).Compile();
        var eager = new MaskedDecoderLayerNet(false, new Generator(53));
        var tgt = Sequence(5, 3, 16, false, 1);
        var memory = Sequence(7, 3, 16, false, 2);
        foreach (var (mask, padding) in new[]
        {
            (Tensor.Zeros([5, 6]), Padding(7, 3)),
            (Tensor.Zeros([5, 5]), Padding(6, 3)),
            (Tensor.Zeros([5, 5]), Padding(7, 2)),
            (Tensor.Zeros([2, 5, 5]), Padding(7, 3)),
        })
        {
            var expected = Assert.ThrowsAny<Exception>(() => eager.Forward(tgt, memory, mask, padding));
            var actual = Assert.ThrowsAny<Exception>(() => compiled.Forward(tgt, memory, mask, padding));
            Assert.Equal(expected.GetType(), actual.GetType());
            Assert.Equal(expected.Message, actual.Message);
        }
    }
}
