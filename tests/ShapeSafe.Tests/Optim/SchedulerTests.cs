using ShapeSafe.Optim;
using static ShapeSafe.Tests.Optim.OptimTestSupport;

namespace ShapeSafe.Tests.Optim;

/// <summary>StepLR and CosineAnnealingLR learning-rate sequences, PyTorch's chainable get_lr, and their state dicts.</summary>
public class SchedulerTests
{
    static Sgd Optimizer(double lr = 0.1) => new(new[] { Param(1f) }, lr);

    /// <summary>The current learning rate, then the one after each of the next count-1 steps.</summary>
    static List<double> Sequence(LRScheduler scheduler, int count)
    {
        int start = scheduler.LastEpoch;
        var seen = new List<double> { scheduler.GetLastLr()[0] };
        for (int e = 1; e < count; e++)
        {
            scheduler.Step();
            Assert.Equal(start + e, scheduler.LastEpoch);
            Assert.Equal(scheduler.GetLastLr()[0], scheduler.Optimizer.ParamGroups[0].Lr);
            seen.Add(scheduler.GetLastLr()[0]);
        }
        return seen;
    }

    [Fact]
    public void StepLR_multiplies_by_gamma_every_step_size_epochs()
    {
        var scheduler = new StepLR(Optimizer(0.1), stepSize: 3, gamma: 0.1);

        var lrs = Sequence(scheduler, 10);

        // PyTorch multiplies the current rate (chainable), so the values are the products, not 0.1 ** k.
        double a = 0.1, b = a * 0.1, c = b * 0.1, d = c * 0.1;
        Assert.Equal(new[] { a, a, a, b, b, b, c, c, c, d }, lrs);
        Assert.Equal(0.010000000000000002, b);
    }

    [Fact]
    public void Constructing_a_scheduler_records_initial_lr_and_base_lrs()
    {
        var sgd = Optimizer(0.25);
        Assert.Null(sgd.ParamGroups[0].InitialLr);

        var scheduler = new StepLR(sgd, stepSize: 1, gamma: 0.5);
        scheduler.Step();

        Assert.Equal(0.25, sgd.ParamGroups[0].InitialLr);
        Assert.Equal(new[] { 0.25 }, scheduler.BaseLrs);
        Assert.Equal(0.125, sgd.ParamGroups[0].Lr);
        Assert.Equal(1, scheduler.LastEpoch);
    }

    /// <summary>PyTorch's CosineAnnealingLR.get_lr, written out in double (the initial step keeps the rate).</summary>
    static List<double> CosineRecursive(double baseLr, double etaMin, int tMax, int epochs)
    {
        var lrs = new List<double> { baseLr };
        double lr = baseLr;
        for (int e = 1; e < epochs; e++)
        {
            if ((e - 1 - tMax) % (2 * tMax) == 0)
                lr = lr + (baseLr - etaMin) * (1 - Math.Cos(Math.PI / tMax)) / 2;
            else
                lr = (1 + Math.Cos(Math.PI * e / tMax)) / (1 + Math.Cos(Math.PI * (e - 1) / tMax)) * (lr - etaMin) + etaMin;
            lrs.Add(lr);
        }
        return lrs;
    }

    static double CosineClosedForm(double baseLr, double etaMin, int tMax, int epoch) =>
        etaMin + (baseLr - etaMin) * (1 + Math.Cos(Math.PI * epoch / tMax)) / 2;

    [Theory]
    [InlineData(0.1, 0.0)]
    [InlineData(0.05, 0.001)]
    public void CosineAnnealingLR_follows_PyTorchs_recursive_formula_over_25_epochs(double lr, double etaMin)
    {
        var scheduler = new CosineAnnealingLR(Optimizer(lr), tMax: 10, etaMin: etaMin);

        var lrs = Sequence(scheduler, 25);

        var expected = CosineRecursive(lr, etaMin, 10, 25);
        for (int e = 0; e < 25; e++)
            Assert.True(Math.Abs(lrs[e] - expected[e]) <= 1e-12, $"epoch {e}: {lrs[e]:R} vs {expected[e]:R}");
        // The recursion tracks the closed form: down to eta_min at T_max, back up to the start at 2 T_max.
        foreach (int e in new[] { 0, 3, 5, 10, 11, 15, 20, 24 })
            Assert.True(Math.Abs(lrs[e] - CosineClosedForm(lr, etaMin, 10, e)) <= 1e-12, $"epoch {e}: {lrs[e]:R} vs closed form {CosineClosedForm(lr, etaMin, 10, e):R}");
        Assert.Equal(etaMin, lrs[10], 15);
        Assert.Equal(lr, lrs[20], 15);
    }

