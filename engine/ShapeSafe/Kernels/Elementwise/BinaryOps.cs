using System.Numerics;
using System.Numerics.Tensors;

namespace ShapeSafe.Kernels.Elementwise;

/// <summary>
/// A binary element-wise function: a scalar form for strided runs and span forms (TensorPrimitives) for dense
/// runs, including the two where one side is a broadcast scalar. Ops are structs so the generic kernels specialise
/// and inline them; fields carry parameters such as <c>alpha</c>.
/// </summary>
internal interface IBinaryOp<T>
{
    T Apply(T x, T y);

    void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> destination);

    void Apply(ReadOnlySpan<T> x, T y, Span<T> destination);

    void Apply(T x, ReadOnlySpan<T> y, Span<T> destination);
}

internal readonly struct AddOp<T> : IBinaryOp<T> where T : INumber<T>
{
    public T Apply(T x, T y) => x + y;
    public void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Add(x, y, d);
    public void Apply(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Add(x, y, d);
    public void Apply(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Add(y, x, d);
}

internal readonly struct SubOp<T> : IBinaryOp<T> where T : INumber<T>
{
    public T Apply(T x, T y) => x - y;
    public void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Subtract(x, y, d);
    public void Apply(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Subtract(x, y, d);
    public void Apply(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Subtract(x, y, d);
}

internal readonly struct MulOp<T> : IBinaryOp<T> where T : INumber<T>
{
    public T Apply(T x, T y) => x * y;
    public void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Multiply(x, y, d);
    public void Apply(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Multiply(x, y, d);
    public void Apply(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Multiply(y, x, d);
}

/// <summary>True division (integer operands are promoted to float before they get here).</summary>
internal readonly struct DivOp : IBinaryOp<float>
{
    public float Apply(float x, float y) => x / y;
    public void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Divide(x, y, d);
    public void Apply(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Divide(x, y, d);
    public void Apply(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Divide(x, y, d);
}

/// <summary><c>x + alpha * y</c> (PyTorch's <c>add(x, y, alpha)</c>, fused as its vectorised CPU kernel does).</summary>
internal readonly struct AddScaledOp(float alpha) : IBinaryOp<float>
{
    public float Apply(float x, float y) => MathF.FusedMultiplyAdd(y, alpha, x);
    public void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.FusedMultiplyAdd(y, alpha, x, d);
    public void Apply(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Add(x, y * alpha, d);
    public void Apply(float x, ReadOnlySpan<float> y, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = MathF.FusedMultiplyAdd(y[i], alpha, x);
    }
}

/// <summary><c>x + alpha * y</c> over Int64 (wrapping, as PyTorch's integer arithmetic).</summary>
internal readonly struct AddScaledInt64Op(long alpha) : IBinaryOp<long>
{
    public long Apply(long x, long y) => unchecked(x + alpha * y);
    public void Apply(ReadOnlySpan<long> x, ReadOnlySpan<long> y, Span<long> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = unchecked(x[i] + alpha * y[i]);
    }
    public void Apply(ReadOnlySpan<long> x, long y, Span<long> d) => TensorPrimitives.Add(x, unchecked(alpha * y), d);
    public void Apply(long x, ReadOnlySpan<long> y, Span<long> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = unchecked(x + alpha * y[i]);
    }
}

/// <summary>Element-wise maximum; NaN wins, as in PyTorch's <c>maximum</c>.</summary>
internal readonly struct MaximumOp<T> : IBinaryOp<T> where T : INumber<T>
{
    public T Apply(T x, T y) => T.Max(x, y);
    public void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Max(x, y, d);
    public void Apply(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Max(x, y, d);
    public void Apply(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Max(y, x, d);
}

/// <summary>Element-wise minimum; NaN wins, as in PyTorch's <c>minimum</c>.</summary>
internal readonly struct MinimumOp<T> : IBinaryOp<T> where T : INumber<T>
{
    public T Apply(T x, T y) => T.Min(x, y);
    public void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Min(x, y, d);
    public void Apply(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Min(x, y, d);
    public void Apply(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Min(y, x, d);
}

/// <summary>Float power with a tensor exponent.</summary>
internal readonly struct PowOp : IBinaryOp<float>
{
    public float Apply(float x, float y) => MathF.Pow(x, y);
    public void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Pow(x, y, d);
    public void Apply(ReadOnlySpan<float> x, float y, Span<float> d) => TensorPrimitives.Pow(x, y, d);
    public void Apply(float x, ReadOnlySpan<float> y, Span<float> d) => TensorPrimitives.Pow(x, y, d);
}

/// <summary>Integer power with ATen's <c>powi</c> rules: a negative exponent gives 1, ±1 or 0, never an error.</summary>
internal readonly struct PowInt64Op : IBinaryOp<long>
{
    public long Apply(long x, long y) => Pow(x, y);
    public void Apply(ReadOnlySpan<long> x, ReadOnlySpan<long> y, Span<long> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = Pow(x[i], y[i]);
    }
    public void Apply(ReadOnlySpan<long> x, long y, Span<long> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = Pow(x[i], y);
    }
    public void Apply(long x, ReadOnlySpan<long> y, Span<long> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = Pow(x, y[i]);
    }

    public static long Pow(long b, long e)
    {
        if (e < 0)
        {
            if (b == 1) return 1;
            if (b == -1) return (e & 1) != 0 ? -1 : 1;
            return 0;
        }
        long result = 1;
        unchecked
        {
            while (e != 0)
            {
                if ((e & 1) != 0) result *= b;
                e >>= 1;
                b *= b;
            }
        }
        return result;
    }
}

/// <summary>True division for any IEEE type (Float64 here; Float32 keeps <see cref="DivOp"/>).</summary>
internal readonly struct FloatingDivOp<T> : IBinaryOp<T> where T : IFloatingPointIeee754<T>
{
    public T Apply(T x, T y) => x / y;
    public void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Divide(x, y, d);
    public void Apply(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Divide(x, y, d);
    public void Apply(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Divide(x, y, d);
}

/// <summary>Power for any IEEE type (Float64 here; Float32 keeps <see cref="PowOp"/>).</summary>
internal readonly struct FloatingPowOp<T> : IBinaryOp<T> where T : IFloatingPointIeee754<T>
{
    public T Apply(T x, T y) => T.Pow(x, y);
    public void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Pow(x, y, d);
    public void Apply(ReadOnlySpan<T> x, T y, Span<T> d) => TensorPrimitives.Pow(x, y, d);
    public void Apply(T x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Pow(x, y, d);
}

/// <summary>Bool "or" (PyTorch's bool + bool and maximum).</summary>
internal readonly struct LogicalOrOp : IBinaryOp<bool>
{
    public bool Apply(bool x, bool y) => x | y;
    public void Apply(ReadOnlySpan<bool> x, ReadOnlySpan<bool> y, Span<bool> d) =>
        TensorPrimitives.BitwiseOr(AsBytes(x), AsBytes(y), AsBytes(d));
    public void Apply(ReadOnlySpan<bool> x, bool y, Span<bool> d)
    {
        if (y) d.Fill(true); else x.CopyTo(d);
    }
    public void Apply(bool x, ReadOnlySpan<bool> y, Span<bool> d) => Apply(y, x, d);

    internal static ReadOnlySpan<byte> AsBytes(ReadOnlySpan<bool> x) => System.Runtime.InteropServices.MemoryMarshal.Cast<bool, byte>(x);
    internal static Span<byte> AsBytes(Span<bool> x) => System.Runtime.InteropServices.MemoryMarshal.Cast<bool, byte>(x);
}

/// <summary>Bool "and" (PyTorch's bool * bool and minimum).</summary>
internal readonly struct LogicalAndOp : IBinaryOp<bool>
{
    public bool Apply(bool x, bool y) => x & y;
    public void Apply(ReadOnlySpan<bool> x, ReadOnlySpan<bool> y, Span<bool> d) =>
        TensorPrimitives.BitwiseAnd(LogicalOrOp.AsBytes(x), LogicalOrOp.AsBytes(y), LogicalOrOp.AsBytes(d));
    public void Apply(ReadOnlySpan<bool> x, bool y, Span<bool> d)
    {
        if (y) x.CopyTo(d); else d.Clear();
    }
    public void Apply(bool x, ReadOnlySpan<bool> y, Span<bool> d) => Apply(y, x, d);
}

/// <summary>Bool "exclusive or" (PyTorch's logical_xor and bool != bool).</summary>
internal readonly struct LogicalXorOp : IBinaryOp<bool>
{
    public bool Apply(bool x, bool y) => x ^ y;
    public void Apply(ReadOnlySpan<bool> x, ReadOnlySpan<bool> y, Span<bool> d) =>
        TensorPrimitives.Xor(LogicalOrOp.AsBytes(x), LogicalOrOp.AsBytes(y), LogicalOrOp.AsBytes(d));
    public void Apply(ReadOnlySpan<bool> x, bool y, Span<bool> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = x[i] ^ y;
    }
    public void Apply(bool x, ReadOnlySpan<bool> y, Span<bool> d) => Apply(y, x, d);
}

/// <summary><c>x ** y</c> over {0, 1}: 1 unless x is 0 and y is 1.</summary>
internal readonly struct BoolPowOp : IBinaryOp<bool>
{
    public bool Apply(bool x, bool y) => x | !y;
    public void Apply(ReadOnlySpan<bool> x, ReadOnlySpan<bool> y, Span<bool> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = x[i] | !y[i];
    }
    public void Apply(ReadOnlySpan<bool> x, bool y, Span<bool> d)
    {
        if (y) x.CopyTo(d); else d.Fill(true);
    }
    public void Apply(bool x, ReadOnlySpan<bool> y, Span<bool> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = x | !y[i];
    }
}
