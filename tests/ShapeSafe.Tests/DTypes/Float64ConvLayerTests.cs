using ShapeSafe;
using ShapeSafe.NN;

namespace ShapeSafe.Tests.DTypes;

using Autograd = ShapeSafe.Autograd;

/// <summary>
/// The Float64 paths of the layers a UNet uses (convolution, transposed convolution, batch norm, max pool, ReLU,
/// interpolation, padding, concatenation): each one's gradient against finite differences in double at several
/// geometries, its values and gradients against the Float32 path within float32's rounding, and the errors for a
/// Float64 input given Float32 operands.
/// </summary>
public class Float64ConvLayerTests
{
    static Tensor Doubles(int seed, params int[] shape) => Float64Agreement.Doubles(seed, shape);

    // Running statistics in the input's dtype, fresh on every call (gradcheck calls the function many times and the
    // training calls update them).
    static Tensor Stat(Tensor like, double[] values) => Tensor.FromArray(values, values.Length).ToDType(like.DType);

    static readonly string[] LayerNames =
    [
        "conv", "conv no bias", "conv padding 1", "conv stride 2 padding (2, 1)", "conv dilation 2", "conv groups 2",
        "conv 1x1", "conv unbatched", "conv relu fused", "conv relu max pool fused", "conv module same reflect",
        "conv transpose k2 s2", "conv transpose s2 p1 output padding 1", "conv transpose groups 2 dilation 2", "conv transpose no bias",
        "batch norm train", "batch norm eval", "batch norm train no affine", "max pool 2", "max pool k3 s2 p1",
        "max pool dilation 2 ceil", "relu", "bilinear align corners", "bilinear", "bilinear size 7x5", "nearest",
        "nearest size 5x7", "pad constant", "pad crop", "pad reflect", "cat",
    ];

    public static TheoryData<string> Layers() => new(LayerNames);

