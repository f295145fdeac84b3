using ShapeSafe.Kernels.Pooling;

namespace ShapeSafe.Tests.Kernels;

/// <summary><see cref="MaxPoolKernel"/> and <see cref="AvgPoolKernel"/> against <see cref="PoolingReference"/>.</summary>
public class PoolingKernelTests
{
    public record Case(int Planes, int Height, int Width, int Kernel, int Stride, int Padding, int Dilation)
    {
        internal Pool2dGeometry Geometry(string op = "MaxPool2d") => Pool2dGeometry.Create(new[] { Planes, Height, Width },
            (Kernel, Kernel), (Stride, Stride), (Padding, Padding), (Dilation, Dilation), op);

        public override string ToString() => $"P{Planes} {Height}x{Width} k{Kernel} s{Stride} p{Padding} d{Dilation}";
    }

    public static TheoryData<Case> Cases()
    {
        var data = new TheoryData<Case>
        {
            new(1, 1, 1, 1, 1, 0, 1),
            new(3, 2, 2, 2, 2, 1, 1),      // every window half padding
            new(64, 28, 28, 2, 2, 0, 1),   // the CNN's pool, enough work for threads
            new(5, 17, 7, 3, 1, 1, 1),     // overlapping windows
            new(4, 17, 17, 5, 3, 2, 2),    // dilated
        };
        var random = new System.Random(99);
        int[] sizes = { 1, 7, 17 }, kernels = { 1, 2, 3, 5 }, strides = { 1, 2, 3 };
        int added = 0;
        while (added < 30)
        {
            int k = kernels[random.Next(kernels.Length)];
            var c = new Case(1 + random.Next(6), sizes[random.Next(3)], sizes[random.Next(3)], k,
                strides[random.Next(3)], random.Next(k / 2 + 1), 1 + random.Next(2));
            int span = c.Dilation * (c.Kernel - 1) + 1;
            if (c.Height + 2 * c.Padding < span || c.Width + 2 * c.Padding < span)
                continue;
            data.Add(c);
            added++;
        }
        return data;
    }

