using System.Buffers;
using System.Numerics.Tensors;
using ShapeSafe.Kernels.Parallel;

namespace ShapeSafe.Kernels.Loss;

/// <summary>
/// Cross entropy over class indices as one pass per row: log-softmax and the negative log-likelihood fused
/// (PyTorch's <c>log_softmax</c> + <c>nll_loss</c>, with the same options: class weights, an ignored index and
/// label smoothing). Rows are contiguous <c>[n, c]</c> logits. The forward keeps only each row's max and log-sum-exp;
/// the backward rebuilds the softmax from them, so no <c>[n, c]</c> buffer is saved between the passes.
/// </summary>
/// <remarks>
/// Stable for any logits: the row's max is subtracted before exp, so a logit of 1e4 gives a finite loss.
/// Rows are independent, so splitting them over threads gives the same bits as one thread.
/// </remarks>
internal static class CrossEntropyKernel
{
    // Below this many logits a parallel loop costs more than it saves.
    const int ParallelLimit = 1 << 15;

    /// <summary>
    /// Per-row losses of <c>rows × classes</c> row-major logits: <c>rowLoss[i]</c> gets
    /// <c>-(1-ε)·w[t]·log p[t] - ε/c·Σ_k w[k]·log p[k]</c> (w = 1 without class weights), and <c>rowMax[i]</c>,
    /// <c>rowLogSum[i]</c> the row's max and <c>log Σ exp(x - max)</c>, saved for <see cref="Backward"/>. A row whose target is
    /// <paramref name="ignoreIndex"/> gets loss 0. Returns the total weight of the rows that count (their number
    /// without class weights): the divisor of the mean.
    /// </summary>
    /// <exception cref="ArgumentException">A target is outside [0, c) and is not the ignored index.</exception>
    public static double Forward(int rows, int classes, float[] logits, int logitsOffset, long[] targets, int targetsOffset,
        float[]? weight, long ignoreIndex, float labelSmoothing, float[] rowLoss, float[] rowMax, float[] rowLogSum, string op)
    {
        CheckTargets(rows, classes, targets, targetsOffset, ignoreIndex, op);
        float weightTotal = weight is null ? classes : TensorPrimitives.Sum<float>(weight);
        var body = new ForwardRows(classes, logits, logitsOffset, targets, targetsOffset, weight, ignoreIndex,
            labelSmoothing, weightTotal, rowLoss, rowMax, rowLogSum);
        Run((long)rows * classes, rows, body.Invoke);

        double divisor = 0;
        for (int i = 0; i < rows; i++)
        {
            long t = targets[targetsOffset + i];
            if (t != ignoreIndex) divisor += weight is null ? 1 : weight[t];
        }
        return divisor;
    }

    /// <summary>
    /// The logits' gradient: for each counted row, scale·((1-ε)·w_t·(softmax - onehot_t) + ε/c·(W·softmax - w)),
    /// with W the sum of the class weights (without weights: scale·(softmax - (1-ε)·onehot_t - ε/c)).
    /// Ignored rows get zeros. Each row's scale is <c>scales[scalesOffset + i]</c> (reduction "none"), or
    /// <paramref name="scale"/> when <paramref name="scales"/> is null (mean: g/divisor; sum: g).
    /// </summary>
    public static void Backward(int rows, int classes, float[] logits, int logitsOffset, long[] targets, int targetsOffset,
        float[]? weight, long ignoreIndex, float labelSmoothing, float[] rowMax, float[] rowLogSum,
        float[]? scales, int scalesOffset, float scale, float[] gradInput, int gradOffset)
    {
        float weightTotal = weight is null ? classes : TensorPrimitives.Sum<float>(weight);
        var body = new BackwardRows(classes, logits, logitsOffset, targets, targetsOffset, weight, ignoreIndex,
            labelSmoothing, weightTotal, rowMax, rowLogSum, scales, scalesOffset, scale, gradInput, gradOffset);
        Run((long)rows * classes, rows, body.Invoke);
    }

    internal static void CheckTargets(int rows, int classes, long[] targets, int offset, long ignoreIndex, string op)
    {
        for (int i = 0; i < rows; i++)
        {
            long t = targets[offset + i];
            if (t != ignoreIndex && (t < 0 || t >= classes))
                throw new ArgumentException($"{op}: Target {t} is out of bounds (sample {i}; expected a class index in [0, {classes}) or ignore_index {ignoreIndex})");
        }
    }

