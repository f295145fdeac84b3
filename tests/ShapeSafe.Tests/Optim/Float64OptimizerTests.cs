using ShapeSafe.NN;
using ShapeSafe.Optim;
using static ShapeSafe.Tests.Optim.OptimTestSupport;

namespace ShapeSafe.Tests.Optim;

/// <summary>
/// The optimizers and gradient clipping on Float64 parameters: Float64 state, double scalars, and each step rounded
/// as ATen's double kernels round it (add_ with alpha fused, lerp's two fused branches, addcmul's last product fused
/// with its add, addcdiv left to right). The references below are PyTorch's single-tensor updates written with those roundings, so the results
/// must be equal to the last bit (the LibTorch comparison is in benchmarks/ShapeSafe.Conformance/OptimizerCases.cs).
/// </summary>
public sealed class Float64OptimizerTests : IDisposable
{
    static readonly double[] Start = { 1.5, -0.75, 3.0, 0.1 };

    readonly string _folder = Directory.CreateTempSubdirectory("shapesafe-optim64-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    static double[] Gradient(int k) => new[] { 0.5 - 0.3 * k, -1.25 + 0.2 * k * k, 2.0 / (k + 1), Math.Sin(k + 1) / 3 };

    static Parameter Param64(params double[] values) => new(Tensor.FromArray(values));

    static Parameter Run(int steps, Func<Parameter, Optimizer> make)
    {
        var p = Param64(Start);
        var optimizer = make(p);
        for (int k = 0; k < steps; k++)
        {
            p.Grad = Tensor.FromArray(Gradient(k));
            optimizer.Step();
        }
        return p;
    }

    static double Fma(double a, double b, double c) => Math.FusedMultiplyAdd(a, b, c);

    static double[] SgdReference(int steps, double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool maximize)
    {
        var p = (double[])Start.Clone();
        double[]? buffer = null;
        for (int k = 0; k < steps; k++)
        {
            var g = Gradient(k);
            for (int i = 0; i < p.Length; i++)
            {
                if (maximize) g[i] = -g[i];
                if (weightDecay != 0) g[i] = Fma(p[i], weightDecay, g[i]);
            }
            var step = g;
            if (momentum != 0)
            {
                if (buffer is null) buffer = (double[])g.Clone();
                else for (int i = 0; i < p.Length; i++) buffer[i] = Fma(g[i], 1 - dampening, buffer[i] * momentum);
                if (nesterov) for (int i = 0; i < p.Length; i++) g[i] = Fma(buffer[i], momentum, g[i]);
                else step = buffer;
            }
            for (int i = 0; i < p.Length; i++) p[i] = Fma(step[i], -lr, p[i]);
        }
        return p;
    }

    [Theory]
    [InlineData(0.1, 0.0, 0.0, 0.0, false, false)]
    [InlineData(0.05, 0.9, 0.0, 0.0, false, false)]
    [InlineData(0.05, 0.9, 0.3, 0.0, false, false)]
    [InlineData(0.05, 0.9, 0.0, 0.01, true, false)]
    [InlineData(0.05, 0.8, 0.1, 0.02, false, true)]
    public void Sgd_on_Float64_is_the_double_update_bit_for_bit(double lr, double momentum, double dampening, double weightDecay, bool nesterov, bool maximize)
    {
        Sgd? sgd = null;
        var p = Run(5, q => sgd = new Sgd(new[] { q }, lr, momentum, weightDecay, nesterov, dampening, maximize));
        Assert.Equal(DType.Float64, p.DType);
        Assert.Equal(SgdReference(5, lr, momentum, dampening, weightDecay, nesterov, maximize), p.ToDoubleArray());
        if (momentum != 0) Assert.Equal(DType.Float64, sgd!.GetState(p)["momentum_buffer"].DType);
    }

    static double[] AdamReference(int steps, double lr, double beta1, double beta2, double eps, double weightDecay,
        bool amsgrad, bool maximize, bool decoupled)
    {
        int n = Start.Length;
        var p = (double[])Start.Clone();
        var m = new double[n];
        var v = new double[n];
        var vMax = new double[n];
        double weight = 1 - beta1;
        bool fromStart = Math.Abs(weight) < 0.5;
        for (int t = 1; t <= steps; t++)
        {
            var g = Gradient(t - 1);
            double bc1 = 1 - Math.Pow(beta1, t), bc2Sqrt = Math.Pow(1 - Math.Pow(beta2, t), 0.5);
            for (int i = 0; i < n; i++)
            {
                if (maximize) g[i] = -g[i];
                if (weightDecay != 0)
                {
                    if (decoupled) p[i] *= 1 - lr * weightDecay;
                    else g[i] = Fma(p[i], weightDecay, g[i]);
                }
                m[i] = fromStart ? Fma(weight, g[i] - m[i], m[i]) : Fma(weight - 1, g[i] - m[i], g[i]);
                v[i] *= beta2;
                v[i] = Fma((1 - beta2) * g[i], g[i], v[i]);
                vMax[i] = Math.Max(vMax[i], v[i]);
                double denom = Math.Sqrt(amsgrad ? vMax[i] : v[i]) / bc2Sqrt + eps;
                p[i] += -(lr / bc1) * m[i] / denom;
            }
        }
        return p;
    }

    [Theory]
    [InlineData(1e-3, 0.9, 0.999, 1e-8, 0.0, false, false, false)]
    [InlineData(0.05, 0.8, 0.99, 1e-6, 0.1, false, false, false)]
    [InlineData(0.05, 0.9, 0.999, 1e-8, 0.0, true, false, false)]
    [InlineData(0.02, 0.3, 0.9, 1e-3, 0.05, true, true, false)]
    [InlineData(0.01, 0.9, 0.999, 1e-8, 0.01, false, false, true)]
    [InlineData(0.02, 0.6, 0.999, 1e-8, 0.1, true, false, true)]
    public void Adam_and_AdamW_on_Float64_are_the_double_update_bit_for_bit(double lr, double beta1, double beta2, double eps,
        double weightDecay, bool amsgrad, bool maximize, bool decoupled)
    {
        Optimizer? optimizer = null;
        var p = Run(6, q => optimizer = decoupled
            ? new AdamW(new[] { q }, lr, (beta1, beta2), eps, weightDecay, amsgrad, maximize)
            : new Adam(new[] { q }, lr, (beta1, beta2), eps, weightDecay, amsgrad, maximize));
        Assert.Equal(AdamReference(6, lr, beta1, beta2, eps, weightDecay, amsgrad, maximize, decoupled), p.ToDoubleArray());
        var state = optimizer!.GetState(p);
        Assert.Equal(DType.Float32, state["step"].DType);     // PyTorch's step is a float32 tensor for any parameter
        Assert.Equal(6f, state["step"].Item());
        Assert.Equal(DType.Float64, state["exp_avg"].DType);
        Assert.Equal(DType.Float64, state["exp_avg_sq"].DType);
        if (amsgrad) Assert.Equal(DType.Float64, state["max_exp_avg_sq"].DType);
    }

    [Fact]
    public void Float64_updates_keep_digits_a_Float32_update_loses()
    {
        // lr = 0.1 is not a float: a Float32 step would use 0.100000001490116; the Float64 step uses 0.1 itself.
        var p = Param64(1.0);
        p.Grad = Tensor.FromArray(new[] { 1e-9 });
        new Sgd(new[] { p }, lr: 0.1).Step();
        Assert.Equal(Fma(1e-9, -0.1, 1.0), p.ToDoubleArray()[0]);
        Assert.NotEqual(1.0, p.ToDoubleArray()[0]);
    }

    [Fact]
    public void Parameters_of_other_dtypes_are_refused_with_the_optimizer_named()
    {
        var half = new Parameter(Tensor.FromArray(new[] { 1f, 2f }).ToDType(DType.BFloat16));
        Assert.Equal("Adam: optimizers update Float32 and Float64 parameters only; got a parameter of dtype BFloat16 and shape [2] (Parameter 'group')",
            Assert.Throws<ArgumentException>(() => new Adam(new[] { half })).Message);
        Assert.Equal("Sgd: optimizers update Float32 and Float64 parameters only; got a parameter of dtype BFloat16 and shape [2] (Parameter 'group')",
            Assert.Throws<ArgumentException>(() => new Sgd(new[] { Param64(1.0), half })).Message);
    }

    [Fact]
    public void A_gradient_of_another_dtype_is_refused_before_any_update()
    {
        var p = Param64(1.0, 2.0);
        var q = Param64(3.0);
        var sgd = new Sgd(new[] { p, q }, lr: 0.1);
        p.Grad = Tensor.FromArray(new[] { 1.0, 1.0 });
        q.Grad = Tensor.FromArray(new[] { 1f });
        Assert.Equal("Step: a gradient of dtype Float32 for a Float64 parameter of shape [1]",
            Assert.Throws<ArgumentException>(() => sgd.Step()).Message);
        Assert.Equal(new[] { 1.0, 2.0 }, p.ToDoubleArray());
    }

    [Fact]
    public void ZeroGrad_without_set_to_none_zeroes_a_Float64_gradient()
    {
        var p = Param64(1.0, 2.0);
        p.Grad = Tensor.FromArray(new[] { 0.5, -0.25 });
        var grad = p.Grad;
        new Sgd(new[] { p }).ZeroGrad(setToNone: false);
        Assert.Same(grad, p.Grad);
        Assert.Equal(DType.Float64, p.Grad!.DType);
        Assert.Equal(new[] { 0.0, 0.0 }, p.Grad.ToDoubleArray());
    }

    public static TheoryData<string> Kinds => new() { "sgd", "adam-amsgrad", "adamw" };

    static Optimizer Make(string kind, Parameter p) => kind switch
    {
        "sgd" => new Sgd(new[] { p }, lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01),
        "adam-amsgrad" => new Adam(new[] { p }, lr: 0.01, betas: (0.8, 0.95), amsgrad: true),
        _ => new AdamW(new[] { p }, lr: 0.01, weightDecay: 0.3),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Float64_state_round_trips_through_a_file_and_resumes_bit_for_bit(string kind)
    {
        var p = Param64(Start);
        var optimizer = Make(kind, p);
        for (int k = 0; k < 3; k++)
        {
            p.Grad = Tensor.FromArray(Gradient(k));
            optimizer.Step();
        }
        var path = Path.Combine(_folder, kind + ".safetensors");
        optimizer.Save(path);

        var resumed = Param64(p.ToDoubleArray());
        var loaded = Make(kind, resumed);
        loaded.Load(path);
        foreach (var (key, value) in optimizer.GetState(p))
        {
            var copy = loaded.GetState(resumed)[key];
            Assert.Equal(value.DType, copy.DType);
            Assert.Equal(value.ToDoubleArray(), copy.ToDoubleArray());
        }
        for (int k = 3; k < 5; k++)
        {
            p.Grad = Tensor.FromArray(Gradient(k));
            resumed.Grad = Tensor.FromArray(Gradient(k));
            optimizer.Step();
            loaded.Step();
        }
        Assert.Equal(p.ToDoubleArray(), resumed.ToDoubleArray());
    }

    [Fact]
    public void Safetensors_keeps_Float64_bit_for_bit_and_refuses_dtypes_it_cannot_write()
    {
        var path = Path.Combine(_folder, "f64.safetensors");
        var values = new[] { 0.1, -1e-300, double.MaxValue, double.NaN, 1.0 / 3 };
        ShapeSafe.Serialization.Safetensors.Save(path, new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(values, 5), ["y"] = Tensor.Scalar(2f) });
        var loaded = ShapeSafe.Serialization.Safetensors.Load(path);
        Assert.Equal(DType.Float64, loaded["x"].DType);
        Assert.Equal(values.Select(BitConverter.DoubleToInt64Bits), loaded["x"].ToDoubleArray().Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(DType.Float32, loaded["y"].DType);
        Assert.Equal("Safetensors.Save: tensor 'h' has dtype BFloat16, which ShapeSafe does not write (it writes F32, F64 and I64) (Parameter 'tensors')",
            Assert.Throws<ArgumentException>(() => ShapeSafe.Serialization.Safetensors.Save(path,
                new Dictionary<string, Tensor> { ["h"] = Tensor.Scalar(1f).ToDType(DType.BFloat16) })).Message);
    }

    [Fact]
    public void Loaded_state_takes_its_parameters_dtype_and_the_step_stays_Float32()
    {
        // A state saved for Float32 parameters, loaded for Float64 ones (PyTorch's load_state_dict casts the same way).
        var single = Param(1.5f, -0.75f);
        var adam = new Adam(new[] { single }, lr: 0.01);
        SetGrad(single, 0.5, -1.0);
        adam.Step();
        var wide = Param64(1.5, -0.75);
        var target = new Adam(new[] { wide }, lr: 0.01);
        target.LoadStateDict(adam.StateDict());
        var state = target.GetState(wide);
        Assert.Equal(DType.Float64, state["exp_avg"].DType);
        Assert.Equal(adam.GetState(single)["exp_avg"].ToDoubleArray(), state["exp_avg"].ToDoubleArray());
        Assert.Equal(DType.Float32, state["step"].DType);
    }

    [Fact]
    public void ClipGradNorm_on_Float64_gradients_scales_by_PyTorchs_coefficient()
    {
        var a = Param64(0.0, 0.0);
        var b = Param64(0.0);
        a.Grad = Tensor.FromArray(new[] { 3.0, 4.0 });
        b.Grad = Tensor.FromArray(new[] { 12.0 });
        var total = Utils.ClipGradNorm(new[] { a, b }, 6.5);
        Assert.Equal(DType.Float64, total.DType);
        Assert.Equal(13.0, total.ToDoubleArray()[0]);
        // clip_coef = max_norm / (total + 1e-6) is Tensor.__rtruediv__: a reciprocal, then a product.
        double coefficient = 1.0 / (13.0 + 1e-6) * 6.5;
        Assert.Equal(new[] { 3.0 * coefficient, 4.0 * coefficient }, a.Grad!.ToDoubleArray());
        Assert.Equal(new[] { 12.0 * coefficient }, b.Grad!.ToDoubleArray());

        // Within the bound the coefficient is clamped to 1: the gradients keep their bits.
        a.Grad = Tensor.FromArray(new[] { 0.1, 0.2 });
        Utils.ClipGradNorm(new[] { a }, 100);
        Assert.Equal(new[] { 0.1, 0.2 }, a.Grad!.ToDoubleArray());

        // A NaN norm makes every gradient NaN, as PyTorch's unconditional multiply does.
        a.Grad = Tensor.FromArray(new[] { double.NaN, 1.0 });
        b.Grad = Tensor.FromArray(new[] { 2.0 });
        Assert.True(double.IsNaN(Utils.ClipGradNorm(new[] { a, b }, 1).ToDoubleArray()[0]));
        Assert.All(b.Grad!.ToDoubleArray(), v => Assert.True(double.IsNaN(v)));

        a.Grad = Tensor.FromArray(new[] { 1.0, 1.0 });
        b.Grad = Tensor.FromArray(new[] { 2f });
        Assert.Equal("ClipGradNorm: gradients must all be Float32 or all Float64, got Float64, Float32 (Parameter 'parameters')",
            Assert.Throws<ArgumentException>(() => Utils.ClipGradNorm(new[] { a, b }, 1)).Message);
    }

    [Fact]
    public void ClipGradValue_clamps_Float32_and_Float64_gradients_and_keeps_NaN()
    {
        var a = Param64(0.0, 0.0, 0.0, 0.0);
        var b = Param(0f, 0f, 0f);
        var none = Param64(1.0);
        a.Grad = Tensor.FromArray(new[] { -2.5, 0.3, 0.7000000000000001, double.NaN });
        b.Grad = Tensor.FromArray(new[] { 0.9f, -0.69f, float.NegativeInfinity });
        Utils.ClipGradValue(new[] { a, b, none }, 0.7);
        Assert.Equal(new[] { -0.7, 0.3, 0.7, double.NaN }, a.Grad!.ToDoubleArray());
        Assert.Equal(new[] { 0.7f, -0.69f, -0.7f }, b.Grad!.ToFloatArray());
        Assert.Null(none.Grad);

        // A negative bound: clamp_min_(0.5) then clamp_max_(-0.5) leaves -0.5 everywhere.
        a.Grad = Tensor.FromArray(new[] { -2.0, 0.0, 3.0, 0.25 });
        Utils.ClipGradValue(new[] { a }, -0.5);
        Assert.Equal(new[] { -0.5, -0.5, -0.5, -0.5 }, a.Grad!.ToDoubleArray());

        var half = Param(0f);
        half.Grad = Tensor.FromArray(new[] { 1f }).ToDType(DType.BFloat16);
        Assert.Equal("ClipGradValue: gradients must be Float32 or Float64, got a BFloat16 gradient of shape [1] (Parameter 'parameters')",
            Assert.Throws<ArgumentException>(() => Utils.ClipGradValue(new[] { half }, 1)).Message);
    }
}
