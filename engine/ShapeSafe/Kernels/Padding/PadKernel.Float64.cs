namespace ShapeSafe.Kernels.Padding;

// The Float64 backward (the forward is generic over the element type already).
internal sealed partial class PadKernel
{
    /// <summary>Adds the double output gradient <paramref name="g"/> (contiguous) into <paramref name="dx"/> (zeroed, contiguous, the input's sizes).</summary>
    public void Backward(double[] g, int start, double[] dx)
    {
        if (dx.Length == 0 || g.Length == 0) return;
        if (_outSizes.Length == 0)
        {
            dx[0] += g[start];
            return;
        }
        Backward(0, 0, start, g, dx);
    }

    void Backward(int d, int source, int target, double[] g, double[] dx)
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