    static (Func<Tensor[], Tensor> Function, Tensor[] Inputs) Layer(string name) => name switch
    {
        "conv" => (x => Tensor.Conv2d(x[0], x[1], x[2]), [Doubles(1, 2, 3, 6, 5), Doubles(2, 4, 3, 3, 3), Doubles(3, 4)]),
        "conv no bias" => (x => Tensor.Conv2d(x[0], x[1]), [Doubles(1, 2, 3, 6, 5), Doubles(2, 4, 3, 3, 3)]),
        "conv padding 1" => (x => Tensor.Conv2d(x[0], x[1], x[2], padding: 1), [Doubles(1, 1, 3, 5, 5), Doubles(2, 2, 3, 3, 3), Doubles(3, 2)]),
        "conv stride 2 padding (2, 1)" => (x => Tensor.Conv2d(x[0], x[1], x[2], (2, 2), (2, 1)), [Doubles(1, 2, 2, 7, 6), Doubles(2, 3, 2, 3, 2), Doubles(3, 3)]),
        "conv dilation 2" => (x => Tensor.Conv2d(x[0], x[1], x[2], padding: 1, dilation: 2), [Doubles(1, 1, 2, 7, 7), Doubles(2, 3, 2, 3, 3), Doubles(3, 3)]),
        "conv groups 2" => (x => Tensor.Conv2d(x[0], x[1], x[2], padding: 1, groups: 2), [Doubles(1, 2, 4, 5, 4), Doubles(2, 6, 2, 3, 3), Doubles(3, 6)]),
        "conv 1x1" => (x => Tensor.Conv2d(x[0], x[1], x[2]), [Doubles(1, 2, 5, 3, 4), Doubles(2, 2, 5, 1, 1), Doubles(3, 2)]),
        "conv unbatched" => (x => Tensor.Conv2d(x[0], x[1], x[2], stride: 2), [Doubles(1, 3, 7, 6), Doubles(2, 2, 3, 3, 3), Doubles(3, 2)]),
        // Sequential fuses Conv2d + ReLU and Conv2d + ReLU + MaxPool2d; the Float64 inputs take the unfused ops.
        "conv relu fused" => (x => Tensor.Conv2dCore(x[0], x[1], x[2], (1, 1), (1, 1), null, 1, relu: true), [Doubles(1, 2, 3, 5, 5), Doubles(2, 4, 3, 3, 3), Doubles(3, 4)]),
        "conv relu max pool fused" => (x => Tensor.Conv2dReluMaxPool(x[0], x[1], x[2], (1, 1), (1, 1), null, 1, (2, 2), (2, 2), (0, 0), (1, 1)),
            [Doubles(1, 2, 3, 6, 6), Doubles(2, 4, 3, 3, 3), Doubles(3, 4)]),
        "conv module same reflect" => (x => SameReflectConv(x[0].DType).Forward(x[0]), [Doubles(1, 2, 2, 5, 6)]),
        "conv transpose k2 s2" => (x => Tensor.ConvTranspose2d(x[0], x[1], x[2], (2, 2)), [Doubles(1, 2, 4, 3, 3), Doubles(2, 4, 2, 2, 2), Doubles(3, 2)]),
        "conv transpose s2 p1 output padding 1" => (x => Tensor.ConvTranspose2d(x[0], x[1], x[2], (2, 2), (1, 1), (1, 1)),
            [Doubles(1, 2, 3, 3, 4), Doubles(2, 3, 2, 3, 3), Doubles(3, 2)]),
        "conv transpose groups 2 dilation 2" => (x => Tensor.ConvTranspose2d(x[0], x[1], x[2], (1, 2), (1, 0), groups: 2, dilation: (2, 1)),
            [Doubles(1, 1, 4, 3, 3), Doubles(2, 4, 3, 3, 2), Doubles(3, 6)]),
        "conv transpose no bias" => (x => Tensor.ConvTranspose2d(x[0], x[1]), [Doubles(1, 2, 3, 3, 3), Doubles(2, 3, 2, 2, 3)]),
        "batch norm train" => (x => F.BatchNorm(x[0], Stat(x[0], [0.1, -0.2, 0.3]), Stat(x[0], [1.5, 0.7, 1.1]), x[1], x[2], training: true),
            [Doubles(4, 2, 3, 3, 2), Doubles(5, 3), Doubles(6, 3)]),
        "batch norm eval" => (x => F.BatchNorm(x[0], Stat(x[0], [0.1, -0.2, 0.3]), Stat(x[0], [1.5, 0.7, 1.1]), x[1], x[2]),
            [Doubles(4, 2, 3, 3, 2), Doubles(5, 3), Doubles(6, 3)]),
        "batch norm train no affine" => (x => F.BatchNorm(x[0], null, null, training: true, eps: 1e-3), [Doubles(4, 3, 2, 5)]),
        "max pool 2" => (x => Tensor.MaxPool2d(x[0], 2), [Doubles(7, 2, 3, 5, 6)]),
        "max pool k3 s2 p1" => (x => Tensor.MaxPool2d(x[0], 3, 2, 1), [Doubles(7, 1, 2, 7, 6)]),
        "max pool dilation 2 ceil" => (x => Tensor.MaxPool2d(x[0], 2, 2, 0, 2, ceilMode: true), [Doubles(7, 2, 2, 8, 7)]),
        "relu" => (x => F.Relu(x[0]), [Doubles(8, 2, 3, 4, 4)]),
        "bilinear align corners" => (x => F.Interpolate(x[0], 2.0, "bilinear", alignCorners: true), [Doubles(9, 1, 2, 3, 4)]),
        "bilinear" => (x => F.Interpolate(x[0], 2.0, "bilinear"), [Doubles(9, 1, 2, 3, 4)]),
        "bilinear size 7x5" => (x => F.Interpolate(x[0], size: (7, 5), mode: "bilinear"), [Doubles(9, 2, 1, 3, 4)]),
        "nearest" => (x => F.Interpolate(x[0], 2.0), [Doubles(9, 1, 2, 3, 4)]),
        "nearest size 5x7" => (x => F.Interpolate(x[0], size: (5, 7)), [Doubles(9, 2, 1, 3, 4)]),
        "pad constant" => (x => F.Pad(x[0], [1, 0, 2, 1], value: 0.5), [Doubles(10, 1, 2, 3, 3)]),
        "pad crop" => (x => F.Pad(x[0], [-1, 1, 0, -1]), [Doubles(10, 1, 2, 3, 4)]),
        "pad reflect" => (x => F.Pad(x[0], [2, 1, 1, 2], "reflect"), [Doubles(10, 1, 2, 4, 4)]),
        "cat" => (x => Tensor.Cat([x[0], x[1]], 1), [Doubles(11, 2, 2, 3, 3), Doubles(12, 2, 3, 3, 3)]),
        _ => throw new ArgumentException(name),
    };

