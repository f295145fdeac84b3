using ShapeSafe.Kernels.Elementwise;

namespace ShapeSafe;

// PyTorch's type promotion (c10's promoteTypes and ATen's result_type). The five dtypes form one chain,
// Bool < Int64 < BFloat16 < Float32 < Float64, so promoting two dtypes takes the later one. Operands are ranked in
// three priority classes: tensors with dims, 0-dim tensors, and C# scalars (PyTorch's "wrapped numbers"). A lower
// class changes the result only when its category (bool < integral < floating) is higher: a float64 0-dim tensor does
// not turn a float32 tensor into float64, but it does turn an int64 tensor into float64. A floating C# scalar counts
// as the default dtype (Float32), whatever its C# type, so an int64 tensor times 0.5 is Float32.
public partial class Tensor
{
    /// <summary>Whether this tensor's dtype is a floating-point one (PyTorch's <c>is_floating_point()</c>).</summary>
    public bool IsFloatingPoint => IsFloating(DType);

    /// <summary>The dtype both operands are converted to by a binary op (PyTorch's <c>torch.promote_types</c>).</summary>
    public static DType PromoteTypes(DType a, DType b) => Order(a) >= Order(b) ? a : b;

    /// <summary>The dtype of <c>a op b</c> for an arithmetic op (PyTorch's <c>torch.result_type(a, b)</c>).</summary>
    public static DType ResultType(Tensor a, Tensor b)
    {
        DType? dim = null, zeroDim = null;
        Include(a, ref dim, ref zeroDim);
        Include(b, ref dim, ref zeroDim);
        return Combine(dim, zeroDim) ?? DType.Float32;
    }

    /// <summary>The dtype of <c>a op scalar</c> for a floating C# scalar (<c>torch.result_type(a, 2.5)</c>).</summary>
    public static DType ResultType(Tensor a, double scalar) => ScalarResult(a, DType.Float32);

    /// <summary>The dtype of <c>a op scalar</c> for an integer C# scalar (<c>torch.result_type(a, 2)</c>).</summary>
    public static DType ResultType(Tensor a, long scalar) => ScalarResult(a, DType.Int64);

    /// <summary>The dtype of <c>a op scalar</c> for a bool scalar (<c>torch.result_type(a, True)</c>).</summary>
    public static DType ResultType(Tensor a, bool scalar) => ScalarResult(a, DType.Bool);

    internal static bool IsFloating(DType dtype) => dtype is DType.Float32 or DType.Float64 or DType.BFloat16;

    static int Order(DType dtype) => dtype switch
    {
        DType.Bool => 0,
        DType.Int64 => 1,
        DType.BFloat16 => 2,
        DType.Float32 => 3,
        _ => 4,
    };

    static int Category(DType dtype) => dtype switch
    {
        DType.Bool => 0,
        DType.Int64 => 1,
        _ => 2,
    };

    static void Include(Tensor t, ref DType? dim, ref DType? zeroDim)
    {
        if (t.Rank > 0) dim = dim is { } d ? PromoteTypes(d, t.DType) : t.DType;
        else zeroDim = zeroDim is { } z ? PromoteTypes(z, t.DType) : t.DType;
    }

    // A tensor, with dims or without, outranks a scalar.
    static DType ScalarResult(Tensor a, DType scalar) => Combine(a.DType, scalar)!.Value;

    /// <summary>ATen's <c>combine_categories</c>: the higher class wins unless the lower one is of a higher category.</summary>
    static DType? Combine(DType? higher, DType? lower)
    {
        if (higher is not { } h) return lower;
        if (lower is not { } l) return h;
        if (Category(l) > Category(h)) return PromoteTypes(h, l);
        return h;
    }

    /// <summary>This tensor in <paramref name="dtype"/> without recording a conversion (the op that converts records itself).</summary>
    internal Tensor As(DType dtype) => dtype == DType ? this : Create(ConvertedStorage(dtype), (int[])Sizes.Clone());

    /// <summary>
    /// Runs a Float32 computation for BFloat16 operands as PyTorch's CPU kernels do: widen to float32 (exact),
    /// compute, round the result to BFloat16 once (nearest even).
    /// </summary>
    internal static Tensor RoundedToBFloat16(Tensor float32Result) =>
        float32Result.DType == DType.BFloat16 ? float32Result : float32Result.As(DType.BFloat16);
}
