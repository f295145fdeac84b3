using ShapeSafe.Kernels.Parallel;

namespace ShapeSafe.Kernels.Pooling;

/// <summary>
/// Runs a pooling body over blocks of planes. Each plane's output (and, in backward, its input gradient)
/// depends on that plane alone, so any split gives the same bits.
/// </summary>
internal static class PoolingParallel
{
    // Below this many window reads a wake-up of the workers costs more than it saves.
    private const long ParallelWorkLimit = 1 << 15;

    /// <summary>Calls <c>body.Invoke(block)</c> for each of <paramref name="blocks"/> blocks of planes (see <see cref="Blocks"/>).</summary>
    public static void Run<TBody>(in Pool2dGeometry g, int blocks, ref TBody body) where TBody : struct, IParallelBody
    {
        if (g.Work >= ParallelWorkLimit && ParallelRuntime.NumThreads > 1)
        {
            ParallelRuntime.For(blocks, ref body);
        }
        else
        {
            for (int b = 0; b < blocks; b++)
                body.Invoke(b);
        }
    }

    /// <summary>How many blocks the planes are cut into: a few per thread, for balance.</summary>
    public static int Blocks(in Pool2dGeometry g) => Math.Max(1, Math.Min(g.Planes, 4 * ParallelRuntime.NumThreads));

    /// <summary>The planes [first, end) of block <paramref name="block"/>.</summary>
    public static void Range(in Pool2dGeometry g, int block, int blocks, out int first, out int end)
    {
        first = (int)((long)block * g.Planes / blocks);
        end = (int)((long)(block + 1) * g.Planes / blocks);
    }
}
