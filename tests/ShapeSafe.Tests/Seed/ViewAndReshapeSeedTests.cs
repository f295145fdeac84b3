namespace ShapeSafe.Tests.Seed;

/// <summary>
/// Seed section 1, "view and reshape: alike and different": every example, with the printed output the seed shows
/// (storage addresses become <see cref="Tensor.SharesStorage"/>).
/// </summary>
public class ViewAndReshapeSeedTests
{
    [Fact]
    public void A_slice_shares_storage_and_writes_through_to_its_base()
    {
        var a = Tensor.Arange(5);
        var b = a[2..];

        Assert.Equal("tensor([0, 1, 2, 3, 4])", a.ToString());
        Assert.Equal("tensor([2, 3, 4])", b.ToString());
        Assert.True(a.SharesStorage(b));

        b[1] = 0f;

        Assert.Equal("tensor([0, 1, 2, 0, 4])", a.ToString());
        Assert.Equal("tensor([2, 0, 4])", b.ToString());
        Assert.True(a.SharesStorage(b));
        Assert.Equal(2, b.StorageOffset);
    }

    [Fact]
    public void Stride_is_the_step_in_storage_from_one_element_to_the_next_along_a_dim()
    {
        var x = Tensor.FromArray(new long[,] { { 1, 3, 5, 7 }, { 7, 7, 7, 7 } });

        Assert.Equal("tensor([[1, 3, 5, 7],\n        [7, 7, 7, 7]])", x.ToString());
        Assert.Equal(4, x.Stride(0));
        Assert.Equal(1, x.Stride(1));
    }

    [Fact]
    public void Permute_swaps_strides_so_the_transpose_is_not_contiguous()
    {
        var a = Tensor.Arange(9).Reshape(3, 3);
        var b = a.Permute(1, 0);

        Assert.Equal("tensor([[0, 1, 2],\n        [3, 4, 5],\n        [6, 7, 8]])", a.ToString());
        Assert.Equal([3, 3], a.Shape);
        Assert.Equal([3, 1], a.Strides);
        Assert.True(a.IsContiguous);

        Assert.Equal("tensor([[0, 3, 6],\n        [1, 4, 7],\n        [2, 5, 8]])", b.ToString());
        Assert.Equal([3, 3], b.Shape);
        Assert.Equal([1, 3], b.Strides);
        Assert.False(b.IsContiguous);
        Assert.True(a.SharesStorage(b));
    }

    [Fact]
    public void View_of_a_contiguous_tensor_flattens_it()
    {
        var a = Tensor.Arange(9).Reshape(3, 3);

        var flat = a.View(-1);

        Assert.Equal("tensor([0, 1, 2, 3, 4, 5, 6, 7, 8])", flat.ToString());
        Assert.True(flat.SharesStorage(a));
    }

    [Fact]
    public void View_of_the_permuted_tensor_is_refused_and_points_to_Reshape()
    {
        var a = Tensor.Arange(9).Reshape(3, 3);
        var b = a.Permute(1, 0);

        var e = Assert.Throws<ShapeException>(() => b.View(-1));

        Assert.Contains("view size is not compatible with input tensor's size and stride", e.Message);
        Assert.Contains("Reshape(", e.Message);
        Assert.Equal("View", e.Operation);
        // The message names the input's shape and strides, as API.md asks of every shape error.
        Assert.Contains("[3, 3]", e.Message);
        Assert.Contains("[1, 3]", e.Message);
    }

    [Fact]
    public void Contiguous_copies_into_new_storage_which_can_then_be_viewed()
    {
        var a = Tensor.Arange(9).Reshape(3, 3);
        var b = a.Permute(1, 0);
        var c = b.Contiguous();

        Assert.Equal("tensor([0, 3, 6, 1, 4, 7, 2, 5, 8])", c.View(-1).ToString());
        Assert.True(a.SharesStorage(b));
        Assert.False(a.SharesStorage(c));
        Assert.False(b.SharesStorage(c));
        Assert.True(c.IsContiguous);
    }

    [Fact]
    public void Reshape_is_a_view_when_the_layout_allows_and_otherwise_contiguous_then_view()
    {
        var a = Tensor.Arange(9).Reshape(3, 3);
        var b = a.Permute(1, 0);

        var fromContiguous = a.Reshape(-1);
        var fromPermuted = b.Reshape(-1);

        Assert.True(fromContiguous.SharesStorage(a));
        Assert.Equal(a.View(-1).ToInt64Array(), fromContiguous.ToInt64Array());
        Assert.False(fromPermuted.SharesStorage(b));
        Assert.Equal(b.Contiguous().View(-1).ToInt64Array(), fromPermuted.ToInt64Array());
        Assert.Equal("tensor([0, 3, 6, 1, 4, 7, 2, 5, 8])", fromPermuted.ToString());
    }
}
