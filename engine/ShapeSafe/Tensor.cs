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
    internal readonly Storage Storage;
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
    internal float[] FloatData => Storage.Floats ?? throw new InvalidOperationException("expected a Float32 tensor, got Int64");

    /// <summary>The longs when <see cref="DType"/> is Int64.</summary>
    internal long[] LongData => Storage.Longs ?? throw new InvalidOperationException("expected an Int64 tensor, got Float32");

    /// <summary>Copies the elements, in logical (row-major) order, into a new contiguous array.</summary>
    public float[] ToFloatArray()
    {
        if (DType == DType.Int64)
        {
            var longs = ToInt64Array();
            var converted = new float[longs.Length];
            for (int i = 0; i < longs.Length; i++) converted[i] = longs[i];
            return converted;
        }
        var result = new float[Count];
        CopyTo(FloatData, result);
        return result;
    }

    /// <summary>Copies the elements, in logical order, into a new array of longs (floats truncate toward zero, as a cast does).</summary>
    public long[] ToInt64Array()
    {
        if (DType == DType.Float32)
        {
            var floats = ToFloatArray();
            var converted = new long[floats.Length];
            for (int i = 0; i < floats.Length; i++) converted[i] = (long)floats[i];
            return converted;
        }
        var result = new long[Count];
        CopyTo(LongData, result);
        return result;
    }

    void CopyTo<T>(T[] source, T[] destination)
    {
        if (destination.Length == 0) return;
        if (IsContiguous)
        {
            Array.Copy(source, Offset, destination, 0, destination.Length);
            return;
        }
        StridedLayout.Copy(source, Sizes, StrideArray, Offset, destination, Rules.ContiguousStrides(Sizes), 0);
    }

    /// <summary>The value of a one-element tensor (any shape with exactly one element, as PyTorch's <c>item()</c>).</summary>
    public float Item()
    {
        if (NumEl != 1)
            throw new ShapeException("Item", $"a Tensor with {NumEl} elements cannot be converted to a scalar (shape {Rules.Format(Sizes)})");
        return DType == DType.Float32 ? FloatData[Offset] : LongData[Offset];
    }

    /// <summary>The value of a one-element Int64 tensor (or a float tensor, truncated).</summary>
    public long ItemInt64()
    {
        if (NumEl != 1)
            throw new ShapeException("Item", $"a Tensor with {NumEl} elements cannot be converted to a scalar (shape {Rules.Format(Sizes)})");
        return DType == DType.Int64 ? LongData[Offset] : (long)FloatData[Offset];
    }

    /// <summary>PyTorch's printed form, for example <c>tensor([0, 1, 2])</c>.</summary>
    public override string ToString() => TensorFormatter.Format(this);
}
