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

    public static Storage Allocate(DType dtype, int length) =>
        dtype == DType.Float32 ? new Storage(new float[length]) : new Storage(new long[length]);

    /// <summary>Storage for results that are fully overwritten: skips zeroing.</summary>
    public static Storage AllocateUninitialized(DType dtype, int length) =>
        dtype == DType.Float32
            ? new Storage(GC.AllocateUninitializedArray<float>(length))
            : new Storage(GC.AllocateUninitializedArray<long>(length));
}
