namespace ShapeSafe.Kernels.Pooling;

/// <summary>
/// A 2-D pooling window over contiguous planes: input [planes, H, W] (planes = N·C, or C unbatched),
/// output [planes, OH, OW].
/// </summary>
/// <remarks>Build it with <see cref="Create"/>, which runs the shared shape rule; the kernels do not check again.</remarks>
internal readonly record struct Pool2dGeometry(
    int Planes, int InHeight, int InWidth,
    int KernelHeight, int KernelWidth, int StrideHeight, int StrideWidth,
    int PadHeight, int PadWidth, int DilationHeight, int DilationWidth,
    int OutHeight, int OutWidth)
{
    /// <summary>
    /// The geometry of pooling an input of <paramref name="inputSizes"/> ([N, C, H, W] or [C, H, W]);
    /// the output shape is <c>Rules.Pool2d</c>'s. <paramref name="op"/> names the op in shape errors. In
    /// <paramref name="ceilMode"/> the last window may hang past the padded input; the kernels clip every window.
    /// </summary>
    public static Pool2dGeometry Create(int[] inputSizes, (int Height, int Width) kernel, (int Height, int Width) stride,
        (int Height, int Width) padding, (int Height, int Width) dilation, string op, bool ceilMode = false)
    {
        var output = Rules.Pool2d(inputSizes, new[] { kernel.Height, kernel.Width }, new[] { stride.Height, stride.Width },
            new[] { padding.Height, padding.Width }, new[] { dilation.Height, dilation.Width }, op, ceilMode);
        int planes = 1;
        for (int d = 0; d < inputSizes.Length - 2; d++)
            planes *= inputSizes[d];
        return new Pool2dGeometry(planes, inputSizes[^2], inputSizes[^1],
            kernel.Height, kernel.Width, stride.Height, stride.Width,
            padding.Height, padding.Width, dilation.Height, dilation.Width,
            output[^2], output[^1]);
    }

    /// <summary>Elements per input plane: H·W.</summary>
    public int InPlane => InHeight * InWidth;

    /// <summary>Elements per output plane: OH·OW.</summary>
    public int OutPlane => OutHeight * OutWidth;

    /// <summary>Window reads of the whole forward pass, for deciding whether threads pay.</summary>
    public long Work => (long)Planes * OutPlane * KernelHeight * KernelWidth;

    /// <summary>
    /// The taps [first, end) of the window starting at <paramref name="start"/> (dilation
    /// <paramref name="dilation"/>, <paramref name="kernel"/> taps) that land inside [0, <paramref name="size"/>).
    /// </summary>
    internal static void ValidTaps(int start, int dilation, int kernel, int size, out int first, out int end)
    {
        first = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
        int last = size - 1 - start;
        end = last < 0 ? 0 : Math.Min(kernel, last / dilation + 1);
        if (first > end)
            first = end;
    }
}
