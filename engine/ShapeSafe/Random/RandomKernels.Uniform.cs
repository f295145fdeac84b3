namespace ShapeSafe;

internal static partial class RandomKernels
{
    /// <summary>
    /// <c>torch.rand</c> / <c>uniform_(from, to)</c> for float: one 32-bit draw per element, its
    /// low 24 bits scaled to [0, 1), then <c>x * (to - from) + from</c> in float as one fused
    /// multiply-add: LibTorch's x86-64 kernels are compiled with FMA contraction, and only the
    /// fused form reproduces its <c>uniform_(from, to)</c> bit for bit.
    /// </summary>
    internal static void FillUniform(Span<float> data, double from = 0, double to = 1, Generator? generator = null)
    {
        if (!(from <= to))
        {
            throw new ArgumentException($"Uniform: expects a [from, to) range, but found from={from} > to={to}.");
        }

        if (to - from > float.MaxValue)
        {
            throw new ArgumentException($"Uniform: expects to - from <= {float.MaxValue}, but found to={to} and from={from}.");
        }

        float lo = (float)from;
        float width = (float)to - lo;
        var gen = Resolve(generator);
        lock (gen.SyncRoot)
        {
            var engine = gen.Engine;
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = MathF.FusedMultiplyAdd(UniformFloat(engine), width, lo);
            }
        }
    }
}
