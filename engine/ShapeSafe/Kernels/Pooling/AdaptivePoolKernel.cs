namespace ShapeSafe.Kernels.Pooling;

/// <summary>
/// Adaptive average and max pooling over contiguous planes ([planes, H, W] → [planes, OH, OW]). Output cell
/// (oh, ow) reads rows floor(oh·H/OH) to ceil((oh+1)·H/OH) and the same for columns, ATen's start_index/end_index,
/// so windows may overlap and differ in size. Sums accumulate in float in ATen's order and divide by the window's
/// height, then width, as its CPU kernel does; the max keeps the first largest value (a NaN wins).
/// </summary>
internal static class AdaptivePoolKernel
{
    public static int Start(int o, int inSize, int outSize) => (int)((long)o * inSize / outSize);

    public static int End(int o, int inSize, int outSize) => (int)(((long)(o + 1) * inSize + outSize - 1) / outSize);

    public static void AvgForward(float[] x, int start, int planes, int h, int w, int oh, int ow, float[] y)
    {
        for (int p = 0; p < planes; p++)
        {
            int plane = start + p * h * w;
            for (int i = 0; i < oh; i++)
            {
                int h0 = Start(i, h, oh), h1 = End(i, h, oh);
                for (int j = 0; j < ow; j++)
                {
                    int w0 = Start(j, w, ow), w1 = End(j, w, ow);
                    float sum = 0f;
                    for (int r = h0; r < h1; r++)
                        for (int c = w0; c < w1; c++)
                            sum += x[plane + r * w + c];
                    y[(p * oh + i) * ow + j] = sum / (h1 - h0) / (w1 - w0);
                }
            }
        }
    }

    public static void AvgBackward(float[] g, int planes, int h, int w, int oh, int ow, float[] dx)
    {
        Array.Clear(dx, 0, planes * h * w);
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < oh; i++)
            {
                int h0 = Start(i, h, oh), h1 = End(i, h, oh);
                for (int j = 0; j < ow; j++)
                {
                    int w0 = Start(j, w, ow), w1 = End(j, w, ow);
                    float share = g[(p * oh + i) * ow + j] / (h1 - h0) / (w1 - w0);
                    for (int r = h0; r < h1; r++)
                        for (int c = w0; c < w1; c++)
                            dx[p * h * w + r * w + c] += share;
                }
            }
    }

    /// <summary>The max of each window and its position within the plane (r·W + c), as PyTorch's indices.</summary>
    public static void MaxForward(float[] x, int start, int planes, int h, int w, int oh, int ow, float[] y, long[] indices)
    {
        for (int p = 0; p < planes; p++)
        {
            int plane = start + p * h * w;
            for (int i = 0; i < oh; i++)
            {
                int h0 = Start(i, h, oh), h1 = End(i, h, oh);
                for (int j = 0; j < ow; j++)
                {
                    int w0 = Start(j, w, ow), w1 = End(j, w, ow);
                    float best = float.NegativeInfinity;
                    int at = h0 * w + w0;
                    for (int r = h0; r < h1; r++)
                        for (int c = w0; c < w1; c++)
                        {
                            float v = x[plane + r * w + c];
                            if (v > best || float.IsNaN(v))
                            {
                                best = v;
                                at = r * w + c;
                            }
                        }
                    int o = (p * oh + i) * ow + j;
                    y[o] = best;
                    indices[o] = at;
                }
            }
        }
    }

    public static void MaxBackward(float[] g, long[] indices, int planes, int h, int w, int oh, int ow, float[] dx)
    {
        Array.Clear(dx, 0, planes * h * w);
        for (int p = 0; p < planes; p++)
            for (int o = 0; o < oh * ow; o++)
                dx[p * h * w + (int)indices[p * oh * ow + o]] += g[p * oh * ow + o];
    }
}
