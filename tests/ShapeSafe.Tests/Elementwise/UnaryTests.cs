using ShapeSafe;
using ShapeSafe.Kernels.Elementwise;

namespace ShapeSafe.Tests.Elementwise;

public class UnaryTests
{
    static readonly float[] Inputs =
        { -20f, -9.5f, -3f, -1f, -0.5f, -1e-4f, 0f, 1e-4f, 0.25f, 0.5f, 1f, 2f, 3.7f, 9.5f, 20f, 88f };

    static Tensor X() => Tensor.FromArray(Inputs);

    public static IEnumerable<object[]> Functions() => new[]
    {
        new object[] { "Exp" }, new object[] { "Tanh" }, new object[] { "Sigmoid" }, new object[] { "Sin" },
        new object[] { "Cos" }, new object[] { "Abs" }, new object[] { "Neg" }, new object[] { "Relu" },
        new object[] { "Square" }, new object[] { "Gelu" }, new object[] { "LeakyRelu" }, new object[] { "Pow3" },
        new object[] { "Pow1.5" },
    };

    static (Func<Tensor, Tensor> Engine, Func<double, double> Reference) Pair(string name) => name switch
    {
        "Exp" => (t => t.Exp(), Math.Exp),
        "Tanh" => (t => t.Tanh(), Math.Tanh),
        "Sigmoid" => (t => t.Sigmoid(), v => 1 / (1 + Math.Exp(-v))),
        "Sin" => (t => t.Sin(), Math.Sin),
        "Cos" => (t => t.Cos(), Math.Cos),
        "Abs" => (t => t.Abs(), Math.Abs),
        "Neg" => (t => t.Neg(), v => -v),
        "Relu" => (t => t.Relu(), v => Math.Max(v, 0)),
        "Square" => (t => t.Square(), v => v * v),
        "Gelu" => (t => t.Gelu(), ElementwiseReference.Gelu),
        "LeakyRelu" => (t => t.LeakyRelu(0.1f), v => v > 0 ? v : 0.1f * v),
        "Pow3" => (t => t.Pow(3f), v => v * v * v),
        _ => (t => t.Abs().Pow(1.5f), v => Math.Pow(Math.Abs(v), 1.5)),
    };

    [Theory]
    [MemberData(nameof(Functions))]
    public void MatchesDoublePrecisionMath(string name)
    {
        var (engine, reference) = Pair(name);
        var x = X();

        var y = engine(x);

        Assert.Equal(DType.Float32, y.DType);
        TestTensors.AssertClose(ElementwiseReference.Unary(x, reference), y.ToFloatArray(), rtol: 4e-7, atol: 1e-30);
    }

