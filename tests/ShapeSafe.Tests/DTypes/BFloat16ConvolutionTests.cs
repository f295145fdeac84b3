using ShapeSafe;
using ShapeSafe.Kernels.Convolution;
using ShapeSafe.NN;

namespace ShapeSafe.Tests.DTypes;

using Autograd = ShapeSafe.Autograd;

/// <summary>
/// BFloat16 convolutions read their BFloat16 operands directly (widening them in im2col and the GEMM's packing). The
/// reference is the path they replace: each operand widened to a float32 tensor, the float32 convolution, the result
/// rounded once; its gradients are the float32 ones rounded once. The sums run in the same order, so every value and
/// gradient must be bitwise the reference's.
/// </summary>
public class BFloat16ConvolutionTests
{
    public sealed record Geometry(string Name, int Batch, int InChannels, int Height, int Width, int OutChannels, int KernelHeight,
        int KernelWidth, (int, int) Stride, (int, int) Padding, (int, int) Dilation, int Groups, bool Bias, bool Unbatched = false)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Geometry> Geometries() => new()
    {
        new("same 3x3, bias", 2, 3, 7, 6, 4, 3, 3, (1, 1), (1, 1), (1, 1), 1, true),
        new("stride 2, dilation 2, no bias", 3, 2, 11, 9, 5, 3, 2, (2, 2), (0, 0), (2, 2), 1, false),
        new("groups 2, stride (2, 1), padding (1, 2)", 2, 4, 9, 8, 6, 3, 3, (2, 1), (1, 2), (1, 1), 2, true),
        new("1x1 kernel", 3, 5, 4, 6, 7, 1, 1, (1, 1), (0, 0), (1, 1), 1, true),
        new("1x1 kernel, stride 2", 2, 4, 5, 5, 3, 1, 1, (2, 2), (0, 0), (1, 1), 1, false),
        new("depthwise (one output channel per group)", 2, 3, 6, 6, 3, 3, 3, (1, 1), (1, 1), (1, 1), 3, true),
        new("unbatched", 1, 3, 6, 5, 2, 2, 3, (1, 1), (1, 0), (1, 1), 1, true, Unbatched: true),
        // The Fashion-MNIST CNN's layers: the first runs the unpacked GEMM route, the second the packed one; both
        // batches cut into several chunks.
        new("CNN conv1, 20 images", 20, 1, 28, 28, 16, 3, 3, (1, 1), (1, 1), (1, 1), 1, true),
        new("CNN conv2, 9 images", 9, 16, 14, 14, 32, 3, 3, (1, 1), (1, 1), (1, 1), 1, true),
    };

    static Tensor BFloat16Leaf(System.Random rng, params int[] shape)
    {
        int count = shape.Aggregate(1, (x, y) => x * y);
        var t = Tensor.FromArray(Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray(), shape)
            .ToDType(DType.BFloat16);
        t.RequiresGrad = true;
        return t;
    }

    static int[] Bits(Tensor t) => t.ToFloatArray().Select(BitConverter.SingleToInt32Bits).ToArray();

    static (Tensor X, Tensor W, Tensor? B) Operands(Geometry g, int seed)
    {
        var rng = new System.Random(seed);
        var x = g.Unbatched ? BFloat16Leaf(rng, g.InChannels, g.Height, g.Width) : BFloat16Leaf(rng, g.Batch, g.InChannels, g.Height, g.Width);
        var w = BFloat16Leaf(rng, g.OutChannels, g.InChannels / g.Groups, g.KernelHeight, g.KernelWidth);
        var b = g.Bias ? BFloat16Leaf(rng, g.OutChannels) : null;
        return (x, w, b);
    }

    static Tensor Conv(Geometry g, Tensor x, Tensor w, Tensor? b, bool relu) =>
        Tensor.Conv2dCore(x, w, b, g.Stride, g.Padding, g.Dilation, g.Groups, relu);

    // The replaced path: widen the whole operands, convolve in float32, round the result once.
    static Tensor ThroughFloat32(Geometry g, Tensor x, Tensor w, Tensor? b, bool relu) =>
        Conv(g, x.ToDType(DType.Float32), w.ToDType(DType.Float32), b?.ToDType(DType.Float32), relu).ToDType(DType.BFloat16);

