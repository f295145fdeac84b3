using System.Numerics;

namespace ShapeSafe.Kernels.Resampling;

/// <summary>
/// The separable two-tap sampling that nearest and bilinear resampling share, for contiguous planes
/// ([planes, H, W] → [planes, OH, OW]): each output row and column reads two input rows and columns with the weights
/// of its <see cref="Axis"/> (nearest: one, weight 1). <typeparamref name="T"/> is float for Float32 and double for
/// Float64; the axes are worked out by <see cref="InterpolateKernel"/> and <see cref="InterpolateFloat64"/>, each with
/// ATen's arithmetic for its dtype.
/// </summary>
internal sealed class TwoTapResampler<T> where T : struct, INumber<T>
{
    /// <summary>The two sources and their weights for each output coordinate along one dim.</summary>
    internal readonly record struct Axis(int[] I0, int[] I1, T[] W0, T[] W1)
    {
        public Axis(int length) : this(new int[length], new int[length], new T[length], new T[length]) { }
    }

    readonly Axis _rows, _cols;
    readonly int _planes, _h, _w;

    public TwoTapResampler(Axis rows, Axis cols, int planes, int h, int w)
    {
        _rows = rows;
        _cols = cols;
        _planes = planes;
        _h = h;
        _w = w;
    }

    /// <summary>Writes the resampled planes (contiguous, [planes, OH, OW]) from contiguous input data at <paramref name="start"/>.</summary>
    public void Forward(T[] x, int start, T[] y)
    {
        int oh = _rows.I0.Length, ow = _cols.I0.Length;
        for (int p = 0; p < _planes; p++)
        {
            int plane = start + p * _h * _w;
            for (int i = 0; i < oh; i++)
            {
                int r0 = plane + _rows.I0[i] * _w, r1 = plane + _rows.I1[i] * _w;
                T a0 = _rows.W0[i], a1 = _rows.W1[i];
                for (int j = 0; j < ow; j++)
                {
                    int c0 = _cols.I0[j], c1 = _cols.I1[j];
                    T b0 = _cols.W0[j], b1 = _cols.W1[j];
                    // ATen's order: each row interpolated along the columns, then the two rows.
                    y[(p * oh + i) * ow + j] = (x[r0 + c0] * b0 + x[r0 + c1] * b1) * a0 + (x[r1 + c0] * b0 + x[r1 + c1] * b1) * a1;
                }
            }
        }
    }

    /// <summary>Adds each output gradient into <paramref name="dx"/> (zeroed, the input's shape) with the forward's weights.</summary>
    public void Backward(T[] g, int start, T[] dx)
    {
        int oh = _rows.I0.Length, ow = _cols.I0.Length;
        for (int p = 0; p < _planes; p++)
        {
            int plane = p * _h * _w;
            for (int i = 0; i < oh; i++)
            {
                int r0 = plane + _rows.I0[i] * _w, r1 = plane + _rows.I1[i] * _w;
                T a0 = _rows.W0[i], a1 = _rows.W1[i];
                for (int j = 0; j < ow; j++)
                {
                    T grad = g[start + (p * oh + i) * ow + j];
                    int c0 = _cols.I0[j], c1 = _cols.I1[j];
                    T b0 = _cols.W0[j], b1 = _cols.W1[j];
                    dx[r0 + c0] += grad * a0 * b0;
                    dx[r0 + c1] += grad * a0 * b1;
                    dx[r1 + c0] += grad * a1 * b0;
                    dx[r1 + c1] += grad * a1 * b1;
                }
            }
        }
    }
}
