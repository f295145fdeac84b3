namespace ShapeSafe;

/// <summary>
/// PyTorch's CPU sampling kernels over spans, drawing numbers in LibTorch's order with LibTorch's
/// transforms (ATen's <c>DistributionTemplates.h</c>, <c>TransformationHelper.h</c> and the
/// samplers in <c>Distributions.cpp</c>). Each call holds the generator's lock for its whole run;
/// a null generator means <see cref="Generator.Default"/>. Tensor factories wrap these.
/// </summary>
internal static partial class RandomKernels
{
    private const float FloatUnit = 1.0f / (1 << 24);
    private const double DoubleUnit = 1.0 / (1L << 53);

    private static Generator Resolve(Generator? generator) => generator ?? Generator.Default;

    /// <summary>ATen's <c>uniform_real_distribution&lt;float&gt;(0, 1)</c>: the low 24 bits of one 32-bit draw.</summary>
    internal static float UniformFloat(Mt19937 engine) => (engine.NextUInt32() & 0xFFFFFF) * FloatUnit;

    /// <summary>ATen's <c>uniform_real_distribution&lt;double&gt;(0, 1)</c>: the low 53 bits of one 64-bit draw.</summary>
    internal static double UniformDouble(Mt19937 engine) => (engine.NextUInt64() & ((1UL << 53) - 1)) * DoubleUnit;

    private static void CheckSameLength(int inputLength, int outputLength, string operation)
    {
        if (inputLength != outputLength)
        {
            throw new ArgumentException(
                $"{operation}: the output has {outputLength} elements but the input has {inputLength}; they must match.");
        }
    }
}
