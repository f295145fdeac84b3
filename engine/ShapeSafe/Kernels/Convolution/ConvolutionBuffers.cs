namespace ShapeSafe.Kernels.Convolution;

/// <summary>
/// Scratch arrays kept per thread for the thread's life, so steady-state convolution calls allocate
/// nothing but their results (the counterpart of ATen's per-call <c>finput</c>, without the allocation).
/// </summary>
/// <remarks>
/// Each slot is used by one kernel body at a time on its thread; a body never calls back into another
/// convolution, so the slots are never in use twice on one thread. Contents are undefined on return.
/// </remarks>
internal static class ConvolutionBuffers
{
    [ThreadStatic] private static float[]? t_columns;
    [ThreadStatic] private static float[]? t_gradColumns;
    [ThreadStatic] private static float[]? t_partials;
    [ThreadStatic] private static float[]? t_products;
    [ThreadStatic] private static float[]? t_gradOutputs;
    [ThreadStatic] private static float[]? t_pooled;
    [ThreadStatic] private static float[]? t_inputGradients;
    [ThreadStatic] private static ushort[]? t_rounded;
    [ThreadStatic] private static int[]? t_pooledIndices;
    [ThreadStatic] private static float[]? t_padded;

    /// <summary>This thread's column matrix of at least <paramref name="length"/> floats.</summary>
    public static float[] Columns(int length) => Get(ref t_columns, length);

    /// <summary>This thread's column-gradient matrix of at least <paramref name="length"/> floats.</summary>
    public static float[] GradColumns(int length) => Get(ref t_gradColumns, length);

    /// <summary>This thread's forward products of a chunk of images, before they are copied to the output.</summary>
    public static float[] Products(int length) => Get(ref t_products, length);

    /// <summary>This thread's gathered output gradient of a chunk of images.</summary>
    public static float[] GradOutputs(int length) => Get(ref t_gradOutputs, length);

    /// <summary>This thread's float32 input gradient of a chunk of images, before a BFloat16 kernel rounds it.</summary>
    public static float[] InputGradients(int length) => Get(ref t_inputGradients, length);

    /// <summary>This thread's BFloat16 bits of a chunk's channel, rounded before a fused max pool.</summary>
    public static ushort[] Rounded(int length) => Get(ref t_rounded, length);

    /// <summary>This thread's max-pooled values of a chunk's channel, before they are copied to the output.</summary>
    public static float[] Pooled(int length) => Get(ref t_pooled, length);

    /// <summary>This thread's argmax of <see cref="Pooled"/>.</summary>
    public static int[] PooledIndices(int length) => Get(ref t_pooledIndices, length);

    /// <summary>This thread's zero-padded copy of one input image, for the direct convolution of a first layer.</summary>
    public static float[] Padded(int length) => Get(ref t_padded, length);

    /// <summary>This thread's per-chunk partial sums (weight and bias gradients) of at least <paramref name="length"/> floats.</summary>
    public static float[] Partials(int length) => Get(ref t_partials, length);

    private static T[] Get<T>(ref T[]? slot, int length)
    {
        if (slot is null || slot.Length < length)
        {
            // Grow geometrically so slowly growing problems do not reallocate each call.
            long capacity = Math.Max(length, 2L * (slot?.Length ?? 0));
            slot = GC.AllocateUninitializedArray<T>((int)Math.Min(capacity, Array.MaxLength));
        }
        return slot;
    }
}
