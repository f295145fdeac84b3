using System.Numerics.Tensors;
using ShapeSafe.Kernels.Elementwise;

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
        var fill = new FillRow<float, Float32Source>(input, inputOffset, columns, columnsOffset, ld, HasContiguousRows(g));
        ForEachRow(g, channels, ref fill);
    }

    /// <summary>
    /// <see cref="Fill(in Conv2dGeometry, float[], int, int, float[], int, int)"/> from a BFloat16 input: each entry is
    /// widened to float32 (exact) as it is copied, so the column matrix is the one the widened input would give and
    /// the input is never converted whole.
    /// </summary>
    public static void Fill(in Conv2dGeometry g, ushort[] input, int inputOffset, int channels,
        float[] columns, int columnsOffset, int ld)
    {
        var fill = new FillRow<ushort, BFloat16Source>(input, inputOffset, columns, columnsOffset, ld, HasContiguousRows(g));
        ForEachRow(g, channels, ref fill);
    }

    /// <summary>
    /// Adds each entry of the column matrix (laid out as in <see cref="Fill(in Conv2dGeometry, float[], int, int, float[], int, int)"/>) back onto the input position it
    /// was read from; padding entries are dropped: gradInput += col2im(columns). The padding entries of
    /// <paramref name="columns"/> may be overwritten with zeros.
    /// </summary>
    public static void Accumulate(in Conv2dGeometry g, float[] columns, int columnsOffset, int ld, int channels,
        float[] gradInput, int gradInputOffset)
    {
        var accumulate = new AccumulateRow(columns, columnsOffset, ld, gradInput, gradInputOffset, HasContiguousRows(g));
        ForEachRow(g, channels, ref accumulate);
    }

    /// <summary>
    /// One row of the column matrix: input channel <see cref="Channel"/> read at tap offsets (<see cref="HShift"/>,
    /// <see cref="WShift"/>) from each output position, and the outputs [OhFirst, OhEnd) × [OwFirst, OwEnd) whose
    /// reads fall inside the input (the rest read padding).
    /// </summary>
    private readonly record struct Row(int Index, int Channel, int HShift, int WShift, int OhFirst, int OhEnd, int OwFirst, int OwEnd)
    {
        public bool ReadsOnlyPadding => OhFirst >= OhEnd || OwFirst >= OwEnd;

        // The run of plane positions from the first real entry to the last, for rows read contiguously.
        public int RunStart(int width) => OhFirst * width + OwFirst;

        public int RunEnd(int width) => (OhEnd - 1) * width + OwEnd;
    }

    private interface IRowBody
    {
        void Invoke(in Conv2dGeometry g, in Row row);
    }

    // The walk Fill and Accumulate share: rows in (channel, kernel row, kernel column) order.
    private static void ForEachRow<TBody>(in Conv2dGeometry g, int channels, ref TBody body) where TBody : struct, IRowBody
    {
        int index = 0;
        for (int c = 0; c < channels; c++)
        {
            for (int i = 0; i < g.KernelHeight; i++)
            {
                int hShift = i * g.DilationHeight - g.PadHeight;
                ValidRange(hShift, g.StrideHeight, g.InHeight, g.OutHeight, out int ohFirst, out int ohEnd);
                for (int j = 0; j < g.KernelWidth; j++, index++)
                {
                    int wShift = j * g.DilationWidth - g.PadWidth;
                    ValidRange(wShift, g.StrideWidth, g.InWidth, g.OutWidth, out int owFirst, out int owEnd);
                    body.Invoke(g, new Row(index, c, hShift, wShift, ohFirst, ohEnd, owFirst, owEnd));
                }
            }
        }
    }

    /// <summary>How <see cref="FillRow{T, TSource}"/> reads an input of element type <typeparamref name="T"/> as float32.</summary>
    private interface IFloat32Source<T>
    {
        /// <summary>Copies <paramref name="source"/> into <paramref name="destination"/> (the same length), widened to float32.</summary>
        static abstract void Copy(ReadOnlySpan<T> source, Span<float> destination);

        /// <summary>One element, widened to float32.</summary>
        static abstract float Read(T value);
    }

    private readonly struct Float32Source : IFloat32Source<float>
    {
        public static void Copy(ReadOnlySpan<float> source, Span<float> destination) => source.CopyTo(destination);

        public static float Read(float value) => value;
    }

    // BFloat16 is widened as it is copied (exact), so the input is never converted whole.
    private readonly struct BFloat16Source : IFloat32Source<ushort>
    {
        public static void Copy(ReadOnlySpan<ushort> source, Span<float> destination) => DTypeConversion.FromBFloat16(source, destination);

        public static float Read(ushort value) => DTypeConversion.FromBFloat16(value);
    }

    // One walk for every input element type: the JIT compiles it once per (T, TSource) pair of structs, so the float32
    // path is the plain copy it always was.
    private readonly struct FillRow<T, TSource>(T[] input, int inputOffset, float[] columns, int columnsOffset, int ld, bool contiguousRows) : IRowBody
        where TSource : struct, IFloat32Source<T>
    {
        public void Invoke(in Conv2dGeometry g, in Row r)
        {
            int outWidth = g.OutWidth;
            int channelStart = inputOffset + r.Channel * g.InPlane;
            var rowSpan = columns.AsSpan(columnsOffset + r.Index * ld, g.OutPlane);
            if (r.ReadsOnlyPadding)
            {
                rowSpan.Clear();
                return;
            }
            if (contiguousRows)
            {
                // Entry (oh, ow) reads input plane position oh·W + ow + delta: copy the run from the first real
                // entry to the last, then zero what the run picked up from neighbouring rows.
                int first = r.RunStart(outWidth), end = r.RunEnd(outWidth);
                int delta = r.HShift * g.InWidth + r.WShift;
                rowSpan[..first].Clear();
                TSource.Copy(input.AsSpan(channelStart + delta + first, end - first), rowSpan[first..end]);
                rowSpan[end..].Clear();
                ZeroOutsideColumns(rowSpan, outWidth, r);
                return;
            }
            rowSpan[..(r.OhFirst * outWidth)].Clear();
            rowSpan[(r.OhEnd * outWidth)..].Clear();
            for (int oh = r.OhFirst; oh < r.OhEnd; oh++)
            {
                var dst = rowSpan.Slice(oh * outWidth, outWidth);
                dst[..r.OwFirst].Clear();
                dst[r.OwEnd..].Clear();
                int src = channelStart + (oh * g.StrideHeight + r.HShift) * g.InWidth + r.WShift;
                if (g.StrideWidth == 1)
                {
                    TSource.Copy(input.AsSpan(src + r.OwFirst, r.OwEnd - r.OwFirst), dst[r.OwFirst..r.OwEnd]);
                }
                else
                {
                    int sw = g.StrideWidth;
                    for (int ow = r.OwFirst; ow < r.OwEnd; ow++)
                        dst[ow] = TSource.Read(input[src + ow * sw]);
                }
            }
        }
    }

    private readonly struct AccumulateRow(float[] columns, int columnsOffset, int ld, float[] gradInput, int gradInputOffset, bool contiguousRows) : IRowBody
    {
        public void Invoke(in Conv2dGeometry g, in Row r)
        {
            if (r.ReadsOnlyPadding)
                return;
            int outWidth = g.OutWidth;
            int channelStart = gradInputOffset + r.Channel * g.InPlane;
            int rowStart = columnsOffset + r.Index * ld;
            if (contiguousRows)
            {
                // The adjoint of Fill's run copy: zero the entries that would land in a neighbouring input row,
                // then add the whole run at once (adding +0 leaves a gradient unchanged).
                var rowSpan = columns.AsSpan(rowStart, g.OutPlane);
                ZeroOutsideColumns(rowSpan, outWidth, r);
                int first = r.RunStart(outWidth), end = r.RunEnd(outWidth);
                var target = gradInput.AsSpan(channelStart + r.HShift * g.InWidth + r.WShift + first, end - first);
                TensorPrimitives.Add(target, rowSpan[first..end], target);
                return;
            }
            for (int oh = r.OhFirst; oh < r.OhEnd; oh++)
            {
                int srcStart = rowStart + oh * outWidth;
                int dst = channelStart + (oh * g.StrideHeight + r.HShift) * g.InWidth + r.WShift;
                if (g.StrideWidth == 1)
                {
                    var target = gradInput.AsSpan(dst + r.OwFirst, r.OwEnd - r.OwFirst);
                    TensorPrimitives.Add(target, columns.AsSpan(srcStart + r.OwFirst, r.OwEnd - r.OwFirst), target);
                }
                else
                {
                    int sw = g.StrideWidth;
                    for (int ow = r.OwFirst; ow < r.OwEnd; ow++)
                        gradInput[dst + ow * sw] += columns[srcStart + ow];
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

    // Zeroes the columns [0, OwFirst) and [OwEnd, width) of output rows [OhFirst, OhEnd) of one row of the column matrix.
    private static void ZeroOutsideColumns(Span<float> row, int width, in Row r)
    {
        if (r.OwFirst == 0 && r.OwEnd == width)
            return;
        for (int oh = r.OhFirst; oh < r.OhEnd; oh++)
        {
            var line = row.Slice(oh * width, width);
            for (int ow = 0; ow < r.OwFirst; ow++)
                line[ow] = 0f;
            for (int ow = r.OwEnd; ow < width; ow++)
                line[ow] = 0f;
        }
    }

    /// <summary>
    /// The output positions [first, end) whose input coordinate o·stride + shift lies in [0, size).
    /// </summary>
    internal static void ValidRange(int shift, int stride, int size, int outSize, out int first, out int end)
    {
        // o·stride + shift ≥ 0  ⇔  o ≥ ceil(−shift / stride);  o·stride + shift ≤ size − 1  ⇔  o ≤ floor((size − 1 − shift) / stride).
        if (shift > int.MinValue / 2 && stride < int.MaxValue / 2 && size < int.MaxValue / 2)
        {
            // The usual case, in 32-bit arithmetic (cheaper divisions; this runs once per row of every column matrix).
            first = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
            int lastInt = size - 1 - shift;
            end = lastInt < 0 ? 0 : Math.Min(outSize, lastInt / stride + 1);
            if (first > end)
                first = end;
            return;
        }
        // With a padding or a stride near 2^30 (which the shape rule allows), −shift + stride − 1 passes int.MaxValue.
        long start = shift >= 0 ? 0 : (-(long)shift + stride - 1) / stride;
        long last = (long)size - 1 - shift;
        end = last < 0 ? 0 : (int)Math.Min(outSize, last / stride + 1);
        first = (int)Math.Min(start, end);
    }
}
