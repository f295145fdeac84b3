using ShapeSafe.Shapes;

namespace ShapeSafe.Tests.Indexing;

/// <summary><c>var (b, t, c) = x.Shape</c> and <c>x.Shape[^1]</c>, <c>x[^1]</c>: Python's unpacking and negative indexing.</summary>
public class ShapeDeconstructionTests
{
    [Fact]
    public void A_shape_unpacks_into_its_sizes()
    {
        var x = Tensor.Zeros(2, 3, 4);
        var (b, t, c) = x.Shape;
        Assert.Equal((2, 3, 4), (b, t, c));
        var (n, ch, h, w) = Tensor.Zeros(5, 1, 7, 9).Shape;
        Assert.Equal((5, 1, 7, 9), (n, ch, h, w));
        var (rows, cols) = Tensor.Zeros(6, 8).Shape;
        Assert.Equal((6, 8), (rows, cols));
        var (a0, a1, a2, a3, a4) = Tensor.Zeros(1, 2, 3, 4, 5).Shape;
        Assert.Equal((1, 2, 3, 4, 5), (a0, a1, a2, a3, a4));
    }

    [Fact]
    public void Another_count_is_Pythons_unpacking_error()
    {
        var x = Tensor.Zeros(2, 3, 4);
        var few = Assert.Throws<ShapeException>(() => { var (b, t) = x.Shape; });
        Assert.Equal("Deconstruct: too many values to unpack (expected 2): shape [2, 3, 4]", few.Message);
        var many = Assert.Throws<ShapeException>(() => { var (b, t, c, d) = x.Shape; });
        Assert.Equal("Deconstruct: not enough values to unpack (expected 4, got 3): shape [2, 3, 4]", many.Message);
    }

    [Fact]
    public void Indices_from_the_end_read_the_last_dim_and_row()
    {
        var x = Tensor.Arange(12).View(3, 4);
        Assert.Equal(4, x.Shape[^1]);
        Assert.Equal(3, x.Shape[^2]);
        var last = x[^1];
        Assert.Equal(new[] { 4 }, last.Shape);
        Assert.Equal(new long[] { 8, 9, 10, 11 }, last.ToInt64Array());
        Assert.Equal(new long[] { 3, 7, 11 }, x[.., ^1].ToInt64Array());
    }
}
