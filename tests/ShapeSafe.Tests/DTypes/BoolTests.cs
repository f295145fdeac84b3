using ShapeSafe;

namespace ShapeSafe.Tests.DTypes;

public class BoolTests
{
    static Tensor F(params float[] v) => Tensor.FromArray(v);

    [Fact]
    public void FactoriesAndConversionsMakeBoolTensors()
    {
        Assert.Equal(new[] { false, false }, Tensor.Zeros(new[] { 2 }, DType.Bool).ToBoolArray());
        Assert.Equal(new[] { true, true, true }, Tensor.Ones(new[] { 3 }, DType.Bool).ToBoolArray());
        Assert.Equal(DType.Bool, Tensor.Full(new[] { 2, 2 }, true).DType);
        var t = Tensor.FromArray(new[] { true, false, true }, 3);
        Assert.Equal(DType.Bool, t.DType);
        Assert.Equal(new[] { 1f, 0f, 1f }, t.ToFloatArray());
        Assert.Equal(new long[] { 1, 0, 1 }, t.ToDType(DType.Int64).ToInt64Array());
        // Nonzero is true, NaN included, as a C++ cast to bool.
        Assert.Equal(new[] { false, true, true, true }, F(0f, -0.5f, float.NaN, 3f).ToDType(DType.Bool).ToBoolArray());
        Assert.True(Tensor.Scalar(true).ItemBool());
    }

    [Fact]
    public void PrintsAsPyTorch()
    {
        Assert.Equal("tensor([ True, False,  True])", Tensor.FromArray(new[] { true, false, true }).ToString());
        Assert.Equal("tensor(True)", Tensor.Scalar(true).ToString());
        Assert.Equal("tensor([], dtype=torch.bool)", Tensor.Zeros(new[] { 0 }, DType.Bool).ToString());
    }

    [Fact]
    public void ComparisonsReturnBoolWithBroadcasting()
    {
        var a = F(1f, 2f, 3f).View(3, 1);
        var b = F(2f, 3f);
        var lt = a.Lt(b);
        Assert.Equal(DType.Bool, lt.DType);
        Assert.Equal(new[] { 3, 2 }, lt.Shape);
        Assert.Equal(new[] { true, true, false, true, false, false }, lt.ToBoolArray());
        Assert.Equal(new[] { true, true, true, true, false, true }, a.Le(b).ToBoolArray());
        Assert.Equal(new[] { false, false, true, false, true, true }, a.Ge(b).ToBoolArray());
        Assert.Equal(new[] { false, false, false, false, true, false }, (a > b).ToBoolArray());
        Assert.Equal(new[] { false, false, true, false, false, true }, a.Eq(b).ToBoolArray());
        Assert.Equal(new[] { true, true, false, true, true, false }, a.Ne(b).ToBoolArray());
    }

    [Fact]
    public void NaNComparesFalseExceptNe()
    {
        var x = F(float.NaN);
        Assert.False(x.Eq(x).ItemBool());
        Assert.True(x.Ne(x).ItemBool());
        Assert.False(x.Lt(1.0).ItemBool());
        Assert.False(x.Ge(1.0).ItemBool());
    }

    [Fact]
    public void ScalarComparisonsPromoteAsPyTorch()
    {
        // torch.tensor([0.1]) == 0.1 is True: the scalar is taken in float32.
        Assert.True(F(0.1f).Eq(0.1).ItemBool());
        // int64 with a float scalar compares in float: [2] == 2.5 is False, [2] < 2.5 is True.
        var i = Tensor.FromArray(new long[] { 2, 3 });
        Assert.Equal(new[] { true, false }, i.Lt(2.5).ToBoolArray());
        Assert.Equal(new[] { true, false }, i.Eq(2L).ToBoolArray());
        // Exact for large Int64: 2^53 + 1 differs from 2^53.
        Assert.False(Tensor.FromArray(new[] { (1L << 53) + 1 }).Eq(1L << 53).ItemBool());
        // Bool with Bool compares as 0/1.
        Assert.Equal(new[] { false, true }, Tensor.FromArray(new[] { false, true }).Gt(Tensor.FromArray(new[] { false, false })).ToBoolArray());
    }

    [Fact]
    public void ComparisonShapeMismatchNamesTheOp()
    {
        var ex = Assert.Throws<ShapeException>(() => F(1f, 2f, 3f).Eq(F(1f, 2f)));
        Assert.Contains("Eq", ex.Message);
        Assert.Contains("[3]", ex.Message);
        Assert.Contains("[2]", ex.Message);
    }

