namespace ShapeSafe.Kernels.Convolution;

/// <summary>
/// Everything a 2-D convolution kernel needs to know about its operands: input [N, C, H, W],
/// weight [O, C/groups, kH, kW], output [N, O, OH, OW], all contiguous (row-major).
/// </summary>
/// <remarks>
/// Build it with <see cref="Create"/>, which runs the shared shape rule (so a bad shape is a
/// <c>ShapeException</c> with the rule's message); the kernels trust it and do not check again.
/// </remarks>
internal readonly record struct Conv2dGeometry(
    int Batch, int InChannels, int InHeight, int InWidth,
    int OutChannels, int KernelHeight, int KernelWidth,
    int StrideHeight, int StrideWidth, int PadHeight, int PadWidth,
    int DilationHeight, int DilationWidth, int Groups,
    int OutHeight, int OutWidth)
{
    /// <summary>
    /// The geometry of <c>Conv2d</c> on an input of <paramref name="inputSizes"/> ([N, C, H, W], or [C, H, W]
    /// taken as a batch of one) with a weight of <paramref name="weightSizes"/>; stride, padding and dilation
    /// are (height, width) pairs. Shape errors are the shared rule's <c>ShapeException</c>s.
    /// </summary>
    public static Conv2dGeometry Create(int[] inputSizes, int[] weightSizes,
        (int Height, int Width) stride, (int Height, int Width) padding, (int Height, int Width) dilation, int groups = 1)
    {
        var output = Rules.Conv2d(inputSizes, weightSizes,
            new[] { stride.Height, stride.Width }, new[] { padding.Height, padding.Width },
            new[] { dilation.Height, dilation.Width }, groups);
        bool batched = inputSizes.Length == 4;
        return new Conv2dGeometry(
            batched ? inputSizes[0] : 1, inputSizes[^3], inputSizes[^2], inputSizes[^1],
            weightSizes[0], weightSizes[2], weightSizes[3],
            stride.Height, stride.Width, padding.Height, padding.Width,
            dilation.Height, dilation.Width, groups,
            output[^2], output[^1]);
    }

    /// <summary>Input channels per group (the weight's dim 1).</summary>
    public int GroupInChannels => InChannels / Groups;

    /// <summary>Output channels per group.</summary>
    public int GroupOutChannels => OutChannels / Groups;

    /// <summary>Rows of one group's column matrix: (C/groups)·kH·kW, the length of each dot product.</summary>
    public int ColumnRows => GroupInChannels * KernelHeight * KernelWidth;

    /// <summary>Output positions per image and channel: OH·OW (the columns of the column matrix).</summary>
    public int OutPlane => OutHeight * OutWidth;

    /// <summary>Input elements per channel: H·W.</summary>
    public int InPlane => InHeight * InWidth;

    /// <summary>Elements of one input image: C·H·W.</summary>
    public int InImage => InChannels * InPlane;

    /// <summary>Elements of one output image: O·OH·OW.</summary>
    public int OutImage => OutChannels * OutPlane;

    /// <summary>Elements of the weight: O·(C/groups)·kH·kW.</summary>
    public int WeightCount => OutChannels * ColumnRows;

    /// <summary>
    /// True when the column matrix of an image is the image itself (1×1 kernel, stride 1, no padding),
    /// so im2col and col2im can be skipped.
    /// </summary>
    public bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && StrideHeight == 1 && StrideWidth == 1
        && PadHeight == 0 && PadWidth == 0;

    /// <summary>Multiply-adds of the forward pass (each backward product costs the same).</summary>
    public long MultiplyAdds => (long)Batch * OutChannels * OutPlane * ColumnRows;
}
