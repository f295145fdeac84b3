using ShapeSafe.Tests.TestSupport;
using ShapeSafe.Kernels.Convolution;

namespace ShapeSafe.Tests.Kernels;

/// <summary>
/// <see cref="ConvolutionKernel"/> against the double-precision nested loops of <see cref="ConvolutionReference"/>,
/// forward and all three gradients, on shapes with odd edges. Each element's tolerance is the float error
/// bound of its sum: reduction length × 2⁻²³ × the sum of the absolute values of its terms.
/// </summary>
public class ConvolutionKernelTests
{
    public record Case(int Batch, int InChannels, int OutChannels, int Height, int Width, int Kernel,
        int Stride, int Padding, int Dilation, int Groups = 1)
    {
        internal Conv2dGeometry Geometry() => Conv2dGeometry.Create(
            new[] { Batch, InChannels, Height, Width }, new[] { OutChannels, InChannels / Groups, Kernel, Kernel },
            (Stride, Stride), (Padding, Padding), (Dilation, Dilation), Groups);

        public override string ToString() =>
            $"N{Batch} C{InChannels} O{OutChannels} {Height}x{Width} k{Kernel} s{Stride} p{Padding} d{Dilation} g{Groups}";
    }

    /// <summary>Explicit edge cases, then a seeded sample of the grid the brief asks for.</summary>
    public static TheoryData<Case> Cases()
    {
        var data = new TheoryData<Case>
        {
            new(1, 1, 1, 1, 1, 1, 1, 0, 1),             // a single pixel
            new(1, 1, 1, 1, 1, 3, 1, 1, 1),             // 1x1 image, only the centre tap is real
            new(3, 3, 16, 7, 7, 1, 1, 0, 1),            // pointwise: no im2col
            new(2, 3, 4, 7, 5, 1, 2, 0, 1),             // 1x1 with stride: im2col again
            new(1, 16, 3, 17, 17, 5, 3, 2, 2),          // every knob at once
            new(3, 1, 16, 28, 28, 3, 1, 1, 1),          // the CNN's first layer, small batch
            new(2, 16, 32, 14, 14, 3, 1, 1, 1),         // the CNN's second layer
            new(3, 4, 6, 9, 8, 3, 2, 1, 1, Groups: 2),  // groups
            new(2, 6, 6, 7, 7, 3, 1, 1, 2, Groups: 6),  // depthwise, dilated
            new(2, 3, 2, 5, 6, 5, 1, 2, 1),             // kernel as big as the padded width allows
            new(20, 2, 3, 5, 5, 3, 1, 0, 1),            // more images than backward chunks
        };
        var random = new System.Random(20240611);
        int[] sizes = { 1, 7, 17 }, kernels = { 1, 3, 5 }, strides = { 1, 2, 3 }, pads = { 0, 1, 2 },
            dilations = { 1, 2 }, batches = { 1, 3 }, channels = { 1, 3, 16 };
        int added = 0;
        while (added < 40)
        {
            var c = new Case(Pick(random, batches), Pick(random, channels), Pick(random, channels),
                Pick(random, sizes), Pick(random, sizes), Pick(random, kernels),
                Pick(random, strides), Pick(random, pads), Pick(random, dilations));
            int span = c.Dilation * (c.Kernel - 1) + 1;
            if (c.Height + 2 * c.Padding < span || c.Width + 2 * c.Padding < span)
                continue;   // the rule refuses these (tested separately)
            data.Add(c);
            added++;
        }
        return data;
    }

    static int Pick(System.Random random, int[] values) => values[random.Next(values.Length)];

    internal static float[] RandomArray(System.Random random, int length)
    {
        var a = new float[length];
        for (int i = 0; i < length; i++) a[i] = (float)(random.NextDouble() * 2 - 1);
        return a;
    }

    static float[] Abs(float[] a) => a.Select(Math.Abs).ToArray();

