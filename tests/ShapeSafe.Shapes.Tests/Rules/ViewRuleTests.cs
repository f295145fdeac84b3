using ConcreteRules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Shapes.Tests.Rules;

public class ViewRuleTests
{
    [Fact]
    public void InferSize_resolves_one_minus_one()
    {
        Assert.Equal([2, 3, 4], ConcreteRules.InferSize("View", [4, 6], [2, -1, 4]));
        Assert.Equal([0, 5], ConcreteRules.InferSize("View", [5, 0], [0, 5]));
    }

    [Fact]
    public void InferSize_refuses_two_minus_ones()
    {
        var e = RuleAssert.Refuses("View", () => ConcreteRules.InferSize("View", [2, 3], [-1, -1]), "[-1, -1]", "[2, 3]");
        Assert.Equal("View: only one dimension can be inferred, but [-1, -1] has more than one -1 (input shape [2, 3])", e.Message);
    }

    [Fact]
    public void InferSize_refuses_a_count_that_does_not_divide()
    {
        var e = RuleAssert.Refuses("Reshape", () => ConcreteRules.InferSize("Reshape", [2, 3], [4, -1]), "[4, -1]", "[2, 3]", "6 elements");
        Assert.Equal("Reshape: shape '[4, -1]' is invalid for input of shape [2, 3] (6 elements)", e.Message);
    }

    [Fact]
    public void InferSize_refuses_a_different_count()
    {
        RuleAssert.Refuses("View", () => ConcreteRules.InferSize("View", [3, 3, 3], [28]), "'[28]'", "[3, 3, 3]", "27 elements");
    }

    [Fact]
    public void InferSize_refuses_minus_one_beside_a_zero_as_ambiguous()
    {
        RuleAssert.Refuses("View", () => ConcreteRules.InferSize("View", [0, 4], [0, -1]), "[0, 4]", "[0, -1]", "ambiguous");
    }

    [Fact]
    public void InferSize_refuses_sizes_below_minus_one()
    {
        RuleAssert.Refuses("View", () => ConcreteRules.InferSize("View", [6], [-2, 3]), "-2", "[-2, 3]");
    }

    [Fact]
    public void View_of_a_transpose_names_the_shape_the_strides_and_the_request()
    {
        var transposed = ConcreteRules.Transpose(ConcreteRules.Contiguous([3, 4]), 0, 1);

        var e = RuleAssert.Refuses("View", () => ConcreteRules.View(transposed, [-1]));

        Assert.Equal(
            "View: view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). "
            + "Use .Reshape(...) instead. Input shape [4, 3] with strides [1, 4], requested [-1].",
            e.Message);
    }

    [Fact]
    public void View_splits_and_merges_within_contiguous_chunks()
    {
        // [2, 3, 4] narrowed to [2, 3, 2]: dims 0 and 1 stay one chunk (stride 12 = 3 × 4), dim 2 is its own.
        var narrowed = ConcreteRules.Narrow(ConcreteRules.Contiguous([2, 3, 4]), 2, 1, 2);

        var merged = ConcreteRules.View(narrowed, [6, 2]);

        Assert.Equal([6, 2], merged.Sizes);
        Assert.Equal([4, 1], merged.Strides);
        Assert.Equal(1, merged.Offset);
        RuleAssert.Refuses("View", () => ConcreteRules.View(narrowed, [12]), "[2, 3, 2]", "[12, 4, 1]", "[12]");
    }

    [Fact]
    public void TryReshapeAsView_says_when_Reshape_must_copy()
    {
        var transposed = ConcreteRules.Transpose(ConcreteRules.Contiguous([3, 4]), 0, 1);

        Assert.False(ConcreteRules.TryReshapeAsView(transposed, [12], out var sizes, out _));
        Assert.Equal([12], sizes);
        Assert.True(ConcreteRules.TryReshapeAsView(transposed, [4, 3, 1], out _, out var view));
        // ATen gives a trailing size-1 dim the stride of the chunk it closes: torch.arange(12).reshape(3, 4).t()
        // .view(4, 3, 1).stride() is (1, 4, 4).
        Assert.Equal([1, 4, 4], view.Strides);
    }

    [Fact]
    public void Expand_grows_size_one_dims_with_stride_zero_and_adds_leading_dims()
    {
        var expanded = ConcreteRules.Expand(ConcreteRules.Contiguous([3, 1]), [2, 3, 4]);

        Assert.Equal([2, 3, 4], expanded.Sizes);
        Assert.Equal([0, 1, 0], expanded.Strides);
        Assert.Equal([3, 4], ConcreteRules.Expand(ConcreteRules.Contiguous([3, 1]), [-1, 4]).Sizes);
    }

    [Fact]
    public void Expand_refuses_growing_a_dim_that_is_not_one()
    {
        var e = RuleAssert.Refuses("Expand", () => ConcreteRules.Expand(ConcreteRules.Contiguous([3, 2]), [3, 4]), "[3, 4]", "[3, 2]");
        Assert.Equal(
            "Expand: the expanded size of the tensor (4) must match the existing size (2) at non-singleton dimension 1. Target sizes: [3, 4]. Tensor sizes: [3, 2]",
            e.Message);
    }

