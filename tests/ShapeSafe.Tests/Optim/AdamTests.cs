using ShapeSafe.NN;
using ShapeSafe.Optim;
using static ShapeSafe.Tests.Optim.OptimTestSupport;

namespace ShapeSafe.Tests.Optim;

/// <summary>Adam and AdamW against PyTorch's _single_tensor_adam written out in double, and op by op in Float32.</summary>
public class AdamTests
{
    static readonly double[] Start = { 1.5, -0.75, 3.0 };

    /// <summary>PyTorch's Adam/AdamW update, step by step, in double.</summary>
    static double[] Reference(int steps, double lr, double beta1, double beta2, double eps, double weightDecay,
        bool amsgrad, bool maximize, bool decoupled)
    {
        int n = Start.Length;
        var p = (double[])Start.Clone();
        var m = new double[n];
        var v = new double[n];
        var vMax = new double[n];
        for (int t = 1; t <= steps; t++)
        {
            var g = GradientAt(t - 1);
            for (int i = 0; i < n; i++)
            {
                if (maximize) g[i] = -g[i];
                if (weightDecay != 0)
                {
                    if (decoupled) p[i] *= 1 - lr * weightDecay;
                    else g[i] += weightDecay * p[i];
                }
                m[i] += (1 - beta1) * (g[i] - m[i]);
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
                vMax[i] = Math.Max(vMax[i], v[i]);
                double bc1 = 1 - Math.Pow(beta1, t), bc2 = 1 - Math.Pow(beta2, t);
                double denom = Math.Sqrt(amsgrad ? vMax[i] : v[i]) / Math.Sqrt(bc2) + eps;
                p[i] -= lr / bc1 * m[i] / denom;
            }
        }
        return p;
    }

    static Parameter Run(int steps, Func<Parameter, Optimizer> make)
    {
        var p = Param(Start.Select(v => (float)v).ToArray());
        var optimizer = make(p);
        for (int k = 0; k < steps; k++)
        {
            SetGrad(p, GradientAt(k));
            optimizer.Step();
        }
        return p;
    }

    [Theory]
    [InlineData(1e-3, 0.9, 0.999, 1e-8, 0.0, false, false)]
    [InlineData(0.05, 0.9, 0.999, 1e-8, 0.0, false, false)]
    [InlineData(0.05, 0.8, 0.99, 1e-6, 0.1, false, false)]
    [InlineData(0.05, 0.9, 0.999, 1e-8, 0.0, true, false)]
    [InlineData(0.02, 0.5, 0.9, 1e-3, 0.05, true, true)]
    [InlineData(0.01, 0.9, 0.999, 1e-8, 0.0, false, true)]
    public void Adam_matches_PyTorch_over_six_steps(double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad, bool maximize)
    {
        var p = Run(6, q => new Adam(new[] { q }, lr, (beta1, beta2), eps, weightDecay, amsgrad, maximize));

        AssertClose(Reference(6, lr, beta1, beta2, eps, weightDecay, amsgrad, maximize, decoupled: false), p);
    }

    [Theory]
    [InlineData(1e-3, 1e-2, false, false)]
    [InlineData(0.05, 0.1, false, false)]
    [InlineData(0.05, 0.1, true, false)]
    [InlineData(0.02, 0.5, true, true)]
    public void AdamW_matches_PyTorch_over_six_steps(double lr, double weightDecay, bool amsgrad, bool maximize)
    {
        var p = Run(6, q => new AdamW(new[] { q }, lr, weightDecay: weightDecay, amsgrad: amsgrad, maximize: maximize));

        AssertClose(Reference(6, lr, 0.9, 0.999, 1e-8, weightDecay, amsgrad, maximize, decoupled: true), p);
    }

    [Fact]
    public void AdamW_defaults_to_weight_decay_1e_2_and_Adam_to_none()
    {
        var adamW = new AdamW(new[] { Param(1f) });
        var adam = new Adam(new[] { Param(1f) });

        Assert.Equal(1e-2, ((AdamParamGroup)adamW.ParamGroups[0]).WeightDecay);
        Assert.Equal(0.0, ((AdamParamGroup)adam.ParamGroups[0]).WeightDecay);
        Assert.Equal((0.9, 0.999), ((AdamParamGroup)adam.ParamGroups[0]).Betas);
        Assert.Equal(1e-3, adam.ParamGroups[0].Lr);
    }

    [Fact]
    public void AMSGrad_keeps_the_running_maximum_of_the_second_moment()
    {
        var p = Param(0f);
        var adam = new Adam(new[] { p }, lr: 0.1, amsgrad: true);
        SetGrad(p, 10);
        adam.Step();
        SetGrad(p, 0.1);

        adam.Step();

        var state = adam.GetState(p);
        float v1 = 0.001f * 10 * 10;
        float v2 = v1 * 0.999f + 0.001f * 0.1f * 0.1f;
        Assert.Equal(v2, state["exp_avg_sq"].Item());
        Assert.Equal(v1, state["max_exp_avg_sq"].Item());
        Assert.Equal(2f, state["step"].Item());
        Assert.Empty(state["step"].Shape);
    }

    [Fact]
    public void Without_AMSGrad_the_state_has_PyTorchs_three_keys()
    {
        var p = Param(1f, 2f);
        var adam = new Adam(new[] { p });
        SetGrad(p, 1, 1);

        adam.Step();

        Assert.Equal(new[] { "step", "exp_avg", "exp_avg_sq" }, adam.GetState(p).Keys);
    }