    static void AssertWithinBound(double[] expected, double[] absTerms, int reductionLength, float[] actual, int offset, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double bound = (reductionLength + 2) * Math.Pow(2, -23) * absTerms[i] + 1e-30;
            double error = Math.Abs(actual[offset + i] - expected[i]);
            Assert.True(error <= bound, $"{what}[{i}]: got {actual[offset + i]}, expected {expected[i]} (error {error:g3} > bound {bound:g3})");
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_and_gradients_match_the_reference(Case c)
    {
        var g = c.Geometry();
        var random = new System.Random(c.GetHashCode());
        var input = RandomArray(random, g.Batch * g.InImage);
        var weight = RandomArray(random, g.WeightCount);
        var bias = RandomArray(random, g.OutChannels);
        var gradOutput = RandomArray(random, g.Batch * g.OutImage);

        // Offsets inside larger arrays, as tensors that are views of bigger storage would have.
        const int pad = 3;
        var output = new float[pad + g.Batch * g.OutImage];
        ConvolutionKernel.Forward(g, Shift(input, pad), pad, Shift(weight, pad), pad, Shift(bias, pad), pad, output, pad);
        AssertWithinBound(ConvolutionReference.Forward(g, input, weight, bias),
            ConvolutionReference.Forward(g, Abs(input), Abs(weight), Abs(bias)), g.ColumnRows + 1, output, pad, "output");

        var gradInput = Filled(pad + g.Batch * g.InImage);
        var gradWeight = Filled(pad + g.WeightCount);
        var gradBias = Filled(pad + g.OutChannels);
        ConvolutionKernel.Backward(g, Shift(input, pad), pad, Shift(weight, pad), pad, Shift(gradOutput, pad), pad,
            gradInput, pad, gradWeight, pad, gradBias, pad);
        AssertWithinBound(ConvolutionReference.GradInput(g, weight, gradOutput),
            ConvolutionReference.GradInput(g, Abs(weight), Abs(gradOutput)), g.GroupOutChannels * c.Kernel * c.Kernel, gradInput, pad, "gradInput");
        AssertWithinBound(ConvolutionReference.GradWeight(g, input, gradOutput),
            ConvolutionReference.GradWeight(g, Abs(input), Abs(gradOutput)), g.Batch * g.OutPlane, gradWeight, pad, "gradWeight");
        AssertWithinBound(ConvolutionReference.GradBias(g, gradOutput),
            ConvolutionReference.GradBias(g, Abs(gradOutput)), g.Batch * g.OutPlane, gradBias, pad, "gradBias");
    }

    [Fact]
    public void Single_gradient_entry_points_agree_with_the_fused_backward()
    {
        var g = new Case(3, 3, 5, 9, 9, 3, 2, 1, 1).Geometry();
        var random = new System.Random(7);
        var input = RandomArray(random, g.Batch * g.InImage);
        var weight = RandomArray(random, g.WeightCount);
        var gradOutput = RandomArray(random, g.Batch * g.OutImage);
        float[] gi = new float[g.Batch * g.InImage], gw = new float[g.WeightCount], gb = new float[g.OutChannels];
        ConvolutionKernel.Backward(g, input, 0, weight, 0, gradOutput, 0, gi, 0, gw, 0, gb, 0);

        float[] gi2 = Filled(gi.Length), gw2 = Filled(gw.Length), gb2 = Filled(gb.Length);
        ConvolutionKernel.BackwardInput(g, weight, 0, gradOutput, 0, gi2, 0);
        ConvolutionKernel.BackwardWeight(g, input, 0, gradOutput, 0, gw2, 0);
        ConvolutionKernel.BackwardBias(g, gradOutput, 0, gb2, 0);
        Assert.Equal(gi, gi2);
        Assert.Equal(gw, gw2);
        Assert.Equal(gb, gb2);
    }

    [Fact]
    public void Results_are_bitwise_the_same_for_any_thread_count()
    {
        var g = new Case(13, 16, 32, 14, 14, 3, 1, 1, 1).Geometry();
        var random = new System.Random(11);
        var input = RandomArray(random, g.Batch * g.InImage);
        var weight = RandomArray(random, g.WeightCount);
        var bias = RandomArray(random, g.OutChannels);
        var gradOutput = RandomArray(random, g.Batch * g.OutImage);

        (float[], float[], float[], float[]) Run(int threads) => Threads.With(threads, () =>
        {
            var output = new float[g.Batch * g.OutImage];
            ConvolutionKernel.Forward(g, input, 0, weight, 0, bias, 0, output, 0);
            float[] gi = new float[g.Batch * g.InImage], gw = new float[g.WeightCount], gb = new float[g.OutChannels];
            ConvolutionKernel.Backward(g, input, 0, weight, 0, gradOutput, 0, gi, 0, gw, 0, gb, 0);
            return (output, gi, gw, gb);
        });

        var one = Run(1);
        foreach (int threads in new[] { 2, 3, 8 })
        {
            var many = Run(threads);
            Assert.Equal(one.Item1, many.Item1);
            Assert.Equal(one.Item2, many.Item2);
            Assert.Equal(one.Item3, many.Item3);
            Assert.Equal(one.Item4, many.Item4);
        }
    }

    [Fact]
    public void Empty_batch_gives_zero_weight_and_bias_gradients()
    {
        var g = new Case(0, 2, 3, 5, 5, 3, 1, 1, 1).Geometry();
        float[] gw = Filled(g.WeightCount), gb = Filled(g.OutChannels);
        ConvolutionKernel.Backward(g, [], 0, new float[g.WeightCount], 0, [], 0, [], 0, gw, 0, gb, 0);
        Assert.All(gw, v => Assert.Equal(0f, v));
        Assert.All(gb, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Chunk_count_depends_on_shapes_only()
    {
        // Chunks hold as many images as keep a column matrix within the budget: 27 x 25 floats per image here ...
        Assert.Equal(1, ConvolutionKernel.ChunkCount(new Case(1, 3, 3, 5, 5, 3, 1, 1, 1).Geometry()));
        Assert.Equal(1, ConvolutionKernel.ChunkCount(new Case(3, 3, 3, 5, 5, 3, 1, 1, 1).Geometry()));
        // ... the CNN's layers: 9 x 784 floats per image (18 images a chunk), 144 x 196 (4 images a chunk) ...
        Assert.Equal(4, ConvolutionKernel.ChunkCount(new Case(64, 1, 16, 28, 28, 3, 1, 1, 1).Geometry()));
        Assert.Equal(16, ConvolutionKernel.ChunkCount(new Case(64, 16, 32, 14, 14, 3, 1, 1, 1).Geometry()));
        // ... and one image bigger than the budget is a chunk of its own.
        Assert.Equal(5, ConvolutionKernel.ChunkCount(new Case(5, 64, 8, 32, 32, 3, 1, 1, 1).Geometry()));
    }

    // Garbage where results go: the kernels must overwrite, not add.
    static float[] Filled(int length) => Enumerable.Repeat(12345f, length).ToArray();

    static float[] Shift(float[] a, int pad)
    {
        var shifted = new float[pad + a.Length];
        a.CopyTo(shifted, pad);
        return shifted;
    }
}
