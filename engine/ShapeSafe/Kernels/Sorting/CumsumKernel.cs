namespace ShapeSafe.Kernels.Sorting;

/// <summary>
/// Running sums along the middle dim of a contiguous <c>[Outer, Size, Inner]</c> block, from the front or (for the
/// backward) from the back. Float32 sums accumulate in double and round each partial sum, as ATen's CPU cumsum does
/// (its accumulate type for float is double), so results match LibTorch's bit for bit.
/// </summary>
internal static class CumsumKernel
{
    public static void Cumsum(float[] source, int start, int outer, int size, int inner, bool reverse, float[] destination)
    {
        for (int o = 0; o < outer; o++)
            for (int n = 0; n < inner; n++)
            {
                int line = o * size * inner + n;
                double sum = 0;
                for (int s = 0; s < size; s++)
                {
                    int at = line + (reverse ? size - 1 - s : s) * inner;
                    sum += source[start + at];
                    destination[at] = (float)sum;
                }
            }
    }

    public static void Cumsum(long[] source, int start, int outer, int size, int inner, long[] destination)
    {
        for (int o = 0; o < outer; o++)
            for (int n = 0; n < inner; n++)
            {
                int line = o * size * inner + n;
                long sum = 0;
                for (int s = 0; s < size; s++)
                {
                    int at = line + s * inner;
                    sum += source[start + at];
                    destination[at] = sum;
                }
            }
    }
}
