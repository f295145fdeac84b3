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

    public float[]? Floats { get; }

    public long[]? Longs { get; }

    public DType DType { get; }

    public int Length => Floats?.Length ?? Longs!.Length;

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
        BufferPool.Return(Floats!);
    }

    public static Storage Allocate(DType dtype, int length) =>
        dtype == DType.Float32 ? new Storage(new float[length]) : new Storage(new long[length]);

    /// <summary>Storage for results that are fully overwritten: skips zeroing.</summary>
    public static Storage AllocateUninitialized(DType dtype, int length) =>
        dtype == DType.Float32
            ? new Storage(GC.AllocateUninitializedArray<float>(length))
            : new Storage(GC.AllocateUninitializedArray<long>(length));
}
