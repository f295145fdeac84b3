namespace ShapeSafe.Tests.Seed;

/// <summary>
/// Seed section 3, "dimension-changing operations": every example. The seed fills its inputs with
/// <c>torch.randn</c>; only shapes matter there, so these use an arange (whose values also show where each element
/// went).
/// </summary>
public class ShapeOpsSeedTests
{
    static Tensor Floats(params int[] shape)
    {
        int n = 1;
        foreach (var s in shape) n *= s;
        return Tensor.Arange(0.0, n).Reshape(shape);
    }

    [Fact]
    public void View_needs_no_copy_and_infers_one_minus_one()
    {
        var x = Floats(4, 4);

        var y = x.View(16);
        var z = x.View(-1, 8);

        Assert.Equal([16], y.Shape);
        Assert.Equal([2, 8], z.Shape);
        Assert.Equal([8, 1], z.Strides);
        Assert.True(y.SharesStorage(x));
        Assert.True(z.SharesStorage(x));
        Assert.Equal(x.ToFloatArray(), z.ToFloatArray());
    }

    [Fact]
    public void Reshape_changes_the_shape_without_copying_when_it_can()
    {
        var a = Floats(4, 4);

        var b = a.Reshape(2, 8);

        Assert.Equal([2, 8], b.Shape);
        Assert.True(b.SharesStorage(a));
    }

    [Fact]
    public void Squeeze_removes_size_one_dims()
    {
        var x = Tensor.Zeros(2, 1, 3, 1, 4);

        Assert.Equal([2, 3, 4], x.Squeeze().Shape);
        Assert.Equal([2, 3, 1, 4], x.Squeeze(1).Shape);
    }

    [Fact]
    public void Unsqueeze_inserts_a_size_one_dim()
    {
        var x = Tensor.FromArray(new long[] { 1, 2, 3 });

        var y = x.Unsqueeze(0);
        var z = x.Unsqueeze(1);

        Assert.Equal([1, 3], y.Shape);
        Assert.Equal([3, 1], z.Shape);
        Assert.Equal("tensor([[1, 2, 3]])", y.ToString());
        Assert.Equal("tensor([[1],\n        [2],\n        [3]])", z.ToString());
    }

    [Fact]
    public void Transpose_swaps_two_dims()
    {
        var x = Floats(2, 3, 5);

        var y = x.Transpose(0, 2);

        Assert.Equal([5, 3, 2], y.Shape);
        Assert.Equal([1, 5, 15], y.Strides);
        Assert.True(y.SharesStorage(x));
    }

    [Fact]
    public void Permute_reorders_every_dim()
    {
        var x = Floats(2, 3, 5);

        var y = x.Permute(2, 0, 1);

        Assert.Equal([5, 2, 3], y.Shape);
        Assert.Equal([1, 15, 5], y.Strides);
        Assert.True(y.SharesStorage(x));
    }

    [Fact]
    public void Expand_broadcasts_size_one_dims_without_allocating()
    {
        var x = Tensor.FromArray(new long[,] { { 1 }, { 2 }, { 3 } });

        var y = x.Expand(3, 4);

        Assert.Equal("tensor([[1, 1, 1, 1],\n        [2, 2, 2, 2],\n        [3, 3, 3, 3]])", y.ToString());
        Assert.Equal([3, 4], y.Shape);
        Assert.Equal([1, 0], y.Strides);
        Assert.True(y.SharesStorage(x));
    }

    [Fact]
    public void Repeat_tiles_the_data_into_new_memory()
    {
        var x = Tensor.FromArray(new long[] { 1, 2, 3 });

        var y = x.Repeat(2, 3);

        Assert.Equal([2, 9], y.Shape);
        Assert.Equal(new long[] { 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3 }, y.ToInt64Array());
        Assert.Equal("tensor([[1, 2, 3, 1, 2, 3, 1, 2, 3],\n        [1, 2, 3, 1, 2, 3, 1, 2, 3]])", y.ToString());
        Assert.False(y.SharesStorage(x));
    }

    [Fact]
    public void Flatten_merges_all_dims_or_those_from_start_dim()
    {
        var x = Floats(2, 3, 4);

        var y = x.Flatten();
        var z = x.Flatten(startDim: 1);

        Assert.Equal([24], y.Shape);
        Assert.Equal([2, 12], z.Shape);
        Assert.Equal(x.ToFloatArray(), y.ToFloatArray());
        Assert.True(y.SharesStorage(x));
    }

