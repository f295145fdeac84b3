using ShapeSafe.Shapes;

namespace ShapeSafe.Shapes.Tests.Dims;

public class DimNormalFormTests
{
    static readonly Dim B = Dim.Named("B"), T = Dim.Named("T"), C = Dim.Named("C");
    static readonly Dim D = Dim.Named("D"), H = Dim.Named("H"), K = Dim.Named("K");

    [Fact]
    public void ProductsCommute() => Assert.Equal(B * T * C, C * B * T);

    [Fact]
    public void ConstantFactorCancels() => Assert.Equal(B * T, B * T * 64 / 64);

    [Fact]
    public void NameFactorCancels() => Assert.Equal(B, B * T / T);

    [Fact]
    public void QuotientTimesDivisorIsNumerator() => Assert.Equal(D, H * (D / H));

    [Fact]
    public void LikeTermsCollect() => Assert.Equal(3 * B, 2 * B + B);

    [Fact]
    public void DifferenceOfEqualsIsZero()
    {
        Assert.Equal(Dim.Zero, B - B);
        Assert.True((B - B).IsZero);
    }

    [Fact]
    public void ProductDistributes() => Assert.Equal(2 * B + 2, (B + 1) * 2);

    [Fact]
    public void ConstantDivisionLeavesRationalCoefficients()
    {
        var half = (B + 1) / 2;
        Assert.Equal(B + 1, half * 2);
        Assert.Equal(half, (3 * B + 3) / 6);
        Assert.Equal("(B + 1)/2", (half + B / 2 - B / 2).ToString());
    }

    [Fact]
    public void DivisionBySumThatDividesIsCarriedOut()
    {
        Assert.Equal(B + 1, (B * B - 1) / (B - 1));
        Assert.Equal(Dim.Of(2), (2 * B + 2) / (B + 1));
        Assert.Equal(T, (B * T + T) / (B + 1));
        Assert.Equal(Dim.One, (B + T) / (T + B));
    }

    [Fact]
    public void DivisionBySumThatDoesNotDivideCancelsLater()
    {
        var q = (B + 1) / (T + 1);
        Assert.Equal(B + 1, q * (T + 1));
        Assert.Equal(2 * B + 2, q * (2 * T + 2));
        Assert.Equal(q, B / (T + 1) + 1 / (T + 1));
        Assert.Equal(B / (T + 1), 2 * B / (2 * T + 2));
        Assert.Equal(Dim.One, (B + 1) / (T + 1) * ((T + 1) / (B + 1)));
        Assert.Equal(1 + C / (B + 3), (B + C + 3) / (B + 3)); // the part that divides leaves the atom
    }

    [Fact]
    public void ConstantsDivideExactlyOrThrow()
    {
        Assert.Equal(Dim.Of(3), Dim.Of(12) / 4);
        Assert.Throws<ArithmeticException>(() => Dim.Of(3) / 2);
        Assert.Throws<DivideByZeroException>(() => B / 0);
    }

    [Fact]
    public void FloorDivisionIsExactWhenItCanBe()
    {
        Assert.Equal(B, Dim.FloorDivide(2 * B, 2));
        Assert.Equal(Dim.Of(3), Dim.FloorDivide(7, 2));
        Assert.Equal(D / H, Dim.FloorDivide(B * (D / H), B));
        var f = Dim.FloorDivide(H - 3, 2);
        Assert.Equal("(H - 3)//2", f.ToString());
        Assert.Equal(f, Dim.FloorDivide(H - 3, 2));
        Assert.NotEqual(f, (H - 3) / 2);
    }

    [Fact]
    public void ConstantsAndNamesReport()
    {
        Assert.True(Dim.Of(64).TryGetConstant(out long v));
        Assert.Equal(64, v);
        Assert.True((B - B + 5).IsConstant);
        Assert.False(B.IsConstant);
        Assert.True(B.TryGetName(out var name));
        Assert.Equal("B", name);
        Assert.False((2 * B).TryGetName(out _));
        Assert.Equal(new[] { "B", "D", "H", "T" }, (B * D / H + Dim.FloorDivide(T, 2)).Names);
    }

