using ShapeSafe.NN;
using ShapeSafe.Shapes;
using static ShapeSafe.Tests.CompiledGraphs.CompiledModels;

namespace ShapeSafe.Tests.CompiledGraphs;

/// <summary>Tests that seed and draw from the default generator, which the attention layers' dropouts use: run alone.</summary>
[CollectionDefinition(nameof(DefaultGeneratorCollection), DisableParallelization = true)]
public sealed class DefaultGeneratorCollection;

/// <summary>
/// Compiled self-attention, encoder layers and encoders against the same modules run eagerly: outputs and every
/// gradient, in training mode (every dropout drawing the eager mask from the default generator) and in eval mode, for
/// two batch sizes.
/// </summary>
[Collection(nameof(DefaultGeneratorCollection))]
public class CompiledAttentionTests
{
    static (float[] Output, Dictionary<string, float[]> Grads, float[] InputGrad) Step(Module model, Func<Tensor, Tensor> forward, Tensor data, long seed)
    {
        model.ZeroGrad();
        var x = data.Clone();
        x.RequiresGrad = true;
        Generator.Default.ManualSeed(seed);
        var y = forward(x);
        var weights = Tensor.Arange(y.NumEl).Reshape(y.Shape.ToArray()).Mul(0.01f).Sin();
        y.Mul(weights).Sum().Backward();
        return (y.Detach().ToFloatArray(), model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToFloatArray()), x.Grad!.ToFloatArray());
    }

    /// <summary>Bitwise equality when <paramref name="tolerance"/> is 0, else within it relative to the largest magnitude.</summary>
    static void AssertSame(float[] expected, float[] actual, string what, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Select(v => Math.Abs((double)v)).DefaultIfEmpty(0).Max();
        for (int i = 0; i < expected.Length; i++)
        {
            bool same = tolerance == 0
                ? BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i])
                : Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(scale, 1e-30);
            if (!same) Assert.Fail($"{what}[{i}]: eager {expected[i]:R}, compiled {actual[i]:R} (tolerance {tolerance} of {scale:R})");
        }
    }

    static void AssertMatchesEager(Module eager, Module twin, Func<Tensor, Tensor> compiled, int[] shapeA, int[] shapeB, double outputTolerance, double gradTolerance,
        Func<Tensor, Tensor>? eagerForward = null)
    {
        foreach (var training in new[] { true, false })
        {
            eager.Train(training);
            twin.Train(training);
            foreach (var shape in new[] { shapeA, shapeB, shapeA })
            {
                var data = Tensor.Randn(shape, new Generator(shape.Sum()));
                long seed = shape.Sum() + (training ? 100 : 0);
                var (y1, g1, dx1) = Step(eager, eagerForward ?? (t => ((dynamic)eager).Forward(t)), data, seed);
                var (y2, g2, dx2) = Step(twin, compiled, data, seed);
                string where = $"{eager.GetType().Name} {(training ? "train" : "eval")} [{string.Join(", ", shape)}]";
                AssertSame(y1, y2, where + " output", outputTolerance);
                Assert.Equal(g1.Keys, g2.Keys);
                foreach (var (name, grad) in g1) AssertSame(grad, g2[name], where + " grad of " + name, gradTolerance);
                AssertSame(dx1, dx2, where + " grad of the input", gradTolerance);
            }
        }
    }

    [Theory]
    [InlineData(false, "relu", false)]
    [InlineData(true, "relu", false)]
    [InlineData(false, "gelu", true)]
    [InlineData(true, "gelu", true)]
    public void Encoder_layer_matches_eager(bool normFirst, string activation, bool batchFirst)
    {
        var compiled = new EncoderLayerNet(normFirst, activation, batchFirst, new Generator(7)).Compile();
        Assert.True(compiled.IsCompiled);
        int[] a = batchFirst ? [4, 6, 12] : [6, 4, 12], b = batchFirst ? [3, 5, 12] : [5, 3, 12];
        AssertMatchesEager(new EncoderLayerNet(normFirst, activation, batchFirst, new Generator(7)), compiled.Module, compiled.Forward, a, b, 0, 0);
        Assert.Equal(0, compiled.EagerCalls);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    public void Self_attention_matches_eager(bool batchFirst, bool bias)
    {
        var compiled = new AttentionNet(batchFirst, bias, new Generator(8)).Compile();
        Assert.True(compiled.IsCompiled);
        AssertMatchesEager(new AttentionNet(batchFirst, bias, new Generator(8)), compiled.Module, compiled.Forward, [5, 4, 24], [3, 2, 24], 0, 0);
    }

    [Fact]
    public void Encoder_is_unrolled_into_its_layers_and_its_norm()
    {
        var compiled = new EncoderNet().Compile();
        Assert.True(compiled.IsCompiled);
        AssertMatchesEager(new EncoderNet(), compiled.Module, compiled.Forward, [3, 7, 16], [2, 4, 16], 0, 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Causal_encoder_layer_matches_eager_without_reading_the_mask(bool batchFirst)
    {
        var compiled = new CausalEncoderLayerNet(batchFirst, new Generator(9)).Compile();
        Assert.True(compiled.IsCompiled);
        var eager = new CausalEncoderLayerNet(batchFirst, new Generator(9));
        Tensor Mask(Tensor x) => Transformer.GenerateSquareSubsequentMask(x.Size(batchFirst ? 1 : 0));
        int[] a = batchFirst ? [3, 6, 16] : [6, 3, 16], b = batchFirst ? [2, 4, 16] : [4, 2, 16];
        AssertMatchesEager(eager, compiled.Module, x => compiled.Forward(x, Mask(x)), a, b, 0, 0, x => eager.Forward(x, Mask(x)));
        Assert.Equal(0, compiled.EagerCalls);
        // As the eager layer with the hint, the mask's values are not read: any mask of its rank gives the causal attention.
        compiled.Module.Eval();
        var input = Tensor.Randn(a, new Generator(3));
        Assert.Equal(compiled.Forward(input, Mask(input)).ToFloatArray(), compiled.Forward(input, Tensor.Zeros(new[] { 6, 6 }, DType.Float32)).ToFloatArray());
    }

    [Fact]
    public void A_shape_the_attention_refuses_throws_the_eager_layers_error()
    {
        var compiled = new AttentionNet(batchFirst: false, bias: true, new Generator(8)).Compile();
        var x = Tensor.Randn(new[] { 5, 4, 20 }, new Generator(1));
        var eager = Assert.Throws<ShapeException>(() => compiled.Module.Forward(x));
        var error = Assert.Throws<ShapeException>(() => compiled.Forward(x));
        Assert.Equal(eager.Message, error.Message);
        Assert.StartsWith("MultiheadAttention: was expecting embedding dimension of 24, but got 20", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Encoder_layer_whose_input_takes_no_gradient_trains_its_parameters_as_eager(bool normFirst)
    {
        var compiled = new BareEncoderLayer(normFirst, new Generator(10)).Compile();
        var eager = new BareEncoderLayer(normFirst, new Generator(10));
        var x = Tensor.Randn(new[] { 5, 3, 16 }, new Generator(4));
        Dictionary<string, float[]> Gradients(Module model, Func<Tensor, Tensor> forward)
        {
            model.ZeroGrad();
            Generator.Default.ManualSeed(77);
            var y = forward(x);
            y.Mul(Tensor.Arange(y.NumEl).Reshape(y.Shape.ToArray()).Mul(0.01f).Sin()).Sum().Backward();
            return model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToFloatArray());
        }
        var expected = Gradients(eager, eager.Forward);
        var actual = Gradients(compiled.Module, compiled.Forward);
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (name, grad) in expected) AssertSame(grad, actual[name], "grad of " + name, 0);
        Assert.Null(x.Grad);
    }
}
