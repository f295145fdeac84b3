namespace ShapeSafe.Optim;

/// <summary>
/// The element-wise steps of the optimizers' Float64 updates, on contiguous double spans, each rounding as ATen's
/// double kernel of the same op does: <c>add_(other, alpha)</c> is one fused multiply-add (ATen's <c>fmadd</c>), lerp
/// is ATen's two-branch fused form, <c>addcmul_</c> fuses its last product with the add (fma(value·a, b, x)),
/// <c>addcdiv_</c> rounds the quotient before the add, and the scalars stay doubles (ATen's opmath for double is double). Written here because the engine's in-place
/// tensor ops are Float32 and round their scalars to float.
/// </summary>
internal static class Float64StepKernel
{
    /// <summary>The elements of a contiguous Float64 tensor.</summary>
    public static Span<double> Elements(Tensor t)
    {
        if (t.DType != DType.Float64 || !t.IsContiguous)
            throw new InvalidOperationException($"expected a contiguous Float64 tensor, got {t.DType} of shape {Rules.Format(t.Sizes)}");
        return t.DoubleData.AsSpan(t.Offset, t.Count);
    }

    /// <summary>A fresh contiguous Float64 copy of <paramref name="t"/> (the gradient an update may change).</summary>
    public static Tensor ContiguousCopy(Tensor t)
    {
        var copy = Tensor.Zeros(t.Sizes, DType.Float64);
        copy.CopyFrom(t);
        return copy;
    }

    /// <summary><c>x.neg_()</c>.</summary>
    public static void Negate(Span<double> x)
    {
        for (int i = 0; i < x.Length; i++) x[i] = -x[i];
    }

    /// <summary><c>x.add_(y, alpha)</c>: x + alpha·y, fused.</summary>
    public static void AddScaled(Span<double> x, ReadOnlySpan<double> y, double alpha)
    {
        for (int i = 0; i < x.Length; i++) x[i] = Math.FusedMultiplyAdd(y[i], alpha, x[i]);
    }

    /// <summary><c>x.mul_(s)</c>.</summary>
    public static void Scale(Span<double> x, double s)
    {
        for (int i = 0; i < x.Length; i++) x[i] *= s;
    }

    /// <summary><c>start.lerp_(end, weight)</c>: from the start for |weight| &lt; 0.5, from the end otherwise, fused.</summary>
    public static void Lerp(Span<double> start, ReadOnlySpan<double> end, double weight)
    {
        bool fromStart = Math.Abs(weight) < 0.5;
        double coefficient = fromStart ? weight : weight - 1;
        for (int i = 0; i < start.Length; i++)
            start[i] = Math.FusedMultiplyAdd(coefficient, end[i] - start[i], fromStart ? start[i] : end[i]);
    }

    /// <summary><c>x.addcmul_(a, b, value)</c>: fma(value·a, b, x), as ATen's CPU kernel rounds it.</summary>
    public static void AddCMul(Span<double> x, ReadOnlySpan<double> a, ReadOnlySpan<double> b, double value)
    {
        for (int i = 0; i < x.Length; i++) x[i] = Math.FusedMultiplyAdd(value * a[i], b[i], x[i]);
    }

    /// <summary><c>x.addcdiv_(a, b, value)</c>: x + (value·a)/b, left to right.</summary>
    public static void AddCDiv(Span<double> x, ReadOnlySpan<double> a, ReadOnlySpan<double> b, double value)
    {
        for (int i = 0; i < x.Length; i++) x[i] += value * a[i] / b[i];
    }

    /// <summary><c>(v.sqrt() / divisor).add_(eps)</c> into <paramref name="denom"/>.</summary>
    public static void Denominator(ReadOnlySpan<double> v, double divisor, double eps, Span<double> denom)
    {
        for (int i = 0; i < v.Length; i++) denom[i] = Math.Sqrt(v[i]) / divisor + eps;
    }

    /// <summary><c>torch.maximum(max, v, out=max)</c>: NaN propagates from either side.</summary>
    public static void Maximum(Span<double> max, ReadOnlySpan<double> v)
    {
        for (int i = 0; i < max.Length; i++)
        {
            double a = max[i], b = v[i];
            max[i] = double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Max(a, b);
        }
    }
}
