namespace ShapeSafe.Kernels.Pooling;

/// <summary>
/// Max and average pooling as their definitions (every tap of every window checked against the bounds,
/// sums in double), for tests of <see cref="MaxPoolKernel"/> and <see cref="AvgPoolKernel"/>.
/// </summary>
internal static class PoolingReference
{
    /// <summary>Each window's maximum over its real elements and the flat in-plane index of its first occurrence.</summary>
    public static (float[] Values, long[] Indices) MaxPool(in Pool2dGeometry g, float[] input)
    {
        var values = new float[g.Planes * g.OutPlane];
        var indices = new long[values.Length];
        int o = 0;
        for (int p = 0; p < g.Planes; p++)
            for (int y = 0; y < g.OutHeight; y++)
                for (int x = 0; x < g.OutWidth; x++, o++)
                {
                    float best = float.NegativeInfinity;
                    long at = -1;
                    for (int i = 0; i < g.KernelHeight; i++)
                        for (int j = 0; j < g.KernelWidth; j++)
                        {
                            int h = y * g.StrideHeight - g.PadHeight + i * g.DilationHeight;
                            int w = x * g.StrideWidth - g.PadWidth + j * g.DilationWidth;
                            if (h < 0 || h >= g.InHeight || w < 0 || w >= g.InWidth)
                                continue;
                            float v = input[p * g.InPlane + h * g.InWidth + w];
                            if (at < 0 || v > best)
                            {
                                best = v;
                                at = h * g.InWidth + w;
                            }
                        }
                    values[o] = best;
                    indices[o] = at;
                }
        return (values, indices);
    }

    /// <summary>Each window's sum over its real elements divided by kH·kW (padding counted) or by the real count.</summary>
    public static double[] AvgPool(in Pool2dGeometry g, float[] input, bool countIncludePad)
    {
        var result = new double[g.Planes * g.OutPlane];
        int o = 0;
        for (int p = 0; p < g.Planes; p++)
            for (int y = 0; y < g.OutHeight; y++)
                for (int x = 0; x < g.OutWidth; x++, o++)
                {
                    double sum = 0;
                    int real = 0;
                    for (int i = 0; i < g.KernelHeight; i++)
                        for (int j = 0; j < g.KernelWidth; j++)
                        {
                            int h = y * g.StrideHeight - g.PadHeight + i;
                            int w = x * g.StrideWidth - g.PadWidth + j;
                            if (h < 0 || h >= g.InHeight || w < 0 || w >= g.InWidth)
                                continue;
                            sum += input[p * g.InPlane + h * g.InWidth + w];
                            real++;
                        }
                    result[o] = sum / (countIncludePad ? g.KernelHeight * g.KernelWidth : real);
                }
        return result;
    }

    /// <summary>The input gradient of average pooling: each output's gradient ÷ its divisor, added to each real element of its window.</summary>
    public static double[] AvgPoolBackward(in Pool2dGeometry g, float[] gradOutput, bool countIncludePad)
    {
        var result = new double[g.Planes * g.InPlane];
        int o = 0;
        for (int p = 0; p < g.Planes; p++)
            for (int y = 0; y < g.OutHeight; y++)
                for (int x = 0; x < g.OutWidth; x++, o++)
                {
                    int real = 0;
                    for (int pass = 0; pass < 2; pass++)
                        for (int i = 0; i < g.KernelHeight; i++)
                            for (int j = 0; j < g.KernelWidth; j++)
                            {
                                int h = y * g.StrideHeight - g.PadHeight + i;
                                int w = x * g.StrideWidth - g.PadWidth + j;
                                if (h < 0 || h >= g.InHeight || w < 0 || w >= g.InWidth)
                                    continue;
                                if (pass == 0)
                                    real++;
                                else
                                    result[p * g.InPlane + h * g.InWidth + w] +=
                                        (double)gradOutput[o] / (countIncludePad ? g.KernelHeight * g.KernelWidth : real);
                            }
                }
        return result;
    }
}
