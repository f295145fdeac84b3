using ShapeSafe.Shapes;

namespace ShapeSafe.Shapes.Tests.Dims;

public class DimParserTests
{
    [Fact]
    public void ParsesDimsWildcardsAndEllipsis()
    {
        var result = DimParser.Parse("..., B, _, D/H, 64");
        Assert.True(result.Success);
        var shape = result.Shape!;
        Assert.True(shape.HasEllipsis);
        Assert.Equal(4, shape.Entries.Count);
        Assert.Equal(Dim.Named("B"), shape.Entries[0].Dim);
        Assert.True(shape.Entries[1].IsWildcard);
        Assert.Equal(Dim.Named("D") / Dim.Named("H"), shape.Entries[2].Dim);
        Assert.Equal(Dim.Of(64), shape.Entries[3].Dim);
        Assert.Equal("..., B, _, D/H, 64", shape.ToString());
    }

    [Fact]
    public void EntriesRememberWhereTheyWereWritten()
    {
        var shape = DimParser.Parse("B,  T * 2 ,_").Shape!;
        Assert.Equal((0, 1), (shape.Entries[0].Position, shape.Entries[0].Length));
        Assert.Equal((4, 5), (shape.Entries[1].Position, shape.Entries[1].Length));
        Assert.Equal((11, 1), (shape.Entries[2].Position, shape.Entries[2].Length));
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("   ", "")]
    [InlineData("B, 784", "B, 784")]
    [InlineData("B,T,C", "B, T, C")]
    [InlineData("...", "...")]
    [InlineData("..., 10", "..., 10")]
    [InlineData("B*T, (C)", "B*T, C")]
    [InlineData("L + 1, L - 1", "L + 1, L - 1")]
    [InlineData("(H + 2*P - K)//S + 1", "(H + 2*P - K)//S + 1")]
    [InlineData("Hidden_2, _x", "Hidden_2, _x")]
    [InlineData("0", "0")]
    [InlineData("-B + 2*B", "B")]
    [InlineData("3/2*2, 7/3 + 2/3", "3, 3")]
    public void Accepts(string text, string canonical)
    {
        var result = DimParser.Parse(text);
        Assert.True(result.Success, result.Error?.ToString());
        Assert.Equal(canonical, result.Shape!.ToString());
    }

    [Theory]
    [InlineData("B,", 2, "expected a dim")]
    [InlineData(", B", 0, "expected a dim")]
    [InlineData("B T", 2, "expected ',' or an operator")]
    [InlineData("B, (T + 1", 9, "expected ')' to close the '(' at position 3")]
    [InlineData("B, T +", 6, "expected a number, a name or '(' but the text ended")]
    [InlineData("B, ...", 3, "'...' (any number of leading dims) is allowed only as the first dim")]
    [InlineData("..., ...", 5, "only as the first dim")]
    [InlineData("B, _ + 1", 3, "'_' (an unchecked dim) must stand alone")]
    [InlineData("B*_", 2, "'_' (an unchecked dim) must stand alone")]
    [InlineData("B, 3/2", 3, "3/2 is not a whole number")]
    [InlineData("B, (B + 1)/2 - B/2", 3, "1/2 is not a whole number")]
    [InlineData("B/0", 1, "division by 0")]
    [InlineData("B/(T - T)", 1, "division by 0")]
    [InlineData("2B", 0, "a name cannot start with a digit")]
    [InlineData("B, #", 3, "found '#'")]
    [InlineData("99999999999999999999", 0, "too large")]
    [InlineData("B, -1", 3, "a size cannot be negative")]
    [InlineData("B, 1 - B - T", 3, "a size cannot be negative")]
    [InlineData("-B", 0, "a size cannot be negative")]
    [InlineData("B, 2*-T", 5, "expected a number, a name or '('")]
    public void RejectsWithPosition(string text, int position, string message)
    {
        var result = DimParser.Parse(text);
        Assert.False(result.Success);
        Assert.Null(result.Shape);
        Assert.Equal(position, result.Error!.Position);
        Assert.Contains(message, result.Error.Message);
    }

    [Fact]
    public void DeepNestingIsAnErrorNotACrash()
    {
        var text = new string('(', 10_000) + "B" + new string(')', 10_000);
        var result = DimParser.Parse(text);
        Assert.False(result.Success);
        Assert.Contains("nested too deeply", result.Error!.Message);
    }

    [Fact]
    public void SingleDimParsing()
    {
        Assert.Equal(Dim.Named("B") * 2 + 1, Dim.Parse(" 2*B + 1 "));
        Assert.True(DimParser.TryParseDim("D/H", out var dim, out var error));
        Assert.Null(error);
        Assert.Equal("D/H", dim!.ToString());
        Assert.False(DimParser.TryParseDim("B, T", out _, out error));
        Assert.Equal(1, error!.Position);
        Assert.False(DimParser.TryParseDim("_", out _, out _));
        Assert.False(DimParser.TryParseDim("", out _, out _));
        var ex = Assert.Throws<FormatException>(() => Dim.Parse("B +"));
        Assert.Contains("position 3", ex.Message);
    }

    [Fact]
    public void A_product_of_many_sums_is_an_unchecked_entry_found_in_milliseconds()
    {
        var product = string.Join("*", Enumerable.Range(0, 40).Select(i => $"(A{i}+B{i})"));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var shape = DimParser.Parse($"B, {product}, 3").Shape!;
        Assert.True(watch.ElapsedMilliseconds < 500, $"{watch.ElapsedMilliseconds} ms");
        Assert.Equal(Dim.Named("B"), shape.Entries[0].Dim);
        Assert.True(shape.Entries[1].IsWildcard);
        Assert.Equal(Dim.Of(3), shape.Entries[2].Dim);
        Assert.False(DimParser.TryParseDim(product, out _, out var error));
        Assert.Contains("too large", error!.Message);
    }

    [Fact]
    public void Coefficients_past_64_bits_make_an_unchecked_entry_not_an_exception()
    {
        var shape = DimParser.Parse("B, 9999999999*9999999999*B").Shape!;
        Assert.True(shape.Entries[1].IsWildcard);
    }
}
