using System.Numerics.Tensors;

namespace ShapeSafe.Kernels.Convolution;

/// <summary>
/// The column matrix of one image (Caffe's im2col): row (c·kH + i)·kW + j, column oh·OW + ow holds
/// input[c, oh·sH − pH + i·dH, ow·sW − pW + j·dW], or 0 where that falls in the padding.
/// A convolution is then weight [O, C·kH·kW] × columns [C·kH·kW, OH·OW]. <see cref="Accumulate"/>
/// is the adjoint (col2im), used by the input gradient.
/// </summary>
internal static class Im2Col
{
    /// <summary>
    /// Writes the column matrix of <paramref name="channels"/> channels starting at
    /// <paramref name="inputOffset"/> into <paramref name="columns"/> ([channels·kH·kW, OH·OW], row-major).
    /// </summary>
    public static void Fill(in Conv2dGeometry g, float[] input, int inputOffset, int channels, float[] columns)
    {
        int outWidth = g.OutWidth, plane = g.OutPlane;
        int row = 0;
        for (int c = 0; c < channels; c++)
        {
            int channelStart = inputOffset + c * g.InPlane;
            for (int i = 0; i < g.KernelHeight; i++)
            {
                ValidRange(i * g.DilationHeight - g.PadHeight, g.StrideHeight, g.InHeight, g.OutHeight, out int ohFirst, out int ohEnd);
                for (int j = 0; j < g.KernelWidth; j++, row++)
                {
                    int wShift = j * g.DilationWidth - g.PadWidth;
                    ValidRange(wShift, g.StrideWidth, g.InWidth, outWidth, out int owFirst, out int owEnd);
                    var rowSpan = columns.AsSpan(row * plane, plane);
                    if (ohFirst >= ohEnd || owFirst >= owEnd)
                    {
                        rowSpan.Clear();
                        continue;
                    }
                    rowSpan[..(ohFirst * outWidth)].Clear();
                    rowSpan[(ohEnd * outWidth)..].Clear();
                    for (int oh = ohFirst; oh < ohEnd; oh++)
                    {
                        var dst = rowSpan.Slice(oh * outWidth, outWidth);
                        dst[..owFirst].Clear();
                        dst[owEnd..].Clear();
                        int src = channelStart + (oh * g.StrideHeight + i * g.DilationHeight - g.PadHeight) * g.InWidth + wShift;
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
    /// Adds each entry of <paramref name="columns"/> back onto the input position it was read from
    /// (padding entries are dropped): gradInput += col2im(columns).
    /// </summary>
    public static void Accumulate(in Conv2dGeometry g, float[] columns, int channels, float[] gradInput, int gradInputOffset)
    {
        int outWidth = g.OutWidth, plane = g.OutPlane;
        int row = 0;
        for (int c = 0; c < channels; c++)
        {
            int channelStart = gradInputOffset + c * g.InPlane;
            for (int i = 0; i < g.KernelHeight; i++)
            {
                ValidRange(i * g.DilationHeight - g.PadHeight, g.StrideHeight, g.InHeight, g.OutHeight, out int ohFirst, out int ohEnd);
                for (int j = 0; j < g.KernelWidth; j++, row++)
                {
                    int wShift = j * g.DilationWidth - g.PadWidth;
                    ValidRange(wShift, g.StrideWidth, g.InWidth, outWidth, out int owFirst, out int owEnd);
                    if (owFirst >= owEnd)
                        continue;
                    int rowStart = row * plane;
                    for (int oh = ohFirst; oh < ohEnd; oh++)
                    {
                        int srcStart = rowStart + oh * outWidth;
                        int dst = channelStart + (oh * g.StrideHeight + i * g.DilationHeight - g.PadHeight) * g.InWidth + wShift;
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
