using ShapeSafe.NN;
using ShapeSafe.Optim;
using static ShapeSafe.Tests.Optim.OptimTestSupport;

namespace ShapeSafe.Tests.Optim;

/// <summary>SGD against PyTorch's _single_tensor_sgd written out in double.</summary>
public class SgdTests
{
    static readonly double[] Start = { 1.5, -0.75, 3.0 };

    /// <summary>PyTorch's update, step by step, in double.</summary>
    static double[] Reference(int steps, double lr, double momentum = 0, double dampening = 0, double weightDecay = 0,
        bool nesterov = false, bool maximize = false)
    {
        var p = (double[])Start.Clone();
        double[]? buffer = null;
        for (int k = 0; k < steps; k++)
        {
            var g = GradientAt(k);
            for (int i = 0; i < p.Length; i++)
            {
                if (maximize) g[i] = -g[i];
                if (weightDecay != 0) g[i] += weightDecay * p[i];
            }
            if (momentum != 0)
            {
                if (buffer is null) buffer = (double[])g.Clone();
                else for (int i = 0; i < p.Length; i++) buffer[i] = momentum * buffer[i] + (1 - dampening) * g[i];
                for (int i = 0; i < p.Length; i++) g[i] = nesterov ? g[i] + momentum * buffer[i] : buffer[i];
            }
            for (int i = 0; i < p.Length; i++) p[i] -= lr * g[i];
        }
        return p;
    }

    static Parameter Run(int steps, Func<Parameter, Sgd> make)
    {
        var p = Param(Start.Select(v => (float)v).ToArray());
        var sgd = make(p);
        for (int k = 0; k < steps; k++)
        {
            SetGrad(p, GradientAt(k));
            sgd.Step();
        }
        return p;
    }

    [Fact]
    public void Plain_step_is_p_minus_lr_times_grad()
    {
        var p = Param(1f, 2f);
        p.Grad = Tensor.FromArray(new[] { 0.5f, -1f });

        new Sgd(new[] { p }, lr: 0.1).Step();

        Assert.Equal(new[] { 1f - 0.1f * 0.5f, 2f + 0.1f }, p.ToFloatArray());
    }

    [Fact]
    public void The_learning_rate_defaults_to_PyTorch_2s_1e_3()
    {
        var p = Param(1f, 2f);
        p.Grad = Tensor.FromArray(new[] { 0.5f, -1f });
        var sgd = new Sgd(new[] { p });

        sgd.Step();

        Assert.Equal(1e-3, sgd.ParamGroups[0].Lr);
        Assert.Equal(new[] { 1f - 1e-3f * 0.5f, 2f + 1e-3f }, p.ToFloatArray());
    }

    [Theory]
    [InlineData(0.1, 0.0, 0.0, 0.0, false, false)]
    [InlineData(0.05, 0.9, 0.0, 0.0, false, false)]
    [InlineData(0.05, 0.9, 0.3, 0.0, false, false)]
    [InlineData(0.05, 0.9, 0.0, 0.01, true, false)]
    [InlineData(0.05, 0.8, 0.1, 0.02, false, true)]
    [InlineData(0.02, 0.5, 0.0, 0.1, true, true)]
    public void Five_steps_match_PyTorch(double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool maximize)
    {
        var p = Run(5, q => new Sgd(new[] { q }, lr, momentum, weightDecay: weightDecay, nesterov: nesterov, dampening: dampening, maximize: maximize));

        AssertClose(Reference(5, lr, momentum, dampening, weightDecay, nesterov, maximize), p);
    }

    [Fact]
    public void First_momentum_buffer_is_the_gradient_without_dampening()
    {
        var p = Param(0f, 0f, 0f);
        var sgd = new Sgd(new[] { p }, lr: 1, momentum: 0.9, dampening: 0.5);
        SetGrad(p, 1, 2, 3);

        sgd.Step();

        Assert.Equal(new[] { 1f, 2f, 3f }, sgd.GetState(p)["momentum_buffer"].ToFloatArray());
        Assert.Equal(new[] { -1f, -2f, -3f }, p.ToFloatArray());

        SetGrad(p, 1, 1, 1);
        sgd.Step();

        // buf = 0.9 * buf + (1 - 0.5) * g from the second step on.
        Assert.Equal(new[] { 0.9f * 1 + 0.5f, 0.9f * 2 + 0.5f, 0.9f * 3 + 0.5f }, sgd.GetState(p)["momentum_buffer"].ToFloatArray());
    }

    [Fact]
    public void Momentum_buffer_is_a_copy_not_the_gradient()
    {
        var p = Param(0f);
        var sgd = new Sgd(new[] { p }, lr: 0.1, momentum: 0.9);
        SetGrad(p, 1);

        sgd.Step();
        p.Grad!.FillInPlace(100f);

        Assert.Equal(1f, sgd.GetState(p)["momentum_buffer"].Item());
    }

    [Fact]
    public void Parameters_without_a_gradient_are_skipped_and_get_no_state()
    {
        var a = Param(1f);
        var b = Param(2f);
        var sgd = new Sgd(new[] { a, b }, lr: 0.5, momentum: 0.9);
        SetGrad(a, 1);

        sgd.Step();

        Assert.Equal(0.5f, a.Item());
        Assert.Equal(2f, b.Item());
        Assert.Empty(sgd.GetState(b));
        Assert.Single(sgd.GetState(a));
    }

    [Fact]
    public void Without_momentum_there_is_no_state()
    {
        var p = Param(1f);
        var sgd = new Sgd(new[] { p }, lr: 0.5);
        SetGrad(p, 1);

        sgd.Step();

        Assert.Empty(sgd.GetState(p));
        Assert.Empty(sgd.StateDict().Tensors);
    }

    [Fact]
    public void Step_does_not_record_autograd_history()
    {
        var p = Param(1f, 2f);
        var sgd = new Sgd(new[] { p }, lr: 0.1, momentum: 0.9, weightDecay: 0.1);
        SetGrad(p, 1, 1);

        sgd.Step();

        Assert.True(p.IsLeaf);
        Assert.True(p.RequiresGrad);
        Assert.True(ShapeSafe.Autograd.IsGradEnabled);
    }

    [Theory]
    [InlineData(-0.1, 0.0, 0.0, 0.0, false, "Invalid learning rate: -0.1")]
    [InlineData(0.1, -0.5, 0.0, 0.0, false, "Invalid momentum value: -0.5")]
    [InlineData(0.1, 0.0, 0.0, -0.01, false, "Invalid weight_decay value: -0.01")]
    [InlineData(0.1, 0.0, 0.0, 0.0, true, "Nesterov momentum requires a momentum and zero dampening")]
    [InlineData(0.1, 0.9, 0.1, 0.0, true, "Nesterov momentum requires a momentum and zero dampening")]
    public void Invalid_options_are_refused_with_PyTorchs_messages(double lr, double momentum, double dampening, double weightDecay, bool nesterov, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => new Sgd(new[] { Param(1f) }, lr, momentum, weightDecay: weightDecay, nesterov: nesterov, dampening: dampening));

        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void An_empty_parameter_list_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new Sgd(Array.Empty<Parameter>(), lr: 0.1));

        Assert.StartsWith("optimizer got an empty parameter list", e.Message);
    }
}
