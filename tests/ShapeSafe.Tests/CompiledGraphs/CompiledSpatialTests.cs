using ShapeSafe.NN;
using static ShapeSafe.Tests.CompiledGraphs.CompiledModels;

namespace ShapeSafe.Tests.CompiledGraphs;

/// <summary>
/// Compiled pools, group norms, 1-D and transposed convolutions and upsampling against the same modules run eagerly:
/// the output and every gradient (of each parameter and of the input) bit for bit, in training and eval mode, for two
/// batch sizes and two spatial sizes through one compiled object, the first shape again last (the cached plan).
/// </summary>
[Collection(nameof(DefaultGeneratorCollection))]
public class CompiledSpatialTests
{
    sealed record Result(float[] Output, Dictionary<string, float[]> Grads, float[] InputGrad);

    static Result Step(Module model, Func<Tensor, Tensor> forward, Tensor data)
    {
        model.ZeroGrad();
        var input = data.Clone();
        input.RequiresGrad = true;
        var y = forward(input);
        var weights = Tensor.Arange(y.NumEl).Reshape(y.Shape.ToArray()).Mul(0.01f).Sin();
        y.Mul(weights).Sum().Backward();
        return new Result(y.Detach().ToFloatArray(), model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToFloatArray()), input.Grad!.ToFloatArray());
    }

    static void AssertSame(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}[{i}]: eager {expected[i]:R}, compiled {actual[i]:R}");
    }

    static void AssertMatchesEager(Module eager, CompiledModule compiledModule, Module twin, Func<Tensor, Tensor> compiled, Func<Tensor, Tensor> eagerForward,
        Func<int, int, Generator, Tensor> input)
    {
        Assert.True(compiledModule.IsCompiled);
        foreach (var training in new[] { true, false })
        {
            eager.Train(training);
            twin.Train(training);
            foreach (var (batch, size) in new[] { (2, 8), (3, 11), (2, 8) })
            {
                var data = input(batch, size, new Generator(batch * 10 + size));
                var expected = Step(eager, eagerForward, data);
                var actual = Step(twin, compiled, data);
                string where = $"{eager.GetType().Name} {(training ? "train" : "eval")} N={batch} size={size}";
                AssertSame(expected.Output, actual.Output, where + " output");
                Assert.Equal(expected.Grads.Keys, actual.Grads.Keys);
                foreach (var (name, grad) in expected.Grads) AssertSame(grad, actual.Grads[name], where + " grad of " + name);
                AssertSame(expected.InputGrad, actual.InputGrad, where + " grad of the input");
            }
        }
        Assert.Equal(0, compiledModule.EagerCalls);
        Assert.Equal(4, compiledModule.PlannedShapes);
    }

    [Fact]
    public void Resnet_stem_with_group_norm_and_global_average_pool_matches_eager()
    {
        var compiled = new ResNetStem(new Generator(21)).Compile();
        var eager = new ResNetStem(new Generator(21));
        AssertMatchesEager(eager, compiled, compiled.Module, x => compiled.Forward(x), x => eager.Forward(x),
            (n, s, g) => Tensor.Randn(new[] { n, 3, s, s + 1 }, g));
    }

    [Fact]
    public void Average_and_adaptive_pools_and_a_plain_group_norm_match_eager()
    {
        var compiled = new SpatialPools().Compile();
        var eager = new SpatialPools();
        AssertMatchesEager(eager, compiled, compiled.Module, x => compiled.Forward(x), x => eager.Forward(x),
            (n, s, g) => Tensor.Randn(new[] { n, 4, s, s + 3 }, g));
    }

    [Fact]
    public void Conv1d_with_same_padding_groups_and_reflect_padding_matches_eager()
    {
        var compiled = new Conv1dPair(new Generator(22)).Compile();
        var eager = new Conv1dPair(new Generator(22));
        AssertMatchesEager(eager, compiled, compiled.Module, x => compiled.Forward(x), x => eager.Forward(x),
            (n, s, g) => Tensor.Randn(new[] { n, 4, 2 * s }, g));
    }

    [Fact]
    public void Transposed_convolutions_and_upsampling_match_eager()
    {
        var compiled = new Decoder(new Generator(23)).Compile();
        var eager = new Decoder(new Generator(23));
        AssertMatchesEager(eager, compiled, compiled.Module, x => compiled.Forward(x), x => eager.Forward(x),
            (n, s, g) => Tensor.Randn(new[] { n, 4, s / 2, s / 2 + 1 }, g));
    }

    [Fact]
    public void Functional_padding_in_every_mode_and_interpolation_match_eager()
    {
        var compiled = new Paddings(new Generator(25)).Compile();
        var eager = new Paddings(new Generator(25));
        AssertMatchesEager(eager, compiled, compiled.Module, x => compiled.Forward(x), x => eager.Forward(x),
            (n, s, g) => Tensor.Randn(new[] { n, 2, s / 2, s / 2 + 2 }, g));
    }

    [Fact]
    public void A_bad_input_shape_fails_when_the_plan_is_made_with_the_eager_layers_message()
    {
        var compiled = new SpatialPools().Compile();
        var eager = new SpatialPools();
        var bad = Tensor.Randn(new[] { 4, 5 }, new Generator(1));
        var expected = Record.Exception(() => eager.Forward(bad));
        var actual = Record.Exception(() => compiled.Forward(bad));
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        Assert.Equal(expected!.Message, actual!.Message);
        Assert.Contains("AvgPool2d", actual.Message);
    }
}
