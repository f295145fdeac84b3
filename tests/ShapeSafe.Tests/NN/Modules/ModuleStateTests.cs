using ShapeSafe.NN;
using static ShapeSafe.Tests.NN.Modules.TestModules;
// The stand-ins, not ShapeSafe.NN's real layers of the same names.
using LeakyReLU = ShapeSafe.Tests.NN.Modules.TestModules.LeakyReLU;
using Linear = ShapeSafe.Tests.NN.Modules.TestModules.Linear;
using ReLU = ShapeSafe.Tests.NN.Modules.TestModules.ReLU;

namespace ShapeSafe.Tests.NN.Modules;

/// <summary>Train/Eval, Apply, ZeroGrad, StateDict and LoadStateDict with PyTorch's order and errors.</summary>
public class ModuleStateTests
{
    [Fact]
    public void Train_and_Eval_reach_every_module_and_return_this()
    {
        var big = new BigNet();
        Assert.All(big.Modules(), m => Assert.True(m.Training));

        Assert.Same(big, big.Eval());
        Assert.All(big.Modules(), m => Assert.False(m.Training));

        Assert.Same(big.Inner, big.Inner.Train());
        Assert.False(big.Training);
        Assert.False(big.L1.Training);
        Assert.True(big.Inner.L0.Training);

        big.Train(true);
        Assert.All(big.Modules(), m => Assert.True(m.Training));
    }

    [Fact]
    public void Apply_visits_children_first_then_the_module_itself()
    {
        var big = new BigNet();
        var visited = new List<Module>();

        var returned = big.Apply(visited.Add);

        Assert.Same(big, returned);
        Assert.Equal(new Module[] { big.L1, big.Inner.L0, big.Inner.L1, big.Inner, big }, visited);
    }

    [Fact]
    public void Apply_initializes_every_linear_as_in_the_seed()
    {
        var model = new Sequential(new Linear(10, 20), new ReLU(), new Linear(20, 2));
        var generator = new Generator(1);

        model.Apply(m =>
        {
            if (m is Linear linear)
            {
                Init.XavierUniform(linear.Weight, generator: generator);
                Init.Zeros(linear.Bias!);
            }
        });

        var first = (Linear)model[0];
        double bound = Math.Sqrt(6.0 / 30);
        Assert.All(first.Weight.ToFloatArray(), v => Assert.InRange(v, -bound, bound));
        Assert.All(first.Bias!.ToFloatArray(), v => Assert.Equal(0f, v));
        Assert.True(first.Weight.IsLeaf);
        Assert.True(first.Weight.RequiresGrad);
    }