    static Tensor UpstreamGradient(Tensor y, int seed)
    {
        var rng = new System.Random(seed);
        return Tensor.FromArray(Enumerable.Range(0, (int)y.NumEl).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), y.Shape.ToArray())
            .ToDType(DType.BFloat16);
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Conv2dEqualsTheWidenedFloat32ConvolutionRoundedOnceWithItsGradients(Geometry g)
    {
        foreach (bool relu in new[] { false, true })
        {
            var (x, w, b) = Operands(g, 7);
            var y = Conv(g, x, w, b, relu);
            var (xr, wr, br) = Operands(g, 7);
            var reference = ThroughFloat32(g, xr, wr, br, relu);

            Assert.Equal(DType.BFloat16, y.DType);
            Assert.Equal(reference.Shape, y.Shape);
            Assert.Equal(Bits(reference), Bits(y));
            Assert.Equal(relu ? "ReluBackward" : "ConvolutionBackward", y.GradFn);
            if (relu)
                Assert.Contains(y.ToFloatArray(), v => v == 0);

            var upstream = UpstreamGradient(y, 11);
            y.Backward(upstream);
            reference.Backward(upstream);
            Assert.Equal(DType.BFloat16, x.Grad!.DType);
            Assert.Equal(DType.BFloat16, w.Grad!.DType);
            Assert.Equal(Bits(xr.Grad!), Bits(x.Grad));
            Assert.Equal(Bits(wr.Grad!), Bits(w.Grad));
            if (b is not null)
            {
                Assert.Equal(DType.BFloat16, b.Grad!.DType);
                Assert.Equal(Bits(br!.Grad!), Bits(b.Grad));
            }
        }
    }

    [Fact]
    public void OnlyTheGradientsAskedForAreComputed()
    {
        var g = new Geometry("weight only", 2, 3, 6, 6, 4, 3, 3, (1, 1), (1, 1), (1, 1), 1, true);
        var (x, w, b) = Operands(g, 3);
        x.RequiresGrad = false;
        b!.RequiresGrad = false;
        var (xr, wr, br) = Operands(g, 3);
        xr.RequiresGrad = false;
        br!.RequiresGrad = false;
        var y = Conv(g, x, w, b, relu: false);
        var reference = ThroughFloat32(g, xr, wr, br, relu: false);
        var upstream = UpstreamGradient(y, 5);
        y.Backward(upstream);
        reference.Backward(upstream);
        Assert.Null(x.Grad);
        Assert.Null(b.Grad);
        Assert.Equal(Bits(wr.Grad!), Bits(w.Grad!));
    }

    [Fact]
    public void Conv1dRunsTheBFloat16ConvolutionWithItsGradients()
    {
        var rng = new System.Random(21);
        var x = BFloat16Leaf(rng, 3, 4, 17);
        var w = BFloat16Leaf(rng, 6, 2, 3);
        var b = BFloat16Leaf(rng, 6);
        var y = F.Conv1d(x, w, b, stride: 2, padding: 1, dilation: 2, groups: 2);
        var rng2 = new System.Random(21);
        var (xr, wr, br) = (BFloat16Leaf(rng2, 3, 4, 17), BFloat16Leaf(rng2, 6, 2, 3), BFloat16Leaf(rng2, 6));
        var reference = F.Conv1d(xr.ToDType(DType.Float32), wr.ToDType(DType.Float32), br.ToDType(DType.Float32), stride: 2, padding: 1, dilation: 2, groups: 2)
            .ToDType(DType.BFloat16);
        Assert.Equal(new[] { 3, 6, 8 }, y.Shape);
        Assert.Equal(DType.BFloat16, y.DType);
        Assert.Equal(Bits(reference), Bits(y));
        var upstream = UpstreamGradient(y, 2);
        y.Backward(upstream);
        reference.Backward(upstream);
        Assert.Equal(Bits(xr.Grad!), Bits(x.Grad!));
        Assert.Equal(Bits(wr.Grad!), Bits(w.Grad!));
        Assert.Equal(Bits(br.Grad!), Bits(b.Grad!));
    }