    /// <summary>Runs <paramref name="rowBlock"/> over blocks of rows, in parallel when the problem is large.</summary>
    internal static void Run(long work, int rows, Action<int, int> rowBlock)
    {
        if (work < ParallelLimit || rows < 2)
        {
            rowBlock(0, rows);
            return;
        }
        int blocks = (int)Math.Min(rows, Math.Max(2, work / ParallelLimit));
        ParallelRuntime.For(blocks, b => rowBlock((int)((long)rows * b / blocks), (int)((long)rows * (b + 1) / blocks)));
    }

    sealed class ForwardRows(int classes, float[] logits, int logitsOffset, long[] targets, int targetsOffset,
        float[]? weight, long ignoreIndex, float labelSmoothing, float weightTotal, float[] rowLoss, float[] rowMax, float[] rowLogSum)
    {
        public void Invoke(int start, int end)
        {
            var buffer = ArrayPool<float>.Shared.Rent(classes);
            try
            {
                var scratch = buffer.AsSpan(0, classes);
                for (int i = start; i < end; i++)
                {
                    long t = targets[targetsOffset + i];
                    if (t == ignoreIndex)
                    {
                        rowLoss[i] = 0;
                        rowMax[i] = 0;
                        rowLogSum[i] = 0;
                        continue;
                    }
                    var row = logits.AsSpan(logitsOffset + i * classes, classes);
                    // log p_k = (x_k - max) - log Σ exp(x - max), in that order (as ATen): exact for the max class
                    // however large the logits.
                    float max = TensorPrimitives.Max(row);
                    TensorPrimitives.Subtract(row, max, scratch);
                    // Σ_k w_k·(x_k - max), needed by label smoothing, before the exps overwrite the shifted logits.
                    float shiftedSum = labelSmoothing == 0 ? 0 : weight is null ? TensorPrimitives.Sum<float>(scratch) : TensorPrimitives.Dot<float>(scratch, weight);
                    TensorPrimitives.Exp(scratch, scratch);
                    float logSum = MathF.Log(TensorPrimitives.Sum<float>(scratch));
                    rowMax[i] = max;
                    rowLogSum[i] = logSum;
                    float wt = weight is null ? 1f : weight[t];
                    float nll = -wt * ((row[(int)t] - max) - logSum);
                    if (labelSmoothing == 0)
                    {
                        rowLoss[i] = nll;
                        continue;
                    }
                    // Σ_k w_k·(-log p_k) = W·logSum - Σ_k w_k·(x_k - max).
                    float smooth = weightTotal * logSum - shiftedSum;
                    rowLoss[i] = (1 - labelSmoothing) * nll + labelSmoothing / classes * smooth;
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(buffer);
            }
        }
    }

    sealed class BackwardRows(int classes, float[] logits, int logitsOffset, long[] targets, int targetsOffset,
        float[]? weight, long ignoreIndex, float labelSmoothing, float weightTotal, float[] rowMax, float[] rowLogSum,
        float[]? scales, int scalesOffset, float scale, float[] gradInput, int gradOffset)
    {
        public void Invoke(int start, int end)
        {
            for (int i = start; i < end; i++)
            {
                var grad = gradInput.AsSpan(gradOffset + i * classes, classes);
                long t = targets[targetsOffset + i];
                if (t == ignoreIndex)
                {
                    grad.Clear();
                    continue;
                }
                float s = scales is null ? scale : scales[scalesOffset + i];
                var row = logits.AsSpan(logitsOffset + i * classes, classes);
                // softmax = exp((x - max) - logSum)
                TensorPrimitives.Subtract(row, rowMax[i], grad);
                TensorPrimitives.Subtract(grad, rowLogSum[i], grad);
                TensorPrimitives.Exp(grad, grad);
                float wt = weight is null ? 1f : weight[t];
                float eps = labelSmoothing;
                if (weight is null)
                {
                    TensorPrimitives.Multiply(grad, s, grad);
                    if (eps != 0) TensorPrimitives.Add(grad, -s * eps / classes, grad);
                }
                else
                {
                    TensorPrimitives.Multiply(grad, s * ((1 - eps) * wt + eps * weightTotal / classes), grad);
                    if (eps != 0) TensorPrimitives.MultiplyAdd(weight, -s * eps / classes, grad, grad);
                }
                grad[(int)t] -= s * (1 - eps) * wt;
            }
        }
    }
}
