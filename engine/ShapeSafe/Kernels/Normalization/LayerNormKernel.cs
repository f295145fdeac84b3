using System.Numerics.Tensors;
using ShapeSafe.Kernels.Parallel;

namespace ShapeSafe.Kernels.Normalization;

/// <summary>
/// Layer normalization over the last d values of a contiguous <c>[rows, d]</c> block (PyTorch's
/// <c>native_layer_norm</c>): per row the mean and biased variance (in double), <c>invstd = 1 / sqrt(var + eps)</c>,
/// then <c>y = (x - mean)·invstd·γ + β</c> with γ and β of length d. Rows run in parallel (same bits as one
/// thread); the parameters' gradients sum over rows in order, so they are reproducible too.
/// </summary>
internal static class LayerNormKernel
{
    const long ParallelLimit = 1 << 15;

    /// <summary>Normalizes every row, saving its mean and invstd for <see cref="Backward"/>.</summary>
    public static void Forward(int rows, int d, float[] x, int xOffset, double eps, float[]? weight, float[]? bias,
        float[] y, float[] mean, float[] invStd)
    {
        Rows(rows, d, (start, end) =>
        {
            for (int r = start; r < end; r++)
            {
                var row = x.AsSpan(xOffset + r * d, d);
                double sum = TensorPrimitives.Sum<float>(row);
                double mu = sum / d;
                double squares = 0;
                for (int i = 0; i < d; i++)
                {
                    double dev = row[i] - mu;
                    squares += dev * dev;
                }
                float inv = (float)(1 / Math.Sqrt(squares / d + eps));
                mean[r] = (float)mu;
                invStd[r] = inv;
                var output = y.AsSpan(r * d, d);
                Affine(row, inv, -(float)mu * inv, output);
                if (weight is not null) TensorPrimitives.Multiply(output, weight, output);
                if (bias is not null) TensorPrimitives.Add(output, bias, output);
            }
        });
    }

    /// <summary>
    /// dx = invstd·(gγ - mean(gγ) - x̂·mean(gγ·x̂)) per row; dγ = Σ_rows g·x̂; dβ = Σ_rows g. Any output may be null.
    /// </summary>
    public static void Backward(int rows, int d, float[] x, int xOffset, float[] gradOutput, int gOffset,
        float[] mean, float[] invStd, float[]? weight, float[]? gradInput, float[]? gradWeight, float[]? gradBias)
    {
        if (gradInput is not null)
        {
            Rows(rows, d, (start, end) =>
            {
                var xHat = new float[d];
                var gw = new float[d];
                for (int r = start; r < end; r++)
                {
                    var g = gradOutput.AsSpan(gOffset + r * d, d);
                    float inv = invStd[r];
                    Affine(x.AsSpan(xOffset + r * d, d), inv, -mean[r] * inv, xHat);
                    if (weight is not null) TensorPrimitives.Multiply(g, weight, gw);
                    else g.CopyTo(gw);
                    float meanG = TensorPrimitives.Sum<float>(gw) / d;
                    float meanGX = TensorPrimitives.Dot<float>(gw, xHat) / d;
                    var dx = gradInput.AsSpan(r * d, d);
                    // dx = (gw - meanG - x̂·meanGX)·invstd
                    TensorPrimitives.MultiplyAdd(xHat, -meanGX, gw, dx);
                    TensorPrimitives.Add(dx, -meanG, dx);
                    TensorPrimitives.Multiply(dx, inv, dx);
                }
            });
        }
        if (gradWeight is null && gradBias is null) return;
        gradWeight?.AsSpan(0, d).Clear();
        gradBias?.AsSpan(0, d).Clear();
        var hat = new float[d];
        for (int r = 0; r < rows; r++)
        {
            var g = gradOutput.AsSpan(gOffset + r * d, d);
            if (gradBias is not null) TensorPrimitives.Add(gradBias.AsSpan(0, d), g, gradBias.AsSpan(0, d));
            if (gradWeight is not null)
            {
                float inv = invStd[r];
                Affine(x.AsSpan(xOffset + r * d, d), inv, -mean[r] * inv, hat);
                TensorPrimitives.MultiplyAdd(g, hat, gradWeight.AsSpan(0, d), gradWeight.AsSpan(0, d));
            }
        }
    }

    static void Rows(int rows, int d, Action<int, int> block)
    {
        long work = (long)rows * d;
        if (work < ParallelLimit || rows < 2)
        {
            block(0, rows);
            return;
        }
        int blocks = (int)Math.Min(rows, Math.Max(2, work / ParallelLimit));
        ParallelRuntime.For(blocks, b => block((int)((long)rows * b / blocks), (int)((long)rows * (b + 1) / blocks)));
    }
    // dst = src·scale + shift (TensorPrimitives has no multiply-add with two scalars).
    static void Affine(ReadOnlySpan<float> source, float scale, float shift, Span<float> destination)
    {
        TensorPrimitives.Multiply(source, scale, destination);
        TensorPrimitives.Add(destination, shift, destination);
    }
}
