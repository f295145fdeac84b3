using CsCheck;
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
    /// C's array outside the m x n output is untouched. With an epilogue that keeps the pre-activation, the
    /// kernel's pre-activation is held to the same bound (each side writes its own copy of the array).
    /// </summary>
    public static float[] Matches(int m, int n, int k, float alpha, Operand a, Operand b, float beta, Operand c,
        GemmMicroKernel? kernel = null, GemmRoute route = GemmRoute.Auto, GemmEpilogue epilogue = default)
    {
        var expected = c.Copy();
        var expectedEpilogue = epilogue with { PreActivation = (float[]?)epilogue.PreActivation?.Clone() };
        GemmReference.Sgemm(m, n, k, alpha, a.Data, a.Offset, a.RowStride, a.ColStride,
            b.Data, b.Offset, b.RowStride, b.ColStride, beta, expected.Data, expected.Offset, expected.RowStride, expected.ColStride,
            expectedEpilogue);

        // The same product on absolute values (with the bias's, before any activation) bounds the rounding error
        // of any summation order.
        var magnitude = c.Abs();
        var magnitudeEpilogue = epilogue.Bias is null ? default
            : epilogue with { Bias = Array.ConvertAll(epilogue.Bias, MathF.Abs), Activation = GemmActivation.None, PreActivation = null };
        GemmReference.Sgemm(m, n, k, MathF.Abs(alpha), a.Abs().Data, a.Offset, a.RowStride, a.ColStride,
            b.Abs().Data, b.Offset, b.RowStride, b.ColStride, MathF.Abs(beta), magnitude.Data, magnitude.Offset, magnitude.RowStride, magnitude.ColStride,
            magnitudeEpilogue);

        var actual = c.Copy();
        var actualEpilogue = epilogue with { PreActivation = (float[]?)epilogue.PreActivation?.Clone() };
        GemmKernel.SgemmWith(kernel ?? GemmKernel.MicroKernel, route, m, n, k, alpha, a.Data, a.Offset, a.RowStride, a.ColStride,
            b.Data, b.Offset, b.RowStride, b.ColStride, beta, actual.Data, actual.Offset, actual.RowStride, actual.ColStride,
            actualEpilogue);

        // GELU's slope is at most 1.13, so it grows an error of its input by at most that much.
        double slope = epilogue.Activation == GemmActivation.Gelu ? 1.2 : 1;
        CompareOutput(m, n, k, c, c.Data, actual.Data, expected.Data, magnitude.Data, slope, "C");
        if (epilogue.PreActivation is { } original)
        {
            // Laid out as C in an array like C's, so the magnitudes line up.
            Assert.True(original.Length == c.Data.Length && epilogue.PreActivationOffset == c.Offset);
            CompareOutput(m, n, k, c, original, actualEpilogue.PreActivation!, expectedEpilogue.PreActivation!, magnitude.Data, 1, "pre-activation");
        }
        return actual.Data;
    }

    // Elements inside the output (laid out as c) must be within the rounding bound of
    // the reference; the rest must keep their original bits.
    private static void CompareOutput(int m, int n, int k, Operand layout, float[] original, float[] actual, float[] expected,
        float[] magnitude, double slope, string what)
    {
        var inOutput = OutputMask(m, n, layout);
        for (int t = 0; t < actual.Length; t++)
        {
            if (!inOutput[t])
            {
                Assert.True(BitConverter.SingleToInt32Bits(original[t]) == BitConverter.SingleToInt32Bits(actual[t]),
                    $"{what}: element {t} outside the output changed");
                continue;
            }
            double tolerance = slope * 1e-6 * (k + 2) * magnitude[t] + 1e-30;
            double error = Math.Abs((double)actual[t] - expected[t]);
            Assert.True(error <= tolerance,
                $"{what}: m={m} n={n} k={k} element {t}: got {actual[t]}, expected {expected[t]} (error {error}, tolerance {tolerance})");
        }
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

/// <summary>One random product for the property tests: sizes, operand layouts, scalars, route and a data seed.</summary>
internal readonly record struct RandomProblem(int M, int N, int K, OperandLayout ALayout, OperandLayout BLayout,
    OperandLayout CLayout, float Alpha, float Beta, GemmRoute Route, int Seed)
{
    /// <summary>Sizes up to 70 (k may be 0), every input layout, the four output layouts, every route.</summary>
    public static readonly Gen<RandomProblem> Any =
        from m in Gen.Int[1, 70]
        from n in Gen.Int[1, 70]
        from k in Gen.Int[0, 70]
        from aLayout in Gen.OneOfConst(Enum.GetValues<OperandLayout>())
        from bLayout in Gen.OneOfConst(Enum.GetValues<OperandLayout>())
        from cLayout in Gen.OneOfConst(OperandLayout.Plain, OperandLayout.Transposed, OperandLayout.Sliced, OperandLayout.TransposedSliced)
        from alpha in Gen.OneOfConst(1f, -1f, 0.5f, 0f)
        from beta in Gen.OneOfConst(0f, 1f, -0.5f)
        from route in Gen.OneOfConst(GemmRoute.Auto, GemmRoute.Packed, GemmRoute.Unpacked)
        from seed in Gen.Int
        select new RandomProblem(m, n, k, aLayout, bLayout, cLayout, alpha, beta, route, seed);
}

