using ShapeSafe.Shapes;

namespace ShapeSafe.Shapes.Tests.Dims;

public class SymbolicDimsTests
{
    static readonly SymbolicDims S = default;
    static Dim P(string text) => Dim.Parse(text);

    [Theory]
    [InlineData("B*T*C", "C*B*T", Truth.True)]
    [InlineData("H*(D/H)", "D", Truth.True)]
    [InlineData("B + 1", "B", Truth.False)]   // constant difference
    [InlineData("64", "32", Truth.False)]
    [InlineData("B", "T", Truth.False)]       // distinct names: the naming policy
    [InlineData("B + T", "B", Truth.False)]   // T >= 1
    [InlineData("B", "0", Truth.False)]       // names are >= 1
    [InlineData("B*T", "64", Truth.Unknown)]
    [InlineData("B", "4", Truth.Unknown)]
    [InlineData("B", "1", Truth.Unknown)]
    [InlineData("2*B", "2*T", Truth.Unknown)] // the policy covers plain names only
    [InlineData("B - 1", "0", Truth.Unknown)]
    [InlineData("(H - 3)//2", "(H - 3)//2", Truth.True)]
    [InlineData("(H - 3)//2", "(H - 3)/2", Truth.Unknown)]
    public void Equal(string a, string b, Truth expected)
    {
        Assert.Equal(expected, S.Equal(P(a), P(b)));
        Assert.Equal(expected, S.Equal(P(b), P(a)));
    }

    [Fact]
    public void AnonymousDimsAreNotCoveredByTheNamingPolicy() =>
        Assert.Equal(Truth.Unknown, S.Equal(Dim.Anonymous(), P("B")));

    [Theory]
    [InlineData("B", "B + 1", Truth.True)]
    [InlineData("0", "B", Truth.True)]
    [InlineData("B", "B*T + 1", Truth.True)]   // B*T covers B
    [InlineData("0", "D/H", Truth.True)]
    [InlineData("B", "B", Truth.False)]
    [InlineData("B*T", "B", Truth.False)]      // B*T >= B
    [InlineData("B", "B*T", Truth.Unknown)]    // T may be 1
    [InlineData("B", "T", Truth.Unknown)]
    [InlineData("B", "4", Truth.Unknown)]
    [InlineData("3", "4", Truth.True)]
    [InlineData("4", "3", Truth.False)]
    [InlineData("1", "B", Truth.Unknown)]
    [InlineData("0", "(H - 3)//2 + 1", Truth.Unknown)] // H may be 1
    [InlineData("0", "(H + 3)//2 + 1", Truth.True)]
    public void Less(string a, string b, Truth expected) => Assert.Equal(expected, S.Less(P(a), P(b)));

    [Theory]
    [InlineData("B*T*C", "T", Truth.True, "B*C")]
    [InlineData("2*B + 4", "2", Truth.True, "B + 2")]
    [InlineData("B*T + T", "B + 1", Truth.True, "T")]
    [InlineData("B + 1", "B + 1", Truth.True, "1")]
    [InlineData("B*T*D", "B*T*H", Truth.Unknown, "0")] // D/H is not stated
    [InlineData("B*D", "4", Truth.Unknown, "0")]
    [InlineData("2*B + 1", "2", Truth.Unknown, "0")]
    [InlineData("12", "4", Truth.True, "3")]
    [InlineData("12", "5", Truth.False, "0")]
    [InlineData("B", "0", Truth.False, "0")]
    public void TryDivideExact(string a, string b, Truth expected, string quotient)
    {
        Assert.Equal(expected, S.TryDivideExact(P(a), P(b), out var q));
        Assert.Equal(P(quotient), q);
    }

    [Fact]
    public void StatedQuotientsMakeLaterDivisionsExact()
    {
        // [Shape("B, H, T, D/H")] viewed as (B*H, T, -1): the element count B*H*T*(D/H) is B*T*D.
        Dim b = P("B"), h = P("H"), t = P("T"), headDim = P("D/H");
        var numel = b * h * t * headDim;
        Assert.Equal(P("B*T*D"), numel);
        Assert.Equal(Truth.True, S.TryDivideExact(numel, b * h * t, out var q));
        Assert.Equal(headDim, q);
        // Without the stated fact, the same normal form proves nothing.
        Assert.Equal(Truth.Unknown, S.TryDivideExact(P("B*T*D"), b * h * t, out _));
        // (D*T)/H states that H divides D*T, not that it divides D.
        Assert.Equal(Truth.Unknown, S.TryDivideExact(P("(D*T)/H"), t, out _));
    }

    [Fact]
    public void FloorDivideKeepsInexactQuotientsOpaque()
    {
        var size = S.Add(S.FloorDivide(P("H + 2*P - K"), P("S")), S.Constant(1));
        Assert.Equal("(H + 2*P - K)//S + 1", S.Format(size));
        Assert.Equal(P("(H + 2*P - K)//S + 1"), size);
        Assert.Equal(P("H - K + 2*P + 1"), S.Add(S.FloorDivide(P("H + 2*P - K"), S.Constant(1)), S.Constant(1)));
    }

    [Fact]
    public void ConstantsRoundTrip()
    {
        Assert.True(S.TryGetConstant(S.Constant(64), out long v));
        Assert.Equal(64, v);
        Assert.False(S.TryGetConstant(P("B"), out _));
        Assert.Equal("B*T", S.Format(S.Multiply(P("T"), P("B"))));
        Assert.Equal(P("B - T"), S.Subtract(P("B"), P("T")));
    }

    [Fact]
    public void RulesRunOverSymbolicDims()
    {
        Dim b = P("B"), t = P("T"), c = P("C");
        var result = ShapeRules<Dim, SymbolicDims>.Matmul(new[] { b, t, c }, new[] { c, P("4*C") });
        Assert.Equal("[B, T, 4*C]", ShapeRules<Dim, SymbolicDims>.Format(result));
        Assert.Throws<ShapeException>(() => ShapeRules<Dim, SymbolicDims>.Matmul(new[] { b, t }, new[] { c, t }));
    }
}
