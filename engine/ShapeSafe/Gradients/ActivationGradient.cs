namespace ShapeSafe.Gradients;

/// <summary>
/// The backward of SiLU, Mish, Softplus and Hardswish (ATen's <c>silu_backward</c>, <c>mish_backward</c>,
/// <c>softplus_backward</c>, <c>hardswish_backward</c>), each from the saved input x. Called by eager nodes and
/// generated code alike.
/// </summary>
internal static class ActivationGradient
{
    /// <summary>g·σ(x)·(1 + x·(1 - σ(x))).</summary>
    public static Tensor Silu(Tensor grad, Tensor input) => Map(grad, input, static (g, x) =>
    {
        double s = 1 / (1 + Math.Exp(-x));
        return g * s * (1 + x * (1 - s));
    });

    /// <summary>g·(tanh(sp) + x·σ(x)·(1 - tanh(sp)²)) with sp = softplus(x).</summary>
    public static Tensor Mish(Tensor grad, Tensor input) => Map(grad, input, static (g, x) =>
    {
        double s = 1 / (1 + Math.Exp(-x));
        double t = Math.Tanh(Kernels.Elementwise.MishOp.Softplus(x));
        return g * (t + x * s * (1 - t * t));
    });

    /// <summary>g·e^(βx) / (e^(βx) + 1), and g itself where βx exceeds the threshold.</summary>
    public static Tensor Softplus(Tensor grad, Tensor input, float beta, float threshold) => Map(grad, input, (g, x) =>
    {
        float scaled = (float)x * beta;
        if (scaled > threshold) return g;
        double z = Math.Exp(scaled);
        return g * z / (z + 1);
    });

    /// <summary>0 below -3, g·(x/3 + 1/2) up to 3, g above; in float, as ATen rounds it.</summary>
    public static Tensor Hardswish(Tensor grad, Tensor input) => Map(grad, input, static (g, x) =>
        x < -3 ? 0 : x <= 3 ? (float)g * ((float)x / 3f + 0.5f) : g);

    /// <summary>rule(g, x) element by element over row-major copies, in double, rounded once.</summary>
    static Tensor Map(Tensor grad, Tensor input, Func<double, double, double> rule)
    {
        var g = grad.ToFloatArray();
        var x = input.ToFloatArray();
        for (int i = 0; i < g.Length; i++) g[i] = (float)rule(g[i], x[i]);
        return Tensor.Create(new Storage(g), (int[])input.Sizes.Clone());
    }
}