    [Theory]
    [InlineData("64", "64")]
    [InlineData("B*T", "B*T")]
    [InlineData("T*B", "B*T")]
    [InlineData("D/H", "D/H")]
    [InlineData("B + B + 1", "2*B + 1")]
    [InlineData("1 + L", "L + 1")]
    [InlineData("B*B*T + B - 3", "B*B*T + B - 3")]
    [InlineData("(H + 2*P - K)/S + 1", "(H + 2*P - K)/S + 1")]
    [InlineData("(H - 3)//2 + 1", "(H - 3)//2 + 1")]
    [InlineData("2*((H - 3)//S)", "2*((H - 3)//S)")]
    [InlineData("(B + 1)/2", "(B + 1)/2")]
    [InlineData("3*B/2", "3*B/2")]
    [InlineData("D/(H*H)", "D/(H*H)")]
    [InlineData("(B + 1)/(T + 1)", "(B + 1)/(T + 1)")]
    [InlineData("B/(2*T + 2)", "B/2/(T + 1)")]
    [InlineData("K - H", "K - H")]
    [InlineData("0 - B", "-B")]
    [InlineData("1/H", "1/H")]
    public void PrintsReadablyAndCanonically(string text, string expected)
    {
        var dim = Dim.Parse(text);
        Assert.Equal(expected, dim.ToString());
        Assert.Equal(dim, Dim.Parse(expected));
    }

    [Fact]
    public void SubstitutesConcreteValues()
    {
        var values = new Dictionary<string, long> { ["B"] = 4, ["T"] = 3, ["D"] = 12, ["H"] = 4 };
        Assert.Equal(4 * 3 * 3, (B * T * (D / H)).Substitute(values));
        Assert.Equal(2, Dim.FloorDivide(D - 3, 4).Substitute(values));
        Assert.Equal(1, ((B + 1) / (T + 2)).Substitute(values));
        Assert.Null((D / (T + 2)).Substitute(values)); // 12/5 is not exact
        Assert.Null((B * C).Substitute(values)); // C is missing
        Assert.Null(Dim.Anonymous().Substitute(values));
    }

    [Fact]
    public void SubstituteChecksQuotientsThatCancelled()
    {
        var values = new Dictionary<string, long> { ["D"] = 3, ["H"] = 2 };
        Assert.Equal(D, H * (D / H));
        Assert.Null((H * (D / H)).Substitute(values));
        Assert.Equal(3, D.Substitute(values));
        Assert.Equal(3, (H * (D / H)).Substitute(new Dictionary<string, long> { ["D"] = 3 })); // H is not part of the value
    }

    [Fact]
    public void AnonymousDimsEqualOnlyThemselves()
    {
        var a = Dim.Anonymous("_");
        Assert.Equal(a, a);
        Assert.NotEqual(a, Dim.Anonymous("_"));
        Assert.Equal("_", a.ToString());
        Assert.Empty(a.Names);
    }

    [Fact]
    public void NamesMustBeIdentifiers()
    {
        Assert.Throws<ArgumentException>(() => Dim.Named("_"));
        Assert.Throws<ArgumentException>(() => Dim.Named("2B"));
        Assert.Throws<ArgumentException>(() => Dim.Named("B T"));
        Assert.Equal("_hidden2", Dim.Named("_hidden2").ToString());
    }

    [Fact]
    public void EqualDimsHashEqually()
    {
        Assert.Equal((B + 1) * (T + 1), B * T + B + T + 1);
        Assert.Equal(((B + 1) * (T + 1)).GetHashCode(), (B * T + B + T + 1).GetHashCode());
        Assert.True(B * 2 == 2 * B);
        Assert.True(B != T);
    }
}