    [Theory]
    [MemberData(nameof(Functions))]
    public void StridedInputsGiveTheSameValuesAsContiguousOnes(string name)
    {
        var (engine, _) = Pair(name);
        var rng = new System.Random(7);
        foreach (var kind in TestTensors.AllLayouts)
        {
            var x = TestTensors.Make(rng, new[] { 17, 9 }, kind, scale: 5f);
            var expected = engine(x.Contiguous()).ToFloatArray();

            var actual = engine(x).ToFloatArray();

            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void LogSqrtRsqrtOnPositiveInputs()
    {
        var x = Tensor.FromArray(new[] { 1e-6f, 0.3f, 1f, 2f, 1000f, 3e20f });

        TestTensors.AssertClose(ElementwiseReference.Unary(x, Math.Log), x.Log().ToFloatArray(), rtol: 3e-7);
        TestTensors.AssertClose(ElementwiseReference.Unary(x, Math.Sqrt), x.Sqrt().ToFloatArray(), rtol: 2e-7);
        TestTensors.AssertClose(ElementwiseReference.Unary(x, v => 1 / Math.Sqrt(v)), x.Rsqrt().ToFloatArray(), rtol: 3e-7);
    }

    [Fact]
    public void LogAndSqrtOutsideTheirDomainFollowIeee()
    {
        var x = Tensor.FromArray(new[] { 0f, -1f });

        Assert.Equal(new[] { float.NegativeInfinity, float.NaN }, x.Log().ToFloatArray());
        Assert.True(float.IsNaN(x.Sqrt().ToFloatArray()[1]));
    }

    [Fact]
    public void SigmoidSaturatesWithoutNaN()
    {
        var x = Tensor.FromArray(new[] { -1000f, -100f, 0f, 100f, 1000f, float.NegativeInfinity, float.PositiveInfinity });

        var y = x.Sigmoid().ToFloatArray();

        Assert.All(y, v => Assert.False(float.IsNaN(v)));
        Assert.Equal(0f, y[0]);
        Assert.InRange(y[1], 0f, 1e-43f);
        Assert.Equal(new[] { 0.5f, 1f, 1f, 0f, 1f }, y[2..]);
        var strided = x.T2().Sigmoid().ToFloatArray();
        Assert.All(strided, v => Assert.False(float.IsNaN(v)));
        Assert.Equal(new[] { 0.5f, 1f, 1f, 0f, 1f }, strided[2..]);
    }

    [Fact]
    public void TanhKeepsRelativeAccuracyNearZero()
    {
        var y = Tensor.FromArray(new[] { 1e-4f, -1e-11f, 0.3f }).Tanh().ToFloatArray();

        Assert.Equal(MathF.Tanh(1e-4f), y[0]);
        Assert.Equal(-1e-11f, y[1]);
        Assert.Equal(MathF.Tanh(0.3f), y[2]);
    }

    [Fact]
    public void GeluKnownValues()
    {
        var y = Tensor.FromArray(new[] { -1f, 0f, 1f, 2f }).Gelu().ToFloatArray();

        Assert.Equal(-0.15865525f, y[0], 6);
        Assert.Equal(0f, y[1]);
        Assert.Equal(0.8413447f, y[2], 6);
        Assert.Equal(1.9544997f, y[3], 6);
    }

    [Fact]
    public void ErfcApproximationStaysWithinOneFloatUlpOfTheReference()
    {
        for (double x = -5; x <= 9; x += 0.01)
        {
            double expected = ElementwiseReference.Erfc(x);
            Assert.True(Math.Abs(Erf.Erfc(x) - expected) <= 1.2e-7 * expected, $"erfc({x})");
        }
    }

    [Fact]
    public void ClampFollowsPyTorch()
    {
        var x = Tensor.FromArray(new[] { -2f, 0.5f, 3f, float.NaN });

        Assert.Equal(new[] { -1f, 0.5f, 1f, float.NaN }, x.Clamp(-1f, 1f).ToFloatArray());
        Assert.Equal(new[] { 0f, 0.5f, 3f, float.NaN }, x.Clamp(min: 0f).ToFloatArray());
        Assert.Equal(new[] { -2f, 0.5f, 2f, float.NaN }, x.Clamp(max: 2f).ToFloatArray());
        // min > max: max wins, as torch.clamp.
        Assert.Equal(new[] { 0f, 0f, 0f, float.NaN }, x.Clamp(1f, 0f).ToFloatArray());
        Assert.Throws<ArgumentException>(() => x.Clamp());
    }

    [Fact]
    public void ReluKeepsNaN()
    {
        Assert.Equal(new[] { 0f, 0f, 2f, float.NaN }, Tensor.FromArray(new[] { -1f, 0f, 2f, float.NaN }).Relu().ToFloatArray());
    }

    [Fact]
    public void PowShortcutsAreExact()
    {
        var x = Tensor.FromArray(new[] { 4f, 0.25f, 9f });

        Assert.Equal(new[] { 16f, 0.0625f, 81f }, x.Pow(2f).ToFloatArray());
        Assert.Equal(new[] { 2f, 0.5f, 3f }, x.Pow(0.5f).ToFloatArray());
        Assert.Equal(new[] { 0.5f, 2f, 1f / 3f }, x.Pow(-0.5f).ToFloatArray());
        Assert.Equal(new[] { 0.25f, 4f, 1f / 9f }, x.Pow(-1f).ToFloatArray());
        Assert.Equal(new[] { 1f / 16f, 16f, 1f / 81f }, x.Pow(-2f).ToFloatArray());
    }
}

static class TensorTestExtensions
{
    /// <summary>A non-contiguous view with the same logical values: a [n] tensor read as a column through stride 2 storage.</summary>
    public static Tensor T2(this Tensor t)
    {
        int n = (int)t.NumEl;
        var wide = Tensor.Zeros(n, 2);
        wide.Select(1, 0).CopyFrom(t);
        return wide.Select(1, 0);
    }
}
