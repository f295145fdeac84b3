using ShapeSafe.NN;
using static ShapeSafe.Tests.CompiledGraphs.CompiledGraphTests;
using static ShapeSafe.Tests.CompiledGraphs.CompiledModels;

namespace ShapeSafe.Tests.CompiledGraphs;

/// <summary>
/// Compiled graphs of a <c>Forward</c> that branches on <c>Training</c> and on readonly constructor options: one
/// graph per combination, against the same module run eagerly, bit for bit, with the mode switched between calls.
/// </summary>
public class CompiledBranchTests
{
    /// <summary>Train, eval, train... with two batch sizes: each call's output and every gradient equal eager mode's bit for bit.</summary>
    internal static void AssertMatchesEager(Module eager, Func<Tensor, Tensor> eagerForward, Module twin, Func<Tensor, Tensor> compiled, int[] shapeA, int[] shapeB)
    {
        var calls = new[] { (true, shapeA), (false, shapeA), (true, shapeB), (false, shapeB), (false, shapeA), (true, shapeA), (true, shapeB) };
        foreach (var (training, shape) in calls)
        {
            eager.Train(training);
            twin.Train(training);
            var data = Tensor.Randn(shape, new Generator(shape.Sum()));
            var (x1, x2) = (data.Clone(), data.Clone());
            x1.RequiresGrad = true;
            x2.RequiresGrad = true;
            var (y1, g1, dx1) = Step(eager, eagerForward, x1);
            var (y2, g2, dx2) = Step(twin, compiled, x2);
            string where = $"{eager.GetType().Name} {(training ? "train" : "eval")} [{string.Join(", ", shape)}]";
            AssertSame(y1, y2, where + " output", 0);
            Assert.Equal(g1.Keys, g2.Keys);
            foreach (var (name, grad) in g1) AssertSame(grad, g2[name], where + " grad of " + name, 0);
            AssertSame(dx1!, dx2!, where + " grad of the input", 0);
        }
    }

    [Fact]
    public void A_branch_on_training_runs_each_modes_graph_and_matches_eager()
    {
        var eager = new ModeSwitched();
        var compiled = new ModeSwitched().Compile();
        Assert.True(compiled.IsCompiled);
        AssertMatchesEager(eager, eager.Forward, compiled.Module, compiled.Forward, [9, 10], [4, 10]);
        // Each mode's graph planned both shapes; nothing ran eagerly.
        Assert.Equal((4, 0), (compiled.PlannedShapes, compiled.EagerCalls));
    }

    [Theory]
    [InlineData(Activation.Relu, true)]
    [InlineData(Activation.Tanh, false)]
    [InlineData(Activation.Gelu, true)]
    [InlineData(Activation.Gelu, false)]
    public void Branches_on_constructor_options_run_the_graph_the_options_pick(Activation activation, bool scaled)
    {
        var eager = new Activated(activation, scaled);
        var compiled = new Activated(activation, scaled).Compile();
        Assert.True(compiled.IsCompiled);
        AssertMatchesEager(eager, eager.Forward, compiled.Module, compiled.Forward, [6, 10], [3, 10]);
        // The options pick one graph for both modes: its plans are keyed by mode and shape, as a graph without branches.
        Assert.Equal((4, 0), (compiled.PlannedShapes, compiled.EagerCalls));
    }

    [Fact]
    public void A_switch_on_an_option_and_a_scaled_output_give_other_values_for_other_options()
    {
        var x = Tensor.Randn(new[] { 2, 10 }, new Generator(90));
        var relu = new Activated(Activation.Relu, scaled: false).Compile().Forward(x).ToFloatArray();
        Assert.NotEqual(relu, new Activated(Activation.Tanh, scaled: false).Compile().Forward(x).ToFloatArray());
        Assert.NotEqual(relu, new Activated(Activation.Relu, scaled: true).Compile().Forward(x).ToFloatArray());
    }

    [Fact]
    public void Inlined_blocks_branch_on_their_own_mode_and_on_their_optional_shortcut()
    {
        var eager = new Blocks();
        var compiled = new Blocks().Compile();
        Assert.True(compiled.IsCompiled);
        AssertMatchesEager(eager, eager.Forward, compiled.Module, compiled.Forward, [7, 12], [2, 12]);
        Assert.Equal((4, 0), (compiled.PlannedShapes, compiled.EagerCalls));
        // The shortcut's projection trains like eager mode's.
        Assert.Contains("block2.downsample.weight", compiled.Module.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void A_child_in_another_mode_than_its_parent_runs_eagerly()
    {
        var eager = new Blocks();
        var compiled = new Blocks().Compile();
        foreach (var model in new Module[] { eager, compiled.Module })
        {
            model.Train();
            model.NamedModules().Single(m => m.Name == "block1").Module.Eval();
        }
        var x = Tensor.Randn(new[] { 5, 12 }, new Generator(91));
        AssertSame(eager.Forward(x).ToFloatArray(), compiled.Forward(x).ToFloatArray(), "block1 in eval mode", 0);
        Assert.Equal((0, 1), (compiled.PlannedShapes, compiled.EagerCalls));
    }

    [Fact]
    public void A_generic_module_and_a_parent_that_inlines_one_match_eager()
    {
        var eager = new Classifier<Activation>();
        var compiled = new Classifier<Activation>().Compile();
        Assert.True(compiled.IsCompiled);
        AssertMatchesEager(eager, eager.Forward, compiled.Module, compiled.Forward, [6, 10], [2, 10]);
        Assert.Equal(3, compiled.Forward(Tensor.Randn(new[] { 2, 10 }, new Generator(92))).Size(1));

        var parent = new ActivationClassifier();
        var compiledParent = new ActivationClassifier().Compile();
        Assert.True(compiledParent.IsCompiled);
        AssertMatchesEager(parent, parent.Forward, compiledParent.Module, compiledParent.Forward, [6, 10], [2, 10]);
        Assert.Equal((4, 0), (compiledParent.PlannedShapes, compiledParent.EagerCalls));
    }
}
