using ShapeSafe.Kernels.Elementwise;

namespace ShapeSafe.Optim;

/// <summary>
/// PyTorch's <c>lerp_</c> with a scalar weight, which Adam uses for its first moment. The engine has no Lerp yet;
/// this one runs through the engine's in-place element-wise driver (strides and broadcasting included).
/// </summary>
internal static class LerpKernel
{
    /// <summary><c>self = lerp(self, end, weight)</c> in place (PyTorch's <c>self.lerp_(end, weight)</c>).</summary>
    public static Tensor LerpInPlace(Tensor self, Tensor end, float weight)
    {
        ElementwiseKernel.InPlace<float, LerpOp>(self, end, new LerpOp(weight), "LerpInPlace");
        return self;
    }
}

/// <summary>
/// ATen's lerp: for |weight| &lt; 0.5, <c>start + weight * (end - start)</c>; otherwise
/// <c>end - (end - start) * (1 - weight)</c>, which is exact at weight 1. Computed as ATen's vectorized CPU kernel
/// does (<c>fmadd(coeff, end - start, base)</c> with coeff = weight or weight - 1), one fused rounding, as the
/// engine's other scaled adds (<c>AddScaledOp</c>) are.
/// </summary>
internal readonly struct LerpOp(float weight) : IBinaryOp<float>
{
    readonly float _coefficient = MathF.Abs(weight) < 0.5f ? weight : weight - 1f;
    readonly bool _fromStart = MathF.Abs(weight) < 0.5f;

    public float Apply(float start, float end) => MathF.FusedMultiplyAdd(_coefficient, end - start, _fromStart ? start : end);

    public void Apply(ReadOnlySpan<float> start, ReadOnlySpan<float> end, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = Apply(start[i], end[i]);
    }

    public void Apply(ReadOnlySpan<float> start, float end, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = Apply(start[i], end);
    }

    public void Apply(float start, ReadOnlySpan<float> end, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = Apply(start, end[i]);
    }
}
