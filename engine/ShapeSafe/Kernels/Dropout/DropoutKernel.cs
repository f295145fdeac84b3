namespace ShapeSafe.Kernels.Dropout;

/// <summary>
/// Dropout's mask, drawn as PyTorch's CPU <c>dropout</c> draws it: <c>noise.bernoulli_(1 - p)</c> (one 53-bit
/// double uniform u per element, in order, kept when u &lt; 1 - p: ATen's scalar Bernoulli kernel), then
/// <c>noise.div_(1 - p)</c> in float. So a seeded generator reproduces LibTorch's mask element for element.
/// </summary>
internal static class DropoutKernel
{
    /// <summary>Fills <paramref name="noise"/> with 0 or <c>1 / (1 - p)</c> (float division), drawing under the generator's lock.</summary>
    public static void Mask(Span<float> noise, double p, Generator? generator)
    {
        double keep = 1 - p;
        float scale = 1f / (float)keep;
        var gen = generator ?? Generator.Default;
        lock (gen.SyncRoot) gen.Engine.BernoulliBelow(noise, KeepThreshold(keep), scale);
    }

    /// <summary>
    /// The integer form of <c>u &lt; keep</c> for u = m·2^-53, m the 53-bit draw: the product is exact, so u &lt; keep
    /// exactly when m &lt; keep·2^53 (also exact), which for an integer m is m &lt; ceil(keep·2^53).
    /// </summary>
    internal static ulong KeepThreshold(double keep) => (ulong)Math.Ceiling(keep * (1UL << 53));
}
