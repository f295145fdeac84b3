namespace ShapeSafe;

internal static partial class RandomKernels
{
    // randperm_cpu switches to a 64-bit inside-out shuffle from this size on.
    private const long RandpermLargeThreshold = uint.MaxValue / 20;

    /// <summary>
    /// <c>torch.randint(low, high)</c> for int64: <c>draw % (high - low) + low</c>, where the draw
    /// is one 32-bit word when the range is below 2^32 and a 64-bit word otherwise.
    /// </summary>
    internal static void FillRandint(Span<long> data, long low, long high, Generator? generator = null)
    {
        if (low >= high)
        {
            throw new ArgumentException($"Randint: expects 'low' to be less than 'high', but got low={low} >= high={high}.");
        }

        ulong range = unchecked((ulong)high - (ulong)low);
        var gen = Resolve(generator);
        lock (gen.SyncRoot)
        {
            var engine = gen.Engine;
            if (range >= 1UL << 32)
            {
                for (int i = 0; i < data.Length; i++)
                {
                    data[i] = unchecked((long)(engine.NextUInt64() % range + (ulong)low));
                }
            }
            else
            {
                for (int i = 0; i < data.Length; i++)
                {
                    data[i] = unchecked((long)(engine.NextUInt32() % range + (ulong)low));
                }
            }
        }
    }

    /// <summary>
    /// <c>torch.randperm(n)</c> as LibTorch 2.10's <c>randperm_cpu</c> (same for long and float
    /// outputs): below 2^32/20 a forward Fisher–Yates swap with <c>random() % (n - i)</c>;
    /// from there on the inside-out variant with <c>random64() % (i + 1)</c>.
    /// </summary>
    internal static long[] Randperm(int n, Generator? generator = null)
    {
        if (n < 0)
        {
            throw new ArgumentException($"Randperm: n must be non-negative, got {n}.");
        }

        var result = new long[n];
        var gen = Resolve(generator);
        lock (gen.SyncRoot)
        {
            var engine = gen.Engine;
            if (n < RandpermLargeThreshold)
            {
                for (int i = 0; i < n; i++)
                {
                    result[i] = i;
                }

                for (int i = 0; i < n - 1; i++)
                {
                    int z = (int)(engine.NextUInt32() % (uint)(n - i));
                    (result[i], result[i + z]) = (result[i + z], result[i]);
                }
            }
            else
            {
                for (int i = 0; i < n; i++)
                {
                    int z = (int)(engine.NextUInt64() % (ulong)(i + 1));
                    result[i] = result[z];
                    result[z] = i;
                }
            }
        }

        return result;
    }
}
