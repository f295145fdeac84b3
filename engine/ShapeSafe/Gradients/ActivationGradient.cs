namespace ShapeSafe.Gradients;

/// <summary>
/// The backward of SiLU, Mish, Softplus and Hardswish (ATen's <c>silu_backward</c>, <c>mish_backward</c>,
/// <c>softplus_backward</c>, <c>hardswish_backward</c>), each from the saved input x. Eager nodes call the tensor
/// forms; compiled graphs call the span forms (<c>...Into</c>) on their planned buffers. Both run the same rule.
/// </summary>
internal static class ActivationGradient
{
    /// <summary>g·σ(x)·(1 + x·(1 - σ(x))).</summary>
    public static Tensor Silu(Tensor grad, Tensor input) => Map(grad, input, SiluInto);

    /// <summary>g·(tanh(sp) + x·σ(x)·(1 - tanh(sp)²)) with sp = softplus(x).</summary>
    public static Tensor Mish(Tensor grad, Tensor input) => Map(grad, input, MishInto);

    /// <summary>g·e^(βx) / (e^(βx) + 1), and g itself where βx exceeds the threshold.</summary>
    public static Tensor Softplus(Tensor grad, Tensor input, float beta, float threshold) =>
        Map(grad, input, (g, x, d) => SoftplusInto(g, x, beta, threshold, d));

    /// <summary>0 below -3, g·(x/3 + 1/2) up to 3, g above; in float, as ATen rounds it.</summary>
    public static Tensor Hardswish(Tensor grad, Tensor input) => Map(grad, input, HardswishInto);

    /// <summary><see cref="Silu(Tensor, Tensor)"/> on contiguous spans, in double, rounded once (the destination may be the gradient).</summary>
    internal static void SiluInto(ReadOnlySpan<float> grad, ReadOnlySpan<float> input, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            double g = grad[i], x = input[i];
            double s = 1 / (1 + Math.Exp(-x));
            destination[i] = (float)(g * s * (1 + x * (1 - s)));
        }
    }

    /// <summary><see cref="Mish(Tensor, Tensor)"/> on contiguous spans.</summary>
    internal static void MishInto(ReadOnlySpan<float> grad, ReadOnlySpan<float> input, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            double g = grad[i], x = input[i];
            double s = 1 / (1 + Math.Exp(-x));
            double t = Math.Tanh(Kernels.Elementwise.MishOp.Softplus(x));
            destination[i] = (float)(g * (t + x * s * (1 - t * t)));
        }
    }

    /// <summary><see cref="Softplus(Tensor, Tensor, float, float)"/> on contiguous spans.</summary>
    internal static void SoftplusInto(ReadOnlySpan<float> grad, ReadOnlySpan<float> input, float beta, float threshold, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            double g = grad[i];
            float scaled = input[i] * beta;
            if (scaled > threshold)
            {
                destination[i] = (float)g;
                continue;
            }
            double z = Math.Exp(scaled);
            destination[i] = (float)(g * z / (z + 1));
        }
    }

    /// <summary><see cref="Hardswish(Tensor, Tensor)"/> on contiguous spans.</summary>
    internal static void HardswishInto(ReadOnlySpan<float> grad, ReadOnlySpan<float> input, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            float g = grad[i], x = input[i];
            destination[i] = x < -3 ? 0 : x <= 3 ? g * (x / 3f + 0.5f) : g;
        }
    }

    delegate void SpanRule(ReadOnlySpan<float> grad, ReadOnlySpan<float> input, Span<float> destination);

    /// <summary>rule(g, x) element by element over row-major copies, into the gradient's copy.</summary>
    static Tensor Map(Tensor grad, Tensor input, SpanRule rule)
    {
        var g = grad.ToFloatArray();
        var x = input.ToFloatArray();
        rule(g, x, g);
        return Tensor.Create(new Storage(g), (int[])input.Sizes.Clone());
    }
}