    [Fact]
    public void Expand_refuses_fewer_sizes_than_dims()
    {
        RuleAssert.Refuses("Expand", () => ConcreteRules.Expand(ConcreteRules.Contiguous([2, 3]), [3]), "(1)", "(2)", "[3]", "[2, 3]");
    }

    [Fact]
    public void Expand_refuses_minus_one_in_a_new_leading_dim()
    {
        RuleAssert.Refuses("Expand", () => ConcreteRules.Expand(ConcreteRules.Contiguous([3]), [-1, 3]), "leading", "dimension 0", "[-1, 3]", "[3]");
    }

    [Fact]
    public void Expand_refuses_negative_sizes()
    {
        RuleAssert.Refuses("Expand", () => ConcreteRules.Expand(ConcreteRules.Contiguous([1]), [-2]), "-2", "dimension 0");
    }

    [Fact]
    public void BroadcastTo_reports_under_its_own_name()
    {
        RuleAssert.Refuses("BroadcastTo", () => ConcreteRules.Expand(ConcreteRules.Contiguous([3, 2]), [3, 4], "BroadcastTo"), "[3, 4]", "[3, 2]");
    }

    [Fact]
    public void Permute_refuses_wrong_length_and_repeated_dims()
    {
        var layout = ConcreteRules.Contiguous([2, 3, 4]);

        RuleAssert.Refuses("Permute", () => ConcreteRules.Permute(layout, [0, 1]), "[2, 3, 4]", "[0, 1]");
        RuleAssert.Refuses("Permute", () => ConcreteRules.Permute(layout, [0, 1, -3]), "repeated dim -3", "[0, 1, -3]", "[2, 3, 4]");
    }

    [Fact]
    public void Select_Narrow_and_Slice_refuse_out_of_range_arguments_naming_the_shape()
    {
        var layout = ConcreteRules.Contiguous([2, 5]);

        RuleAssert.Refuses("Select", () => ConcreteRules.Select(layout, 1, 5), "index 5", "dimension 1", "size 5", "[2, 5]");
        RuleAssert.Refuses("Narrow", () => ConcreteRules.Narrow(layout, 1, 3, 3), "start (3)", "length (3)", "(5)", "[2, 5]");
        RuleAssert.Refuses("Slice", () => ConcreteRules.Slice(layout, 0, 0, 2, 0), "step", "[2, 5]");
        RuleAssert.Refuses("Select", () => ConcreteRules.Select(ConcreteRules.Contiguous([]), 0, 0), "0-dim");
    }

    [Fact]
    public void Slice_clamps_like_Python()
    {
        var layout = ConcreteRules.Contiguous([3, 5]);

        var s = ConcreteRules.Slice(layout, 1, -4, 100, 2);

        Assert.Equal([3, 2], s.Sizes);
        Assert.Equal([5, 2], s.Strides);
        Assert.Equal(1, s.Offset);
        Assert.Equal([3, 0], ConcreteRules.Slice(layout, 1, 4, 2).Sizes);
    }

    [Fact]
    public void Unsqueeze_gives_the_new_dim_the_stride_of_the_dim_it_precedes_times_its_size()
    {
        var u = ConcreteRules.Unsqueeze(ConcreteRules.Contiguous([2, 3]), 1);

        Assert.Equal([2, 1, 3], u.Sizes);
        Assert.Equal([3, 3, 1], u.Strides);
        Assert.Equal([3, 1, 1], ConcreteRules.Unsqueeze(ConcreteRules.Contiguous([2, 3]), -1).Strides);
    }

    [Fact]
    public void Unfold_refuses_a_window_larger_than_the_dim()
    {
        RuleAssert.Refuses("Unfold", () => ConcreteRules.Unfold(ConcreteRules.Contiguous([7]), 0, 8, 1), "maximum size", "is 7", "size is 8", "[7]");
        var u = ConcreteRules.Unfold(ConcreteRules.Contiguous([7]), 0, 3, 2);
        Assert.Equal([3, 3], u.Sizes);
        Assert.Equal([2, 1], u.Strides);
    }

    [Fact]
    public void IsContiguous_ignores_size_one_dims_and_empty_tensors()
    {
        Assert.Equal(Truth.True, ConcreteRules.IsContiguous([2, 1, 3], [3, 100, 1]));
        // PyTorch's is_contiguous is true for every tensor without elements, whatever its strides
        // (c10's _compute_contiguous returns early when numel == 0): e.g. arange(24).reshape(2, 3, 4)
        // .transpose(1, 2)[:0] has shape [0, 4, 3], strides [12, 1, 4] and is_contiguous() True.
        Assert.Equal(Truth.True, ConcreteRules.IsContiguous([2, 0, 3], [1, 7, 9]));
        Assert.Equal(Truth.True, ConcreteRules.IsContiguous([0, 4, 3], [12, 1, 4]));
        Assert.Equal(Truth.False, ConcreteRules.IsContiguous([2, 3], [1, 2]));
    }
}
