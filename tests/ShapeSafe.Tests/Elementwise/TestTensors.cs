using ShapeSafe;

namespace ShapeSafe.Tests.Elementwise;

/// <summary>How a test operand is laid out in memory; each gives the same logical values.</summary>
public enum LayoutKind { Contiguous, Transposed, Sliced, Expanded, Offset }

/// <summary>Random tensors of a given logical shape in a chosen memory layout.</summary>
internal static class TestTensors
{
    public static readonly LayoutKind[] AllLayouts = Enum.GetValues<LayoutKind>();

    public static float[] RandomValues(System.Random rng, int n, float scale = 3f)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        return v;
    }

    /// <summary>A Float32 tensor of logical shape <paramref name="shape"/> laid out as <paramref name="kind"/>.</summary>
    public static Tensor Make(System.Random rng, int[] shape, LayoutKind kind, float scale = 3f)
    {
        int n = 1;
        foreach (var s in shape) n *= s;
        int rank = shape.Length;
        switch (kind)
        {
            case LayoutKind.Transposed when rank >= 2:
            {
                var swapped = (int[])shape.Clone();
                (swapped[0], swapped[rank - 1]) = (swapped[rank - 1], swapped[0]);
                return Tensor.FromArray(RandomValues(rng, n, scale), swapped).Transpose(0, rank - 1);
            }
            case LayoutKind.Sliced when rank >= 1:
            {
                var wide = (int[])shape.Clone();
                wide[rank - 1] = shape[rank - 1] * 2;
                return Tensor.FromArray(RandomValues(rng, n * 2, scale), wide).Slice(rank - 1, 0, wide[rank - 1], 2);
            }
            case LayoutKind.Expanded when rank >= 1 && shape[0] > 1:
            {
                var one = (int[])shape.Clone();
                one[0] = 1;
                return Tensor.FromArray(RandomValues(rng, n / shape[0], scale), one).Expand(shape);
            }
            case LayoutKind.Offset:
            {
                var data = RandomValues(rng, n + 3, scale);
                return Tensor.FromArray(data, n + 3).Narrow(0, 3, n).View(shape);
            }
            default:
                return Tensor.FromArray(RandomValues(rng, n, scale), shape);
        }
    }

    public static int[] RandomShape(System.Random rng, int rank, int[] sizes)
    {
        var shape = new int[rank];
        for (int i = 0; i < rank; i++) shape[i] = sizes[rng.Next(sizes.Length)];
        return shape;
    }

    /// <summary>A shape that broadcasts to <paramref name="shape"/>: some dims become 1, some leading dims are dropped.</summary>
    public static int[] BroadcastableTo(System.Random rng, int[] shape)
    {
        int drop = rng.Next(shape.Length + 1);
        var result = new int[shape.Length - drop];
        for (int i = 0; i < result.Length; i++)
            result[i] = rng.Next(3) == 0 ? 1 : shape[i + drop];
        return result;
    }

    public static void AssertClose(double[] expected, float[] actual, double rtol = 1e-6, double atol = 1e-6)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e)) { Assert.True(double.IsNaN(a), $"element {i}: expected NaN, got {a}"); continue; }
            if (double.IsInfinity(e)) { Assert.Equal(e, a); continue; }
            Assert.True(Math.Abs(e - a) <= atol + rtol * Math.Abs(e), $"element {i}: expected {e}, got {a}");
        }
    }
}