    [Fact]
    public void Ravel_flattens_returning_a_view_when_it_can()
    {
        var x = Floats(2, 3, 4);

        var y = x.Ravel();

        Assert.Equal([24], y.Shape);
        Assert.True(y.SharesStorage(x));
        // On a non-contiguous input ravel copies, as PyTorch's "may return a view" says.
        Assert.False(x.Transpose(0, 2).Ravel().SharesStorage(x));
    }

    [Fact]
    public void Stack_joins_along_a_new_dim()
    {
        var x = Floats(3, 4);
        var y = Tensor.Full([3, 4], 100f);

        var z = Tensor.Stack([x, y]);

        Assert.Equal([2, 3, 4], z.Shape);
        Assert.Equal(x.ToFloatArray(), z[0].ToFloatArray());
        Assert.Equal(y.ToFloatArray(), z[1].ToFloatArray());
    }

    [Fact]
    public void Cat_joins_along_an_existing_dim()
    {
        var x = Tensor.Zeros(2, 3);
        var y = Tensor.Ones(2, 5);

        var z = Tensor.Cat([x, y], dim: 1);

        Assert.Equal([2, 8], z.Shape);
        Assert.Equal(new float[] { 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1 }, z.ToFloatArray());
    }

    [Fact]
    public void Split_cuts_pieces_of_the_given_size_and_a_smaller_last_one()
    {
        var x = Floats(5, 10);

        var pieces = x.Split(2, dim: 0);

        Assert.Equal(3, pieces.Length);
        Assert.Equal([2, 10], pieces[0].Shape);
        Assert.Equal([2, 10], pieces[1].Shape);
        Assert.Equal([1, 10], pieces[2].Shape);
        Assert.All(pieces, p => Assert.True(p.SharesStorage(x)));
        Assert.Equal(40f, pieces[2].ToFloatArray()[0]);
    }

    [Fact]
    public void Chunk_cuts_pieces_of_ceil_size_so_ten_in_three_gives_four_four_two()
    {
        var x = Floats(5, 10);

        var pieces = x.Chunk(3, dim: 1);

        // The seed says (5, 4), (5, 3), (5, 3), but PyTorch splits by ceil(10 / 3) = 4: torch.chunk(torch.randn(5, 10),
        // 3, dim=1) gives shapes (5, 4), (5, 4), (5, 2). PyTorch wins.
        Assert.Equal(3, pieces.Length);
        Assert.Equal([5, 4], pieces[0].Shape);
        Assert.Equal([5, 4], pieces[1].Shape);
        Assert.Equal([5, 2], pieces[2].Shape);
        Assert.Equal(new float[] { 8, 9, 18, 19, 28, 29, 38, 39, 48, 49 }, pieces[2].ToFloatArray());
    }

    [Fact]
    public void BroadcastTo_expands_to_the_given_shape()
    {
        var x = Floats(3, 1);

        var y = x.BroadcastTo(3, 5);

        Assert.Equal([3, 5], y.Shape);
        Assert.Equal([1, 0], y.Strides);
        Assert.True(y.SharesStorage(x));
    }

    [Fact]
    public void Narrow_keeps_length_elements_from_start_along_a_dim()
    {
        var x = Floats(3, 5);

        var y = x.Narrow(1, 1, 2);

        Assert.Equal([3, 2], y.Shape);
        Assert.Equal(new float[] { 1, 2, 6, 7, 11, 12 }, y.ToFloatArray());
        Assert.True(y.SharesStorage(x));
    }

    [Fact]
    public void Unfold_makes_sliding_windows_as_a_new_last_dim()
    {
        var x = Tensor.Arange(1, 8);

        var y = x.Unfold(0, 3, 1);

        Assert.Equal([5, 3], y.Shape);
        Assert.Equal([1, 1], y.Strides);
        Assert.Equal("tensor([[1, 2, 3],\n        [2, 3, 4],\n        [3, 4, 5],\n        [4, 5, 6],\n        [5, 6, 7]])", y.ToString());
        Assert.True(y.SharesStorage(x));
    }
}
