using ShapeSafe.Kernels.Parallel;

namespace ShapeSafe.Kernels.Pooling;

/// <summary>
/// 2-D max pooling over contiguous planes, with the argmax of each window (PyTorch's
/// <c>max_pool2d_with_indices</c>): an index is the flat position h·W + w within its input plane.
/// Padding never wins (it counts as −∞); the first maximum in row-major window order wins ties, and
/// NaN wins over numbers, as in PyTorch's CPU kernel.
/// </summary>
internal static class MaxPoolKernel
{
    /// <summary>Fills <paramref name="output"/> with each window's maximum and <paramref name="indices"/> with where it was.</summary>
    /// Indices are Int64 for the public <c>MaxPool2dWithIndices</c> and Int32 when only the backward reads them.
    public static void Forward<TIndex>(in Pool2dGeometry g, float[] input, int inputOffset,
        float[] output, int outputOffset, TIndex[] indices, int indicesOffset) where TIndex : unmanaged, System.Numerics.IBinaryInteger<TIndex>
    {
        int blocks = PoolingParallel.Blocks(g);
        var body = new ForwardBody<TIndex>(g, blocks, input, inputOffset, output, outputOffset, indices, indicesOffset);
        PoolingParallel.Run(g, blocks, ref body);
    }

    /// <summary>
    /// gradInput (overwritten) = zeros with each output's gradient added at its window's argmax.
    /// </summary>
    public static void Backward<TIndex>(in Pool2dGeometry g, float[] gradOutput, int gradOutputOffset,
        TIndex[] indices, int indicesOffset, float[] gradInput, int gradInputOffset) where TIndex : unmanaged, System.Numerics.IBinaryInteger<TIndex>
    {
        int blocks = PoolingParallel.Blocks(g);
        var body = new BackwardBody<TIndex>(g, blocks, gradOutput, gradOutputOffset, indices, indicesOffset, gradInput, gradInputOffset);
        PoolingParallel.Run(g, blocks, ref body);
    }

    /// <summary>
    /// <see cref="Forward"/> for the planes [<paramref name="first"/>, <paramref name="end"/>) only, on the calling
    /// thread; plane p is read at <c>inputOffset + p·InPlane</c> and written at <c>outputOffset + p·OutPlane</c>.
    /// For callers that pool a block of planes they have just produced (a fused convolution).
    /// </summary>
    public static void ForwardPlanes<TIndex>(in Pool2dGeometry g, int first, int end, float[] input, int inputOffset,
        float[] output, int outputOffset, TIndex[] indices, int indicesOffset) where TIndex : unmanaged, System.Numerics.IBinaryInteger<TIndex>
    {
        if (end <= first)
            return;
        if (IsPlainTwoByTwo(g))
        {
            if (TwoByTwoGathered.IsSupported(g))
            {
                TwoByTwoGathered.Forward(g, first, end, input, inputOffset, output, outputOffset, indices, indicesOffset);
                return;
            }
            for (int p = first; p < end; p++)
                ForwardPlaneTwoByTwo(g, input, inputOffset + p * g.InPlane, output, outputOffset + p * g.OutPlane,
                    indices, indicesOffset + p * g.OutPlane);
            return;
        }
        int ow = g.OutWidth;
        // Worked out once per call: for each output column its first real tap, for each tap column j
        // the output columns [first, end) for which it is real (ValidTaps divides: too slow per output).
        Span<int> firstTap = ow <= 512 ? stackalloc int[ow] : new int[ow];
        for (int x = 0; x < ow; x++)
            Pool2dGeometry.ValidTaps(x * g.StrideWidth - g.PadWidth, g.DilationWidth, g.KernelWidth, g.InWidth, out firstTap[x], out _);
        Span<int> tapColumns = g.KernelWidth <= 64 ? stackalloc int[2 * g.KernelWidth] : new int[2 * g.KernelWidth];
        for (int j = 0; j < g.KernelWidth; j++)
            Pool2dGeometry.ValidTaps(j * g.DilationWidth - g.PadWidth, g.StrideWidth, ow, g.InWidth,
                out tapColumns[2 * j], out tapColumns[2 * j + 1]);
        Span<float> rowMax = ow <= 512 ? stackalloc float[ow] : new float[ow];
        Span<int> rowArgmax = ow <= 512 ? stackalloc int[ow] : new int[ow];
        for (int p = first; p < end; p++)
            ForwardPlane(g, input, inputOffset + p * g.InPlane, output, outputOffset + p * g.OutPlane,
                indices, indicesOffset + p * g.OutPlane, firstTap, tapColumns, rowMax, rowArgmax);
    }

    private readonly struct ForwardBody<TIndex>(Pool2dGeometry g, int blocks, float[] input, int inputOffset,
        float[] output, int outputOffset, TIndex[] indices, int indicesOffset) : IParallelBody where TIndex : unmanaged, System.Numerics.IBinaryInteger<TIndex>
    {
        public void Invoke(int block)
        {
            PoolingParallel.Range(g, block, blocks, out int first, out int end);
            ForwardPlanes(g, first, end, input, inputOffset, output, outputOffset, indices, indicesOffset);
        }
    }

    // The CNN workhorse: 2×2 windows, stride 2, no padding or dilation, and (unlike ceil mode's last window on an
    // odd size) every window whole.
    internal static bool IsPlainTwoByTwo(in Pool2dGeometry g) =>
        g.KernelHeight == 2 && g.KernelWidth == 2 && g.StrideHeight == 2 && g.StrideWidth == 2
        && g.PadHeight == 0 && g.PadWidth == 0 && g.DilationHeight == 1 && g.DilationWidth == 1
        && 2 * g.OutHeight <= g.InHeight && 2 * g.OutWidth <= g.InWidth;

