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
    public static void Forward(in Pool2dGeometry g, float[] input, int inputOffset,
        float[] output, int outputOffset, long[] indices, int indicesOffset)
    {
        int blocks = PoolingParallel.Blocks(g);
        var body = new ForwardBody(g, blocks, input, inputOffset, output, outputOffset, indices, indicesOffset);
        PoolingParallel.Run(g, blocks, ref body);
    }

    /// <summary>
    /// gradInput (overwritten) = zeros with each output's gradient added at its window's argmax.
    /// </summary>
    public static void Backward(in Pool2dGeometry g, float[] gradOutput, int gradOutputOffset,
        long[] indices, int indicesOffset, float[] gradInput, int gradInputOffset)
    {
        int blocks = PoolingParallel.Blocks(g);
        var body = new BackwardBody(g, blocks, gradOutput, gradOutputOffset, indices, indicesOffset, gradInput, gradInputOffset);
        PoolingParallel.Run(g, blocks, ref body);
    }

    private readonly struct ForwardBody(Pool2dGeometry g, int blocks, float[] input, int inputOffset,
        float[] output, int outputOffset, long[] indices, int indicesOffset) : IParallelBody
    {
        public void Invoke(int block)
        {
            PoolingParallel.Range(g, block, blocks, out int first, out int end);
            int width = g.InWidth, dh = g.DilationHeight, dw = g.DilationWidth;
            for (int p = first; p < end; p++)
            {
                int plane = inputOffset + p * g.InPlane;
                int o = p * g.OutPlane;
                for (int y = 0; y < g.OutHeight; y++)
                {
                    int h0 = y * g.StrideHeight - g.PadHeight;
                    Pool2dGeometry.ValidTaps(h0, dh, g.KernelHeight, g.InHeight, out int iFirst, out int iEnd);
                    for (int x = 0; x < g.OutWidth; x++, o++)
                    {
                        int w0 = x * g.StrideWidth - g.PadWidth;
                        Pool2dGeometry.ValidTaps(w0, dw, g.KernelWidth, width, out int jFirst, out int jEnd);
                        float max = float.NegativeInfinity;
                        int argmax = (h0 + iFirst * dh) * width + w0 + jFirst * dw;
                        for (int i = iFirst; i < iEnd; i++)
                        {
                            int rowStart = (h0 + i * dh) * width + w0;
                            for (int j = jFirst; j < jEnd; j++)
                            {
                                int at = rowStart + j * dw;
                                float v = input[plane + at];
                                if (v > max || float.IsNaN(v))
                                {
                                    max = v;
                                    argmax = at;
                                }
                            }
                        }
                        output[outputOffset + o] = max;
                        indices[indicesOffset + o] = argmax;
                    }
                }
            }
        }
    }

    private readonly struct BackwardBody(Pool2dGeometry g, int blocks, float[] gradOutput, int gradOutputOffset,
        long[] indices, int indicesOffset, float[] gradInput, int gradInputOffset) : IParallelBody
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
                    gradInput[plane + (int)indices[indicesOffset + o]] += gradOutput[gradOutputOffset + o];
            }
        }
    }
}