    // The update op by op in Float32, in ATen's order and with the engine's kernels (add with alpha and lerp are
    // fused multiply-adds, as ATen's vectorized CPU kernels are; addcmul is fma(value * t1, t2, self), addcdiv
    // self + value * t1 / t2).
    static float[] Float32Reference(int steps, double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad, bool decoupled)
    {
        int n = Start.Length;
        var p = Start.Select(v => (float)v).ToArray();
        var m = new float[n];
        var v = new float[n];
        var vMax = new float[n];
        float step = 0;
        for (int k = 0; k < steps; k++)
        {
            var g = GradientAt(k).Select(x => (float)x).ToArray();
            step += 1;
            double bc1 = 1 - Math.Pow(beta1, step), bc2 = 1 - Math.Pow(beta2, step);
            double stepSize = lr / bc1, bc2Sqrt = Math.Pow(bc2, 0.5);
            for (int i = 0; i < n; i++)
            {
                if (weightDecay != 0)
                {
                    if (decoupled) p[i] *= (float)(1 - lr * weightDecay);
                    else g[i] = MathF.FusedMultiplyAdd(p[i], (float)weightDecay, g[i]);
                }
                float w = (float)(1 - beta1);
                m[i] = Math.Abs(w) < 0.5f ? MathF.FusedMultiplyAdd(w, g[i] - m[i], m[i]) : MathF.FusedMultiplyAdd(w - 1, g[i] - m[i], g[i]);
                v[i] *= (float)beta2;
                v[i] = MathF.FusedMultiplyAdd((float)(1 - beta2) * g[i], g[i], v[i]);
                vMax[i] = Math.Max(vMax[i], v[i]);
                float denom = MathF.Sqrt(amsgrad ? vMax[i] : v[i]) / (float)bc2Sqrt + (float)eps;
                p[i] += (float)-stepSize * m[i] / denom;
            }
        }
        return p;
    }

    [Theory]
    [InlineData(0.05, 0.9, 0.999, 1e-8, 0.0, false, false)]
    [InlineData(0.05, 0.3, 0.99, 1e-6, 0.1, true, false)]
    [InlineData(0.05, 0.9, 0.999, 1e-8, 0.1, true, true)]
    public void Float32_arithmetic_follows_ATen_op_for_op(double lr, double beta1, double beta2, double eps, double weightDecay, bool amsgrad, bool decoupled)
    {
        var p = Run(6, q => decoupled
            ? new AdamW(new[] { q }, lr, (beta1, beta2), eps, weightDecay, amsgrad)
            : new Adam(new[] { q }, lr, (beta1, beta2), eps, weightDecay, amsgrad));

        Assert.Equal(Float32Reference(6, lr, beta1, beta2, eps, weightDecay, amsgrad, decoupled), p.ToFloatArray());
    }

    [Fact]
    public void Lerp_uses_the_end_based_form_for_large_weights()
    {
        // beta1 = 0.2 gives weight 0.8: end - (end - start) * (1 - weight) is exact at the end.
        var p = Param(0f);
        var adam = new Adam(new[] { p }, lr: 0.1, betas: (0.2, 0.999));
        SetGrad(p, 3);
        adam.Step();
        SetGrad(p, 3);

        adam.Step();

        float m1 = MathF.FusedMultiplyAdd(0.8f - 1, 3f, 3f);
        Assert.Equal(MathF.FusedMultiplyAdd(0.8f - 1, 3f - m1, 3f), adam.GetState(p)["exp_avg"].Item());
    }

    [Fact]
    public void Parameters_without_a_gradient_keep_their_value_and_get_no_state()
    {
        var a = Param(1f);
        var b = Param(2f);
        var adam = new AdamW(new[] { a, b }, lr: 0.1);
        SetGrad(a, 1);

        adam.Step();

        Assert.Equal(2f, b.Item());
        Assert.Empty(adam.GetState(b));
    }

    [Theory]
    [InlineData(-1e-3, 0.9, 0.999, 1e-8, 0.0, "Invalid learning rate: -0.001")]
    [InlineData(1e-3, 0.9, 0.999, -1e-8, 0.0, "Invalid epsilon value: -1E-08")]
    [InlineData(1e-3, 1.0, 0.999, 1e-8, 0.0, "Invalid beta parameter at index 0: 1")]
    [InlineData(1e-3, -0.1, 0.999, 1e-8, 0.0, "Invalid beta parameter at index 0: -0.1")]
    [InlineData(1e-3, 0.9, 1.5, 1e-8, 0.0, "Invalid beta parameter at index 1: 1.5")]
    [InlineData(1e-3, 0.9, 0.999, 1e-8, -0.1, "Invalid weight_decay value: -0.1")]
    public void Invalid_options_are_refused_with_PyTorchs_messages(double lr, double beta1, double beta2, double eps, double weightDecay, string message)
    {
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => new Adam(new[] { Param(1f) }, lr, (beta1, beta2), eps, weightDecay)).Message);
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => new AdamW(new[] { Param(1f) }, lr, (beta1, beta2), eps, weightDecay)).Message);
    }

    [Fact]
    public void An_empty_parameter_list_is_refused()
    {
        Assert.StartsWith("optimizer got an empty parameter list", Assert.Throws<ArgumentException>(() => new Adam(Array.Empty<Parameter>())).Message);
        Assert.StartsWith("optimizer got an empty parameter list", Assert.Throws<ArgumentException>(() => new AdamW(Array.Empty<Parameter>())).Message);
    }
}
