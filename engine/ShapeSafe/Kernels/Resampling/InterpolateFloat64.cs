namespace ShapeSafe.Kernels.Resampling;

/// <summary>
/// <see cref="InterpolateKernel"/> for double planes (Float64 <c>F.interpolate</c>): the same separable two-tap
/// sampling, with ATen's double-input arithmetic: bilinear's scale, source coordinate and weights in double (its
/// opmath type), nearest's index from a float scale (ATen's <c>nearest_idx</c> computes it in float for every dtype).
/// </summary>
internal sealed class InterpolateFloat64
{
    /// <summary>The two sources and their weights for each output coordinate along one dim.</summary>
    readonly record struct Axis(int[] I0, int[] I1, double[] W0, double[] W1);

    readonly Axis _rows, _cols;
    readonly int _planes, _h, _w;

    InterpolateFloat64(Axis rows, Axis cols, int planes, int h, int w)
    {
        _rows = rows;
        _cols = cols;
        _planes = planes;
        _h = h;
        _w = w;
    }

    public static InterpolateFloat64 Create(int planes, int h, int w, int oh, int ow, bool bilinear, bool alignCorners, double? scaleH, double? scaleW) =>
        new(MakeAxis(h, oh, bilinear, alignCorners, scaleH), MakeAxis(w, ow, bilinear, alignCorners, scaleW), planes, h, w);

    static Axis MakeAxis(int input, int output, bool bilinear, bool alignCorners, double? scaleFactor)
    {
        var axis = new Axis(new int[output], new int[output], new double[output], new double[output]);
        for (int o = 0; o < output; o++)
        {
            if (!bilinear)
            {
                float nearestScale = scaleFactor is > 0 ? (float)(1.0 / scaleFactor.Value) : (float)input / output;
                int i = Math.Min((int)MathF.Floor(o * nearestScale), input - 1);
                axis.I0[o] = axis.I1[o] = i;
                axis.W0[o] = 1.0;
                continue;
            }
            double scale = alignCorners
                ? output > 1 ? (double)(input - 1) / (output - 1) : 0.0
                : scaleFactor is > 0 ? 1.0 / scaleFactor.Value : (double)input / output;
            double source = alignCorners ? scale * o : Math.Max(scale * (o + 0.5) - 0.5, 0.0);
            int i0 = Math.Min((int)Math.Floor(source), input - 1);
            int i1 = i0 + (i0 < input - 1 ? 1 : 0);
            double lambda1 = Math.Clamp(source - i0, 0.0, 1.0);
            axis.I0[o] = i0;
            axis.I1[o] = i1;
            axis.W0[o] = 1.0 - lambda1;
            axis.W1[o] = lambda1;
        }
        return axis;
    }

    /// <summary>Writes the resampled planes (contiguous, [planes, OH, OW]) from contiguous input data at <paramref name="start"/>.</summary>
    public void Forward(double[] x, int start, double[] y)
    {
        int oh = _rows.I0.Length, ow = _cols.I0.Length;
        for (int p = 0; p < _planes; p++)
        {
            int plane = start + p * _h * _w;
            for (int i = 0; i < oh; i++)
            {
                int r0 = plane + _rows.I0[i] * _w, r1 = plane + _rows.I1[i] * _w;
                double a0 = _rows.W0[i], a1 = _rows.W1[i];
                for (int j = 0; j < ow; j++)
                {
                    int c0 = _cols.I0[j], c1 = _cols.I1[j];
                    double b0 = _cols.W0[j], b1 = _cols.W1[j];
                    y[(p * oh + i) * ow + j] = (x[r0 + c0] * b0 + x[r0 + c1] * b1) * a0 + (x[r1 + c0] * b0 + x[r1 + c1] * b1) * a1;
                }
            }
        }
    }

    /// <summary>Adds each output gradient into <paramref name="dx"/> (zeroed, the input's shape) with the forward's weights.</summary>
    public void Backward(double[] g, int start, double[] dx)
    {
        int oh = _rows.I0.Length, ow = _cols.I0.Length;
        for (int p = 0; p < _planes; p++)
        {
            int plane = p * _h * _w;
            for (int i = 0; i < oh; i++)
            {
                int r0 = plane + _rows.I0[i] * _w, r1 = plane + _rows.I1[i] * _w;
                double a0 = _rows.W0[i], a1 = _rows.W1[i];
                for (int j = 0; j < ow; j++)
                {
                    double grad = g[start + (p * oh + i) * ow + j];
                    int c0 = _cols.I0[j], c1 = _cols.I1[j];
                    double b0 = _cols.W0[j], b1 = _cols.W1[j];
                    dx[r0 + c0] += grad * a0 * b0;
                    dx[r0 + c1] += grad * a0 * b1;
                    dx[r1 + c0] += grad * a1 * b0;
                    dx[r1 + c1] += grad * a1 * b1;
                }
            }
        }
    }
}
