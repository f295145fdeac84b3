namespace ShapeSafe.Kernels.Pooling;

/// <summary>
/// Max pooling in double (Float64 <c>MaxPool2d</c>), window by window as ATen's CPU kernel: only the taps inside
/// the input count (padding never wins), a larger value or a NaN replaces the maximum, so the first of equal
/// maxima wins, and the argmax starts at the window's first real tap. The maximum of doubles is one of them, so
/// this is exact; it is apart from <see cref="MaxPoolKernel"/> because that one is specialised to float.
/// </summary>
internal static class MaxPoolFloat64
{
    /// <summary>The maxima of contiguous planes [planes, H, W] and each one's flat index h·W + w within its plane.</summary>
    public static void Forward(in Pool2dGeometry g, double[] input, int inputOffset, double[] output, int[] argmax)
    {
        int at = 0;
        for (int p = 0; p < g.Planes; p++)
        {
            int plane = inputOffset + p * g.InPlane;
            for (int oh = 0; oh < g.OutHeight; oh++)
            {
                int hStart = oh * g.StrideHeight - g.PadHeight;
                Pool2dGeometry.ValidTaps(hStart, g.DilationHeight, g.KernelHeight, g.InHeight, out int hFirst, out int hEnd);
                for (int ow = 0; ow < g.OutWidth; ow++, at++)
                {
                    int wStart = ow * g.StrideWidth - g.PadWidth;
                    Pool2dGeometry.ValidTaps(wStart, g.DilationWidth, g.KernelWidth, g.InWidth, out int wFirst, out int wEnd);
                    double max = double.NegativeInfinity;
                    int index = (hStart + hFirst * g.DilationHeight) * g.InWidth + wStart + wFirst * g.DilationWidth;
                    for (int i = hFirst; i < hEnd; i++)
                    {
                        int h = hStart + i * g.DilationHeight;
                        for (int j = wFirst; j < wEnd; j++)
                        {
                            int position = h * g.InWidth + wStart + j * g.DilationWidth;
                            double value = input[plane + position];
                            if (value > max || double.IsNaN(value))
                            {
                                max = value;
                                index = position;
                            }
                        }
                    }
                    output[at] = max;
                    argmax[at] = index;
                }
            }
        }
    }

    /// <summary>gradInput[p, argmax] += gradOutput[p, o] for every output element (gradInput zeroed, [planes, H, W]).</summary>
    public static void Backward(in Pool2dGeometry g, double[] gradOutput, int gradOutputOffset, int[] argmax, double[] gradInput)
    {
        int at = 0;
        for (int p = 0; p < g.Planes; p++)
            for (int o = 0; o < g.OutPlane; o++, at++)
                gradInput[p * g.InPlane + argmax[at]] += gradOutput[gradOutputOffset + at];
    }
}