    // Distinct values (a shuffled ramp), so every window has one maximum.
    static float[] Distinct(System.Random random, int length)
    {
        var a = Enumerable.Range(0, length).Select(i => (float)(i - length / 2) * 0.25f).ToArray();
        random.Shuffle(a);
        return a;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Max_pool_matches_the_reference(Case c)
    {
        var g = c.Geometry();
        var random = new System.Random(c.GetHashCode());
        var input = Distinct(random, g.Planes * g.InPlane);
        var (values, indices) = PoolingReference.MaxPool(g, input);

        var output = new float[2 + values.Length];
        var found = new long[2 + values.Length];
        MaxPoolKernel.Forward(g, Shift(input, 2), 2, output, 2, found, 2);
        Assert.Equal(values, output[2..]);
        Assert.Equal(indices, found[2..]);

        // Backward: each output gradient lands on its argmax (several when windows overlap).
        var gradOutput = ConvolutionKernelTests.RandomArray(random, values.Length);
        var expected = new double[g.Planes * g.InPlane];
        for (int o = 0; o < values.Length; o++)
            expected[o / g.OutPlane * g.InPlane + indices[o]] += gradOutput[o];
        var gradInput = Enumerable.Repeat(7f, 2 + expected.Length).ToArray();
        MaxPoolKernel.Backward(g, Shift(gradOutput, 2), 2, found, 2, gradInput, 2);
        AssertClose(expected, gradInput, 2, 1e-6 * (g.KernelHeight * g.KernelWidth));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Avg_pool_matches_the_reference(Case c)
    {
        if (c.Dilation != 1)
            return;     // avg_pool2d has no dilation
        var g = c.Geometry("AvgPool2d");
        var random = new System.Random(c.GetHashCode());
        var input = ConvolutionKernelTests.RandomArray(random, g.Planes * g.InPlane);
        var gradOutput = ConvolutionKernelTests.RandomArray(random, g.Planes * g.OutPlane);
        foreach (bool countIncludePad in new[] { true, false })
        {
            var output = new float[1 + g.Planes * g.OutPlane];
            AvgPoolKernel.Forward(g, Shift(input, 1), 1, output, 1, countIncludePad);
            AssertClose(PoolingReference.AvgPool(g, input, countIncludePad), output, 1, 1e-6);

            var gradInput = Enumerable.Repeat(7f, 1 + g.Planes * g.InPlane).ToArray();
            AvgPoolKernel.Backward(g, Shift(gradOutput, 1), 1, gradInput, 1, countIncludePad);
            AssertClose(PoolingReference.AvgPoolBackward(g, gradOutput, countIncludePad), gradInput, 1, 1e-6);
        }
    }

    [Fact]
    public void Max_pool_ties_go_to_the_first_maximum_and_padding_never_wins()
    {
        var g = new Case(1, 2, 3, 2, 2, 1, 1).Geometry();
        // 2x3 plane of equal negative values: windows overlap padding; the first real element wins.
        var input = new float[] { -1, -1, -1, -1, -1, -1 };
        var output = new float[g.Planes * g.OutPlane];
        var indices = new long[output.Length];
        MaxPoolKernel.Forward(g, input, 0, output, 0, indices, 0);
        Assert.Equal(new[] { 2, 2 }, new[] { g.OutHeight, g.OutWidth });
        Assert.Equal(new float[] { -1, -1, -1, -1 }, output);
        Assert.Equal(new long[] { 0, 1, 3, 4 }, indices);
    }

    [Fact]
    public void Two_by_two_fast_path_keeps_the_first_of_equal_maxima()
    {
        var g = new Case(1, 2, 4, 2, 2, 0, 1).Geometry();
        var output = new float[2];
        var indices = new long[2];
        MaxPoolKernel.Forward(g, new float[] { 3, 1, 2, 5, 0, 3, 5, 5 }, 0, output, 0, indices, 0);
        Assert.Equal(new float[] { 3, 5 }, output);
        Assert.Equal(new long[] { 0, 3 }, indices);
    }

    [Fact]
    public void Max_pool_propagates_nan_like_pytorch()
    {
        var g = new Case(1, 2, 2, 2, 2, 0, 1).Geometry();
        var output = new float[1];
        var indices = new long[1];
        MaxPoolKernel.Forward(g, new[] { 1f, float.NaN, 5f, 2f }, 0, output, 0, indices, 0);
        Assert.True(float.IsNaN(output[0]));
        Assert.Equal(1, indices[0]);
    }

    [Theory]
    [InlineData(1, 4, 4)]
    [InlineData(3, 7, 17)]
    [InlineData(2, 17, 7)]
    [InlineData(64, 14, 14)]
    [InlineData(5, 28, 28)]
    [InlineData(1, 255, 17)]
    [InlineData(1, 1025, 3)]
    public void Two_by_two_vector_path_matches_the_scalar_kernel_bit_for_bit(int planes, int height, int width)
    {
        var g = new Case(planes, height, width, 2, 2, 0, 1).Geometry();
        var random = new System.Random(planes * 1000 + height * 31 + width);
        // Few distinct values, so windows hold ties, and a sprinkling of NaN (the last NaN of a window wins).
        var input = new float[3 + g.Planes * g.InPlane];
        for (int i = 0; i < input.Length; i++)
            input[i] = random.Next(50) == 0 ? float.NaN : random.Next(4) - 2;

        var output = new float[1 + g.Planes * g.OutPlane];
        var indices = new long[1 + output.Length];
        if (TwoByTwoGathered.IsSupported(g))
            TwoByTwoGathered.Forward(g, 0, g.Planes, input, 3, output, 1, indices, 2);
        else
            MaxPoolKernel.Forward(g, input, 3, output, 1, indices, 2);

        var expected = new float[output.Length];
        var expectedIndices = new long[indices.Length];
        for (int p = 0; p < g.Planes; p++)
            MaxPoolKernel.ForwardPlaneTwoByTwo(g, input, 3 + p * g.InPlane, expected, 1 + p * g.OutPlane, expectedIndices, 2 + p * g.OutPlane);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), output.Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(expectedIndices, indices);
    }

    static void AssertClose(double[] expected, float[] actual, int offset, double tolerance)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[offset + i]) <= tolerance * (1 + Math.Abs(expected[i])),
                $"[{i}]: got {actual[offset + i]}, expected {expected[i]}");
    }

    static float[] Shift(float[] a, int pad)
    {
        var shifted = new float[pad + a.Length];
        a.CopyTo(shifted, pad);
        return shifted;
    }
}
