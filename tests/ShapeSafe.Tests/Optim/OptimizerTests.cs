using ShapeSafe.NN;
using ShapeSafe.Optim;
using static ShapeSafe.Tests.Optim.OptimTestSupport;

namespace ShapeSafe.Tests.Optim;

/// <summary>What every optimizer shares: groups and their defaults, ZeroGrad, checks, and a small training loop.</summary>
public class OptimizerTests
{
    [Fact]
    public void Group_options_left_unset_take_the_optimizers_arguments()
    {
        var a = new SgdParamGroup(new[] { Param(1f) }, lr: 0.5);
        var b = new SgdParamGroup(new[] { Param(2f) }, momentum: 0.1, nesterov: true);

        var sgd = new Sgd(new[] { a, b }, lr: 0.01, momentum: 0.9, weightDecay: 1e-4);

        Assert.Equal(new ParamGroup[] { a, b }, sgd.ParamGroups);
        Assert.Equal((0.5, 0.9, 1e-4, false), (a.Lr, a.Momentum, a.WeightDecay, a.Nesterov));
        Assert.Equal((0.01, 0.1, 1e-4, true), (b.Lr, b.Momentum, b.WeightDecay, b.Nesterov));
    }

    [Fact]
    public void An_AdamW_group_without_weight_decay_gets_AdamWs_default()
    {
        var group = new AdamParamGroup(new[] { Param(1f) });

        _ = new AdamW(new[] { group });

        Assert.Equal(1e-2, group.WeightDecay);
    }

    [Fact]
    public void Reading_an_option_of_a_group_not_yet_given_to_an_optimizer_throws()
    {
        var group = new SgdParamGroup(new[] { Param(1f) });

        Assert.Throws<InvalidOperationException>(() => group.Momentum);
        Assert.Throws<InvalidOperationException>(() => group.Lr);
    }

    [Fact]
    public void Each_group_uses_its_own_learning_rate()
    {
        var p = Param(1f);
        var q = Param(1f);
        var sgd = new Sgd(new[] { new SgdParamGroup(new[] { p }), new SgdParamGroup(new[] { q }, lr: 0.5) }, lr: 0.25);
        SetGrad(p, 1);
        SetGrad(q, 1);

        sgd.Step();

        Assert.Equal((0.75f, 0.5f), (p.Item(), q.Item()));
    }

    [Fact]
    public void AddParamGroup_adds_parameters_with_the_defaults()
    {
        var p = Param(1f);
        var q = Param(1f);
        var adam = new Adam(new[] { p }, lr: 0.1);

        adam.AddParamGroup(new AdamParamGroup(new[] { q }, amsgrad: true));
        SetGrad(q, 1);
        adam.Step();

        Assert.Equal(2, adam.ParamGroups.Count);
        Assert.Equal(0.1, adam.ParamGroups[1].Lr);
        Assert.Equal(0.9f, q.Item(), 6);
        Assert.Contains("max_exp_avg_sq", adam.GetState(q).Keys);
    }

    [Fact]
    public void A_parameter_listed_twice_is_refused()
    {
        var p = Param(1f);
        var sgd = new Sgd(new[] { p }, lr: 0.1);

        Assert.Equal("some parameters appear in more than one parameter group (Parameter 'group')",
            Assert.Throws<ArgumentException>(() => sgd.AddParamGroup(new SgdParamGroup(new[] { p }))).Message);
        Assert.StartsWith("optimizer contains a parameter group with duplicate parameters",
            Assert.Throws<ArgumentException>(() => new Sgd(new[] { p, p }, lr: 0.1)).Message);
        Assert.Single(sgd.ParamGroups);
    }

    [Fact]
    public void Int64_parameters_are_refused()
    {
        var ints = new Parameter(Tensor.FromArray(new long[] { 1, 2 }), requiresGrad: false);

        Assert.Equal("Sgd: optimizers update Float32 and Float64 parameters only; got a parameter of dtype Int64 and shape [2] (Parameter 'group')",
            Assert.Throws<ArgumentException>(() => new Sgd(new[] { ints }, lr: 0.1)).Message);
    }

    [Fact]
    public void A_gradient_of_the_wrong_shape_is_refused_before_any_parameter_changes()
    {
        var p = Param(1f, 2f);
        var q = Param(1f, 2f);
        var adam = new Adam(new[] { p, q });
        SetGrad(p, 1, 1);
        q.Grad = Tensor.Ones(1); // would broadcast silently

        var e = Assert.Throws<ShapeException>(() => adam.Step());

        Assert.Contains("a gradient of shape [1] for a parameter of shape [2]", e.Message);
        Assert.Equal(new[] { 1f, 2f }, p.ToFloatArray());
        Assert.Empty(adam.GetState(p));
    }

    [Fact]
    public void ZeroGrad_sets_gradients_to_null_by_default_or_zeroes_them_in_place()
    {
        var p = Param(1f, 2f);
        var q = Param(3f);
        var sgd = new Sgd(new[] { p, q }, lr: 0.1);
        SetGrad(p, 5, 6);
        var grad = p.Grad!;

        sgd.ZeroGrad(setToNone: false);

        Assert.Same(grad, p.Grad);
        Assert.Equal(new[] { 0f, 0f }, grad.ToFloatArray());
        Assert.Null(q.Grad);

        sgd.ZeroGrad();

        Assert.Null(p.Grad);
    }

    [Fact]
    public void Optimizers_take_a_modules_parameters()
    {
        var model = new NN.Modules.TestModules.BigNet();

        var adam = new Adam(model.Parameters());

        Assert.Equal(model.Parameters().Count(), adam.ParamGroups[0].Parameters.Count);
    }

    [Fact]
    public void Minimizes_w_minus_3_squared_with_autograd_gradients()
    {
        // (w - 3)^2 = w.w - 6 w + 9; element-wise autograd is not in main yet, so the gradient 2w - 6 is accumulated
        // from two recorded dot products: Dot(w, w) gives 2w and Dot(w, [-6]) gives -6.
        var w = Param(0f);
        var minusSix = Tensor.FromArray(new[] { -6f });
        var sgd = new Sgd(new[] { w }, lr: 0.1, momentum: 0.5);
        var adam = new Adam(new[] { Param(0f) }, lr: 0.1);
        var wAdam = (Parameter)adam.ParamGroups[0].Parameters[0];

        for (int i = 0; i < 200; i++)
        {
            foreach (var (optimizer, p) in new (Optimizer, Parameter)[] { (sgd, w), (adam, wAdam) })
            {
                optimizer.ZeroGrad();
                Tensor.Dot(p, p).Backward();
                Tensor.Dot(p, minusSix).Backward();
                optimizer.Step();
            }
        }

        Assert.Equal(3f, w.Item(), 5);
        Assert.Equal(3f, wAdam.Item(), 2);
    }
}
