namespace ShapeSafe.Kernels.Elementwise;

// The activations TensorPrimitives has no single call for, each evaluated in double and rounded once (LibTorch's
// vectorized float versions land within an ulp or two of these).

/// <summary>SiLU (swish), <c>x·σ(x) = x / (1 + e^-x)</c>.</summary>
internal readonly struct SiluOp : IUnaryOp<float>
{
    public float Apply(float x) => (float)(x / (1 + Math.Exp(-(double)x)));

    public void Apply(ReadOnlySpan<float> x, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = Apply(x[i]);
    }
}

/// <summary>Mish, <c>x·tanh(softplus(x)) = x·tanh(log(1 + e^x))</c>.</summary>
internal readonly struct MishOp : IUnaryOp<float>
{
    public float Apply(float x) => (float)(x * Math.Tanh(Softplus(x)));

    public void Apply(ReadOnlySpan<float> x, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = Apply(x[i]);
    }

    /// <summary>log(1 + e^x) without overflow for large x.</summary>
    internal static double Softplus(double x) => x > 30 ? x : Math.Log(1 + Math.Exp(x));
}

/// <summary>Softplus, <c>log(1 + e^(βx)) / β</c>, and x itself where βx exceeds the threshold (as PyTorch).</summary>
internal readonly struct SoftplusOp(float beta, float threshold) : IUnaryOp<float>
{
    public float Apply(float x)
    {
        float scaled = x * beta;
        return scaled > threshold ? x : (float)(Math.Log(1 + Math.Exp(scaled)) / beta);
    }

    public void Apply(ReadOnlySpan<float> x, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = Apply(x[i]);
    }
}

/// <summary>Hardswish, <c>x·relu6(x + 3) / 6</c>: 0 below -3, x above 3.</summary>
internal readonly struct HardswishOp : IUnaryOp<float>
{
    public float Apply(float x) => x * MathF.Min(MathF.Max(x + 3f, 0f), 6f) / 6f;

    public void Apply(ReadOnlySpan<float> x, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = Apply(x[i]);
    }
}
