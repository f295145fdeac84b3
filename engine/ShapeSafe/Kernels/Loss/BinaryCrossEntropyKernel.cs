namespace ShapeSafe.Kernels.Loss;

/// <summary>
/// Binary cross entropy on probabilities (PyTorch's <c>binary_cross_entropy</c>) and on logits
/// (<c>binary_cross_entropy_with_logits</c>), element by element over contiguous spans of one length; weights
/// arrive already broadcast to that length. Scalar loops: each element needs a log or an exp of its own.
/// </summary>
internal static class BinaryCrossEntropyKernel
{
    // PyTorch clamps each log at -100 so p = 0 or 1 gives a finite loss, and the gradient's denominator at 1e-12.
    const float LogFloor = -100f;
    const float GradientEpsilon = 1e-12f;

    /// <summary>-w·(y·log p + (1-y)·log(1-p)) with each log at least -100 (ATen's CPU formula).</summary>
    /// <exception cref="ArgumentException">Some p is outside [0, 1].</exception>
    public static void Forward(ReadOnlySpan<float> input, ReadOnlySpan<float> target, ReadOnlySpan<float> weight, Span<float> loss, string op)
    {
        for (int i = 0; i < input.Length; i++)
        {
            float p = input[i], y = target[i];
            if (!(p >= 0f && p <= 1f))
                throw new ArgumentException($"{op}: all elements of input should be between 0 and 1 (element {i} is {p})");
            float l = (y - 1) * MathF.Max(Log1p(-p), LogFloor) - y * MathF.Max(MathF.Log(p), LogFloor);
            loss[i] = weight.IsEmpty ? l : l * weight[i];
        }
    }

    /// <summary>d/dp = w·(p - y) / max(p·(1-p), 1e-12) · scale, and, when asked, d/dy = w·(log(1-p) - log p) · scale (logs clamped).</summary>
    public static void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> target, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> scales, float scale, Span<float> gradInput, Span<float> gradTarget)
    {
        for (int i = 0; i < input.Length; i++)
        {
            float p = input[i], y = target[i];
            float s = scales.IsEmpty ? scale : scales[i];
            if (!weight.IsEmpty) s *= weight[i];
            if (!gradInput.IsEmpty) gradInput[i] = s * (p - y) / MathF.Max((1 - p) * p, GradientEpsilon);
            if (!gradTarget.IsEmpty) gradTarget[i] = s * (MathF.Max(Log1p(-p), LogFloor) - MathF.Max(MathF.Log(p), LogFloor));
        }
    }

    /// <summary>
    /// (1-y)·x + (1 + (pw-1)·y)·softplus(-x), times w, where softplus(-x) = log(1 + e^-|x|) + max(-x, 0) never
    /// overflows (without a positive weight: max(x, 0) - x·y + log(1 + e^-|x|)).
    /// </summary>
    public static void ForwardWithLogits(ReadOnlySpan<float> input, ReadOnlySpan<float> target, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> posWeight, Span<float> loss)
    {
        for (int i = 0; i < input.Length; i++)
        {
            float x = input[i], y = target[i];
            float softplusNeg = Log1p(MathF.Exp(-MathF.Abs(x))) + MathF.Max(-x, 0);
            float logWeight = posWeight.IsEmpty ? 1f : 1 + (posWeight[i] - 1) * y;
            float l = (1 - y) * x + logWeight * softplusNeg;
            loss[i] = weight.IsEmpty ? l : l * weight[i];
        }
    }

    /// <summary>d/dx = w·((1-y) - (1 + (pw-1)·y)·σ(-x))·scale (σ(x) - y without pw); d/dy = w·((pw-1)·softplus(-x) - x)·scale.</summary>
    public static void BackwardWithLogits(ReadOnlySpan<float> input, ReadOnlySpan<float> target, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> posWeight, ReadOnlySpan<float> scales, float scale, Span<float> gradInput, Span<float> gradTarget)
    {
        for (int i = 0; i < input.Length; i++)
        {
            float x = input[i], y = target[i];
            float s = scales.IsEmpty ? scale : scales[i];
            if (!weight.IsEmpty) s *= weight[i];
            float pw = posWeight.IsEmpty ? 1f : posWeight[i];
            if (!gradInput.IsEmpty)
            {
                // σ(-x) = 1 / (1 + e^x): e^x overflowing to infinity gives exactly 0.
                float sigmoidNeg = 1f / (1f + MathF.Exp(x));
                gradInput[i] = s * ((1 - y) - (1 + (pw - 1) * y) * sigmoidNeg);
            }
            if (!gradTarget.IsEmpty)
            {
                float softplusNeg = Log1p(MathF.Exp(-MathF.Abs(x))) + MathF.Max(-x, 0);
                gradTarget[i] = s * ((pw - 1) * softplusNeg - x);
            }
        }
    }

    // log(1 + x) for float x (MathF has no log1p): 1 + x is exact in double for |x| >= 2^-29, so one double log
    // rounded to float is accurate; below that, log(1 + x) is x to float precision.
    static float Log1p(float x) => Math.Abs(x) < 1e-8f ? x : (float)Math.Log(1.0 + x);
}