    internal static void ForwardPlaneTwoByTwo<TIndex>(in Pool2dGeometry g, float[] input, int plane, float[] output, int outputStart,
        TIndex[] indices, int indicesStart) where TIndex : unmanaged, System.Numerics.IBinaryInteger<TIndex>
    {
        int width = g.InWidth, ow = g.OutWidth;
        for (int y = 0; y < g.OutHeight; y++)
        {
            int top = 2 * y * width;
            var upper = input.AsSpan(plane + top, 2 * ow);
            var lower = input.AsSpan(plane + top + width, 2 * ow);
            var values = output.AsSpan(outputStart + y * ow, ow);
            var where = indices.AsSpan(indicesStart + y * ow, ow);
            for (int x = 0; x < ow; x++)
            {
                int at = top + 2 * x;
                float max = upper[2 * x];
                long argmax = at;
                Take(upper[2 * x + 1], at + 1, ref max, ref argmax);
                Take(lower[2 * x], at + width, ref max, ref argmax);
                Take(lower[2 * x + 1], at + width + 1, ref max, ref argmax);
                values[x] = max;
                where[x] = TIndex.CreateTruncating(argmax);
            }
        }
    }

    // max, argmax = v, at when v beats max (or is NaN), without a branch.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Take(float v, long at, ref float max, ref long argmax)
    {
        long take = -(long)((v > max ? 1 : 0) | (float.IsNaN(v) ? 1 : 0));
        int bits = BitConverter.SingleToInt32Bits(max);
        max = BitConverter.Int32BitsToSingle(bits ^ ((bits ^ BitConverter.SingleToInt32Bits(v)) & (int)take));
        argmax ^= (argmax ^ at) & take;
    }

    // One plane, in a method of its own so the JIT optimizes it fully after a few planes (rather than
    // leaving a long-running loop to on-stack replacement). A row of outputs is built tap by tap:
    // each output still sees its taps in row-major window order (so ties and NaN resolve as in
    // PyTorch), but consecutive updates belong to different outputs, so they do not wait on each other.
    private static void ForwardPlane<TIndex>(in Pool2dGeometry g, float[] input, int plane, float[] output, int outputStart,
        TIndex[] indices, int indicesStart, ReadOnlySpan<int> firstTap, ReadOnlySpan<int> tapColumns,
        Span<float> rowMax, Span<int> rowArgmax) where TIndex : unmanaged, System.Numerics.IBinaryInteger<TIndex>
    {
        int width = g.InWidth, ow = g.OutWidth, sw = g.StrideWidth, dh = g.DilationHeight, dw = g.DilationWidth;
        for (int y = 0; y < g.OutHeight; y++)
        {
            int h0 = y * g.StrideHeight - g.PadHeight;
            Pool2dGeometry.ValidTaps(h0, dh, g.KernelHeight, g.InHeight, out int iFirst, out int iEnd);
            int firstRow = (h0 + iFirst * dh) * width;
            // Until a real value beats it, −∞ stands at the window's first real element (PyTorch's choice).
            rowMax.Fill(float.NegativeInfinity);
            for (int x = 0; x < ow; x++)
                rowArgmax[x] = firstRow + x * sw - g.PadWidth + firstTap[x] * dw;
            for (int i = iFirst; i < iEnd; i++)
            {
                int row = (h0 + i * dh) * width;
                for (int j = 0; j < g.KernelWidth; j++)
                {
                    int shift = row + j * dw - g.PadWidth;
                    int xEnd = tapColumns[2 * j + 1];
                    for (int x = tapColumns[2 * j]; x < xEnd; x++)
                    {
                        int at = shift + x * sw;
                        float v = input[plane + at];
                        // Branch-free select: the winner is unpredictable on real data, and the
                        // mispredictions of `if (v > max)` cost more than the reads themselves.
                        int take = -((v > rowMax[x] ? 1 : 0) | (float.IsNaN(v) ? 1 : 0));
                        int bits = BitConverter.SingleToInt32Bits(rowMax[x]);
                        rowMax[x] = BitConverter.Int32BitsToSingle(bits ^ ((bits ^ BitConverter.SingleToInt32Bits(v)) & take));
                        rowArgmax[x] ^= (rowArgmax[x] ^ at) & take;
                    }
                }
            }
            int o = y * ow;
            rowMax.CopyTo(output.AsSpan(outputStart + o, ow));
            for (int x = 0; x < ow; x++)
                indices[indicesStart + o + x] = TIndex.CreateTruncating(rowArgmax[x]);
        }
    }

    private readonly struct BackwardBody<TIndex>(Pool2dGeometry g, int blocks, float[] gradOutput, int gradOutputOffset,
        TIndex[] indices, int indicesOffset, float[] gradInput, int gradInputOffset) : IParallelBody where TIndex : unmanaged, System.Numerics.IBinaryInteger<TIndex>
    {
        public void Invoke(int block)
        {
            PoolingParallel.Range(g, block, blocks, out int first, out int end);
            for (int p = first; p < end; p++)
            {
                int plane = gradInputOffset + p * g.InPlane;
                gradInput.AsSpan(plane, g.InPlane).Clear();
                int o = p * g.OutPlane;
                for (int k = 0; k < g.OutPlane; k++, o++)
                    gradInput[plane + int.CreateTruncating(indices[indicesOffset + o])] += gradOutput[gradOutputOffset + o];
            }
        }
    }
}
