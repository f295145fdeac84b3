using System.Numerics.Tensors;
using ShapeSafe.Kernels.Parallel;

namespace ShapeSafe.Kernels.Normalization;

/// <summary>
/// Batch normalization over a contiguous <c>[n, c, s]</c> block (s = H·W for <c>BatchNorm2d</c>): statistics per
/// channel c over the n·s values that share it, as ATen's CPU kernels compute them (sums in double, the biased
/// variance for normalizing, <c>invstd = 1 / sqrt(var + eps)</c>, and <c>y = x·α + β'</c> with
/// <c>α = γ·invstd</c>, <c>β' = β - mean·α</c>). Channels are independent, so they run in parallel with the same
/// bits as one thread. The backward takes the saved mean and invstd, so eval mode (running statistics) and
/// training mode (batch statistics) share one kernel.
/// </summary>
internal static class BatchNormKernel
{
    const long ParallelLimit = 1 << 15;

    /// <summary>
    /// The batch's per-channel mean and biased variance, in double (ATen's accumulate type). The variance is the
    /// mean of squared deviations from the mean (two passes), so large offsets cost no precision.
    /// </summary>
    public static void Statistics(int n, int c, int s, float[] x, int xOffset, double[] mean, double[] variance)
    {
        long count = (long)n * s;
        Channels(n, c, s, ch =>
        {
            double sum = 0;
            for (int b = 0; b < n; b++)
                sum += TensorPrimitives.Sum<float>(x.AsSpan(xOffset + (b * c + ch) * s, s));
            double mu = sum / count;
            double squares = 0;
            for (int b = 0; b < n; b++)
            {
                int start = xOffset + (b * c + ch) * s;
                for (int i = 0; i < s; i++)
                {
                    double d = x[start + i] - mu;
                    squares += d * d;
                }
            }
            mean[ch] = mu;
            variance[ch] = squares / count;
        });
    }

    /// <summary><c>y = (x - mean)·invstd·γ + β</c> per channel; γ and β are null for ones and zeros.</summary>
    public static void Normalize(int n, int c, int s, float[] x, int xOffset, float[] mean, float[] invStd,
        float[]? weight, float[]? bias, float[] y, int yOffset)
    {
        Channels(n, c, s, ch =>
        {
            float alpha = invStd[ch] * (weight?[ch] ?? 1f);
            float beta = (bias?[ch] ?? 0f) - mean[ch] * alpha;
            for (int b = 0; b < n; b++)
            {
                int block = (b * c + ch) * s;
                Affine(x.AsSpan(xOffset + block, s), alpha, beta, y.AsSpan(yOffset + block, s));
            }
        });
    }

    /// <summary>
    /// Gradients of <see cref="Normalize"/>. With <paramref name="batchStatistics"/> the mean and invstd are
    /// functions of x (training): dx = γ·invstd·(g - mean(g) - x̂·mean(g·x̂)); otherwise they are constants
    /// (eval): dx = γ·invstd·g. In both, dγ = Σ g·x̂ and dβ = Σ g. Any output may be null (not wanted).
    /// </summary>
    public static void Backward(int n, int c, int s, float[] x, int xOffset, float[] gradOutput, int gOffset,
        float[] mean, float[] invStd, float[]? weight, bool batchStatistics,
        float[]? gradInput, float[]? gradWeight, float[]? gradBias)
    {
        long count = (long)n * s;
        Channels(n, c, s, ch =>
        {
            float mu = mean[ch], inv = invStd[ch];
            double sumG = 0, sumGX = 0;
            for (int b = 0; b < n; b++)
            {
                int block = (b * c + ch) * s;
                var g = gradOutput.AsSpan(gOffset + block, s);
                sumG += TensorPrimitives.Sum<float>(g);
                for (int i = 0; i < s; i++) sumGX += g[i] * (double)(x[xOffset + block + i] - mu);
            }
            // Σ g·x̂ = invstd·Σ g·(x - mean).
            double dotXHat = sumGX * inv;
            if (gradWeight is not null) gradWeight[ch] = (float)dotXHat;
            if (gradBias is not null) gradBias[ch] = (float)sumG;
            if (gradInput is null) return;

            float w = weight?[ch] ?? 1f;
            if (!batchStatistics)
            {
                float scale = w * inv;
                for (int b = 0; b < n; b++)
                {
                    int block = (b * c + ch) * s;
                    TensorPrimitives.Multiply(gradOutput.AsSpan(gOffset + block, s), scale, gradInput.AsSpan(block, s));
                }
                return;
            }
            // dx = (g - mean(g) - (x - mean)·invstd²·mean(g·(x - mean)))·invstd·γ, as ATen writes it.
            float gradMean = (float)(sumG / count);
            float projection = (float)(sumGX / count * inv * inv);
            float outScale = inv * w;
            for (int b = 0; b < n; b++)
            {
                int block = (b * c + ch) * s;
                for (int i = 0; i < s; i++)
                {
                    float centered = x[xOffset + block + i] - mu;
                    gradInput[block + i] = (gradOutput[gOffset + block + i] - gradMean - centered * projection) * outScale;
                }
            }
        });
    }

    static void Channels(int n, int c, int s, Action<int> channel)
    {
        if ((long)n * c * s < ParallelLimit || c < 2)
        {
            for (int ch = 0; ch < c; ch++) channel(ch);
            return;
        }
        ParallelRuntime.For(c, channel);
    }
    // dst = src·scale + shift (TensorPrimitives has no multiply-add with two scalars).
    static void Affine(ReadOnlySpan<float> source, float scale, float shift, Span<float> destination)
    {
        TensorPrimitives.Multiply(source, scale, destination);
        TensorPrimitives.Add(destination, shift, destination);
    }
}
