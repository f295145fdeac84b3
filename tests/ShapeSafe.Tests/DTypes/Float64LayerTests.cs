using ShapeSafe;
using ShapeSafe.Kernels.Elementwise;
using ShapeSafe.NN;
using ShapeSafe.Tests.Elementwise;

namespace ShapeSafe.Tests.DTypes;

using Autograd = ShapeSafe.Autograd;

/// <summary>
/// The Float64 paths of the layers a GPT uses (issue 15): each one's gradient against finite differences in double,
/// its values and gradients against the Float32 path within float32's rounding, and the errors for dtypes still refused.
/// </summary>
public class Float64LayerTests
{
    static Tensor Doubles(int seed, params int[] shape) => Float64Agreement.Doubles(seed, shape);

    static readonly Tensor Classes = Tensor.FromArray(new long[] { 2, 0, 4, 1, -100, 3 }, 6);
    static readonly Tensor ClassWeights = Doubles(13, 5).Abs();

    /// <summary>Each layer as a function of its Float64 (or Float32) operands, with the Float64 inputs it is checked at.</summary>
    public static TheoryData<string> Layers() => new(LayerNames);

    static readonly string[] LayerNames =
    [
        "linear", "linear no bias", "linear 3-d", "layer norm", "layer norm no affine", "gelu", "gelu tanh",
        "softmax dim 0", "log softmax dim 1", "embedding", "embedding padding", "dropout", "cross entropy",
        "cross entropy weighted smoothed sum", "cross entropy none", "cross entropy [C]", "cross entropy [N, C, d]", "nll", "sdpa causal", "masked fill", "tril",
    ];

    static (Func<Tensor[], Tensor> Function, Tensor[] Inputs) Layer(string name) => name switch
    {
        "linear" => (x => F.Linear(x[0], x[1], x[2]), [Doubles(1, 4, 3), Doubles(2, 5, 3), Doubles(3, 5)]),
        "linear no bias" => (x => F.Linear(x[0], x[1]), [Doubles(1, 4, 3), Doubles(2, 5, 3)]),
        "linear 3-d" => (x => F.Linear(x[0], x[1], x[2]), [Doubles(1, 2, 3, 4), Doubles(2, 2, 4), Doubles(3, 2)]),
        "layer norm" => (x => F.LayerNorm(x[0], [2, 3], x[1], x[2]), [Doubles(4, 3, 2, 3), Doubles(5, 2, 3), Doubles(6, 2, 3)]),
        "layer norm no affine" => (x => F.LayerNorm(x[0], [4], eps: 1e-3), [Doubles(4, 3, 4)]),
        "gelu" => (x => F.Gelu(x[0]), [Doubles(7, 3, 5) * 2.0]),
        "gelu tanh" => (x => F.Gelu(x[0], "tanh"), [Doubles(7, 3, 5) * 2.0]),
        "softmax dim 0" => (x => F.Softmax(x[0], 0), [Doubles(8, 3, 4)]),
        "log softmax dim 1" => (x => F.LogSoftmax(x[0], 1), [Doubles(8, 3, 4)]),
        "embedding" => (x => F.Embedding(Tensor.FromArray(new long[] { 3, 0, 3, 2, 1, 3 }, 2, 3), x[0]), [Doubles(9, 4, 2)]),
        "embedding padding" => (x => F.Embedding(Tensor.FromArray(new long[] { 3, 0, 3, 2 }, 4), x[0], paddingIdx: 3), [Doubles(9, 4, 2)]),
        // A fresh generator on every call: gradcheck evaluates the function many times and needs the same mask.
        "dropout" => (x => F.Dropout(x[0], 0.4, generator: new Generator(11)), [Doubles(10, 4, 5)]),
        "cross entropy" => (x => F.CrossEntropy(x[0], Classes), [Doubles(12, 6, 5)]),
        // Class weights are constants (PyTorch has no derivative for them), in the input's dtype.
        "cross entropy weighted smoothed sum" => (x => F.CrossEntropy(x[0], Classes, ClassWeights.ToDType(x[0].DType), reduction: Reduction.Sum, labelSmoothing: 0.2),
            [Doubles(12, 6, 5)]),
        "cross entropy none" => (x => F.CrossEntropy(x[0], Classes, reduction: Reduction.None, labelSmoothing: 0.1), [Doubles(12, 6, 5)]),
        "cross entropy [C]" => (x => F.CrossEntropy(x[0], Tensor.FromArray(new long[] { 2 }, 1).Squeeze(), reduction: Reduction.None), [Doubles(17, 5)]),
        "cross entropy [N, C, d]" => (x => F.CrossEntropy(x[0], Tensor.FromArray(new long[] { 0, 2, 1, 1, 2, 0 }, 2, 3), labelSmoothing: 0.1), [Doubles(18, 2, 3, 3)]),
        "nll" => (x => F.NllLoss(x[0].LogSoftmax(1), Classes, ClassWeights.ToDType(x[0].DType)), [Doubles(12, 6, 5)]),
        "sdpa causal" => (x => F.ScaledDotProductAttention(x[0], x[1], x[2], isCausal: true), [Doubles(14, 2, 4, 3), Doubles(15, 2, 4, 3), Doubles(16, 2, 4, 3)]),
        // nanoGPT's attention without flash: scores.masked_fill(tril(ones) == 0, -inf), here with a finite fill.
        "masked fill" => (x => x[0].MaskedFill(Tensor.Ones(4, 4).Tril().Eq(0.0), -1.5), [Doubles(19, 2, 4, 4)]),
        "tril" => (x => x[0].Tril(), [Doubles(19, 2, 4, 4)]),
        _ => throw new ArgumentException(name),
    };

