using ShapeSafe.NN;
using ShapeSafe.Optim;
using static ShapeSafe.Tests.Optim.OptimTestSupport;

namespace ShapeSafe.Tests.Optim;

/// <summary>
/// Rmsprop and Adagrad: PyTorch's defaults, checks and messages, state names and lifetimes, param groups and state
/// dicts. Their arithmetic is pinned bit for bit against LibTorch by <see cref="OptimizerGoldenTests"/>.
/// </summary>
public class RmspropAdagradTests
{
    [Fact]
    public void Rmsprop_has_PyTorchs_defaults()
    {
        var g = (RmspropParamGroup)new Rmsprop(new[] { Param(1f) }).ParamGroups[0];

        Assert.Equal((0.01, 0.99, 1e-8, 0.0, 0.0, false, false), (g.Lr, g.Alpha, g.Eps, g.WeightDecay, g.Momentum, g.Centered, g.Maximize));
    }

    [Fact]
    public void Adagrad_has_PyTorchs_defaults()
    {
        var g = (AdagradParamGroup)new Adagrad(new[] { Param(1f) }).ParamGroups[0];

        Assert.Equal((0.01, 0.0, 0.0, 0.0, 1e-10, false), (g.Lr, g.LrDecay, g.WeightDecay, g.InitialAccumulatorValue, g.Eps, g.Maximize));
    }