    // An even kernel with "same" padding (one more row and column after than before) in reflect mode: F.Pad, then the convolution.
    static Conv2d SameReflectConv(DType dtype)
    {
        var conv = new Conv2d(2, 3, (2, 3), "same", generator: new Generator(13), paddingMode: "reflect");
        if (dtype == DType.Float64) conv.Double();
        return conv;
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void GradCheckPassesInDouble(string name)
    {
        var (function, inputs) = Layer(name);
        Assert.Equal(DType.Float64, function(inputs).DType);
        Assert.True(Autograd.GradCheck(function, inputs));
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void AgreesWithTheFloat32PathWithinFloat32Rounding(string name)
    {
        var (function, inputs) = Layer(name);
        Float64Agreement.AssertAgreesWithFloat32(name, function, inputs);
    }

    [Fact]
    public void ConvolutionOfKnownValuesIsExactInDouble()
    {
        // [1, 1, 3, 3] of 1..9 with a 2×2 kernel [[1, 0.1], [0.01, 0.001]], bias 0.5, padding 0: each output is
        // a + 0.1·b + 0.01·d + 0.001·e + 0.5 of its window [[a, b], [d, e]].
        var x = Tensor.FromArray(new double[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, 1, 1, 3, 3);
        var w = Tensor.FromArray(new double[] { 1, 0.1, 0.01, 0.001 }, 1, 1, 2, 2);
        var y = Tensor.Conv2d(x, w, Tensor.FromArray(new[] { 0.5 }, 1)).ToDoubleArray();
        double Window(double a, double b, double d, double e) => a + 0.1 * b + 0.01 * d + 0.001 * e + 0.5;
        Assert.Equal(new[] { Window(1, 2, 4, 5), Window(2, 3, 5, 6), Window(4, 5, 7, 8), Window(5, 6, 8, 9) }, y);
    }

    [Fact]
    public void MaxPoolIndicesAndTiesMatchTheFloat32Path()
    {
        // Ties everywhere (small integers): the first maximum of each window wins, in both dtypes.
        var x = Tensor.FromArray(new double[] { 1, 3, 3, 0, 2, 3, 1, 3, 0, 0, 2, 2, 1, 1, 2, 2 }, 1, 1, 4, 4);
        var (v64, i64) = Tensor.MaxPool2dWithIndices(x, 2);
        var (v32, i32) = Tensor.MaxPool2dWithIndices(x.ToDType(DType.Float32), 2);
        Assert.Equal(DType.Float64, v64.DType);
        Assert.Equal(new[] { 3.0, 3.0, 1.0, 2.0 }, v64.ToDoubleArray());
        Assert.Equal(new long[] { 1, 2, 12, 10 }, i64.ToInt64Array());
        Assert.Equal(i32.ToInt64Array(), i64.ToInt64Array());
        Assert.Equal(v32.ToDoubleArray(), v64.ToDoubleArray());
    }

    [Fact]
    public void BatchNormUpdatesFloat64RunningStatisticsInDouble()
    {
        var norm = new BatchNorm2d(2);
        norm.Double();
        var x = Doubles(3, 3, 2, 2, 2);
        norm.Forward(x);
        var data = x.ToDoubleArray();
        for (int c = 0; c < 2; c++)
        {
            var values = Enumerable.Range(0, 3).SelectMany(n => data.Skip((n * 2 + c) * 4).Take(4)).ToArray();
            double mean = values.Average();
            double unbiased = values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
            Assert.Equal(0.1 * mean, norm.RunningMean!.ToDoubleArray()[c], 14);
            Assert.Equal(0.9 + 0.1 * unbiased, norm.RunningVar!.ToDoubleArray()[c], 14);
        }
        Assert.Equal(DType.Float64, norm.RunningMean!.DType);
        Assert.Equal(1L, norm.NumBatchesTracked!.ToInt64Array()[0]);
    }

    [Fact]
    public void ADoubledConvBlockAgreesWithItsFloat32Original()
    {
        // A UNet's DoubleConv and Down step as modules: Double() converts the weights and statistics, and the
        // Float64 forward and backward through Sequential agree with the Float32 ones to float rounding.
        Sequential Block() => new(
            new Conv2d(3, 4, 3, padding: 1, bias: false, generator: new Generator(1)), new BatchNorm2d(4), new ReLU(),
            new MaxPool2d(2), new Conv2d(4, 2, 3, padding: 1, generator: new Generator(2)), new ReLU());
        var single = Block();
        var wide = Block();
        wide.Double();
        var x = Doubles(21, 2, 3, 8, 8);
        var x32 = x.ToDType(DType.Float32);
        x.RequiresGrad = true;
        x32.RequiresGrad = true;
        var y = wide.Forward(x);
        var y32 = single.Forward(x32);
        Assert.Equal(DType.Float64, y.DType);
        Float64Agreement.AssertClose(y32.ToDoubleArray(), y.ToDoubleArray(), "output");
        y.Sum().Backward();
        y32.Sum().Backward();
        Float64Agreement.AssertClose(x32.Grad!.ToDoubleArray(), x.Grad!.ToDoubleArray(), "input gradient");
        foreach (var ((name, p), (_, q)) in wide.NamedParameters().Zip(single.NamedParameters()))
        {
            Assert.Equal(DType.Float64, p.Grad!.DType);
            Float64Agreement.AssertClose(q.Grad!.ToDoubleArray(), p.Grad!.ToDoubleArray(), name);
        }
        Float64Agreement.AssertClose(((BatchNorm2d)single[1]).RunningVar!.ToDoubleArray(), ((BatchNorm2d)wide[1]).RunningVar!.ToDoubleArray(), "running_var");
    }

    [Fact]
    public void MismatchedDTypesNameTheOpAndBothDTypes()
    {
        var x = Doubles(1, 1, 3, 5, 5);
        var error = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(x, Tensor.Ones(4, 3, 3, 3)));
        Assert.StartsWith("Conv2d: expected weight to have the input's dtype Float64, got Float32 [4, 3, 3, 3] (input [1, 3, 5, 5])", error.Message);
        error = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(x, Doubles(2, 4, 3, 3, 3), Tensor.Ones(4)));
        Assert.StartsWith("Conv2d: expected bias to have the input's dtype Float64, got Float32 [4] (input [1, 3, 5, 5])", error.Message);
        error = Assert.Throws<ArgumentException>(() => Tensor.Conv2d(x.ToDType(DType.Float32), Doubles(2, 4, 3, 3, 3)));
        Assert.StartsWith("Conv2d: expected both operands to have the same dtype, but got Float32 [1, 3, 5, 5] and Float64 [4, 3, 3, 3]", error.Message);
        var shape = Assert.Throws<ShapeException>(() => Tensor.Conv2d(x, Doubles(2, 4, 3, 3, 3), Doubles(3, 5)));
        Assert.Contains("bias of shape [5] should be [4], one per output channel of weight [4, 3, 3, 3] (input [1, 3, 5, 5])", shape.Message);

        error = Assert.Throws<ArgumentException>(() => Tensor.ConvTranspose2d(x, Tensor.Ones(3, 2, 2, 2), stride: (2, 2)));
        Assert.StartsWith("ConvTranspose2d: expected weight to have the input's dtype Float64, got Float32 [3, 2, 2, 2] (input [1, 3, 5, 5])", error.Message);
        error = Assert.Throws<ArgumentException>(() => Tensor.ConvTranspose2d(x, Doubles(2, 3, 2, 2, 2), Tensor.Ones(2)));
        Assert.StartsWith("ConvTranspose2d: expected bias to have the input's dtype Float64, got Float32 [2] (input [1, 3, 5, 5])", error.Message);
        shape = Assert.Throws<ShapeException>(() => Tensor.ConvTranspose2d(x, Doubles(2, 3, 2, 2, 2), Doubles(3, 3)));
        Assert.Contains("bias of shape [3] should be a Float64 [2], one per output channel of weight [3, 2, 2, 2]", shape.Message);

        var stat = Tensor.Ones(3);
        error = Assert.Throws<ArgumentException>(() => F.BatchNorm(x, stat, Doubles(3, 3).Abs(), training: true));
        Assert.StartsWith("BatchNorm: expected running_mean to have the input's dtype Float64, got Float32 [3] (input [1, 3, 5, 5])", error.Message);
        error = Assert.Throws<ArgumentException>(() => F.BatchNorm(x, null, null, Tensor.Ones(3), training: true));
        Assert.StartsWith("BatchNorm: expected weight to have the input's dtype Float64, got Float32 [3] (input [1, 3, 5, 5])", error.Message);
        // A Float32 model given a Float64 input: the layer names the input's dtype against its own.
        error = Assert.Throws<ArgumentException>(() => new BatchNorm2d(3).Forward(x));
        Assert.StartsWith("BatchNorm: expected running_mean to have the input's dtype Float64, got Float32 [3] (input [1, 3, 5, 5])", error.Message);

        var ints = Tensor.Arange(16).Reshape(1, 1, 4, 4);
        error = Assert.Throws<ArgumentException>(() => Tensor.MaxPool2d(ints, 2));
        Assert.StartsWith("MaxPool2d: expected a Float32 input, got Int64 [1, 1, 4, 4]", error.Message);
        error = Assert.Throws<ArgumentException>(() => F.Interpolate(ints, 2.0));
        Assert.StartsWith("Interpolate: expected a Float32 input, got Int64 [1, 1, 4, 4]", error.Message);
        error = Assert.Throws<ArgumentException>(() => F.BatchNorm(ints, null, null, training: true));
        Assert.StartsWith("BatchNorm: expected a Float32 input, got Int64 [1, 1, 4, 4]", error.Message);
    }
}
