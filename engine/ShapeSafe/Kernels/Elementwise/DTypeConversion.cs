using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ShapeSafe.Kernels.Elementwise;

/// <summary>
/// Converts contiguous arrays between dtypes exactly as ATen's casts do: floats to integers truncate toward zero,
/// anything to Bool is "not zero" (NaN is true), Bool to numbers is 0 or 1, integers to float round to nearest, and
/// float32 to BFloat16 rounds to nearest even with NaN kept as the quiet NaN 0x7FC0 (c10's
/// <c>round_to_nearest_even</c>). Float64 and Int64 reach BFloat16 through float32, as c10::BFloat16's only
/// constructor takes a float. BFloat16 to float32 is exact (the bits shifted up). TensorPrimitives has no
/// BFloat16 conversions, so those loops are written here.
/// </summary>
internal static class DTypeConversion
{
    /// <summary>The BFloat16 bits nearest to <paramref name="value"/> (ties to even; NaN gives 0x7FC0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort ToBFloat16(float value)
    {
        if (float.IsNaN(value)) return 0x7FC0;
        uint bits = BitConverter.SingleToUInt32Bits(value);
        uint roundingBias = ((bits >> 16) & 1) + 0x7FFF;
        return (ushort)((bits + roundingBias) >> 16);
    }

