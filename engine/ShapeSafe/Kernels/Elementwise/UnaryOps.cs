using System.Numerics;
using System.Numerics.Tensors;

namespace ShapeSafe.Kernels.Elementwise;

/// <summary>A unary element-wise function: a scalar form for strided runs and a span form for dense ones.</summary>
internal interface IUnaryOp<T>
{
    T Apply(T x);

    void Apply(ReadOnlySpan<T> x, Span<T> destination);
}

internal readonly struct NegOp<T> : IUnaryOp<T> where T : INumber<T>
{
    public T Apply(T x) => -x;
    public void Apply(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Negate(x, d);
}

internal readonly struct AbsOp : IUnaryOp<float>
{
    public float Apply(float x) => MathF.Abs(x);
    public void Apply(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Abs(x, d);
}

/// <summary>Int64 absolute value that wraps at <c>long.MinValue</c> as PyTorch does (TensorPrimitives.Abs throws there).</summary>
internal readonly struct AbsInt64Op : IUnaryOp<long>
{
    public long Apply(long x) => x < 0 ? unchecked(-x) : x;
    public void Apply(ReadOnlySpan<long> x, Span<long> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = Apply(x[i]);
    }
}

internal readonly struct SquareOp<T> : IUnaryOp<T> where T : INumber<T>
{
    public T Apply(T x) => x * x;
    public void Apply(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Multiply(x, x, d);
}

/// <summary><c>max(x, 0)</c>; NaN stays NaN, as PyTorch's relu.</summary>
internal readonly struct ReluOp<T> : IUnaryOp<T> where T : INumber<T>
{
    public T Apply(T x) => T.Max(x, T.Zero);
    public void Apply(ReadOnlySpan<T> x, Span<T> d) => TensorPrimitives.Max(x, T.Zero, d);
}

/// <summary>PyTorch's clamp: <c>min(max(x, lo), hi)</c>, so <c>hi</c> wins when <c>lo &gt; hi</c>; NaN propagates.</summary>
internal readonly struct ClampOp<T>(T? min, T? max) : IUnaryOp<T> where T : struct, INumber<T>
{
    public T Apply(T x)
    {
        if (min is { } lo) x = T.Max(x, lo);
        if (max is { } hi) x = T.Min(x, hi);
        return x;
    }

    public void Apply(ReadOnlySpan<T> x, Span<T> d)
    {
        if (min is { } lo)
        {
            TensorPrimitives.Max(x, lo, d);
            x = d;
        }
        if (max is { } hi) TensorPrimitives.Min(x, hi, d);
        else if (min is null) x.CopyTo(d);
    }
}

internal readonly struct ExpOp : IUnaryOp<float>
{
    public float Apply(float x) => MathF.Exp(x);
    public void Apply(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Exp(x, d);
}

internal readonly struct LogOp : IUnaryOp<float>
{
    public float Apply(float x) => MathF.Log(x);
    public void Apply(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Log(x, d);
}

internal readonly struct SqrtOp : IUnaryOp<float>
{
    public float Apply(float x) => MathF.Sqrt(x);
    public void Apply(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Sqrt(x, d);
}

internal readonly struct RsqrtOp : IUnaryOp<float>
{
    public float Apply(float x) => 1f / MathF.Sqrt(x);
    public void Apply(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.ReciprocalSqrt(x, d);
}

internal readonly struct SinOp : IUnaryOp<float>
{
    public float Apply(float x) => MathF.Sin(x);
    public void Apply(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Sin(x, d);
}

internal readonly struct CosOp : IUnaryOp<float>
{
    public float Apply(float x) => MathF.Cos(x);
    public void Apply(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Cos(x, d);
}

/// <summary>
/// Hyperbolic tangent by <c>MathF.Tanh</c>. Not TensorPrimitives.Tanh: in 10.0.0 it loses all relative accuracy
/// near 0 (tanh(1e-4) comes out 3e-4 off, tanh(1e-11) off by a factor of thousands), see UnaryTests.
/// </summary>
internal readonly struct TanhOp : IUnaryOp<float>
{
    public float Apply(float x) => MathF.Tanh(x);

    public void Apply(ReadOnlySpan<float> x, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = MathF.Tanh(x[i]);
    }
}

/// <summary>
/// Logistic sigmoid <c>1 / (1 + exp(-x))</c>, PyTorch's vectorised formula: it never produces NaN (exp overflowing
/// to +inf gives exactly 0, underflowing gives exactly 1), and it matches TensorPrimitives.Sigmoid.
/// </summary>
internal readonly struct SigmoidOp : IUnaryOp<float>
{
    public float Apply(float x) => 1f / (1f + MathF.Exp(-x));

    public void Apply(ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Sigmoid(x, d);
}

/// <summary><c>x &gt; 0 ? x : x * slope</c>; NaN stays NaN.</summary>
internal readonly struct LeakyReluOp(float slope) : IUnaryOp<float>
{
    public float Apply(float x) => x > 0 ? x : x * slope;

    public void Apply(ReadOnlySpan<float> x, Span<float> d)
    {
        // TensorPrimitives has no select; a Vector<float> blend keeps it vectorised.
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<float>.Count)
        {
            var s = new Vector<float>(slope);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(x.Slice(i));
                Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v, v * s).CopyTo(d.Slice(i));
            }
        }
        for (; i < x.Length; i++) d[i] = Apply(x[i]);
    }
}

/// <summary>Exact GELU of Float64, <c>x/2 · erfc(-x/√2)</c> with <see cref="Erf.ErfcDouble"/> (the Float32 op's erfc is float-accurate only).</summary>
internal readonly struct GeluDoubleOp : IUnaryOp<double>
{
    public double Apply(double x) => 0.5 * x * Erf.ErfcDouble(-x * 0.70710678118654752440);

    public void Apply(ReadOnlySpan<double> x, Span<double> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = Apply(x[i]);
    }
}

/// <summary>The derivative of exact GELU in double, <c>Φ(x) + x·φ(x)</c>: Float64 GELU's backward multiplies the gradient by it.</summary>
internal readonly struct GeluDerivativeDoubleOp : IUnaryOp<double>
{
    public double Apply(double x) =>
        0.5 * Erf.ErfcDouble(-x * 0.70710678118654752440) + x * Math.Exp(-0.5 * x * x) * 0.39894228040143267794;

    public void Apply(ReadOnlySpan<double> x, Span<double> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = Apply(x[i]);
    }
}

/// <summary>Exact GELU, <c>x · Φ(x) = x/2 · erfc(-x/√2)</c>, evaluated in double (TensorPrimitives has no erf).</summary>
internal readonly struct GeluOp : IUnaryOp<float>
{
    public float Apply(float x) => (float)(0.5 * x * Erf.Erfc(-x * 0.70710678118654752440));

    public void Apply(ReadOnlySpan<float> x, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = Apply(x[i]);
    }
}

/// <summary>
/// <c>x ** exponent</c> for a scalar exponent, with ATen's special cases (2 → x·x, 3 → x·x·x, 0.5 → sqrt,
/// -0.5 → rsqrt, -1 → 1/x, -2 → 1/(x·x)) so results match PyTorch bit for bit where it takes them.
/// </summary>
internal readonly struct PowScalarOp(float exponent) : IUnaryOp<float>
{
    public float Apply(float x) => exponent switch
    {
        2f => x * x,
        3f => x * x * x,
        0.5f => MathF.Sqrt(x),
        -0.5f => 1f / MathF.Sqrt(x),
        -1f => 1f / x,
        -2f => 1f / (x * x),
        _ => MathF.Pow(x, exponent),
    };

    public void Apply(ReadOnlySpan<float> x, Span<float> d)
    {
        switch (exponent)
        {
            case 2f: TensorPrimitives.Multiply(x, x, d); break;
            case 0.5f: TensorPrimitives.Sqrt(x, d); break;
            case -0.5f: TensorPrimitives.ReciprocalSqrt(x, d); break;
            case -1f: TensorPrimitives.Divide(1f, x, d); break;
            case 3f:
            case -2f:
                for (int i = 0; i < d.Length; i++) d[i] = Apply(x[i]);
                break;
            default: TensorPrimitives.Pow(x, exponent, d); break;
        }
    }
}

/// <summary>Int64 power by a non-negative scalar exponent (wrapping on overflow).</summary>
internal readonly struct PowScalarInt64Op(long exponent) : IUnaryOp<long>
{
    public long Apply(long x) => PowInt64Op.Pow(x, exponent);

    public void Apply(ReadOnlySpan<long> x, Span<long> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = PowInt64Op.Pow(x[i], exponent);
    }
}

/// <summary>Fills every element with a constant (the input is ignored).</summary>
internal readonly struct FillOp<T>(T value) : IUnaryOp<T>
{
    public T Apply(T x) => value;
    public void Apply(ReadOnlySpan<T> x, Span<T> d) => d.Fill(value);
}
