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
        var (s0, s1, s2, s3, s4, s5) = Tensor.Zeros(6, 5, 4, 3, 2, 1).Shape;
        Assert.Equal((6, 5, 4, 3, 2, 1), (s0, s1, s2, s3, s4, s5));
    }

    [Fact]
    public void Six_names_for_a_shape_of_another_rank_is_the_unpacking_error()
    {
        var few = Assert.Throws<ShapeException>(() => { var (a, b, c, d, e, f) = Tensor.Zeros(1, 2, 3, 4, 5).Shape; });
        Assert.Equal("Deconstruct: not enough values to unpack (expected 6, got 5): shape [1, 2, 3, 4, 5]", few.Message);
        var many = Assert.Throws<ShapeException>(() => { var (a, b, c, d, e) = Tensor.Zeros(1, 2, 3, 4, 5, 6).Shape; });
        Assert.Equal("Deconstruct: too many values to unpack (expected 5): shape [1, 2, 3, 4, 5, 6]", many.Message);
    }

    [Fact]
    public void Length_is_the_size_of_dim_0_as_len_is()
    {
        Assert.Equal(3, Tensor.Zeros(3, 4).Length);
        Assert.Equal(7, Tensor.Zeros(7).Length);
        Assert.Equal(0, Tensor.Zeros(0, 2).Length);
        var scalar = Assert.Throws<ShapeException>(() => Tensor.Scalar(1f).Length);
        Assert.Equal("Length: len() of a 0-d tensor", scalar.Message);
    }

    [Fact]
    public void An_index_from_the_end_counts_back_from_the_length()
    {
        var x = Tensor.Arange(12).View(3, 4);
        Assert.Equal(new long[] { 0, 1, 2, 3 }, x[^3].ToInt64Array());
        Assert.Equal(new long[] { 4, 5, 6, 7 }, x[^2].ToInt64Array());
        Assert.Equal(new long[] { 8, 9, 10, 11 }, x[x.Length - 1].ToInt64Array());
        Assert.Equal(11L, x[^1][^1].ItemInt64());
        var past = Assert.Throws<ShapeException>(() => x[^4]);
        Assert.Equal("Select: index -4 is out of bounds for dimension 0 with size 3 (shape [3, 4])", past.Message);
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
