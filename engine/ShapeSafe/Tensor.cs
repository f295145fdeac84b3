using System.Collections.ObjectModel;
using ShapeSafe.Kernels.Strided;
using ShapeSafe.Shapes;

namespace ShapeSafe;

/// <summary>
/// An n-dimensional array: a <see cref="Storage"/> read through sizes, strides and an offset, exactly as
/// PyTorch lays tensors out. Views (slices, transposes, <see cref="View"/>, ...) share storage with their
/// base; writing through one is seen by the other. Memory is managed: the GC frees it.
/// </summary>
public partial class Tensor
{
    // Not readonly for one caller: Module.To swaps a parameter's storage for one in another dtype (ChangeDTypeInPlace).
    internal Storage Storage;
    internal readonly int[] Sizes;
    internal readonly int[] StrideArray;
    internal readonly int Offset;
    ReadOnlyCollection<int>? _shapeView, _strideView;

    internal Tensor(Storage storage, int[] sizes, int[] strides, int offset)
    {
        Storage = storage;
        Sizes = sizes;
        StrideArray = strides;
        Offset = offset;
    }

    internal Tensor(Storage storage, Layout<int> layout)
        : this(storage, layout.Sizes, layout.Strides, layout.Offset)
    {
    }

    /// <summary>
    /// Replaces this tensor's storage by its whole storage converted to <paramref name="dtype"/>, keeping sizes,
    /// strides and offset (so any layout stays valid) and converting the gradient (PyTorch's <c>param.data =
    /// param.data.to(dtype)</c> inside <c>module.to</c>). Only for <c>Module.To</c>, on leaves.
    /// </summary>
    internal void ChangeDTypeInPlace(DType dtype)
    {
        if (dtype == DType) return;
        var whole = new Tensor(Storage, new[] { Storage.Length }, new[] { 1 }, 0);
        Storage = whole.ToDType(dtype).Storage;
        if (_grad is { } grad) _grad = grad.ToDType(dtype);
    }

    /// <summary>A copy of another tensor's metadata over the same storage (used by <c>Parameter</c>).</summary>
    protected Tensor(Tensor other)
        : this(other.Storage, other.Sizes, other.StrideArray, other.Offset)
    {
    }

    /// <summary>The size of each dim.</summary>
    public IReadOnlyList<int> Shape => _shapeView ??= Array.AsReadOnly(Sizes);

    /// <summary>Elements to step in storage for one step along each dim.</summary>
    public IReadOnlyList<int> Strides => _strideView ??= Array.AsReadOnly(StrideArray);

    /// <summary>Number of dims (0 for a scalar).</summary>
    public int Rank => Sizes.Length;

    /// <summary>
    /// The size of dim 0, as Python's <c>len(t)</c>; with the <c>int</c> indexer it lets <c>t[^1]</c> count from the end.
    /// A 0-d tensor has no length: PyTorch's <c>TypeError: len() of a 0-d tensor</c> is a <see cref="ShapeException"/> here.
    /// </summary>
    public int Length => Sizes.Length > 0 ? Sizes[0] : throw new ShapeException("Length", "len() of a 0-d tensor");

    /// <summary>Number of elements.</summary>
    public long NumEl
    {
        get
        {
            long n = 1;
            foreach (var s in Sizes) n *= s;
            return n;
        }
    }

    /// <summary>Index in storage of the first element.</summary>
    public int StorageOffset => Offset;

    /// <summary>The element type.</summary>
    public DType DType => Storage.DType;

    /// <summary>Whether the elements are laid out row-major without gaps (size-1 dims are ignored, as in PyTorch).</summary>
    public bool IsContiguous => ShapeRules<int, ConcreteDims>.IsContiguous(Sizes, StrideArray) == Truth.True;

    /// <summary>The size of dim <paramref name="dim"/> (negative counts from the end).</summary>
    public int Size(int dim) => Sizes[Rules.ExistingDim("Size", dim, Sizes)];

    /// <summary>The stride of dim <paramref name="dim"/> (negative counts from the end).</summary>
    public int Stride(int dim) => StrideArray[Rules.ExistingDim("Stride", dim, Sizes)];

    /// <summary>True when both tensors read the same storage (PyTorch's <c>a.storage().data_ptr() == b.storage().data_ptr()</c>).</summary>
    public bool SharesStorage(Tensor other) => ReferenceEquals(Storage, other.Storage);

    internal Layout<int> Layout => new(Sizes, StrideArray, Offset);

    internal int Count => checked((int)NumEl);

    /// <summary>A tensor over the same storage with another layout.</summary>
    internal Tensor WithLayout(Layout<int> layout) => new(Storage, layout);

