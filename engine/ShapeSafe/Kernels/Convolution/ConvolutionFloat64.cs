using ShapeSafe.Kernels.Gemm;

namespace ShapeSafe.Kernels.Convolution;

/// <summary>
/// 2-D convolution in double (Float64 <c>Conv2d</c> and <c>ConvTranspose2d</c>, forward and backward), for checking
/// float32 results against, not for speed: per image and group, an im2col column matrix in double and one
/// <see cref="DgemmKernel.Dgemm"/> product. Written here because the float32 <see cref="ConvolutionKernel"/> is
/// specialised to float (packed micro-kernels, chunked batches) and TensorPrimitives has no convolution.
/// The layouts are <see cref="Conv2dGeometry"/>'s: input [N, C, H, W], weight [O, C/groups, kH, kW], output
/// [N, O, OH, OW], all contiguous.
/// </summary>
internal static class ConvolutionFloat64
{
    /// <summary>output = conv(input, weight) (+ bias per output channel when given).</summary>
    public static void Forward(in Conv2dGeometry g, double[] input, int inputOffset, double[] weight, int weightOffset,
        double[]? bias, int biasOffset, double[] output, int outputOffset)
    {
        int rows = g.ColumnRows, plane = g.OutPlane, groupOut = g.GroupOutChannels;
        var columns = new double[(long)rows * plane];
        for (int n = 0; n < g.Batch; n++)
            for (int group = 0; group < g.Groups; group++)
            {
                Fill(g, input, inputOffset + n * g.InImage + group * g.GroupInChannels * g.InPlane, columns);
                int outStart = outputOffset + n * g.OutImage + group * groupOut * plane;
                // [O/groups, rows] · [rows, plane]
                DgemmKernel.Dgemm(groupOut, plane, rows,
                    weight, weightOffset + group * groupOut * rows, rows, 1,
                    columns, 0, plane, 1,
                    output, outStart, plane);
                if (bias is null) continue;
                for (int o = 0; o < groupOut; o++)
                {
                    double b = bias[biasOffset + group * groupOut + o];
                    var span = output.AsSpan(outStart + o * plane, plane);
                    for (int i = 0; i < span.Length; i++) span[i] += b;
                }
            }
    }

    /// <summary>gradInput += conv's adjoint of gradOutput (col2im of weightᵀ·gradOutput); gradInput is the input's shape.</summary>
    public static void BackwardInput(in Conv2dGeometry g, double[] weight, int weightOffset, double[] gradOutput, int gradOutputOffset,
        double[] gradInput, int gradInputOffset)
    {
        int rows = g.ColumnRows, plane = g.OutPlane, groupOut = g.GroupOutChannels;
        var columns = new double[(long)rows * plane];
        for (int n = 0; n < g.Batch; n++)
            for (int group = 0; group < g.Groups; group++)
            {
                // [rows, O/groups] (the weight read transposed) · [O/groups, plane]
                DgemmKernel.Dgemm(rows, plane, groupOut,
                    weight, weightOffset + group * groupOut * rows, 1, rows,
                    gradOutput, gradOutputOffset + n * g.OutImage + group * groupOut * plane, plane, 1,
                    columns, 0, plane);
                Accumulate(g, columns, gradInput, gradInputOffset + n * g.InImage + group * g.GroupInChannels * g.InPlane);
            }
    }

    /// <summary>gradWeight = Σ over images of gradOutput · columnsᵀ (overwritten).</summary>
    public static void BackwardWeight(in Conv2dGeometry g, double[] input, int inputOffset, double[] gradOutput, int gradOutputOffset,
        double[] gradWeight, int gradWeightOffset)
    {
        int rows = g.ColumnRows, plane = g.OutPlane, groupOut = g.GroupOutChannels;
        var columns = new double[(long)rows * plane];
        var product = new double[(long)groupOut * rows];
        gradWeight.AsSpan(gradWeightOffset, g.WeightCount).Clear();
        for (int n = 0; n < g.Batch; n++)
            for (int group = 0; group < g.Groups; group++)
            {
                Fill(g, input, inputOffset + n * g.InImage + group * g.GroupInChannels * g.InPlane, columns);
                // [O/groups, plane] · [plane, rows] (the columns read transposed)
                DgemmKernel.Dgemm(groupOut, rows, plane,
                    gradOutput, gradOutputOffset + n * g.OutImage + group * groupOut * plane, plane, 1,
                    columns, 0, 1, plane,
                    product, 0, rows);
                var target = gradWeight.AsSpan(gradWeightOffset + group * groupOut * rows, groupOut * rows);
                for (int i = 0; i < target.Length; i++) target[i] += product[i];
            }
    }

    /// <summary>Σ of gradOutput per output channel ([N, O, OH, OW] contiguous at <paramref name="offset"/>).</summary>
    public static double[] BiasGradient(double[] gradOutput, int offset, int images, int channels, int plane)
    {
        var sums = new double[channels];
        for (int n = 0; n < images; n++)
            for (int c = 0; c < channels; c++)
            {
                int start = offset + (n * channels + c) * plane;
                double sum = 0;
                for (int i = 0; i < plane; i++) sum += gradOutput[start + i];
                sums[c] += sum;
            }
        return sums;
    }

    /// <summary>One group's column matrix: row (c·kH + i)·kW + j, column oh·OW + ow = input[c, oh·sH − pH + i·dH, ow·sW − pW + j·dW], or 0.</summary>
    static void Fill(in Conv2dGeometry g, double[] input, int start, double[] columns)
    {
        int plane = g.OutPlane, row = 0;
        for (int c = 0; c < g.GroupInChannels; c++)
            for (int i = 0; i < g.KernelHeight; i++)
                for (int j = 0; j < g.KernelWidth; j++, row++)
                {
                    int at = row * plane;
                    for (int oh = 0; oh < g.OutHeight; oh++)
                    {
                        int h = oh * g.StrideHeight - g.PadHeight + i * g.DilationHeight;
                        bool inside = h >= 0 && h < g.InHeight;
                        int source = start + (c * g.InHeight + h) * g.InWidth;
                        for (int ow = 0; ow < g.OutWidth; ow++, at++)
                        {
                            int w = ow * g.StrideWidth - g.PadWidth + j * g.DilationWidth;
                            columns[at] = inside && w >= 0 && w < g.InWidth ? input[source + w] : 0.0;
                        }
                    }
                }
    }

    /// <summary>The adjoint of <see cref="Fill"/>: each column entry added onto the input position it was read from.</summary>
    static void Accumulate(in Conv2dGeometry g, double[] columns, double[] gradInput, int start)
    {
        int plane = g.OutPlane, row = 0;
        for (int c = 0; c < g.GroupInChannels; c++)
            for (int i = 0; i < g.KernelHeight; i++)
                for (int j = 0; j < g.KernelWidth; j++, row++)
                {
                    int at = row * plane;
                    for (int oh = 0; oh < g.OutHeight; oh++)
                    {
                        int h = oh * g.StrideHeight - g.PadHeight + i * g.DilationHeight;
                        if (h < 0 || h >= g.InHeight)
                        {
                            at += g.OutWidth;
                            continue;
                        }
                        int target = start + (c * g.InHeight + h) * g.InWidth;
                        for (int ow = 0; ow < g.OutWidth; ow++, at++)
                        {
                            int w = ow * g.StrideWidth - g.PadWidth + j * g.DilationWidth;
                            if (w >= 0 && w < g.InWidth) gradInput[target + w] += columns[at];
                        }
                    }
                }
    }
}