    [Theory]
    [InlineData(2, 1, 0, 0, 1, true)]
    [InlineData(2, 1, 1, 1, 2, false)]
    [InlineData(1, 3, 1, 0, 1, true)]
    public void ConvTranspose2dEqualsTheWidenedFloat32OneRoundedOnceWithItsGradients(int stride, int groups, int padding, int outputPadding, int dilation, bool bias)
    {
        var rng = new System.Random(stride * 100 + groups * 10 + padding);
        int inChannels = 3 * groups, outPerGroup = 2;
        var x = BFloat16Leaf(rng, 2, inChannels, 5, 6);
        var w = BFloat16Leaf(rng, inChannels, outPerGroup, 3, 3);
        var b = bias ? BFloat16Leaf(rng, outPerGroup * groups) : null;
        var (xr, wr, br) = (x.Detach().Clone(), w.Detach().Clone(), b?.Detach().Clone());
        xr.RequiresGrad = wr.RequiresGrad = true;
        if (br is not null) br.RequiresGrad = true;
        var y = F.ConvTranspose2d(x, w, b, stride, padding, outputPadding, groups, dilation);
        var reference = F.ConvTranspose2d(xr.ToDType(DType.Float32), wr.ToDType(DType.Float32), br?.ToDType(DType.Float32),
            stride, padding, outputPadding, groups, dilation).ToDType(DType.BFloat16);
        Assert.Equal(DType.BFloat16, y.DType);
        Assert.Equal(reference.Shape, y.Shape);
        Assert.Equal(Bits(reference), Bits(y));
        Assert.Equal("ConvolutionBackward", y.GradFn);
        var upstream = UpstreamGradient(y, 9);
        y.Backward(upstream);
        reference.Backward(upstream);
        Assert.Equal(Bits(xr.Grad!), Bits(x.Grad!));
        Assert.Equal(Bits(wr.Grad!), Bits(w.Grad!));
        if (b is not null)
            Assert.Equal(Bits(br!.Grad!), Bits(b.Grad!));
    }

    [Fact]
    public void AFloat32Conv2dUnderAutocastGivesTheOldPathsValuesAndFloat32Gradients()
    {
        var rng = new System.Random(4);
        Tensor Leaf(params int[] shape)
        {
            var t = Tensor.FromArray(Enumerable.Range(0, shape.Aggregate(1, (p, q) => p * q)).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray(), shape);
            t.RequiresGrad = true;
            return t;
        }
        var x = Leaf(4, 3, 9, 9);
        var w = Leaf(5, 3, 3, 3);
        var b = Leaf(5);
        var (xr, wr, br) = (x.Detach().Clone(), w.Detach().Clone(), b.Detach().Clone());
        xr.RequiresGrad = wr.RequiresGrad = br.RequiresGrad = true;
        Tensor y;
        using (Autograd.Autocast(DType.BFloat16))
            y = F.Conv2d(x, w, b, stride: 2, padding: 1);
        // The path this replaces: the autocast casts, widened again to float32 tensors, the float32 convolution, one rounding.
        var lowered = (xr.ToDType(DType.BFloat16), wr.ToDType(DType.BFloat16), br.ToDType(DType.BFloat16));
        var reference = F.Conv2d(lowered.Item1.ToDType(DType.Float32), lowered.Item2.ToDType(DType.Float32), lowered.Item3.ToDType(DType.Float32),
            stride: 2, padding: 1).ToDType(DType.BFloat16);
        Assert.Equal(DType.BFloat16, y.DType);
        Assert.Equal(new[] { 4, 5, 5, 5 }, y.Shape);
        Assert.Equal(Bits(reference), Bits(y));
        var upstream = UpstreamGradient(y, 8);
        y.Backward(upstream);
        reference.Backward(upstream);
        foreach (var (p, r) in new[] { (x, xr), (w, wr), (b, br) })
        {
            Assert.Equal(DType.Float32, p.Grad!.DType);
            Assert.Equal(Bits(r.Grad!), Bits(p.Grad));
        }
    }

    [Fact]
    public void ABFloat16Conv2dChecksItsBiasShape()
    {
        var rng = new System.Random(1);
        var ex = Assert.Throws<ShapeException>(() => Tensor.Conv2d(BFloat16Leaf(rng, 1, 2, 5, 5), BFloat16Leaf(rng, 3, 2, 3, 3), BFloat16Leaf(rng, 4)));
        Assert.Contains("Conv2d", ex.Message);
        Assert.Contains("bias of shape [4] should be [3], one per output channel of weight [3, 2, 3, 3] (input [1, 2, 5, 5])", ex.Message);
    }

