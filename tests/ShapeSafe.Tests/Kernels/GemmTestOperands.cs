using ShapeSafe.Kernels.Gemm;

namespace ShapeSafe.Tests.Kernels;

/// <summary>How a test lays out one matrix operand inside its array.</summary>
public enum OperandLayout
{
    /// <summary>Row-major, rows packed tightly.</summary>
    Plain,
    /// <summary>Stored transposed (column-major).</summary>
    Transposed,
    /// <summary>Row-major inside a wider matrix, at an offset (a slice).</summary>
    Sliced,
    /// <summary>Transposed and sliced.</summary>
    TransposedSliced,
    /// <summary>Every row is the same row (row stride 0).</summary>
    BroadcastRows,
    /// <summary>Every column is the same column (column stride 0).</summary>
    BroadcastColumns,
}

/// <summary>A matrix operand as GemmKernel sees it: an array, an offset and two strides.</summary>
internal sealed record Operand(float[] Data, int Offset, int RowStride, int ColStride)
{
    public static Operand Create(System.Random rng, int rows, int cols, OperandLayout layout, float? fill = null)
    {
        (int offset, int rowStride, int colStride, int length) = layout switch
        {
            OperandLayout.Plain => (0, cols, 1, rows * cols),
            OperandLayout.Transposed => (0, 1, rows, rows * cols),
            OperandLayout.Sliced => (5, cols + 3, 1, 5 + rows * (cols + 3) + 2),
            OperandLayout.TransposedSliced => (3, 1, rows + 2, 3 + cols * (rows + 2) + 1),
            OperandLayout.BroadcastRows => (1, 0, 1, 1 + cols + 1),
            OperandLayout.BroadcastColumns => (1, 1, 0, 1 + rows + 1),
            _ => throw new ArgumentOutOfRangeException(nameof(layout)),
        };
        var data = new float[Math.Max(length, 1)];
        for (int i = 0; i < data.Length; i++)
            data[i] = fill ?? (float)(rng.NextDouble() * 2 - 1);
        return new Operand(data, offset, rowStride, colStride);
    }

    public Operand Copy() => this with { Data = (float[])Data.Clone() };

    public Operand Abs() => this with { Data = Array.ConvertAll(Data, MathF.Abs) };
}

/// <summary>Runs GemmKernel and GemmReference on the same case and compares them.</summary>
internal static class GemmCheck
{
    /// <summary>
    /// Asserts the kernel's C matches the reference within a rounding bound, and that every element of
    /// C's array outside the m x n output is untouched.
    /// </summary>
    public static float[] Matches(int m, int n, int k, float alpha, Operand a, Operand b, float beta, Operand c,
        GemmMicroKernel? kernel = null, GemmRoute route = GemmRoute.Auto)
    {
        var expected = c.Copy();
        GemmReference.Sgemm(m, n, k, alpha, a.Data, a.Offset, a.RowStride, a.ColStride,
            b.Data, b.Offset, b.RowStride, b.ColStride, beta, expected.Data, expected.Offset, expected.RowStride, expected.ColStride);

        // The same product on absolute values bounds the rounding error of any summation order.
        var magnitude = c.Abs();
        GemmReference.Sgemm(m, n, k, MathF.Abs(alpha), a.Abs().Data, a.Offset, a.RowStride, a.ColStride,
            b.Abs().Data, b.Offset, b.RowStride, b.ColStride, MathF.Abs(beta), magnitude.Data, magnitude.Offset, magnitude.RowStride, magnitude.ColStride);

        var actual = c.Copy();
        GemmKernel.SgemmWith(kernel ?? GemmKernel.MicroKernel, route, m, n, k, alpha, a.Data, a.Offset, a.RowStride, a.ColStride,
            b.Data, b.Offset, b.RowStride, b.ColStride, beta, actual.Data, actual.Offset, actual.RowStride, actual.ColStride);

        var inOutput = OutputMask(m, n, c);
        for (int t = 0; t < actual.Data.Length; t++)
        {
            if (!inOutput[t])
            {
                Assert.True(BitConverter.SingleToInt32Bits(c.Data[t]) == BitConverter.SingleToInt32Bits(actual.Data[t]),
                    $"element {t} outside the output changed");
                continue;
            }
            double tolerance = 1e-6 * (k + 2) * magnitude.Data[t] + 1e-30;
            double error = Math.Abs((double)actual.Data[t] - expected.Data[t]);
            Assert.True(error <= tolerance,
                $"m={m} n={n} k={k} element {t}: got {actual.Data[t]}, expected {expected.Data[t]} (error {error}, tolerance {tolerance})");
        }
        return actual.Data;
    }

    public static bool[] OutputMask(int m, int n, Operand c)
    {
        var mask = new bool[c.Data.Length];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                mask[c.Offset + i * c.RowStride + j * c.ColStride] = true;
        return mask;
    }
}
