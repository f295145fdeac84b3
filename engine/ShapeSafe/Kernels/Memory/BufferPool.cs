namespace ShapeSafe.Kernels.Memory;

/// <summary>
/// Float arrays kept for reuse, per thread and by exact length, so the backward pass of a training step
/// can take its gradient buffers from the previous step's instead of the GC. Training repeats the same
/// shapes every step, so exact lengths match; large arrays would otherwise come from the large-object heap,
/// which costs a gen-2 collection budget and fresh (page-faulting) memory per step.
/// </summary>
/// <remarks>
/// An array goes back only when its single owner is done with it (see <see cref="StorageOwner"/>): the
/// pool never hands out an array that something else can still read. Per thread, because the backward
/// pass runs on one thread; an array may be rented on one thread and returned on another. Contents of a
/// rented array are undefined. The pool holds at most <see cref="CapacityFloats"/> floats per thread and
/// drops what does not fit, leaving it to the GC.
/// </remarks>
internal static class BufferPool
{
    /// <summary>The most floats one thread's pool keeps (256 MB).</summary>
    public const long CapacityFloats = 64L << 20;

    // Smaller arrays are cheap for the GC (gen 0) and not worth a dictionary look-up.
    private const int MinimumLength = 1024;

    [ThreadStatic] private static Dictionary<int, Stack<float[]>>? t_buckets;
    [ThreadStatic] private static Dictionary<int, Stack<int[]>>? t_intBuckets;
    [ThreadStatic] private static long t_heldFloats;

    /// <summary>An array of exactly <paramref name="length"/> floats, reused when one is free.</summary>
    public static float[] Rent(int length)
    {
        if (length >= MinimumLength && t_buckets is { } buckets
            && buckets.TryGetValue(length, out var stack) && stack.TryPop(out var array))
        {
            t_heldFloats -= length;
            return array;
        }
        return GC.AllocateUninitializedArray<float>(length);
    }

    /// <summary>Gives <paramref name="array"/> back; the caller must hold the only reference to it.</summary>
    public static void Return(float[] array)
    {
        int length = array.Length;
        if (length < MinimumLength || t_heldFloats + length > CapacityFloats)
            return;
        var buckets = t_buckets ??= new Dictionary<int, Stack<float[]>>();
        if (!buckets.TryGetValue(length, out var stack))
            buckets[length] = stack = new Stack<float[]>();
        stack.Push(array);
        t_heldFloats += length;
    }

    /// <summary>
    /// An array of exactly <paramref name="length"/> ints, reused when one is free: state that a forward op keeps
    /// only for its backward (max pooling's argmax), returned when the node is released. Counts against the same
    /// capacity as the floats (both are four bytes).
    /// </summary>
    public static int[] RentInts(int length)
    {
        if (length >= MinimumLength && t_intBuckets is { } buckets
            && buckets.TryGetValue(length, out var stack) && stack.TryPop(out var array))
        {
            t_heldFloats -= length;
            return array;
        }
        return GC.AllocateUninitializedArray<int>(length);
    }

    /// <summary>Gives <paramref name="array"/> back; the caller must hold the only reference to it.</summary>
    public static void ReturnInts(int[] array)
    {
        int length = array.Length;
        if (length < MinimumLength || t_heldFloats + length > CapacityFloats)
            return;
        var buckets = t_intBuckets ??= new Dictionary<int, Stack<int[]>>();
        if (!buckets.TryGetValue(length, out var stack))
            buckets[length] = stack = new Stack<int[]>();
        stack.Push(array);
        t_heldFloats += length;
    }

    /// <summary>Floats (and ints) this thread's pool holds (for tests).</summary>
    internal static long HeldFloats => t_heldFloats;

    /// <summary>Empties this thread's pool (for tests).</summary>
    internal static void Clear()
    {
        t_buckets = null;
        t_intBuckets = null;
        t_heldFloats = 0;
    }
}

/// <summary>Who may read a <see cref="Storage"/>: decides whether its array may be written in place or pooled.</summary>
internal enum StorageOwner : byte
{
    /// <summary>Anyone may hold it (the default): never written in place by the engine, never pooled.</summary>
    Shared,

    /// <summary>
    /// A gradient made inside the backward pass that only the backward engine refers to: a kernel receiving
    /// it may overwrite it, and the engine returns it to <see cref="BufferPool"/> when it drops it.
    /// </summary>
    Backward,

    /// <summary>
    /// A backward gradient moved into a leaf's <see cref="Tensor.Grad"/> that nobody has read through the public
    /// property yet; zeroing the gradients with set-to-none returns it to the pool.
    /// </summary>
    LeafGrad,
}
