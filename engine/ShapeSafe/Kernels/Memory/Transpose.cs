using System.Runtime.Intrinsics.X86;
using ShapeSafe.Kernels.Gemm;

namespace ShapeSafe.Kernels.Memory;

/// <summary>The transpose of a contiguous matrix into another, in 8 x 8 blocks through AVX registers where there are any.</summary>
internal static unsafe class Transpose
{
    /// <summary>
    /// <c>destination[offset + j * rows + i] = source[i * cols + j]</c> for the [<paramref name="rows"/>, <paramref name="cols"/>]
    /// matrix at the start of <paramref name="source"/>.
    /// </summary>
    public static void Into(float[] source, int rows, int cols, float[] destination, int offset)
    {
        fixed (float* src = source, dst = destination)
        {
            float* to = dst + offset;
            int blockedRows = 0, blockedCols = 0;
            if (Avx.IsSupported)
            {
                blockedRows = rows & ~7;
                blockedCols = cols & ~7;
                // Row blocks outside, so one pass writes 8 floats into each of the destination's cols lines.
                for (int i = 0; i < blockedRows; i += 8)
                    for (int j = 0; j < blockedCols; j += 8)
                        GemmPacking.Transpose8x8(src + (nint)i * cols + j, cols, to + (nint)j * rows + i, rows);
            }
            // What the blocks left: the last rows % 8 rows, and the last cols % 8 columns of the blocked rows.
            for (int i = 0; i < rows; i++)
                for (int j = i < blockedRows ? blockedCols : 0; j < cols; j++)
                    to[(nint)j * rows + i] = src[(nint)i * cols + j];
        }
    }
}
