using ShapeSafe;

namespace ShapeSafe.Tests.Elementwise;

/// <summary>
/// The fast paths (TensorPrimitives on dense runs, the broadcast iterator on strided ones) against the scalar
/// reference, over random shapes with odd sizes and every operand layout: contiguous, transposed, sliced,
/// expanded (stride 0) and offset.
/// </summary>
public class KernelAgreementTests
{
    static readonly int[] OddSizes = { 1, 2, 3, 7, 17 };

    public static IEnumerable<object[]> Ops() => new[]
    {
        new object[] { "Add" }, new object[] { "Sub" }, new object[] { "Mul" }, new object[] { "Div" },
        new object[] { "Maximum" }, new object[] { "Minimum" }, new object[] { "Pow" },
    };

    static (Func<Tensor, Tensor, Tensor> Engine, Func<double, double, double> Reference) Pair(string op) => op switch
    {
        "Add" => ((a, b) => a + b, (x, y) => (double)((float)x + (float)y)),
        "Sub" => ((a, b) => a - b, (x, y) => (double)((float)x - (float)y)),
        "Mul" => ((a, b) => a * b, (x, y) => (double)((float)x * (float)y)),
        "Div" => ((a, b) => a / b, (x, y) => (double)((float)x / (float)y)),
        "Maximum" => (Tensor.Maximum, Math.Max),
        "Minimum" => (Tensor.Minimum, Math.Min),
        _ => ((a, b) => a.Abs().Pow(b), (x, y) => Math.Pow(Math.Abs(x), y)),
    };

    [Theory]
    [MemberData(nameof(Ops))]
    public void RandomBroadcastShapesAndLayoutsMatchTheReference(string op)
    {
        var (engine, reference) = Pair(op);
        var rng = new System.Random(op.GetHashCode() & 0xFFFF);
        for (int trial = 0; trial < 60; trial++)
        {
            var shape = TestTensors.RandomShape(rng, rng.Next(1, 5), OddSizes);
            var other = TestTensors.BroadcastableTo(rng, shape);
            if (rng.Next(2) == 0) (shape, other) = (other, shape);
            var a = TestTensors.Make(rng, shape, TestTensors.AllLayouts[rng.Next(5)]);
            var b = TestTensors.Make(rng, other, TestTensors.AllLayouts[rng.Next(5)]);

            var result = engine(a, b);

            Assert.Equal(ElementwiseReference.BroadcastShape(shape, other), result.Shape);
            var rtol = op == "Pow" ? 3e-7 : 0;
            TestTensors.AssertClose(ElementwiseReference.Binary(a, b, reference), result.ToFloatArray(), rtol, atol: 0);
        }
    }

    [Theory]
    [InlineData(255)]
    [InlineData(1025)]
    public void LongOddRowsWithEveryLayoutPair(int n)
    {
        var rng = new System.Random(n);
        foreach (var ka in TestTensors.AllLayouts)
        foreach (var kb in TestTensors.AllLayouts)
        {
            var a = TestTensors.Make(rng, new[] { 3, n }, ka);
            var b = TestTensors.Make(rng, new[] { 3, n }, kb);
            var row = TestTensors.Make(rng, new[] { n }, kb);

            TestTensors.AssertClose(ElementwiseReference.Binary(a, b, (x, y) => (float)x * (float)y), (a * b).ToFloatArray(), 0, 0);
            TestTensors.AssertClose(ElementwiseReference.Binary(a, row, (x, y) => (float)x - (float)y), (a - row).ToFloatArray(), 0, 0);
        }
    }

    [Fact]
    public void Int64OpsMatchTheReference()
    {
        var rng = new System.Random(3);
        for (int trial = 0; trial < 30; trial++)
        {
            var shape = TestTensors.RandomShape(rng, rng.Next(1, 4), OddSizes);
            var other = TestTensors.BroadcastableTo(rng, shape);
            var a = TestTensors.Make(rng, shape, TestTensors.AllLayouts[rng.Next(5)], 100f).Mul(1f).ToDType(DType.Int64);
            var b = Tensor.FromArray(TestTensors.RandomValues(rng, (int)Tensor.Zeros(other).NumEl, 100f).Select(v => (long)v).ToArray(), other);

            var sum = a + b;
            var product = a * b;

            Assert.Equal(DType.Int64, sum.DType);
            Assert.Equal(ElementwiseReference.Binary(a, b, (x, y) => x + y), sum.ToInt64Array().Select(v => (double)v).ToArray());
            Assert.Equal(ElementwiseReference.Binary(a, b, (x, y) => x * y), product.ToInt64Array().Select(v => (double)v).ToArray());
        }
    }

    [Fact]
    public void ScalarOpsOnEveryLayoutMatchTheReference()
    {
        var rng = new System.Random(11);
        foreach (var kind in TestTensors.AllLayouts)
        {
            var a = TestTensors.Make(rng, new[] { 7, 17 }, kind);

            TestTensors.AssertClose(ElementwiseReference.Unary(a, x => (float)x * 1.5f), (a * 1.5f).ToFloatArray(), 0, 0);
            TestTensors.AssertClose(ElementwiseReference.Unary(a, x => 2f - (float)x), (2f - a).ToFloatArray(), 0, 0);
            TestTensors.AssertClose(ElementwiseReference.Unary(a, x => 1f / (float)x), (1f / a).ToFloatArray(), 0, 0);
        }
    }

    [Fact]
    public void InPlaceAddOnEveryWritableLayoutMatchesTheOutOfPlaceResult()
    {
        var rng = new System.Random(5);
        foreach (var kind in TestTensors.AllLayouts)
        {
            if (kind == LayoutKind.Expanded) continue;
            foreach (var otherKind in TestTensors.AllLayouts)
            {
                var a = TestTensors.Make(rng, new[] { 17, 7 }, kind);
                var b = TestTensors.Make(rng, new[] { 17, 7 }, otherKind);
                var expected = ElementwiseReference.Binary(a, b, (x, y) => MathF.FusedMultiplyAdd((float)y, 0.25f, (float)x));

                a.AddInPlace(b, 0.25f);

                TestTensors.AssertClose(expected, a.ToFloatArray(), 0, 0);
            }
        }
    }
}