    [Fact]
    public void LogicalOpsReadNonzeroAndReturnBool()
    {
        var a = F(0f, 1f, 2f, float.NaN);
        var b = Tensor.FromArray(new long[] { 1, 0, 3, 0 });
        Assert.Equal(new[] { false, false, true, false }, a.LogicalAnd(b).ToBoolArray());
        Assert.Equal(new[] { true, true, true, true }, a.LogicalOr(b).ToBoolArray());
        Assert.Equal(new[] { true, true, false, true }, a.LogicalXor(b).ToBoolArray());
        Assert.Equal(new[] { true, false, false, false }, a.LogicalNot().ToBoolArray());
        var m = Tensor.FromArray(new[] { true, false });
        var n = Tensor.FromArray(new[] { true, true });
        Assert.Equal(new[] { true, false }, (m & n).ToBoolArray());
        Assert.Equal(new[] { true, true }, (m | n).ToBoolArray());
        Assert.Equal(new[] { false, true }, (m ^ n).ToBoolArray());
        Assert.Equal(new[] { false, true }, (~m).ToBoolArray());
        var ex = Assert.Throws<ArgumentException>(() => a & b);
        Assert.Contains("BitwiseAnd", ex.Message);
        Assert.Contains("Float32", ex.Message);
    }

    [Fact]
    public void BoolArithmeticIsLogicAsPyTorch()
    {
        var a = Tensor.FromArray(new[] { true, true, false, false });
        var b = Tensor.FromArray(new[] { true, false, true, false });
        Assert.Equal(DType.Bool, (a + b).DType);
        Assert.Equal(new[] { true, true, true, false }, (a + b).ToBoolArray());
        Assert.Equal(new[] { true, false, false, false }, (a * b).ToBoolArray());
        var ex = Assert.Throws<ArgumentException>(() => a - b);
        Assert.Contains("Bool", ex.Message);
        Assert.Contains("LogicalXor", ex.Message);
        // bool + int scalar is Int64, bool * float is Float32.
        Assert.Equal(DType.Int64, (a + 1L).DType);
        Assert.Equal(new long[] { 2, 2, 1, 1 }, (a + 1L).ToInt64Array());
        Assert.Equal(new[] { 0.5f, 0.5f, 0f, 0f }, (a * 0.5f).ToFloatArray());
        Assert.Equal(DType.Float32, (a / b).DType);
    }

