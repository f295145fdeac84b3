using ShapeSafe.NN;
using ShapeSafe.Optim;
using ShapeSafe.Serialization;
using static ShapeSafe.Tests.Optim.OptimTestSupport;

namespace ShapeSafe.Tests.Optim;

/// <summary>Optimizer state dicts: the format, round trips through safetensors, and refusals that leave the optimizer unchanged.</summary>
public sealed class OptimizerStateDictTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("shapesafe-optim-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    string PathOf(string name) => Path.Combine(_folder, name);

    static Parameter[] Parameters() => new[] { Param(1.5f, -0.75f, 3f), Param(0.25f, 0.5f, -2f), Param(4f, 4f, 4f) };

    /// <summary>Feeds step k's gradients to the first two parameters (the third never gets one).</summary>
    static void Feed(Parameter[] ps, int k)
    {
        SetGrad(ps[0], GradientAt(k));
        SetGrad(ps[1], GradientAt(k + 7).Select(g => -0.5 * g).ToArray());
    }

    static float[][] Values(Parameter[] ps) => ps.Select(p => p.ToFloatArray()).ToArray();

    public static TheoryData<string> Kinds => new() { "sgd", "sgd-nesterov", "adam", "adam-amsgrad", "adamw" };

    static Optimizer Make(string kind, Parameter[] ps) => kind switch
    {
        "sgd" => new Sgd(ps, lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01),
        "sgd-nesterov" => new Sgd(ps, lr: 0.05, momentum: 0.9, nesterov: true, maximize: true),
        "adam" => new Adam(ps, lr: 0.01, weightDecay: 0.1),
        "adam-amsgrad" => new Adam(ps, lr: 0.01, betas: (0.8, 0.95), amsgrad: true),
        _ => new AdamW(ps, lr: 0.01, weightDecay: 0.3),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_fresh_optimizer_loaded_from_a_file_continues_bit_for_bit(string kind)
    {
        var original = Parameters();
        var optimizer = Make(kind, original);
        for (int k = 0; k < 3; k++)
        {
            Feed(original, k);
            optimizer.Step();
        }
        var path = PathOf(kind + ".safetensors");
        optimizer.Save(path);

        // A fresh model with the same values and a fresh optimizer with other hyperparameters, then load.
        var copy = original.Select(p => new Parameter(p.Detach().Clone())).ToArray();
        var resumed = kind.StartsWith("sgd") ? (Optimizer)new Sgd(copy, lr: 1) : kind == "adamw" ? new AdamW(copy, lr: 1) : new Adam(copy, lr: 1);
        resumed.Load(path);
        for (int k = 3; k < 6; k++)
        {
            Feed(original, k);
            optimizer.Step();
            Feed(copy, k);
            resumed.Step();
        }

        Assert.Equal(Values(original), Values(copy));
    }

    [Fact]
    public void The_format_is_PyTorchs_state_keys_and_param_groups_json()
    {
        var ps = Parameters();
        var adam = new Adam(ps, lr: 0.01, amsgrad: true);
        Feed(ps, 0);
        adam.Step();

        var sd = adam.StateDict();

        Assert.Equal(new[] { "state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq", "state.0.max_exp_avg_sq",
            "state.1.step", "state.1.exp_avg", "state.1.exp_avg_sq", "state.1.max_exp_avg_sq" }, sd.Tensors.Keys);
        Assert.Equal(1f, sd.Tensors["state.0.step"].Item());
        Assert.Equal("shapesafe.optim", sd.Metadata["format"]);
        Assert.Equal("1", sd.Metadata["version"]);
        Assert.Equal("Adam", sd.Metadata["optimizer"]);
        Assert.Equal("[{\"lr\":0.01,\"betas\":[0.9,0.999],\"eps\":1E-08,\"weight_decay\":0,\"amsgrad\":true,\"maximize\":false,\"params\":[0,1,2]}]",
            sd.Metadata["param_groups"]);
    }

    [Fact]
    public void Parameter_indices_run_across_groups_and_hyperparameters_round_trip_exactly()
    {
        var ps = Parameters();
        var sgd = new Sgd(new[] { new SgdParamGroup(ps[..1], lr: 0.1 / 3), new SgdParamGroup(ps[1..], momentum: 0.7) }, lr: 1e-5, momentum: 0.9);
        _ = new StepLR(sgd, stepSize: 2);
        Feed(ps, 0);
        sgd.Step();
        var path = PathOf("groups.safetensors");
        sgd.Save(path);

        var fresh = Parameters();
        var loaded = new Sgd(new[] { new SgdParamGroup(fresh[..1]), new SgdParamGroup(fresh[1..]) }, lr: 0.5);
        loaded.Load(path);

        Assert.Equal(new[] { "state.0.momentum_buffer", "state.1.momentum_buffer" }, sgd.StateDict().Tensors.Keys);
        Assert.Contains("\"params\":[1,2]", sgd.StateDict().Metadata["param_groups"]);
        var (a, b) = ((SgdParamGroup)loaded.ParamGroups[0], (SgdParamGroup)loaded.ParamGroups[1]);
        Assert.Equal(0.1 / 3, a.Lr);
        Assert.Equal(0.1 / 3, a.InitialLr);
        Assert.Equal(0.9, a.Momentum);
        Assert.Equal(1e-5, b.Lr);
        Assert.Equal(0.7, b.Momentum);
        Assert.Equal(sgd.GetState(ps[1])["momentum_buffer"].ToFloatArray(), loaded.GetState(fresh[1])["momentum_buffer"].ToFloatArray());
        Assert.Empty(loaded.GetState(fresh[2]));
    }

    [Fact]
    public void Loading_copies_the_tensors_and_replaces_all_state()
    {
        var ps = Parameters();
        var adam = new Adam(ps);
        Feed(ps, 0);
        adam.Step();
        var sd = adam.StateDict();

        var other = Parameters();
        var target = new Adam(other);
        SetGrad(other[2], 1, 1, 1);
        target.Step();
        target.LoadStateDict(sd);
        sd.Tensors["state.0.exp_avg"].FillInPlace(123f);

        Assert.Empty(target.GetState(other[2]));
        Assert.NotEqual(123f, target.GetState(other[0])["exp_avg"].ToFloatArray()[0]);
        Assert.Equal(1f, target.GetState(other[1])["step"].Item());
    }

    [Fact]
    public void State_dict_tensors_share_storage_with_the_live_state()
    {
        var ps = Parameters();
        var sgd = new Sgd(ps, lr: 0.1, momentum: 0.9);
        Feed(ps, 0);
        sgd.Step();

        Assert.True(sgd.StateDict().Tensors["state.0.momentum_buffer"].SharesStorage(sgd.GetState(ps[0])["momentum_buffer"]));
    }

    /// <summary>A snapshot of everything a failed load must leave alone.</summary>
    static string Snapshot(Optimizer o) =>
        string.Join(";", o.StateDict().Metadata.OrderBy(kv => kv.Key).Select(kv => kv.Key + "=" + kv.Value))
        + string.Join(";", o.StateDict().Tensors.Select(kv => kv.Key + "=" + string.Join(",", kv.Value.ToFloatArray())));

    static (Adam Optimizer, Parameter[] Parameters) SteppedAdam(bool amsgrad = false)
    {
        var ps = Parameters();
        var adam = new Adam(ps, lr: 0.02, amsgrad: amsgrad);
        Feed(ps, 0);
        adam.Step();
        return (adam, ps);
    }

    static void AssertRefused(Optimizer target, OptimizerStateDict sd, params string[] fragments)
    {
        var before = Snapshot(target);
        var e = Assert.Throws<ArgumentException>(() => target.LoadStateDict(sd));
        foreach (var f in fragments) Assert.Contains(f, e.Message);
        Assert.Equal(before, Snapshot(target));
    }

    static OptimizerStateDict With(OptimizerStateDict sd, Action<Dictionary<string, Tensor>, Dictionary<string, string>> change)
    {
        var tensors = new Dictionary<string, Tensor>(sd.Tensors);
        var metadata = new Dictionary<string, string>(sd.Metadata);
        change(tensors, metadata);
        return new OptimizerStateDict(tensors, metadata);
    }

    [Fact]
    public void A_different_number_of_parameters_is_refused()
    {
        var (source, _) = SteppedAdam();
        var (target, _) = SteppedAdam();
        var small = new Adam(new[] { Param(1f, 2f, 3f) });

        AssertRefused(small, source.StateDict(), "doesn't match the size of optimizer's group");
        AssertRefused(target, small.StateDict(), "doesn't match the size of optimizer's group");
    }

    [Fact]
    public void A_different_number_of_groups_is_refused()
    {
        var (source, _) = SteppedAdam();
        var ps = Parameters();
        var twoGroups = new Adam(new[] { new AdamParamGroup(ps[..1]), new AdamParamGroup(ps[1..]) });

        AssertRefused(twoGroups, source.StateDict(), "loaded state dict has a different number of parameter groups");
    }

    [Fact]
    public void A_state_tensor_whose_shape_differs_from_its_parameter_is_refused()
    {
        var (source, _) = SteppedAdam();
        var (target, _) = SteppedAdam();
        var bad = With(source.StateDict(), (t, _) => t["state.1.exp_avg_sq"] = Tensor.Zeros(2, 3));

        AssertRefused(target, bad, "size mismatch for state.1.exp_avg_sq: copying a tensor with shape [2, 3] from checkpoint, the shape of the parameter is [3]");
    }

    [Fact]
    public void Missing_and_unexpected_state_keys_are_all_reported()
    {
        var (source, _) = SteppedAdam(amsgrad: true);
        var (target, _) = SteppedAdam();
        var bad = With(source.StateDict(), (t, _) =>
        {
            t.Remove("state.0.max_exp_avg_sq");
            t.Remove("state.1.step");
            t["state.0.momentum_buffer"] = Tensor.Zeros(3);
            t["state.9.exp_avg"] = Tensor.Zeros(3);
            t["junk"] = Tensor.Zeros(3);
        });

        AssertRefused(target, bad,
            "Missing key in state_dict: \"state.0.max_exp_avg_sq\"",
            "Missing key in state_dict: \"state.1.step\"",
            "Unexpected key in state_dict: \"state.0.momentum_buffer\"",
            "Unexpected key in state_dict: \"state.9.exp_avg\" (no parameter has index 9)",
            "Unexpected key in state_dict: \"junk\"");
    }

    [Fact]
    public void Another_optimizers_state_dict_is_refused()
    {
        var (adam, ps) = SteppedAdam();
        var sgd = new Sgd(Parameters(), lr: 0.1, momentum: 0.9);
        var adamW = new AdamW(Parameters());

        AssertRefused(sgd, adam.StateDict(), "the state dict is for optimizer \"Adam\", not \"Sgd\"");
        AssertRefused(adamW, adam.StateDict(), "the state dict is for optimizer \"Adam\", not \"AdamW\"");
    }

    [Fact]
    public void Malformed_or_out_of_range_hyperparameters_are_refused()
    {
        var (source, _) = SteppedAdam();
        var (target, _) = SteppedAdam();

        AssertRefused(target, With(source.StateDict(), (_, m) => m["param_groups"] = "[{\"lr\":-1,\"betas\":[0.9,0.999],\"eps\":1e-8,\"weight_decay\":0,\"params\":[0,1,2]}]"),
            "param_groups[0]: Invalid learning rate: -1");
        AssertRefused(target, With(source.StateDict(), (_, m) => m["param_groups"] = "[{\"lr\":0.1,\"betas\":[0.9],\"eps\":\"x\",\"params\":[0,1,2]}]"),
            "'betas' has 1 values, expected 2", "'eps' is not a number", "has no 'weight_decay'");
        AssertRefused(target, With(source.StateDict(), (_, m) => m["param_groups"] = "not json"), "'param_groups' is not valid JSON");
        AssertRefused(target, With(source.StateDict(), (_, m) => m["format"] = "pt"), "not an optimizer state dict");
    }

    [Fact]
    public void Loading_a_bad_file_throws_a_checkpoint_exception_naming_it()
    {
        var (source, _) = SteppedAdam();
        var path = PathOf("adam.safetensors");
        source.Save(path);
        var small = new Adam(new[] { Param(1f) });

        var e = Assert.Throws<CheckpointException>(() => small.Load(path));

        Assert.Equal(path, e.Path);
        Assert.IsType<ArgumentException>(e.InnerException);
    }

    [Fact]
    public void Non_finite_hyperparameters_survive_the_json()
    {
        var ps = Parameters();
        var sgd = new Sgd(ps, lr: double.PositiveInfinity, weightDecay: 0);
        sgd.ParamGroups[0].InitialLr = double.NaN;
        var loaded = new Sgd(Parameters(), lr: 0.1);

        loaded.LoadStateDict(sgd.StateDict());

        Assert.Equal(double.PositiveInfinity, loaded.ParamGroups[0].Lr);
        Assert.True(double.IsNaN(loaded.ParamGroups[0].InitialLr!.Value));
    }
}
