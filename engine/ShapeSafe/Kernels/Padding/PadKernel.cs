using System.Numerics;

namespace ShapeSafe.Kernels.Padding;

/// <summary>
/// Padding as an index map per dim: output coordinate o along dim d reads input coordinate <c>Map[d][o]</c>, or the
/// fill value where it is -1 (constant padding outside the input). Reflect, replicate and circular are other maps
/// over the same walk, and the backward adds each output gradient at the coordinate it was read from, so a value
/// read several times (reflections, replication) gathers all of their gradients.
/// </summary>
internal sealed class PadKernel
{
    readonly int[][] _map;
    readonly int[] _inStrides, _outStrides, _outSizes;

    PadKernel(int[][] map, int[] inSizes, int[] outSizes)
    {
        _map = map;
        _outSizes = outSizes;
        _inStrides = Rules.ContiguousStrides(inSizes);
        _outStrides = Rules.ContiguousStrides(outSizes);
    }

    /// <summary>The maps for <paramref name="pad"/> ((left, right) pairs from the last dim) in <paramref name="mode"/>; the sizes are checked by the shape rule.</summary>
    public static PadKernel Create(int[] inSizes, int[] outSizes, int[] pad, string mode)
    {
        int rank = inSizes.Length;
        var map = new int[rank][];
        for (int d = 0; d < rank; d++)
        {
            int i = rank - 1 - d;
            int left = 2 * i < pad.Length ? pad[2 * i] : 0;
            int n = inSizes[d];
            map[d] = new int[outSizes[d]];
            for (int o = 0; o < outSizes[d]; o++)
            {
                int s = o - left;
                map[d][o] = mode switch
                {
                    "reflect" => s < 0 ? -s : s >= n ? 2 * (n - 1) - s : s,
                    "replicate" => Math.Clamp(s, 0, n - 1),
                    "circular" => ((s % n) + n) % n,
                    _ => s >= 0 && s < n ? s : -1,
                };
            }
        }
        return new PadKernel(map, inSizes, outSizes);
    }

    /// <summary>Writes the padded tensor (contiguous, of the output's sizes) from contiguous input data at <paramref name="start"/>.</summary>
    public void Forward<T>(T[] x, int start, T value, T[] y)
    {
        if (y.Length == 0) return;
        if (_outSizes.Length == 0)
        {
            y[0] = x[start];
            return;
        }
        Forward(0, start, 0, x, value, y);
    }

    void Forward<T>(int d, int source, int target, T[] x, T value, T[] y)
    {
        var map = _map[d];
        bool last = d == _map.Length - 1;
        for (int o = 0; o < map.Length; o++)
        {
            int s = map[o];
            int to = target + o * _outStrides[d];
            if (s < 0)
            {
                // A padded coordinate: the whole block under it is the fill value.
                int block = last ? 1 : _outStrides[d];
                Array.Fill(y, value, to, block);
            }
            else if (last)
            {
                y[to] = x[source + s];
            }
            else
            {
                Forward(d + 1, source + s * _inStrides[d], to, x, value, y);
            }
        }
    }

    /// <summary>
    /// Adds the output gradient <paramref name="g"/> (contiguous) into <paramref name="dx"/> (zeroed, contiguous, the
    /// input's sizes); float and double alike.
    /// </summary>
    public void Backward<T>(T[] g, int start, T[] dx) where T : struct, IAdditionOperators<T, T, T>
    {
        if (dx.Length == 0 || g.Length == 0) return;
        if (_outSizes.Length == 0)
        {
            dx[0] += g[start];
            return;
        }
        Backward(0, 0, start, g, dx);
    }

    void Backward<T>(int d, int source, int target, T[] g, T[] dx) where T : struct, IAdditionOperators<T, T, T>
    {
        var map = _map[d];
        bool last = d == _map.Length - 1;
        for (int o = 0; o < map.Length; o++)
        {
            int s = map[o];
            if (s < 0) continue;
            int from = target + o * _outStrides[d];
            if (last) dx[source + s] += g[from];
            else Backward(d + 1, source + s * _inStrides[d], from, g, dx);
        }
    }
}
