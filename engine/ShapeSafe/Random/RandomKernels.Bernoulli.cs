namespace ShapeSafe;

internal static partial class RandomKernels
{
    /// <summary>
    /// <c>torch.bernoulli(p)</c> for float probabilities: per element one 24-bit float uniform u
    /// and the result <c>u &lt; p</c>. Like LibTorch, each p is checked as it is reached, so an
    /// invalid p stops the run after the earlier elements have drawn.
    /// </summary>
    internal static void Bernoulli(ReadOnlySpan<float> p, Span<float> output, Generator? generator = null)
    {
        CheckSameLength(p.Length, output.Length, "Bernoulli");
        var gen = Resolve(generator);
        lock (gen.SyncRoot)
        {
            var engine = gen.Engine;
            for (int i = 0; i < p.Length; i++)
            {
                float pi = p[i];
                if (!(pi >= 0f && pi <= 1f))
                {
                    throw new ArgumentException(
                        $"Bernoulli: expects every probability to satisfy 0 <= p <= 1, but p[{i}] = {pi}.");
                }

                output[i] = UniformFloat(engine) < pi ? 1f : 0f;
            }
        }
    }
}