    /// <summary>The floats when <see cref="DType"/> is Float32.</summary>
    internal float[] FloatData => Storage.Floats ?? throw WrongDType(DType.Float32);

    /// <summary>The longs when <see cref="DType"/> is Int64.</summary>
    internal long[] LongData => Storage.Longs ?? throw WrongDType(DType.Int64);

    /// <summary>The booleans when <see cref="DType"/> is Bool.</summary>
    internal bool[] BoolData => Storage.Bools ?? throw WrongDType(DType.Bool);

    /// <summary>The doubles when <see cref="DType"/> is Float64.</summary>
    internal double[] DoubleData => Storage.Doubles ?? throw WrongDType(DType.Float64);

    /// <summary>The BFloat16 bit patterns when <see cref="DType"/> is BFloat16.</summary>
    internal ushort[] BFloat16Data => Storage.BFloat16s ?? throw WrongDType(DType.BFloat16);

    InvalidOperationException WrongDType(DType expected) =>
        new($"expected a {expected} tensor, got {DType} (shape {Rules.Format(Sizes)}); convert with ToDType(DType.{expected})");

    /// <summary>A contiguous copy of the elements converted to <paramref name="dtype"/> (a fresh storage, offset 0).</summary>
    internal Storage ConvertedStorage(DType dtype)
    {
        if (Count == 0) return Storage.Allocate(dtype, 0); // an empty view's offset may lie past its storage
        if (IsContiguous) return Kernels.Elementwise.DTypeConversion.Convert(Storage, Offset, Count, dtype);
        var dense = Uninitialized(DType, (int[])Sizes.Clone());
        dense.CopyFrom(this);
        return Kernels.Elementwise.DTypeConversion.Convert(dense.Storage, 0, dense.Count, dtype);
    }

    /// <summary>Copies the elements, in logical (row-major) order, into a new array of floats (converting as <see cref="ToDType"/> does).</summary>
    public float[] ToFloatArray() => ConvertedStorage(DType.Float32).Floats!;

    /// <summary>Copies the elements, in logical order, into a new array of longs (floats truncate toward zero, as a cast does).</summary>
    public long[] ToInt64Array() => ConvertedStorage(DType.Int64).Longs!;

    /// <summary>Copies the elements, in logical order, into a new array of booleans (nonzero, and NaN, is true).</summary>
    public bool[] ToBoolArray() => ConvertedStorage(DType.Bool).Bools!;

    /// <summary>Copies the elements, in logical order, into a new array of doubles (exact from every other dtype but Int64 past 2^53).</summary>
    public double[] ToDoubleArray() => ConvertedStorage(DType.Float64).Doubles!;

    /// <summary>The value of a one-element tensor (any shape with exactly one element, as PyTorch's <c>item()</c>), as a float.</summary>
    public float Item() => DType == DType.Float32 ? FloatData[ItemOffset()] : ToScalar<float>();

    /// <summary>The value of a one-element tensor as a double (exact for Float64).</summary>
    public double ItemDouble() => DType == DType.Float64 ? DoubleData[ItemOffset()] : ToScalar<double>();

    /// <summary>The value of a one-element Int64 tensor (or a float tensor, truncated).</summary>
    public long ItemInt64() => DType == DType.Int64 ? LongData[ItemOffset()] : ToScalar<long>();

    /// <summary>The value of a one-element tensor as a bool (nonzero is true).</summary>
    public bool ItemBool() => DType == DType.Bool ? BoolData[ItemOffset()] : ToScalar<bool>();

    int ItemOffset()
    {
        if (NumEl != 1)
            throw new ShapeException("Item", $"a Tensor with {NumEl} elements cannot be converted to a scalar (shape {Rules.Format(Sizes)})");
        return Offset;
    }

    T ToScalar<T>()
    {
        var s = Kernels.Elementwise.DTypeConversion.Convert(Storage, ItemOffset(), 1, DTypeOf<T>());
        return Kernels.Elementwise.ElementwiseKernel.Data<T>(Create(s, Array.Empty<int>()))[0];
    }

    internal static DType DTypeOf<T>() =>
        typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(long) ? DType.Int64
        : typeof(T) == typeof(bool) ? DType.Bool
        : typeof(T) == typeof(double) ? DType.Float64
        : typeof(T) == typeof(ushort) ? DType.BFloat16
        : throw new NotSupportedException($"no dtype stores {typeof(T).Name}");

    /// <summary>PyTorch's printed form, for example <c>tensor([0, 1, 2])</c>.</summary>
    public override string ToString() => TensorFormatter.Format(this);
}
