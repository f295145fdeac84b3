using System.Numerics.Tensors;

namespace ShapeSafe.Kernels.Convolution;

/// <summary>
/// The column matrix of one image (Caffe's im2col): row (c·kH + i)·kW + j, column oh·OW + ow holds
/// input[c, oh·sH − pH + i·dH, ow·sW − pW + j·dW], or 0 where that falls in the padding.
/// A convolution is then weight [O, C·kH·kW] × columns [C·kH·kW, OH·OW]. <see cref="Accumulate"/>
/// is the adjoint (col2im), used by the input gradient.
/// </summary>
/// <remarks>
/// Several images share one matrix side by side: image b's columns start at column b·OH·OW of a matrix
/// whose rows are <c>ld</c> floats apart, so one GEMM covers a chunk of the batch.
/// <para>"Same" convolutions (stride 1, output as wide as the input, the usual 3×3 with padding 1) take a
/// fast path: a row's valid entries are then one contiguous run of the input plane, so each row is a
/// single copy (or add) plus a few zeroed border entries, instead of one short copy per output row.</para>
/// </remarks>
internal static class Im2Col
{
    /// <summary>
    /// Writes the column matrix of <paramref name="channels"/> channels starting at <paramref name="inputOffset"/>:
    /// row r occupies <c>columns[columnsOffset + r·ld ..][..OH·OW]</c>.
    /// </summary>
    public static void Fill(in Conv2dGeometry g, float[] input, int inputOffset, int channels,
        float[] columns, int columnsOffset, int ld)
    {
        int outWidth = g.OutWidth, plane = g.OutPlane;
        bool contiguousRows = HasContiguousRows(g);
        int row = 0;
        for (int c = 0; c < channels; c++)
        {
            int channelStart = inputOffset + c * g.InPlane;
            for (int i = 0; i < g.KernelHeight; i++)
            {
                int hShift = i * g.DilationHeight - g.PadHeight;
                ValidRange(hShift, g.StrideHeight, g.InHeight, g.OutHeight, out int ohFirst, out int ohEnd);
                for (int j = 0; j < g.KernelWidth; j++, row++)
                {
                    int wShift = j * g.DilationWidth - g.PadWidth;
                    ValidRange(wShift, g.StrideWidth, g.InWidth, outWidth, out int owFirst, out int owEnd);
                    var rowSpan = columns.AsSpan(columnsOffset + row * ld, plane);
                    if (ohFirst >= ohEnd || owFirst >= owEnd)
                    {
                        rowSpan.Clear();
                        continue;
                    }
                    if (contiguousRows)
                    {
                        // Entry (oh, ow) reads input plane position oh·W + ow + delta: copy the run from the first
                        // valid entry to the last, then zero what the run picked up from neighbouring rows.
                        int first = ohFirst * outWidth + owFirst, end = (ohEnd - 1) * outWidth + owEnd;
                        int delta = hShift * g.InWidth + wShift;
                        rowSpan[..first].Clear();
                        input.AsSpan(channelStart + delta + first, end - first).CopyTo(rowSpan[first..]);
                        rowSpan[end..].Clear();
                        ZeroOutsideColumns(rowSpan, outWidth, ohFirst, ohEnd, owFirst, owEnd);
                        continue;
                    }
                    rowSpan[..(ohFirst * outWidth)].Clear();
                    rowSpan[(ohEnd * outWidth)..].Clear();
                    for (int oh = ohFirst; oh < ohEnd; oh++)
                    {
                        var dst = rowSpan.Slice(oh * outWidth, outWidth);
                        dst[..owFirst].Clear();
                        dst[owEnd..].Clear();
                        int src = channelStart + (oh * g.StrideHeight + hShift) * g.InWidth + wShift;
                        if (g.StrideWidth == 1)
                        {
                            input.AsSpan(src + owFirst, owEnd - owFirst).CopyTo(dst[owFirst..]);
                        }
                        else
                        {
                            int sw = g.StrideWidth;
                            for (int ow = owFirst; ow < owEnd; ow++)
                                dst[ow] = input[src + ow * sw];
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Adds each entry of the column matrix (laid out as in <see cref="Fill"/>) back onto the input position it
    /// was read from; padding entries are dropped: gradInput += col2im(columns). The padding entries of
    /// <paramref name="columns"/> may be overwritten with zeros.
    /// </summary>
    public static void Accumulate(in Conv2dGeometry g, float[] columns, int columnsOffset, int ld, int channels,
        float[] gradInput, int gradInputOffset)
    {
        int outWidth = g.OutWidth, plane = g.OutPlane;
        bool contiguousRows = HasContiguousRows(g);
        int row = 0;
        for (int c = 0; c < channels; c++)
        {
            int channelStart = gradInputOffset + c * g.InPlane;
            for (int i = 0; i < g.KernelHeight; i++)
            {
                int hShift = i * g.DilationHeight - g.PadHeight;
                ValidRange(hShift, g.StrideHeight, g.InHeight, g.OutHeight, out int ohFirst, out int ohEnd);
                for (int j = 0; j < g.KernelWidth; j++, row++)
                {
                    int wShift = j * g.DilationWidth - g.PadWidth;
                    ValidRange(wShift, g.StrideWidth, g.InWidth, outWidth, out int owFirst, out int owEnd);
                    if (ohFirst >= ohEnd || owFirst >= owEnd)
                        continue;
                    int rowStart = columnsOffset + row * ld;
                    if (contiguousRows)
                    {
                        // The adjoint of Fill's run copy: zero the entries that would land in a neighbouring
                        // input row, then add the whole run at once (adding +0 leaves a gradient unchanged).
                        var rowSpan = columns.AsSpan(rowStart, plane);
                        ZeroOutsideColumns(rowSpan, outWidth, ohFirst, ohEnd, owFirst, owEnd);
                        int first = ohFirst * outWidth + owFirst, end = (ohEnd - 1) * outWidth + owEnd;
                        var target = gradInput.AsSpan(channelStart + hShift * g.InWidth + wShift + first, end - first);
                        TensorPrimitives.Add(target, rowSpan[first..end], target);
                        continue;
                    }
                    for (int oh = ohFirst; oh < ohEnd; oh++)
                    {
                        int srcStart = rowStart + oh * outWidth;
                        int dst = channelStart + (oh * g.StrideHeight + hShift) * g.InWidth + wShift;
                        if (g.StrideWidth == 1)
                        {
                            var target = gradInput.AsSpan(dst + owFirst, owEnd - owFirst);
                            TensorPrimitives.Add(target, columns.AsSpan(srcStart + owFirst, owEnd - owFirst), target);
                        }
                        else
                        {
                            int sw = g.StrideWidth;
                            for (int ow = owFirst; ow < owEnd; ow++)
                                gradInput[dst + ow * sw] += columns[srcStart + ow];
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// True when consecutive entries of a column-matrix row read consecutive input positions, rows included:
    /// stride 1 both ways and an output as wide as the input.
    /// </summary>
    internal static bool HasContiguousRows(in Conv2dGeometry g)
        => g.StrideHeight == 1 && g.StrideWidth == 1 && g.OutWidth == g.InWidth;

    // Zeroes the columns [0, owFirst) and [owEnd, width) of output rows [ohFirst, ohEnd) of one row of the column matrix.
    private static void ZeroOutsideColumns(Span<float> row, int width, int ohFirst, int ohEnd, int owFirst, int owEnd)
    {
        if (owFirst == 0 && owEnd == width)
            return;
        for (int oh = ohFirst; oh < ohEnd; oh++)
        {
            var line = row.Slice(oh * width, width);
            for (int ow = 0; ow < owFirst; ow++)
                line[ow] = 0f;
            for (int ow = owEnd; ow < width; ow++)
                line[ow] = 0f;
        }
    }

    /// <summary>
    /// The output positions [first, end) whose input coordinate o·stride + shift lies in [0, size).
    /// </summary>
    internal static void ValidRange(int shift, int stride, int size, int outSize, out int first, out int end)
    {
        // o·stride + shift ≥ 0  ⇔  o ≥ ceil(−shift / stride);  o·stride + shift ≤ size − 1  ⇔  o ≤ floor((size − 1 − shift) / stride).
        first = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
        int last = size - 1 - shift;
        end = last < 0 ? 0 : Math.Min(outSize, last / stride + 1);
        if (first > end)
            first = end;
    }
}
