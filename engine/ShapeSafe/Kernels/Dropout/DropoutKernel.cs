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
        lock (gen.SyncRoot)
        {
            var engine = gen.Engine;
            for (int i = 0; i < noise.Length; i++)
                noise[i] = RandomKernels.UniformDouble(engine) < keep ? scale : 0f;
        }
    }
}
