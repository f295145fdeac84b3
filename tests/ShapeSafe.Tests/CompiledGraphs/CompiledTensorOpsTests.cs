using ShapeSafe.NN;
using static ShapeSafe.Tests.CompiledGraphs.CompiledModels;

namespace ShapeSafe.Tests.CompiledGraphs;

/// <summary>
/// Compiled tensor methods (reductions, element-wise math, Tril and Triu, Expand) against the same modules run
/// eagerly: the output and every gradient (of each parameter and of the input) bit for bit, in training and eval mode,
/// for two batch sizes through one compiled object (the first shape again last, from the cached plan), saving and
/// recomputing with the min-cut.
/// </summary>
public class CompiledTensorOpsTests
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

    static void AssertMatchesEager<TModule>(Func<Generator, TModule> create, Func<TModule, CompileOptions, CompiledModule> compile,
        Func<CompiledModule, Func<Tensor, Tensor>> forward, Func<TModule, Func<Tensor, Tensor>> eagerForward, Func<int, int[]> shape)
        where TModule : Module
    {
        foreach (var recompute in new[] { RecomputeMode.None, RecomputeMode.MinCut })
        {
            var eager = create(new Generator(41));
            var twin = create(new Generator(41));
            var compiled = compile(twin, new CompileOptions { Recompute = recompute });
            Assert.True(compiled.IsCompiled);
            var compiledForward = forward(compiled);
            foreach (var training in new[] { true, false })
            {
                eager.Train(training);
                twin.Train(training);
                foreach (var batch in new[] { 2, 5, 2 })
                {
                    var data = Tensor.Randn(shape(batch), new Generator(batch * 10 + (training ? 1 : 0)));
                    var expected = Step(eager, eagerForward(eager), data);
                    var actual = Step(twin, compiledForward, data);
                    string where = $"{typeof(TModule).Name} {recompute} {(training ? "train" : "eval")} N={batch}";
                    AssertSame(expected.Output, actual.Output, where + " output");
                    Assert.Equal(expected.Grads.Keys, actual.Grads.Keys);
                    foreach (var (name, grad) in expected.Grads) AssertSame(grad, actual.Grads[name], where + " grad of " + name);
                    AssertSame(expected.InputGrad, actual.InputGrad, where + " grad of the input");
                }
            }
            Assert.Equal(0, compiled.EagerCalls);
            Assert.Equal(4, compiled.PlannedShapes);
        }
    }

    [Fact]
    public void Reductions_over_dims_and_whole_with_and_without_keep_dim_match_eager() =>
        AssertMatchesEager(g => new RowStatistics(g), (m, o) => m.Compile(o), c => ((RowStatistics.Compiled)c).Forward, m => m.Forward, n => new[] { n, 6 });

    [Fact]
    public void Element_wise_math_with_scalar_options_matches_eager() =>
        AssertMatchesEager(g => new ElementwiseMath(g), (m, o) => m.Compile(o), c => ((ElementwiseMath.Compiled)c).Forward, m => m.Forward, n => new[] { n, 6 });

    [Fact]
    public void Triangles_and_expands_match_eager() =>
        AssertMatchesEager(g => new TriangleExpand(g), (m, o) => m.Compile(o), c => ((TriangleExpand.Compiled)c).Forward, m => m.Forward, n => new[] { n, 4, 6 });

    [Fact]
    public void A_shape_the_method_refuses_fails_when_the_plan_is_made_with_the_eager_message()
    {
        var compiled = new TriangleExpand(new Generator(41)).Compile();
        var eager = new TriangleExpand(new Generator(41));
        // [B, 3, 6]: Expand(4, 3) gets a mean of 3 rows.
        var bad = Tensor.Randn(new[] { 2, 3, 6 }, new Generator(1));
        var expected = Record.Exception(() => eager.Forward(bad));
        var actual = Record.Exception(() => compiled.Forward(bad));
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        Assert.Equal(expected!.GetType(), actual!.GetType());
        Assert.Equal(expected.Message, actual.Message);
    }
}