    [Fact]
    public void ZeroGrad_sets_gradients_to_null_by_default_or_zeroes_them_in_place()
    {
        var big = new BigNet();
        foreach (var p in big.Parameters()) p.Grad = Tensor.OnesLike(p);
        var kept = big.L1.Weight.Grad!;

        big.ZeroGrad(setToNone: false);
        Assert.Same(kept, big.L1.Weight.Grad);
        Assert.All(big.Parameters(), p => Assert.All(p.Grad!.ToFloatArray(), v => Assert.Equal(0f, v)));

        big.ZeroGrad();
        Assert.All(big.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void ZeroGrad_clears_gradients_left_by_Backward()
    {
        var m = new MyLinear(4, 3);
        m.Forward(Tensor.Ones(1, 4)).Backward(Tensor.Ones(1, 3));
        Assert.Equal(new[] { 4, 3 }, m.Weight.Grad!.Shape);

        m.ZeroGrad();

        Assert.Null(m.Weight.Grad);
    }

    [Fact]
    public void StateDict_lists_own_parameters_then_own_persistent_buffers_then_children()
    {
        var block = new Block();

        var state = block.StateDict();

        Assert.Equal(new[]
        {
            "scale", "steps",
            "fc.weight", "fc.bias",
            "norm.weight", "norm.running_mean", "norm.num_batches_tracked",
        }, state.Keys);
        Assert.Equal(DType.Int64, state["norm.num_batches_tracked"].DType);
    }

    [Fact]
    public void StateDict_values_are_detached_and_share_the_parameters_storage()
    {
        var m = new MyLinear(2, 2);

        var state = m.StateDict();
        var weight = state["weight"];

        Assert.NotSame(m.Weight, weight);
        Assert.IsNotType<Parameter>(weight);
        Assert.True(weight.SharesStorage(m.Weight));
        Assert.True(weight.IsLeaf);
        Assert.False(weight.RequiresGrad);
        weight[0, 0] = Tensor.Scalar(42f);
        Assert.Equal(42f, m.Weight.ToFloatArray()[0]);

        Assert.Same(m.Weight, m.StateDict(keepVars: true)["weight"]);
        Assert.Equal(new[] { "p.weight", "p.bias" }, m.StateDict("p.").Keys);
    }

    [Fact]
    public void StateDict_names_a_shared_module_under_every_name()
    {
        var l = new Linear(2, 2);

        var state = new Sequential(l, l).StateDict();

        Assert.Equal(new[] { "0.weight", "0.bias", "1.weight", "1.bias" }, state.Keys);
        Assert.True(state["1.weight"].SharesStorage(state["0.weight"]));
    }

    [Fact]
    public void LoadStateDict_copies_values_into_the_existing_parameters()
    {
        var source = new BigNet();
        var target = new BigNet();
        var weight = target.Inner.L0.Weight;
        var expected = source.Inner.L0.Weight.ToFloatArray();

        var (missing, unexpected) = target.LoadStateDict(source.StateDict());

        Assert.Empty(missing);
        Assert.Empty(unexpected);
        Assert.Same(weight, target.Inner.L0.Weight);
        Assert.Equal(expected, weight.ToFloatArray());
        Assert.False(weight.SharesStorage(source.Inner.L0.Weight));
        Assert.True(weight.RequiresGrad);
        Assert.True(weight.IsLeaf);
        Assert.Equal(Snapshot(source), Snapshot(target));
    }

    [Fact]
    public void LoadStateDict_of_the_modules_own_state_keeps_every_value()
    {
        var block = new Block();
        var before = Snapshot(block);

        block.LoadStateDict(block.StateDict());

        AssertUnchanged(before, block);
    }

    [Fact]
    public void LoadStateDict_reads_every_value_before_writing_any()
    {
        // "a" is loaded from b's storage and "b" from a's: a copy in place would see the other's new value.
        var m = new Empty();
        var a = m.RegisterParameter("a", new Parameter(Tensor.FromArray(new[] { 1f, 2f })));
        var b = m.RegisterParameter("b", new Parameter(Tensor.FromArray(new[] { 3f, 4f })));

        m.LoadStateDict(new Dictionary<string, Tensor> { ["a"] = b.Detach(), ["b"] = a.Detach() });

        Assert.Equal(new[] { 3f, 4f }, a.ToFloatArray());
        Assert.Equal(new[] { 1f, 2f }, b.ToFloatArray());
    }

    [Fact]
    public void Strict_loading_lists_every_missing_and_unexpected_key_and_changes_nothing()
    {
        var big = new BigNet();
        var before = Snapshot(big);
        var state = new BigNet().StateDict();
        state.Remove("l1.bias");
        state.Remove("net.l1.weight");
        state["net.l2.weight"] = Tensor.Zeros(1);
        state["extra"] = Tensor.Zeros(1);

        var e = Assert.Throws<StateDictException>(() => big.LoadStateDict(state));

        Assert.Equal(new[] { "l1.bias", "net.l1.weight" }, e.MissingKeys);
        Assert.Equal(new[] { "extra", "net.l2.weight" }, e.UnexpectedKeys);
        Assert.Equal(
            "Error(s) in loading state_dict for BigNet:\n" +
            "\tMissing key(s) in state_dict: \"l1.bias\", \"net.l1.weight\".\n" +
            "\tUnexpected key(s) in state_dict: \"extra\", \"net.l2.weight\".",
            e.Message);
        AssertUnchanged(before, big);
    }

    [Fact]
    public void Non_strict_loading_returns_the_key_lists_and_loads_the_rest()
    {
        var big = new BigNet();
        var source = new BigNet();
        var state = source.StateDict();
        state.Remove("net.l0.bias");
        state["net.l0.scale"] = Tensor.Zeros(1);

        var (missing, unexpected) = big.LoadStateDict(state, strict: false);

        Assert.Equal(new[] { "net.l0.bias" }, missing);
        Assert.Equal(new[] { "net.l0.scale" }, unexpected);
        Assert.Equal(source.Inner.L0.Weight.ToFloatArray(), big.Inner.L0.Weight.ToFloatArray());
        Assert.NotEqual(source.Inner.L0.Bias.ToFloatArray(), big.Inner.L0.Bias.ToFloatArray());
    }

    [Fact]
    public void A_shape_mismatch_is_an_error_even_when_not_strict_and_changes_nothing()
    {
        var big = new BigNet();
        var before = Snapshot(big);
        var state = new BigNet().StateDict();
        state["net.l0.weight"] = Tensor.Zeros(3, 4);
        state["l1.bias"] = Tensor.Zeros(5);

        var e = Assert.Throws<StateDictException>(() => big.LoadStateDict(state, strict: false));

        Assert.Equal(new[]
        {
            "size mismatch for l1.bias: copying a param with shape [5] from checkpoint, the shape in current model is [4].",
            "size mismatch for net.l0.weight: copying a param with shape [3, 4] from checkpoint, the shape in current model is [4, 3].",
        }, e.SizeMismatches);
        Assert.Contains("\n\tsize mismatch for net.l0.weight", e.Message);
        AssertUnchanged(before, big);
    }

    [Fact]
    public void Buffers_load_but_non_persistent_ones_are_unexpected()
    {
        var norm = new Norm(2);
        var state = new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.FromArray(new[] { 5f, 6f }),
            ["running_mean"] = Tensor.FromArray(new[] { 0.5f, -0.5f }),
            ["num_batches_tracked"] = Tensor.Scalar(7L),
            ["scratch"] = Tensor.Zeros(2),
        };

        var e = Assert.Throws<StateDictException>(() => norm.LoadStateDict(state));
        Assert.Equal(new[] { "scratch" }, e.UnexpectedKeys);

        state.Remove("scratch");
        norm.LoadStateDict(state);
        Assert.Equal(new[] { 0.5f, -0.5f }, norm.RunningMean.ToFloatArray());
        Assert.Equal(7L, norm.NumBatchesTracked.ItemInt64());
        Assert.Equal(DType.Int64, norm.NumBatchesTracked.DType);
    }
}