    /// <summary>All but the padded embedding, whose padding row is used forward but gets no gradient (by design, as in PyTorch).</summary>
    public static TheoryData<string> Differentiable() => new(LayerNames.Where(name => name != "embedding padding"));

    [Theory]
    [MemberData(nameof(Differentiable))]
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
    public void TheEmbeddingsPaddingRowGetsNoGradientInDouble()
    {
        var weight = Doubles(9, 4, 2);
        weight.RequiresGrad = true;
        F.Embedding(Tensor.FromArray(new long[] { 3, 0, 3, 2, 0 }, 5), weight, paddingIdx: 3).Sum().Backward();
        Assert.Equal(new[] { 2.0, 2.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0 }, weight.Grad!.ToDoubleArray());
    }

    [Fact]
    public void DropoutDropsTheSameElementsAsFloat32AndScalesInDouble()
    {
        var x = Doubles(3, 6, 7);
        var y64 = F.Dropout(x, 0.3, generator: new Generator(5)).ToDoubleArray();
        var y32 = F.Dropout(x.ToDType(DType.Float32), 0.3, generator: new Generator(5)).ToDoubleArray();
        var input = x.ToDoubleArray();
        for (int i = 0; i < input.Length; i++)
        {
            Assert.Equal(y32[i] == 0, y64[i] == 0);
            if (y64[i] != 0) Assert.Equal(input[i] * (1.0 / (1.0 - 0.3)), y64[i]); // the kept scale in double, as ATen's div_(1 - p)
        }
        Assert.Contains(0.0, y64);
    }

    [Fact]
    public void ExactGeluOfFloat64UsesADoublePrecisionErfc()
    {
        // Values of erfc to 20 digits (Abramowitz and Stegun's tables; erfc(5) from its asymptotic series).
        foreach (var (x, expected) in new[] { (0.5, 0.47950012218695346232), (1.0, 0.15729920705028513066), (3.0, 2.2090496998585441373e-5), (5.0, 1.5374597944280348502e-12) })
            Assert.True(Math.Abs(Erf.ErfcDouble(x) - expected) <= 1e-14 * expected, $"erfc({x}) = {Erf.ErfcDouble(x):R}");
        for (double x = -5; x <= 9; x += 0.01)
        {
            double expected = ElementwiseReference.Erfc(x);
            // The reference's series loses relative accuracy towards x = 3; 1e-10 is still 1000 times the Float32 fit's error.
            Assert.True(Math.Abs(Erf.ErfcDouble(x) - expected) <= 1e-10 * expected, $"erfc({x})");
        }
        var gelu = Tensor.FromArray(new[] { -3.0, 1.0 }).Gelu().ToDoubleArray();
        Assert.Equal(-3.0 * 1.3498980316300946e-3, gelu[0], 15); // -3·Φ(-3)
        Assert.Equal(0.8413447460685429, gelu[1], 15);                       // Φ(1)
    }

