using ShapeSafe.Kernels.Memory;

namespace ShapeSafe;

/// <summary>
/// The flat, managed buffer behind one or more tensors. Views share one <see cref="Storage"/>;
/// the GC frees it when no tensor refers to it. Exactly one of the arrays is set, per <see cref="DType"/>.
/// </summary>
internal sealed class Storage
{
    public Storage(float[] data)
    {
        Floats = data;
        DType = DType.Float32;
    }

    public Storage(long[] data)
    {
        Longs = data;
        DType = DType.Int64;
    }

    public Storage(bool[] data)
    {
        Bools = data;
        DType = DType.Bool;
    }

    public Storage(double[] data)
    {
        Doubles = data;
        DType = DType.Float64;
    }

    /// <summary>BFloat16 storage: each element is the upper 16 bits of a float32.</summary>
    public Storage(ushort[] bfloat16Bits)
    {
        BFloat16s = bfloat16Bits;
        DType = DType.BFloat16;
    }

    public float[]? Floats { get; }

    public long[]? Longs { get; }

    public bool[]? Bools { get; }

    public double[]? Doubles { get; }

    public ushort[]? BFloat16s { get; }

    public DType DType { get; }

    public int Length => DType switch
    {
        DType.Float32 => Floats!.Length,
        DType.Int64 => Longs!.Length,
        DType.Bool => Bools!.Length,
        DType.Float64 => Doubles!.Length,
        _ => BFloat16s!.Length,
    };

    /// <summary>Who may read this storage; only <see cref="StorageOwner.Shared"/> storage is ever seen by users.</summary>
    public StorageOwner Owner { get; set; }

    /// <summary>Float32 storage from <see cref="BufferPool"/> for a gradient that only the backward pass will hold.</summary>
    public static Storage BackwardGradient(int length) => new(BufferPool.Rent(length)) { Owner = StorageOwner.Backward };

    /// <summary>
    /// Returns the array to <see cref="BufferPool"/> when this storage is still private to
    /// <paramref name="owner"/>; the caller is that owner and drops every reference to it.
    /// </summary>
    public void RecycleIfOwnedBy(StorageOwner owner)
    {
        if (Owner != owner || owner == StorageOwner.Shared)
            return;
        Owner = StorageOwner.Shared;
        if (Floats is not null) BufferPool.Return(Floats);
    }

    public static Storage Allocate(DType dtype, int length) => dtype switch
    {
        DType.Float32 => new Storage(new float[length]),
        DType.Int64 => new Storage(new long[length]),
        DType.Bool => new Storage(new bool[length]),
        DType.Float64 => new Storage(new double[length]),
        _ => new Storage(new ushort[length]),
    };

    /// <summary>Storage for results that are fully overwritten: skips zeroing.</summary>
    public static Storage AllocateUninitialized(DType dtype, int length) => dtype switch
    {
        DType.Float32 => new Storage(GC.AllocateUninitializedArray<float>(length)),
        DType.Int64 => new Storage(GC.AllocateUninitializedArray<long>(length)),
        DType.Bool => new Storage(GC.AllocateUninitializedArray<bool>(length)),
        DType.Float64 => new Storage(GC.AllocateUninitializedArray<double>(length)),
        _ => new Storage(GC.AllocateUninitializedArray<ushort>(length)),
    };
}
