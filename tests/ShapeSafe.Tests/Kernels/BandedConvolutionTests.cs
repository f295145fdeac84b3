using ShapeSafe.Kernels.Convolution;
using ShapeSafe.NN;

namespace ShapeSafe.Tests.Kernels;

/// <summary>
/// Images too large for one column matrix are convolved in bands of output rows: each band against the reference
/// (cut small on small images so every band edge, padding row and stride is hit), and one large image through
/// <see cref="F.Conv2d"/> checked on a few rows.
/// </summary>
public class BandedConvolutionTests
{
    public static TheoryData<ConvolutionKernelTests.Case, int> Cases() => new()
    {
        { new(1, 3, 4, 9, 7, 3, 1, 1, 1), 2 },            // "same" convolution: the contiguous-row path
        { new(2, 3, 4, 9, 7, 3, 1, 1, 1), 4 },            // two images, a short last band
        { new(2, 2, 3, 11, 8, 3, 2, 1, 1), 2 },           // stride 2
        { new(1, 2, 3, 12, 9, 3, 1, 2, 2), 3 },           // dilation, padding wider than one tap
        { new(2, 4, 6, 9, 8, 3, 2, 1, 1, Groups: 2), 1 }, // groups, one row a band
        { new(1, 3, 2, 6, 6, 5, 1, 0, 1), 1 },            // no padding
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Bands_give_the_reference_forward_and_gradients(ConvolutionKernelTests.Case c, int bandRows)
    {
        var g = c.Geometry();
        var random = new System.Random(c.GetHashCode());
        var input = ConvolutionKernelTests.RandomArray(random, g.Batch * g.InImage);
        var weight = ConvolutionKernelTests.RandomArray(random, g.WeightCount);
        var bias = ConvolutionKernelTests.RandomArray(random, g.OutChannels);
        var gradOutput = ConvolutionKernelTests.RandomArray(random, g.Batch * g.OutImage);

        var output = new float[g.Batch * g.OutImage];
        ConvolutionKernel.ForwardBanded(g, input, 0, weight, 0, bias, 0, output, 0, relu: false, bandRows);
        AssertClose(ConvolutionReference.Forward(g, input, weight, bias), output, "output");

        var gradInput = new float[g.Batch * g.InImage];
        var gradWeight = new float[g.WeightCount];
        var gradBias = new float[g.OutChannels];
        ConvolutionKernel.BackwardBanded(g, input, 0, weight, 0, gradOutput, 0, gradInput, 0, gradWeight, 0, gradBias, 0, null, 0, bandRows);
        AssertClose(ConvolutionReference.GradInput(g, weight, gradOutput), gradInput, "gradInput");
        AssertClose(ConvolutionReference.GradWeight(g, input, gradOutput), gradWeight, "gradWeight");
        AssertClose(ConvolutionReference.GradBias(g, gradOutput), gradBias, "gradBias");
    }

    [Fact]
    public void A_fused_relu_masks_the_banded_gradient()
    {
        var g = new ConvolutionKernelTests.Case(1, 2, 3, 8, 8, 3, 1, 1, 1).Geometry();
        var random = new System.Random(5);
        var input = ConvolutionKernelTests.RandomArray(random, g.InImage);
        var weight = ConvolutionKernelTests.RandomArray(random, g.WeightCount);
        var gradOutput = ConvolutionKernelTests.RandomArray(random, g.OutImage);
        var output = new float[g.OutImage];
        ConvolutionKernel.ForwardBanded(g, input, 0, weight, 0, null, 0, output, 0, relu: true, bandRows: 3);
        var expected = ConvolutionReference.Forward(g, input, weight, null).Select(v => Math.Max(v, 0)).ToArray();
        AssertClose(expected, output, "relu output");

        var gradWeight = new float[g.WeightCount];
        ConvolutionKernel.BackwardBanded(g, input, 0, weight, 0, gradOutput, 0, null, 0, gradWeight, 0, null, 0, output, 0, bandRows: 3);
        var masked = gradOutput.Select((v, i) => output[i] > 0 ? v : 0f).ToArray();
        AssertClose(ConvolutionReference.GradWeight(g, input, masked), gradWeight, "gradWeight");
    }

    [Fact]
    public void Images_past_the_threshold_are_cut_into_bands_and_others_are_not()
    {
        Assert.False(ConvolutionKernel.NeedsBands(new ConvolutionKernelTests.Case(64, 16, 32, 14, 14, 3, 1, 1, 1).Geometry()));
        var big = Conv2dGeometry.Create([1, 64, 2000, 2000], [1, 64, 3, 3], (1, 1), (1, 1), (1, 1));
        Assert.True(ConvolutionKernel.NeedsBands(big));
        // 576 column rows × 2000 columns a row: 3 output rows a band, about 3.5 M floats.
        Assert.Equal(3, ConvolutionKernel.BandRows(big));
    }

    [Fact]
    public void A_large_image_convolves_and_matches_the_reference_on_its_edge_and_middle_rows()
    {
        // 4 × 1200 × 1200: a 207 MB column matrix whole, which the kernel never builds (64 channels at 1500 needed 5.6 GB).
        const int channels = 4, size = 1200;
        var pixels = new float[channels * size * size];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (int)((uint)i * 2654435761u >> 20) / 4096f - 0.5f; // cheap, irregular values
        var input = Tensor.FromArray(pixels, 1, channels, size, size);
        var weight = Tensor.FromArray(ConvolutionKernelTests.RandomArray(new System.Random(3), 2 * channels * 9), 2, channels, 3, 3);
        var output = F.Conv2d(input, weight, padding: 1);
        Assert.Equal(new[] { 1, 2, size, size }, output.Shape);

        var x = input.ToFloatArray();
        var w = weight.ToFloatArray();
        var y = output.ToFloatArray();
        foreach (int oh in new[] { 0, 1, 2, 3, 4, 5, 599, 1197, 1198, 1199 })
        {
            for (int o = 0; o < 2; o++)
            {
                for (int ow = 0; ow < size; ow += oh == 0 ? 1 : 37)
                {
                    double expected = 0, magnitude = 0;
                    for (int c = 0; c < channels; c++)
                        for (int i = 0; i < 3; i++)
                            for (int j = 0; j < 3; j++)
                            {
                                int h = oh + i - 1, v = ow + j - 1;
                                if (h < 0 || h >= size || v < 0 || v >= size) continue;
                                double term = (double)x[(c * size + h) * size + v] * w[((o * channels + c) * 3 + i) * 3 + j];
                                expected += term;
                                magnitude += Math.Abs(term);
                            }
                    float actual = y[(o * size + oh) * size + ow];
                    Assert.True(Math.Abs(actual - expected) <= 1e-5 * (magnitude + 1), $"output[{o}, {oh}, {ow}] = {actual}, expected {expected}");
                }
            }
        }
    }

    /// <summary>
    /// The reported case itself: a [1, 64, 2000, 2000] image (1 GB) threw inside Im2Col (int32 offsets past 2^31).
    /// All ones with a 3×3 kernel of ones and padding 1: each output counts the taps inside the image times 64,
    /// so every value is exact (576 inside, 384 on an edge, 256 in a corner). About 1 GB and a few seconds.
    /// </summary>
    [Fact]
    [Trait("Category", "LargeMemory")]
    public void The_reported_2000_by_2000_image_with_64_channels_convolves_exactly()
    {
        var output = F.Conv2d(Tensor.Ones(1, 64, 2000, 2000), Tensor.Ones(1, 64, 3, 3), padding: 1);

        Assert.Equal(new[] { 1, 1, 2000, 2000 }, output.Shape);
        var y = output.ToFloatArray();
        foreach (int row in new[] { 0, 1, 2, 999, 1000, 1997, 1998, 1999 })
        {
            for (int column = 0; column < 2000; column++)
            {
                int taps = (row is 0 or 1999 ? 2 : 3) * (column is 0 or 1999 ? 2 : 3);
                Assert.Equal(64f * taps, y[row * 2000 + column]);
            }
        }
    }

    static void AssertClose(double[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-4 * (Math.Abs(expected[i]) + 1), $"{what}[{i}]: got {actual[i]}, expected {expected[i]}");
    }
}