    [Fact]
    public void DTypesStillRefusedNameTheOpAndTheDType()
    {
        var ints = Tensor.Arange(6).Reshape(2, 3);
        var error = Assert.Throws<ArgumentException>(() => F.Linear(ints, Doubles(1, 4, 3)));
        Assert.StartsWith("Linear: expected a Float32 or Float64 input, got Int64 [2, 3]", error.Message);
        error = Assert.Throws<ArgumentException>(() => F.Linear(Doubles(1, 2, 3), Tensor.Ones(4, 3)));
        Assert.StartsWith("Linear: expected weight to have the input's dtype Float64, got Float32 [4, 3] (input [2, 3])", error.Message);
        error = Assert.Throws<ArgumentException>(() => F.LayerNorm(Doubles(1, 2, 3), [3], Tensor.Ones(3)));
        Assert.StartsWith("LayerNorm: expected weight to have the input's dtype Float64, got Float32 [3] (input [2, 3])", error.Message);
        error = Assert.Throws<ArgumentException>(() => F.LayerNorm(ints, [3]));
        Assert.StartsWith("LayerNorm: expected a Float32 or Float64 input, got Int64 [2, 3]", error.Message);
        error = Assert.Throws<ArgumentException>(() => F.Embedding(Tensor.FromArray(new long[] { 0 }, 1), ints));
        Assert.StartsWith("Embedding: expected a Float32 or Float64 weight, got Int64 [2, 3]", error.Message);
        error = Assert.Throws<ArgumentException>(() => F.CrossEntropy(ints, Tensor.FromArray(new long[] { 0, 1 }, 2)));
        Assert.StartsWith("CrossEntropyLoss: expected a Float32 or Float64 input, got Int64 [2, 3]", error.Message);
        error = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Doubles(1, 2, 3), Tensor.FromArray(new long[] { 0, 1 }, 2), Tensor.Ones(3)));
        Assert.StartsWith("CrossEntropyLoss: expected weight to have the input's dtype Float64, got Float32 [3]", error.Message);
        error = Assert.Throws<ArgumentException>(() => F.CrossEntropy(Doubles(1, 2, 3), Tensor.FromArray(new long[] { 0, 3 }, 2)));
        Assert.StartsWith("CrossEntropyLoss: Target 3 is out of bounds: 3 classes", error.Message);
        // Activations without a Float64 path name the dtype they were given (they used to say Int64 for any).
        error = Assert.Throws<ArgumentException>(() => F.Silu(Doubles(1, 2, 3)));
        Assert.StartsWith("Silu: not implemented for Float64 here (only Float32)", error.Message);
        error = Assert.Throws<ArgumentException>(() => F.Dropout(ints, 0.5));
        Assert.StartsWith("Dropout: expected a Float32 or Float64 input, got Int64 [2, 3]", error.Message);
    }

    [Fact]
    public void DoubleConvertsParametersAndFloatingBuffersInPlaceKeepingTheObjectsAndTheTies()
    {
        var head = new Linear(3, 5, bias: false);
        var embedding = new Embedding(5, 3) { Weight = head.Weight };
        var norm = new BatchNorm2d(3);
        var model = new ModuleList(new Module[] { embedding, head, norm });
        var weight = head.Weight;
        var before = weight.ToDoubleArray();
        var runningMean = norm.GetBuffer("running_mean");
        F.Linear(Tensor.Ones(2, 3), weight).Sum().Backward();

        Assert.Same(model, model.Double());

        Assert.Same(weight, head.Weight);
        Assert.Same(weight, embedding.Weight);
        Assert.Equal(DType.Float64, weight.DType);
        Assert.True(weight.RequiresGrad);
        Assert.Equal(before, weight.ToDoubleArray());
        Assert.Equal(DType.Float64, weight.Grad!.DType);
        Assert.Equal(2.0, weight.Grad.ToDoubleArray()[0]);
        Assert.Same(runningMean, norm.GetBuffer("running_mean"));
        Assert.Equal(DType.Float64, runningMean.DType);
        Assert.Equal(DType.Int64, norm.GetBuffer("num_batches_tracked").DType);
        Assert.All(model.Parameters(), p => Assert.Equal(DType.Float64, p.DType));

        Assert.Equal(3, model.Parameters().Count()); // the tied weight once, the norm's weight and bias
        Assert.Equal(DType.Float64, head.Forward(Tensor.Ones(1, 3).ToDType(DType.Float64)).DType);

        model.Float();
        Assert.Equal(DType.Float32, weight.DType);
        var notFloating = Assert.Throws<ArgumentException>(() => model.To(DType.Int64));
        Assert.Contains("floating point dtypes, but got desired dtype=Int64", notFloating.Message);
    }
}
