namespace ShapeSafe.Kernels.Convolution;

/// <summary>
/// The definition of 2-D convolution and its gradients as direct nested loops summing in double:
/// slow and obviously right, for tests of <see cref="ConvolutionKernel"/> (arrays start at offset 0).
/// </summary>
internal static class ConvolutionReference
{
    /// <summary>out[n, o, y, x] = bias[o] + Σ over the group's c and the taps (i, j) of input · weight.</summary>
    public static double[] Forward(in Conv2dGeometry g, float[] input, float[] weight, float[]? bias)
    {
        var output = new double[g.Batch * g.OutImage];
        var gg = g;
        ForEachTap(g, (n, o, y, x, c, h, w, wi) =>
            output[((n * gg.OutChannels + o) * gg.OutHeight + y) * gg.OutWidth + x] +=
                (double)input[((n * gg.InChannels + c) * gg.InHeight + h) * gg.InWidth + w] * weight[wi]);
        if (bias is not null)
        {
            for (int n = 0; n < g.Batch; n++)
                for (int o = 0; o < g.OutChannels; o++)
                    for (int p = 0; p < g.OutPlane; p++)
                        output[(n * g.OutChannels + o) * g.OutPlane + p] += bias[o];
        }
        return output;
    }

    /// <summary>∂/∂input of Σ gradOutput · Forward: each tap sends gradOutput · weight back to the input it read.</summary>
    public static double[] GradInput(in Conv2dGeometry g, float[] weight, float[] gradOutput)
    {
        var result = new double[g.Batch * g.InImage];
        var gg = g;
        ForEachTap(g, (n, o, y, x, c, h, w, wi) =>
            result[((n * gg.InChannels + c) * gg.InHeight + h) * gg.InWidth + w] +=
                (double)gradOutput[((n * gg.OutChannels + o) * gg.OutHeight + y) * gg.OutWidth + x] * weight[wi]);
        return result;
    }

    /// <summary>∂/∂weight of Σ gradOutput · Forward: Σ over n, y, x of gradOutput · the input each tap read.</summary>
    public static double[] GradWeight(in Conv2dGeometry g, float[] input, float[] gradOutput)
    {
        var result = new double[g.WeightCount];
        var gg = g;
        ForEachTap(g, (n, o, y, x, c, h, w, wi) =>
            result[wi] += (double)gradOutput[((n * gg.OutChannels + o) * gg.OutHeight + y) * gg.OutWidth + x]
                * input[((n * gg.InChannels + c) * gg.InHeight + h) * gg.InWidth + w]);
        return result;
    }

    /// <summary>∂/∂bias: gradOutput summed over n, y, x.</summary>
    public static double[] GradBias(in Conv2dGeometry g, float[] gradOutput)
    {
        var result = new double[g.OutChannels];
        for (int n = 0; n < g.Batch; n++)
            for (int o = 0; o < g.OutChannels; o++)
                for (int p = 0; p < g.OutPlane; p++)
                    result[o] += gradOutput[(n * g.OutChannels + o) * g.OutPlane + p];
        return result;
    }

    private delegate void Tap(int n, int o, int y, int x, int c, int h, int w, int weightIndex);

    // Every (output position, kernel tap) pair that reads a real (not padded) input element.
    private static void ForEachTap(in Conv2dGeometry g, Tap tap)
    {
        int groupIn = g.GroupInChannels, groupOut = g.GroupOutChannels;
        for (int n = 0; n < g.Batch; n++)
            for (int o = 0; o < g.OutChannels; o++)
                for (int y = 0; y < g.OutHeight; y++)
                    for (int x = 0; x < g.OutWidth; x++)
                        for (int ci = 0; ci < groupIn; ci++)
                            for (int i = 0; i < g.KernelHeight; i++)
                                for (int j = 0; j < g.KernelWidth; j++)
                                {
                                    int h = y * g.StrideHeight - g.PadHeight + i * g.DilationHeight;
                                    int w = x * g.StrideWidth - g.PadWidth + j * g.DilationWidth;
                                    if (h < 0 || h >= g.InHeight || w < 0 || w >= g.InWidth)
                                        continue;
                                    int c = o / groupOut * groupIn + ci;
                                    tap(n, o, y, x, c, h, w, ((o * groupIn + ci) * g.KernelHeight + i) * g.KernelWidth + j);
                                }
    }
}