    [Fact]
    public void AnImageThatNeedsBandsGoesThroughFloat32TensorsWhichTheKernelsRefuse()
    {
        var rng = new System.Random(6);
        var x = BFloat16Leaf(rng, 1, 1, 1400, 1400);
        var w = BFloat16Leaf(rng, 1, 1, 3, 3);
        var g = Conv2dGeometry.Create(x.Shape.ToArray(), w.Shape.ToArray(), (1, 1), (1, 1), (1, 1));
        Assert.True(ConvolutionKernel.NeedsBands(g));
        var y = Tensor.Conv2d(x, w, null, (1, 1), (1, 1));
        var reference = Tensor.Conv2d(x.ToDType(DType.Float32), w.ToDType(DType.Float32), null, (1, 1), (1, 1)).ToDType(DType.BFloat16);
        Assert.Equal(Bits(reference), Bits(y));
        var ex = Assert.Throws<InvalidOperationException>(() =>
            ConvolutionKernel.ForwardBFloat16(g, new ushort[g.Batch * g.InImage], 0,
                new ushort[g.WeightCount], 0, null, 0, new ushort[g.Batch * g.OutImage], 0));
        Assert.Equal("ConvolutionKernel.ForwardBFloat16: an image of [1, 1400, 1400] needs bands, which only the float32 kernel cuts", ex.Message);
    }

    // (pool kernel, stride, padding, dilation): the fused op pools the rounded output, so values, argmax (ties among
    // rounded values included) and gradients are the unfused ops'. Overlapping windows run unfused.
    [Theory]
    [InlineData(2, 2, 0, 1, true)]
    [InlineData(3, 3, 1, 1, true)]
    [InlineData(2, 3, 0, 2, true)]
    [InlineData(3, 2, 1, 1, false)]
    public void TheFusedConvReluMaxPoolEqualsTheUnfusedBFloat16Ops(int kernel, int stride, int padding, int dilation, bool fuses)
    {
        var g = new Geometry("CNN conv2, 9 images", 9, 16, 14, 14, 32, 3, 3, (1, 1), (1, 1), (1, 1), 1, true);
        var (x, w, b) = Operands(g, 12);
        var (xr, wr, br) = Operands(g, 12);
        var pool = (kernel, kernel);
        var y = Tensor.Conv2dReluMaxPool(x, w, b, g.Stride, g.Padding, g.Dilation, g.Groups, pool, (stride, stride), (padding, padding), (dilation, dilation));
        var reference = Tensor.MaxPool2d(Conv(g, xr, wr, br, relu: true), pool, (stride, stride), (padding, padding), (dilation, dilation));
        Assert.Equal(DType.BFloat16, y.DType);
        Assert.Equal(reference.Shape, y.Shape);
        Assert.Equal(Bits(reference), Bits(y));
        Assert.Equal(fuses ? "MaxPool2DWithIndicesBackward" : reference.GradFn, y.GradFn);
        var upstream = UpstreamGradient(y, 13);
        y.Backward(upstream);
        reference.Backward(upstream);
        Assert.Equal(Bits(xr.Grad!), Bits(x.Grad!));
        Assert.Equal(Bits(wr.Grad!), Bits(w.Grad!));
        Assert.Equal(Bits(br!.Grad!), Bits(b!.Grad!));
    }

    [Fact]
    public void ASequentialFusesConvReluMaxPoolUnderAutocastWithTheUnfusedLayersResults()
    {
        Tensor.ManualSeed(5);
        var model = new Sequential(new Conv2d(3, 8, 3, padding: 1), new ReLU(), new MaxPool2d(2));
        var x = Tensor.Randn(5, 3, 12, 12);
        Tensor fused, unfused;
        using (Autograd.Autocast(DType.BFloat16))
        {
            fused = model.Forward(x);
            unfused = x;
            foreach (var layer in model.Children()) unfused = ((ITensorModule)layer).Forward(unfused);
        }
        Assert.Equal("MaxPool2DWithIndicesBackward", fused.GradFn);
        Assert.Equal(DType.BFloat16, fused.DType);
        Assert.Equal(Bits(unfused), Bits(fused));
        var upstream = UpstreamGradient(fused, 3);
        fused.Backward(upstream, retainGraph: true);
        var conv = (Conv2d)model.Children().First();
        var (gw, gb) = (conv.Weight.Grad!.Clone(), conv.Bias!.Grad!.Clone());
        conv.Weight.Grad = null;
        conv.Bias.Grad = null;
        unfused.Backward(upstream);
        Assert.Equal(DType.Float32, gw.DType);
        Assert.Equal(Bits(conv.Weight.Grad!), Bits(gw));
        Assert.Equal(Bits(conv.Bias.Grad!), Bits(gb));
    }
}