    /// <summary>The float32 a BFloat16 stands for (exact).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float FromBFloat16(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>Rounds float32 values to BFloat16 bits, vectorised (the packing step of the BFloat16 kernels uses it too).</summary>
    public static void ToBFloat16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var one = Vector256.Create(1u);
            var bias = Vector256.Create(0x7FFFu);
            var quietNaN = Vector256.Create(0x7FC0u);
            var src = MemoryMarshal.Cast<float, uint>(source);
            for (; i + 16 <= source.Length; i += 16)
            {
                var lo = Round(Vector256.Create(src.Slice(i, 8)), one, bias, quietNaN);
                var hi = Round(Vector256.Create(src.Slice(i + 8, 8)), one, bias, quietNaN);
                Vector256.Narrow(lo, hi).CopyTo(destination.Slice(i, 16));
            }
        }
        for (; i < source.Length; i++) destination[i] = ToBFloat16(source[i]);
    }

    static Vector256<uint> Round(Vector256<uint> bits, Vector256<uint> one, Vector256<uint> bias, Vector256<uint> quietNaN)
    {
        var asFloat = bits.AsSingle();
        var isNaN = ~Vector256.Equals(asFloat, asFloat).AsUInt32();
        var rounded = Vector256.ShiftRightLogical(bits + (Vector256.ShiftRightLogical(bits, 16) & one) + bias, 16);
        return Vector256.ConditionalSelect(isNaN, quietNaN, rounded);
    }

    /// <summary>Widens BFloat16 bits to float32 (exact), vectorised.</summary>
    public static void FromBFloat16(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        int i = 0;
        var dst = MemoryMarshal.Cast<float, uint>(destination);
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 16 <= source.Length; i += 16)
            {
                var (lo, hi) = Vector256.Widen(Vector256.Create(source.Slice(i, 16)));
                Vector256.ShiftLeft(lo, 16).CopyTo(dst.Slice(i, 8));
                Vector256.ShiftLeft(hi, 16).CopyTo(dst.Slice(i + 8, 8));
            }
        }
        for (; i < source.Length; i++) destination[i] = FromBFloat16(source[i]);
    }

    /// <summary>A new storage of <paramref name="to"/> holding the elements of the contiguous <paramref name="source"/>.</summary>
    public static Storage Convert(Storage source, int offset, int count, DType to) => to switch
    {
        DType.Float32 => new Storage(ToFloat32(source, offset, count)),
        DType.Int64 => new Storage(ToInt64(source, offset, count)),
        DType.Bool => new Storage(ToBool(source, offset, count)),
        DType.Float64 => new Storage(ToFloat64(source, offset, count)),
        _ => new Storage(ToBFloat16(source, offset, count)),
    };

    public static float[] ToFloat32(Storage s, int offset, int n)
    {
        var r = GC.AllocateUninitializedArray<float>(n);
        switch (s.DType)
        {
            case DType.Float32: Array.Copy(s.Floats!, offset, r, 0, n); break;
            case DType.Int64: { var a = s.Longs!; for (int i = 0; i < n; i++) r[i] = a[offset + i]; break; }
            case DType.Bool: { var a = s.Bools!; for (int i = 0; i < n; i++) r[i] = a[offset + i] ? 1f : 0f; break; }
            case DType.Float64: { var a = s.Doubles!; for (int i = 0; i < n; i++) r[i] = (float)a[offset + i]; break; }
            default: FromBFloat16(s.BFloat16s.AsSpan(offset, n), r); break;
        }
        return r;
    }

    public static double[] ToFloat64(Storage s, int offset, int n)
    {
        var r = GC.AllocateUninitializedArray<double>(n);
        switch (s.DType)
        {
            case DType.Float32: { var a = s.Floats!; for (int i = 0; i < n; i++) r[i] = a[offset + i]; break; }
            case DType.Int64: { var a = s.Longs!; for (int i = 0; i < n; i++) r[i] = a[offset + i]; break; }
            case DType.Bool: { var a = s.Bools!; for (int i = 0; i < n; i++) r[i] = a[offset + i] ? 1.0 : 0.0; break; }
            case DType.Float64: Array.Copy(s.Doubles!, offset, r, 0, n); break;
            default: { var a = s.BFloat16s!; for (int i = 0; i < n; i++) r[i] = FromBFloat16(a[offset + i]); break; }
        }
        return r;
    }

    public static long[] ToInt64(Storage s, int offset, int n)
    {
        var r = GC.AllocateUninitializedArray<long>(n);
        switch (s.DType)
        {
            case DType.Float32: { var a = s.Floats!; for (int i = 0; i < n; i++) r[i] = FloatToInt64(a[offset + i]); break; }
            case DType.Int64: Array.Copy(s.Longs!, offset, r, 0, n); break;
            case DType.Bool: { var a = s.Bools!; for (int i = 0; i < n; i++) r[i] = a[offset + i] ? 1 : 0; break; }
            case DType.Float64: { var a = s.Doubles!; for (int i = 0; i < n; i++) r[i] = FloatToInt64(a[offset + i]); break; }
            default: { var a = s.BFloat16s!; for (int i = 0; i < n; i++) r[i] = FloatToInt64(FromBFloat16(a[offset + i])); break; }
        }
        return r;
    }

    public static bool[] ToBool(Storage s, int offset, int n)
    {
        var r = GC.AllocateUninitializedArray<bool>(n);
        switch (s.DType)
        {
            // NaN != 0, so NaN converts to true, as in C++.
            case DType.Float32: { var a = s.Floats!; for (int i = 0; i < n; i++) r[i] = a[offset + i] != 0f; break; }
            case DType.Int64: { var a = s.Longs!; for (int i = 0; i < n; i++) r[i] = a[offset + i] != 0; break; }
            case DType.Bool: Array.Copy(s.Bools!, offset, r, 0, n); break;
            case DType.Float64: { var a = s.Doubles!; for (int i = 0; i < n; i++) r[i] = a[offset + i] != 0.0; break; }
            default: { var a = s.BFloat16s!; for (int i = 0; i < n; i++) r[i] = (a[offset + i] & 0x7FFF) != 0; break; }
        }
        return r;
    }

    public static ushort[] ToBFloat16(Storage s, int offset, int n)
    {
        var r = GC.AllocateUninitializedArray<ushort>(n);
        switch (s.DType)
        {
            case DType.Float32: ToBFloat16(s.Floats.AsSpan(offset, n), r); break;
            case DType.BFloat16: Array.Copy(s.BFloat16s!, offset, r, 0, n); break;
            case DType.Bool: { var a = s.Bools!; for (int i = 0; i < n; i++) r[i] = a[offset + i] ? (ushort)0x3F80 : (ushort)0; break; }
            // Through float32: c10::BFloat16 is constructed from a float.
            default: ToBFloat16(ToFloat32(s, offset, n), r); break;
        }
        return r;
    }

    /// <summary>
    /// Truncation toward zero as the x86 conversion ATen compiles to: NaN and out-of-range values give
    /// long.MinValue (C++ leaves them undefined; x86's cvttss2si gives 0x8000000000000000, what LibTorch returns here).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static long FloatToInt64(double v) => v >= -9.2233720368547758e18 && v < 9.2233720368547758e18 ? (long)v : long.MinValue;
}
