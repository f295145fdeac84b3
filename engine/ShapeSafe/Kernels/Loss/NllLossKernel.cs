namespace ShapeSafe.Kernels.Loss;

/// <summary>
/// The negative log-likelihood of class indices over contiguous <c>[n, c]</c> log-probabilities (PyTorch's
/// <c>nll_loss</c>): row i loses <c>-w[t_i] · x[i, t_i]</c>; rows whose target is the ignored index count for
/// nothing. Scalar loops: each row touches one element, so there is nothing to vectorise.
/// </summary>
internal static class NllLossKernel
{
    /// <summary>Per-row losses into <paramref name="rowLoss"/>; returns the mean's divisor (the counted rows' total weight).</summary>
    /// <exception cref="ArgumentException">A target is outside [0, c) and is not the ignored index.</exception>
    public static double Forward(int rows, int classes, float[] input, int inputOffset, long[] targets, int targetsOffset,
        float[]? weight, long ignoreIndex, float[] rowLoss, string op)
    {
        CrossEntropyKernel.CheckTargets(rows, classes, targets, targetsOffset, ignoreIndex, op);
        double divisor = 0;
        for (int i = 0; i < rows; i++)
        {
            long t = targets[targetsOffset + i];
            if (t == ignoreIndex)
            {
                rowLoss[i] = 0;
                continue;
            }
            float w = weight is null ? 1f : weight[t];
            rowLoss[i] = -w * input[inputOffset + i * classes + (int)t];
            divisor += w;
        }
        return divisor;
    }

    /// <summary>The input's gradient: zeros except <c>-w[t_i] · scale_i</c> at each counted row's target.</summary>
    public static void Backward(int rows, int classes, long[] targets, int targetsOffset, float[]? weight, long ignoreIndex,
        float[]? scales, int scalesOffset, float scale, float[] gradInput, int gradOffset)
    {
        Array.Clear(gradInput, gradOffset, rows * classes);
        for (int i = 0; i < rows; i++)
        {
            long t = targets[targetsOffset + i];
            if (t == ignoreIndex) continue;
            float w = weight is null ? 1f : weight[t];
            float s = scales is null ? scale : scales[scalesOffset + i];
            gradInput[gradOffset + i * classes + (int)t] = -w * s;
        }
    }
}
