using ShapeSafe.Kernels.Gemm;

namespace ShapeSafe.Tests.Kernels;

public class GemmBatchedTests
{
    // (batch, m, n, k): tiny products (run in parallel over the batch) and big ones (each split alone).
    [Theory]
    [InlineData(3, 7, 5, 9, 1, 1)]
    [InlineData(3, 7, 5, 9, 0, 1)]
    [InlineData(3, 7, 5, 9, 1, 0)]
    [InlineData(64, 16, 16, 16, 1, 1)]
    [InlineData(64, 16, 16, 16, 0, 1)]
    [InlineData(2, 100, 90, 70, 1, 0)]
    public void Matches_the_reference_with_shared_or_separate_operands(int batch, int m, int n, int k, int aShared, int bShared)
    {
        var rng = new System.Random(batch * 31 + m);
        // Operands padded per batch entry (batch stride larger than one matrix); stride 0 shares one matrix.
        int aBatchStride = aShared == 1 ? 0 : m * k + 3;
        int bBatchStride = bShared == 1 ? 0 : k * n + 1;
        int cBatchStride = m * n + 2;
        float[] a = Random(rng, 2 + (aShared == 1 ? m * k : batch * aBatchStride));
        float[] b = Random(rng, 1 + (bShared == 1 ? k * n : batch * bBatchStride));
        float[] c = Random(rng, batch * cBatchStride);

        float[] expected = (float[])c.Clone();
        GemmReference.SgemmBatched(batch, m, n, k, 2f, a, 2, aBatchStride, k, 1, b, 1, bBatchStride, 1, k,
            0.5f, expected, 0, cBatchStride, n, 1);
        float[] actual = (float[])c.Clone();
        GemmKernel.SgemmBatched(batch, m, n, k, 2f, a, 2, aBatchStride, k, 1, b, 1, bBatchStride, 1, k,
            0.5f, actual, 0, cBatchStride, n, 1);

        for (int t = 0; t < c.Length; t++)
            Assert.True(Math.Abs(actual[t] - expected[t]) <= 1e-6 * (k + 2) * 4, $"element {t}: {actual[t]} vs {expected[t]}");
        // The two padding elements after each product stay as they were.
        for (int s = 0; s < batch; s++)
            Assert.Equal(c[s * cBatchStride + m * n], actual[s * cBatchStride + m * n]);
    }

    [Fact]
    public void Each_product_matches_its_own_single_call()
    {
        var rng = new System.Random(7);
        const int batch = 5, m = 33, n = 17, k = 65;
        float[] a = Random(rng, batch * m * k), b = Random(rng, batch * k * n);
        float[] batched = new float[batch * m * n];
        GemmKernel.SgemmBatched(batch, m, n, k, 1f, a, 0, m * k, k, 1, b, 0, k * n, n, 1, 0f, batched, 0, m * n, n, 1);
        for (int s = 0; s < batch; s++)
        {
            float[] single = new float[m * n];
            GemmKernel.Sgemm(m, n, k, 1f, a, s * m * k, k, 1, b, s * k * n, n, 1, 0f, single, 0, n, 1);
            Assert.Equal(single, batched.AsSpan(s * m * n, m * n).ToArray());
        }
    }

    [Fact]
    public void Rejects_an_output_batch_stride_of_zero()
    {
        Assert.Throws<ArgumentException>(() => GemmKernel.SgemmBatched(2, 2, 2, 2, 1f,
            new float[4], 0, 0, 2, 1, new float[4], 0, 0, 2, 1, 0f, new float[4], 0, 0, 2, 1));
    }

    [Fact]
    public void Empty_batch_does_nothing()
    {
        float[] c = [1, 2];
        GemmKernel.SgemmBatched(0, 1, 2, 3, 1f, [], 0, 0, 0, 0, [], 0, 0, 0, 0, 0f, c, 0, 0, 2, 1);
        Assert.Equal([1f, 2], c);
    }

    private static float[] Random(System.Random rng, int length)
    {
        var data = new float[length];
        for (int i = 0; i < length; i++)
            data[i] = (float)(rng.NextDouble() * 2 - 1);
        return data;
    }
}
