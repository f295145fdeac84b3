namespace ShapeSafe.Kernels.Resampling;

/// <summary>
/// 2-D nearest and bilinear resampling of contiguous planes ([planes, H, W] → [planes, OH, OW]), separable: each
/// output row and column reads two input rows and columns with weights (nearest: one, weight 1). Indices and
/// weights follow ATen's CPU kernels: nearest reads <c>min(floor(o·scale), in − 1)</c> in float; bilinear's source
/// coordinate is <c>o·(in − 1)/(out − 1)</c> with aligned corners, else <c>max((o + ½)·scale − ½, 0)</c>, where scale
/// is 1/scale_factor when one was given, else in/out.
/// </summary>
internal sealed class InterpolateKernel
{
    /// <summary>The two sources and their weights for each output coordinate along one dim.</summary>
    readonly record struct Axis(int[] I0, int[] I1, float[] W0, float[] W1);

    readonly Axis _rows, _cols;
    readonly int _planes, _h, _w;

    InterpolateKernel(Axis rows, Axis cols, int planes, int h, int w)
    {
        _rows = rows;
        _cols = cols;
        _planes = planes;
        _h = h;
        _w = w;
    }

    public static InterpolateKernel Create(int planes, int h, int w, int oh, int ow, bool bilinear, bool alignCorners, double? scaleH, double? scaleW) =>
        new(MakeAxis(h, oh, bilinear, alignCorners, scaleH), MakeAxis(w, ow, bilinear, alignCorners, scaleW), planes, h, w);

    static Axis MakeAxis(int input, int output, bool bilinear, bool alignCorners, double? scaleFactor)
    {
        var axis = new Axis(new int[output], new int[output], new float[output], new float[output]);
        // ATen's compute_scales_value: 1/scale_factor when given, else in/out, as a float.
        float scale = scaleFactor is > 0 ? (float)(1.0 / scaleFactor.Value) : (float)input / output;
        if (bilinear && alignCorners) scale = output > 1 ? (float)(input - 1) / (output - 1) : 0f;
        for (int o = 0; o < output; o++)
        {
            if (!bilinear)
            {
                int i = output == input ? o : output == 2 * input ? o >> 1 : Math.Min((int)MathF.Floor(o * scale), input - 1);
                axis.I0[o] = axis.I1[o] = i;
                axis.W0[o] = 1f;
                axis.W1[o] = 0f;
                continue;
            }
            float source = alignCorners ? scale * o : MathF.Max(scale * (o + 0.5f) - 0.5f, 0f);
            int i0 = Math.Min((int)source, input - 1);
            int i1 = i0 + (i0 < input - 1 ? 1 : 0);
            float lambda1 = Math.Clamp(source - i0, 0f, 1f);
            axis.I0[o] = i0;
            axis.I1[o] = i1;
            axis.W0[o] = 1f - lambda1;
            axis.W1[o] = lambda1;
        }
        return axis;
    }

    public void Forward(float[] x, int start, float[] y)
    {
        int oh = _rows.I0.Length, ow = _cols.I0.Length;
        for (int p = 0; p < _planes; p++)
        {
            int plane = start + p * _h * _w;
            for (int i = 0; i < oh; i++)
            {
                int r0 = plane + _rows.I0[i] * _w, r1 = plane + _rows.I1[i] * _w;
                float a0 = _rows.W0[i], a1 = _rows.W1[i];
                for (int j = 0; j < ow; j++)
                {
                    int c0 = _cols.I0[j], c1 = _cols.I1[j];
                    float b0 = _cols.W0[j], b1 = _cols.W1[j];
                    // ATen's order: each row interpolated along the columns, then the two rows.
                    y[(p * oh + i) * ow + j] = (x[r0 + c0] * b0 + x[r0 + c1] * b1) * a0 + (x[r1 + c0] * b0 + x[r1 + c1] * b1) * a1;
                }
            }
        }
    }

    /// <summary>Adds each output gradient into <paramref name="dx"/> (zeroed, the input's shape) with the forward's weights.</summary>
    public void Backward(float[] g, int start, float[] dx)
    {
        int oh = _rows.I0.Length, ow = _cols.I0.Length;
        for (int p = 0; p < _planes; p++)
        {
            int plane = p * _h * _w;
            for (int i = 0; i < oh; i++)
            {
                int r0 = plane + _rows.I0[i] * _w, r1 = plane + _rows.I1[i] * _w;
                float a0 = _rows.W0[i], a1 = _rows.W1[i];
                for (int j = 0; j < ow; j++)
                {
                    float grad = g[start + (p * oh + i) * ow + j];
                    int c0 = _cols.I0[j], c1 = _cols.I1[j];
                    float b0 = _cols.W0[j], b1 = _cols.W1[j];
                    dx[r0 + c0] += grad * a0 * b0;
                    dx[r0 + c1] += grad * a0 * b1;
                    dx[r1 + c0] += grad * a1 * b0;
                    dx[r1 + c1] += grad * a1 * b1;
                }
            }
        }
    }
}
