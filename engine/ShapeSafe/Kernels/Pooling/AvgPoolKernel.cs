using ShapeSafe.Kernels.Parallel;

namespace ShapeSafe.Kernels.Pooling;

/// <summary>
/// 2-D average pooling over contiguous planes (PyTorch's <c>avg_pool2d</c>, no dilation). With
/// <c>countIncludePad</c> (PyTorch's default) the divisor counts padded positions; without it, only
/// the window's real elements; a <c>divisorOverride</c> replaces either. Sums run in float in row-major window
/// order, as in PyTorch's CPU kernel.
/// </summary>
internal static class AvgPoolKernel
{
    /// <summary>Fills <paramref name="output"/> with each window's mean.</summary>
    public static void Forward(in Pool2dGeometry g, float[] input, int inputOffset, float[] output, int outputOffset,
        bool countIncludePad = true, int? divisorOverride = null)
    {
        int blocks = PoolingParallel.Blocks(g);
        var body = new Body(g, blocks, input, inputOffset, output, outputOffset, countIncludePad, divisorOverride ?? 0, backward: false);
        PoolingParallel.Run(g, blocks, ref body);
    }

    /// <summary>gradInput (overwritten): each output's gradient spread evenly (÷ divisor) over its window's real elements.</summary>
    public static void Backward(in Pool2dGeometry g, float[] gradOutput, int gradOutputOffset, float[] gradInput, int gradInputOffset,
        bool countIncludePad = true, int? divisorOverride = null)
    {
        int blocks = PoolingParallel.Blocks(g);
        var body = new Body(g, blocks, gradOutput, gradOutputOffset, gradInput, gradInputOffset, countIncludePad, divisorOverride ?? 0, backward: true);
        PoolingParallel.Run(g, blocks, ref body);
    }

    /// <summary>
    /// The clipped window [h0, h1) × [w0, w1) of output (y, x) and its divisor: the window within the padded
    /// input when padding counts, else the real elements only.
    /// </summary>
    internal static int Window(in Pool2dGeometry g, int y, int x, bool countIncludePad, out int h0, out int h1, out int w0, out int w1)
    {
        h0 = y * g.StrideHeight - g.PadHeight;
        w0 = x * g.StrideWidth - g.PadWidth;
        h1 = Math.Min(h0 + g.KernelHeight, g.InHeight + g.PadHeight);
        w1 = Math.Min(w0 + g.KernelWidth, g.InWidth + g.PadWidth);
        int padded = (h1 - h0) * (w1 - w0);
        h0 = Math.Max(h0, 0);
        w0 = Math.Max(w0, 0);
        h1 = Math.Min(h1, g.InHeight);
        w1 = Math.Min(w1, g.InWidth);
        return countIncludePad ? padded : (h1 - h0) * (w1 - w0);
    }

    // Forward reads windows of `source` into `target`; backward reads `source` = gradOutput and scatters into `target` = gradInput.
    private readonly struct Body(Pool2dGeometry g, int blocks, float[] source, int sourceOffset,
        float[] target, int targetOffset, bool countIncludePad, int divisorOverride, bool backward) : IParallelBody
    {
        public void Invoke(int block)
        {
            PoolingParallel.Range(g, block, blocks, out int first, out int end);
            int width = g.InWidth;
            for (int p = first; p < end; p++)
            {
                int plane = p * g.InPlane;
                int o = p * g.OutPlane;
                if (backward)
                    target.AsSpan(targetOffset + plane, g.InPlane).Clear();
                for (int y = 0; y < g.OutHeight; y++)
                {
                    for (int x = 0; x < g.OutWidth; x++, o++)
                    {
                        int divisor = Window(g, y, x, countIncludePad, out int h0, out int h1, out int w0, out int w1);
                        if (divisorOverride != 0) divisor = divisorOverride;
                        if (backward)
                        {
                            float share = source[sourceOffset + o] / divisor;
                            for (int h = h0; h < h1; h++)
                            {
                                int row = targetOffset + plane + h * width;
                                for (int w = w0; w < w1; w++)
                                    target[row + w] += share;
                            }
                        }
                        else
                        {
                            float sum = 0f;
                            for (int h = h0; h < h1; h++)
                            {
                                int row = sourceOffset + plane + h * width;
                                for (int w = w0; w < w1; w++)
                                    sum += source[row + w];
                            }
                            target[targetOffset + o] = sum / divisor;
                        }
                    }
                }
            }
        }
    }
}