    [Fact]
    public void CosineAnnealingLR_is_chainable_it_scales_the_current_rate()
    {
        var sgd = Optimizer(0.1);
        var scheduler = new CosineAnnealingLR(sgd, tMax: 4);
        scheduler.Step();
        double before = sgd.ParamGroups[0].Lr;

        sgd.ParamGroups[0].Lr = before / 2; // something else halves the rate
        scheduler.Step();

        double factor = (1 + Math.Cos(Math.PI * 2 / 4)) / (1 + Math.Cos(Math.PI * 1 / 4));
        Assert.Equal(factor * (before / 2), sgd.ParamGroups[0].Lr, 15);
    }

    [Fact]
    public void Schedulers_set_every_groups_rate()
    {
        var sgd = new Sgd(new[] { new SgdParamGroup(new[] { Param(1f) }), new SgdParamGroup(new[] { Param(2f) }, lr: 1.0) }, lr: 0.1);
        var scheduler = new StepLR(sgd, stepSize: 1, gamma: 0.5);

        scheduler.Step();

        Assert.Equal(new[] { 0.05, 0.5 }, scheduler.GetLastLr());
        Assert.Equal(new[] { 0.1, 1.0 }, scheduler.BaseLrs);
    }

    [Fact]
    public void The_scheduler_drives_the_optimizers_steps()
    {
        var p = Param(0f);
        var sgd = new Sgd(new[] { p }, lr: 1);
        var scheduler = new StepLR(sgd, stepSize: 1, gamma: 0.5);

        for (int i = 0; i < 3; i++)
        {
            SetGrad(p, 1);
            sgd.Step();
            scheduler.Step();
        }

        Assert.Equal(-(1f + 0.5f + 0.25f), p.Item());
    }

    [Fact]
    public void State_dict_round_trip_resumes_the_same_sequence()
    {
        var sgd = Optimizer(0.1);
        var scheduler = new CosineAnnealingLR(sgd, tMax: 7, etaMin: 0.01);
        for (int i = 0; i < 9; i++) scheduler.Step();
        var state = scheduler.StateDict();
        var optimizerState = sgd.StateDict();
        var expected = Sequence(scheduler, 6);

        var sgd2 = Optimizer(0.1);
        var resumed = new CosineAnnealingLR(sgd2, tMax: 1);
        sgd2.LoadStateDict(optimizerState);
        resumed.LoadStateDict(state);

        Assert.Equal(7, resumed.TMax);
        Assert.Equal(0.01, resumed.EtaMin);
        Assert.Equal(9, resumed.LastEpoch);
        Assert.Equal(expected, Sequence(resumed, 6));
    }

    [Fact]
    public void State_dict_uses_PyTorchs_keys_as_strings()
    {
        var scheduler = new StepLR(Optimizer(0.1), stepSize: 3, gamma: 0.5);
        scheduler.Step();

        var state = scheduler.StateDict();

        Assert.Equal("StepLR", state["type"]);
        Assert.Equal("1", state["last_epoch"]);
        Assert.Equal("2", state["_step_count"]);
        Assert.Equal("[0.1]", state["base_lrs"]);
        Assert.Equal("[0.1]", state["_last_lr"]);
        Assert.Equal("3", state["step_size"]);
        Assert.Equal("0.5", state["gamma"]);
    }

    [Fact]
    public void A_bad_state_dict_is_refused_and_the_scheduler_is_unchanged()
    {
        var scheduler = new StepLR(Optimizer(0.1), stepSize: 3);
        var state = new Dictionary<string, string>(scheduler.StateDict())
        {
            ["base_lrs"] = "[0.1, 0.2]",
            ["gamma"] = "lots",
        };
        state.Remove("last_epoch");

        var e = Assert.Throws<ArgumentException>(() => scheduler.LoadStateDict(state));

        Assert.Contains("Missing key in state_dict: \"last_epoch\"", e.Message);
        Assert.Contains("'base_lrs' has 2 values, the optimizer has 1 parameter groups", e.Message);
        Assert.Contains("'gamma' is not a number", e.Message);
        Assert.Equal(0, scheduler.LastEpoch);
        Assert.Equal(0.1, scheduler.Gamma);

        var cosine = new Dictionary<string, string>(new CosineAnnealingLR(Optimizer(), tMax: 3).StateDict());
        Assert.Contains("is for scheduler \"CosineAnnealingLR\", not \"StepLR\"", Assert.Throws<ArgumentException>(() => scheduler.LoadStateDict(cosine)).Message);
    }

    [Fact]
    public void Non_positive_periods_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(Optimizer(), stepSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingLR(Optimizer(), tMax: 0));
    }
}