    [Theory]
    [InlineData(-1.0, 1e-8, 0.0, 0.0, 0.99, "Invalid learning rate: -1")]
    [InlineData(0.1, -1e-8, -1.0, 0.0, 0.99, "Invalid epsilon value: -1E-08")]
    [InlineData(0.1, 1e-8, -0.5, -1.0, 0.99, "Invalid momentum value: -0.5")]
    [InlineData(0.1, 1e-8, 0.0, -0.1, -1.0, "Invalid weight_decay value: -0.1")]
    [InlineData(0.1, 1e-8, 0.0, 0.0, -0.01, "Invalid alpha value: -0.01")]
    public void Rmsprop_refuses_options_out_of_range_in_PyTorchs_order(double lr, double eps, double momentum, double weightDecay, double alpha, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => new Rmsprop(new[] { Param(1f) }, lr, alpha, eps, weightDecay, momentum));
        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData(-0.1, 0.0, 0.0, 1e-10, "Invalid learning rate: -0.1")]
    [InlineData(0.1, -1.0, -1.0, 1e-10, "Invalid lr_decay value: -1")]
    [InlineData(0.1, 0.0, -2.0, -1.0, "Invalid weight_decay value: -2")]
    [InlineData(0.1, 0.0, 0.0, -1.0, "Invalid initial_accumulator_value value: -1")]
    public void Adagrad_refuses_options_out_of_range_in_PyTorchs_order(double lr, double lrDecay, double weightDecay, double initial, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => new Adagrad(new[] { Param(1f) }, lr, lrDecay, weightDecay, initial));
        Assert.Equal(message, e.Message);
        Assert.Equal("Invalid epsilon value: -1E-10",
            Assert.Throws<ArgumentException>(() => new Adagrad(new[] { Param(1f) }, eps: -1e-10)).Message);
    }

    [Fact]
    public void Rmsprop_state_appears_at_the_first_step_with_only_the_buffers_its_options_need()
    {
        var plain = Param(1f, 2f);
        var full = Param(1f, 2f);
        var rmsprop = new Rmsprop(new[] { new RmspropParamGroup(new[] { plain }), new RmspropParamGroup(new[] { full }, momentum: 0.9, centered: true) });
        Assert.Empty(rmsprop.GetState(plain));

        SetGrad(plain, 0.5, -1);
        SetGrad(full, 0.5, -1);
        rmsprop.Step();

        Assert.Equal(new[] { "step", "square_avg" }, rmsprop.GetState(plain).Keys);
        Assert.Equal(new[] { "step", "square_avg", "momentum_buffer", "grad_avg" }, rmsprop.GetState(full).Keys);
        Assert.Equal(1f, rmsprop.GetState(full)["step"].Item());
        // square_avg = (1 - alpha) g², grad_avg = (1 - alpha) g after one step from zeros.
        Assert.Equal(new[] { 0.01f * 0.25f, 0.01f }, rmsprop.GetState(full)["square_avg"].ToFloatArray());
        Assert.Equal(new[] { 0.005f, -0.01f }, rmsprop.GetState(full)["grad_avg"].ToFloatArray());
    }

    [Fact]
    public void Turning_Rmsprop_momentum_on_after_the_first_step_throws_as_PyTorch_does()
    {
        var p = Param(1f);
        var rmsprop = new Rmsprop(new[] { p });
        SetGrad(p, 0.5);
        rmsprop.Step();
        ((RmspropParamGroup)rmsprop.ParamGroups[0]).Momentum = 0.9;

        var e = Assert.Throws<InvalidOperationException>(() => rmsprop.Step());
        Assert.Equal("Rmsprop: momentum was turned on after this parameter (shape [1]) was first updated, so it has no 'momentum_buffer' (PyTorch raises KeyError here)", e.Message);
    }

    [Fact]
    public void Adagrad_fills_the_state_of_every_parameter_at_construction()
    {
        var a = Param(1f, 2f);
        var b = new Parameter(Tensor.FromArray(new[] { 1.0, 2.0, 3.0 }));
        var adagrad = new Adagrad(new[] { a, b }, initialAccumulatorValue: 0.1);

        Assert.Equal(new[] { "step", "sum" }, adagrad.GetState(a).Keys);
        Assert.Equal(0f, adagrad.GetState(a)["step"].Item());
        Assert.Equal(new[] { 0.1f, 0.1f }, adagrad.GetState(a)["sum"].ToFloatArray());
        Assert.Equal(DType.Float64, adagrad.GetState(b)["sum"].DType);
        Assert.Equal(DType.Float32, adagrad.GetState(b)["step"].DType);
        Assert.Equal(new[] { 0.1, 0.1, 0.1 }, adagrad.GetState(b)["sum"].ToDoubleArray());
        // A parameter without a gradient keeps its state, and the state dict has it (PyTorch's does too).
        Assert.Equal(new[] { "state.0.step", "state.0.sum", "state.1.step", "state.1.sum" }, adagrad.StateDict().Tensors.Keys);
    }

    [Fact]
    public void Adagrads_first_step_moves_each_weight_by_lr_against_the_sign_of_its_gradient()
    {
        var p = Param(1f, -2f, 0.5f);
        var adagrad = new Adagrad(new[] { p }, lr: 0.25);
        SetGrad(p, 3, -0.5, 0);

        adagrad.Step();

        // sum = g², std = |g| + 1e-10, p -= lr · g / std: lr·sign(g) to float precision; a zero gradient leaves p.
        Assert.Equal(new[] { 0.75f, -1.75f, 0.5f }, p.ToFloatArray());
    }

    [Fact]
    public void Adagrad_groups_added_later_have_no_state_and_cannot_step_as_in_PyTorch()
    {
        var a = Param(1f);
        var late = Param(2f);
        var adagrad = new Adagrad(new[] { a });
        adagrad.AddParamGroup(new AdagradParamGroup(new[] { late }, lr: 0.5));
        Assert.Empty(adagrad.GetState(late));
        Assert.Equal(0.5, adagrad.ParamGroups[1].Lr);
        Assert.Equal(1e-10, ((AdagradParamGroup)adagrad.ParamGroups[1]).Eps);

        SetGrad(late, 1);
        var e = Assert.Throws<InvalidOperationException>(() => adagrad.Step());
        Assert.Equal("Adagrad: this parameter (shape [1]) has no 'sum': Adagrad gives state only to the parameters of the groups it was constructed with (PyTorch raises KeyError here)", e.Message);
    }

    [Fact]
    public void Adagrad_lr_decay_divides_the_rate_by_one_plus_the_past_steps_times_the_decay()
    {
        // With a constant gradient g, sum after step t is t·g², so step t moves p by lr / (1 + (t-1)·decay) / sqrt(t).
        var p = new Parameter(Tensor.FromArray(new[] { 0.0 }));
        var adagrad = new Adagrad(new[] { p }, lr: 0.1, lrDecay: 0.5, eps: 0);
        double expected = 0;
        for (int t = 1; t <= 4; t++)
        {
            p.Grad = Tensor.FromArray(new[] { 2.0 });
            adagrad.Step();
            expected -= 0.1 / (1 + (t - 1) * 0.5) * 2.0 / Math.Sqrt(t * 4.0);
        }
        Assert.Equal(expected, p.ToDoubleArray()[0], 15);
    }

    [Fact]
    public void State_dicts_use_PyTorchs_keys_and_param_group_names()
    {
        var p = Param(1f, 2f);
        var rmsprop = new Rmsprop(new[] { p }, lr: 0.02, momentum: 0.5, centered: true);
        SetGrad(p, 1, -1);
        rmsprop.Step();
        var sd = rmsprop.StateDict();
        Assert.Equal("Rmsprop", sd.Metadata["optimizer"]);
        Assert.Equal(new[] { "state.0.step", "state.0.square_avg", "state.0.momentum_buffer", "state.0.grad_avg" }, sd.Tensors.Keys);
        Assert.Equal("[{\"lr\":0.02,\"momentum\":0.5,\"alpha\":0.99,\"eps\":1E-08,\"centered\":true,\"weight_decay\":0,\"maximize\":false,\"params\":[0]}]",
            sd.Metadata["param_groups"]);

        var adagrad = new Adagrad(new[] { Param(1f) }, lrDecay: 0.1, initialAccumulatorValue: 0.5);
        Assert.Equal("[{\"lr\":0.01,\"lr_decay\":0.1,\"eps\":1E-10,\"weight_decay\":0,\"initial_accumulator_value\":0.5,\"maximize\":false,\"params\":[0]}]",
            adagrad.StateDict().Metadata["param_groups"]);
    }

    public static TheoryData<string> Kinds => new() { "rmsprop", "rmsprop-centered-momentum", "adagrad", "adagrad-float64" };

    static Parameter[] Parameters(string kind) => kind.EndsWith("float64")
        ? new[] { new Parameter(Tensor.FromArray(new[] { 1.5, -0.75, 3.0 })), new Parameter(Tensor.FromArray(new[] { 0.25, 0.5, -2.0 })) }
        : new[] { Param(1.5f, -0.75f, 3f), Param(0.25f, 0.5f, -2f) };

    static Optimizer Make(string kind, Parameter[] ps, bool other = false) => kind switch
    {
        "rmsprop" => new Rmsprop(ps, lr: other ? 1 : 0.01, weightDecay: 0.1),
        "rmsprop-centered-momentum" => new Rmsprop(ps, lr: other ? 1 : 0.01, momentum: 0.9, centered: true, maximize: true),
        _ => new Adagrad(ps, lr: other ? 1 : 0.1, lrDecay: 0.2, initialAccumulatorValue: other ? 0 : 0.3),
    };

    static void Feed(Parameter[] ps, int k)
    {
        foreach (var (p, i) in ps.Select((p, i) => (p, i)))
        {
            var g = GradientAt(k + 3 * i);
            p.Grad = p.DType == DType.Float64 ? Tensor.FromArray(g) : Tensor.FromArray(g.Select(v => (float)v).ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_fresh_optimizer_loaded_from_a_state_dict_continues_bit_for_bit(string kind)
    {
        var original = Parameters(kind);
        var optimizer = Make(kind, original);
        for (int k = 0; k < 3; k++)
        {
            Feed(original, k);
            optimizer.Step();
        }
        var copy = original.Select(p => new Parameter(p.Detach().Clone())).ToArray();
        var resumed = Make(kind, copy, other: true);
        resumed.LoadStateDict(optimizer.StateDict());
        for (int k = 3; k < 6; k++)
        {
            Feed(original, k);
            optimizer.Step();
            Feed(copy, k);
            resumed.Step();
        }

        for (int i = 0; i < original.Length; i++)
        {
            Assert.Equal(original[i].ToDType(DType.Float64).ToDoubleArray(), copy[i].ToDType(DType.Float64).ToDoubleArray());
            Assert.Equal(original[i].DType, optimizer.GetState(original[i])[kind.StartsWith("adagrad") ? "sum" : "square_avg"].DType);
        }
    }

    [Fact]
    public void Loading_a_state_dict_without_the_buffers_the_options_need_is_refused()
    {
        var p = Param(1f);
        var plain = new Rmsprop(new[] { p });
        SetGrad(p, 1);
        plain.Step();
        var centered = new Rmsprop(new[] { Param(1f) }, centered: true);

        // The saved group says centered: false, so a plain state loads; once it says true, grad_avg is required.
        var sd = plain.StateDict();
        var metadata = sd.Metadata.ToDictionary(e => e.Key, e => e.Value);
        metadata["param_groups"] = metadata["param_groups"].Replace("\"centered\":false", "\"centered\":true");
        var e = Assert.Throws<ArgumentException>(() => centered.LoadStateDict(new OptimizerStateDict(sd.Tensors, metadata)));
        Assert.Contains("Missing key in state_dict: \"state.0.grad_avg\".", e.Message);

        var adagrad = new Adagrad(new[] { Param(1f) });
        var withoutSum = adagrad.StateDict().Tensors.Where(t => t.Key != "state.0.sum").ToDictionary(t => t.Key, t => t.Value);
        var missing = Assert.Throws<ArgumentException>(() => adagrad.LoadStateDict(new OptimizerStateDict(withoutSum, adagrad.StateDict().Metadata)));
        Assert.Contains("Missing key in state_dict: \"state.0.sum\".", missing.Message);
    }
}