    [Fact]
    public void WhereSelectsWithBroadcastingAndPromotes()
    {
        var cond = Tensor.FromArray(new[] { true, false, true }, 3);
        var x = F(1f, 2f, 3f);
        var y = Tensor.FromArray(new long[] { 10, 20 }).View(2, 1);
        var r = Tensor.Where(cond, x, y);
        Assert.Equal(new[] { 2, 3 }, r.Shape);
        Assert.Equal(DType.Float32, r.DType);
        Assert.Equal(new[] { 1f, 10f, 3f, 1f, 20f, 3f }, r.ToFloatArray());
        Assert.Equal(new[] { 1f, -1f, 3f }, Tensor.Where(cond, x, -1.0).ToFloatArray());
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Where(x, x, x));
        Assert.Contains("Where", ex.Message);
        Assert.Contains("Float32", ex.Message);
    }

    [Fact]
    public void WhereGradientGoesToTheChosenSide()
    {
        var cond = Tensor.FromArray(new[] { true, false, true });
        var x = F(1f, 2f, 3f); x.RequiresGrad = true;
        var y = Tensor.Scalar(5f); y.RequiresGrad = true;
        Tensor.Where(cond, x, y).Sum().Backward();
        Assert.Equal(new[] { 1f, 0f, 1f }, x.Grad!.ToFloatArray());
        Assert.Equal(1f, y.Grad!.Item());
    }

    [Fact]
    public void MaskedFillKeepsTheDtypeAndBroadcastsTheMask()
    {
        var t = Tensor.Arange(6).View(2, 3);
        var mask = Tensor.FromArray(new[] { false, true, true });
        var r = t.MaskedFill(mask, -1);
        Assert.Equal(DType.Int64, r.DType);
        Assert.Equal(new long[] { 0, -1, -1, 3, -1, -1 }, r.ToInt64Array());
        // The causal mask a GPT block builds: upper triangle to -inf.
        var scores = Tensor.Zeros(3, 3);
        var causal = Tensor.Ones(new[] { 3, 3 }, DType.Bool).Triu(1);
        var masked = scores.MaskedFill(causal, double.NegativeInfinity);
        Assert.Equal(new[] { 0f, float.NegativeInfinity, float.NegativeInfinity, 0f, 0f, float.NegativeInfinity, 0f, 0f, 0f }, masked.ToFloatArray());
        var bad = Assert.Throws<ArgumentException>(() => scores.MaskedFill(Tensor.Zeros(3, 3), 1.0));
        Assert.Contains("MaskedFill", bad.Message);
        Assert.Contains("Bool", bad.Message);
        var shape = Assert.Throws<ShapeException>(() => Tensor.Zeros(3).MaskedFill(Tensor.Zeros(new[] { 2, 3 }, DType.Bool), 1.0));
        Assert.Contains("MaskedFill", shape.Message);
    }

    [Fact]
    public void MaskedFillInPlaceWritesThroughAndGradientZeroesFilledPlaces()
    {
        var t = Tensor.Zeros(2, 2);
        t.MaskedFillInPlace(Tensor.FromArray(new[] { true, false, false, true }, 2, 2), 7.0);
        Assert.Equal(new[] { 7f, 0f, 0f, 7f }, t.ToFloatArray());

        var x = F(1f, 2f, 3f); x.RequiresGrad = true;
        (x.MaskedFill(Tensor.FromArray(new[] { false, true, false }), 0.0) * 2f).Sum().Backward();
        Assert.Equal(new[] { 2f, 0f, 2f }, x.Grad!.ToFloatArray());
    }

    [Fact]
    public void MaskedSelectAndMaskIndexingGatherInRowMajorOrder()
    {
        var t = Tensor.Arange(6).View(2, 3).ToDType(DType.Float32);
        var mask = t.Gt(1.5);
        var picked = t.MaskedSelect(mask);
        Assert.Equal(new[] { 4 }, picked.Shape);
        Assert.Equal(new[] { 2f, 3f, 4f, 5f }, picked.ToFloatArray());
        Assert.Equal(new[] { 2f, 3f, 4f, 5f }, t[mask].ToFloatArray());
        // A mask over the leading dim picks rows.
        var rows = t[Tensor.FromArray(new[] { false, true })];
        Assert.Equal(new[] { 1, 3 }, rows.Shape);
        Assert.Equal(new[] { 3f, 4f, 5f }, rows.ToFloatArray());
        var ex = Assert.Throws<ShapeException>(() => t[Tensor.FromArray(new[] { true, false, true })]);
        Assert.Contains("mask", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
    }

    [Fact]
    public void MaskIndexingSetsAndDifferentiates()
    {
        var t = Tensor.Zeros(2, 3);
        t[Tensor.FromArray(new[] { true, false, true, false, false, true }, 2, 3)] = Tensor.Scalar(9f);
        Assert.Equal(new[] { 9f, 0f, 9f, 0f, 0f, 9f }, t.ToFloatArray());
        t[Tensor.FromArray(new[] { false, true })] = F(1f, 2f, 3f);
        Assert.Equal(new[] { 9f, 0f, 9f, 1f, 2f, 3f }, t.ToFloatArray());

        var x = F(1f, 2f, 3f, 4f); x.RequiresGrad = true;
        (x.MaskedSelect(x.Gt(2.0)) * F(10f, 20f)).Sum().Backward();
        Assert.Equal(new[] { 0f, 0f, 10f, 20f }, x.Grad!.ToFloatArray());
    }

    [Fact]
    public void SumCountsAndAnyAllReduce()
    {
        var m = Tensor.FromArray(new[] { true, false, true, true, false, false }, 2, 3);
        var total = m.Sum();
        Assert.Equal(DType.Int64, total.DType);
        Assert.Equal(3L, total.ItemInt64());
        Assert.Equal(new long[] { 2, 1 }, m.Sum(1).ToInt64Array());
        Assert.True(m.Any().ItemBool());
        Assert.False(m.All().ItemBool());
        Assert.Equal(DType.Bool, m.Any(0).DType);
        Assert.Equal(new[] { true, false, true }, m.Any(0).ToBoolArray());
        Assert.Equal(new[] { true, false, false }, m.All(0).ToBoolArray());
        Assert.Equal(new[] { 1, 3 }, m.All(0, keepDim: true).Shape);
        Assert.True(Tensor.Zeros(new[] { 0 }, DType.Bool).All().ItemBool());
        Assert.False(Tensor.Zeros(new[] { 0 }).Any().ItemBool());
        Assert.True(F(0f, float.NaN).Any().ItemBool());
        var ex = Assert.Throws<ArgumentException>(() => m.Mean());
        Assert.Contains("Bool", ex.Message);
    }

    [Fact]
    public void BoolTensorsCannotRequireGrad()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Tensor.Zeros(new[] { 2 }, DType.Bool).RequiresGrad = true);
        Assert.Contains("floating point", ex.Message);
        Assert.Contains("Bool", ex.Message);
    }
}
