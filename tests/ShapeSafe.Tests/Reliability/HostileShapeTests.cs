using ShapeSafe.NN;

namespace ShapeSafe.Tests.Reliability;

/// <summary>
/// Sizes at and past what a tensor can hold, empty tensors of huge shapes, scalars, and indices past the ends:
/// every refusal is a <see cref="ShapeException"/> (or another <see cref="ArgumentException"/>) naming the op and
/// the shapes, never an <see cref="OverflowException"/>, and nothing is allocated for a shape that cannot exist.
/// </summary>
public class HostileShapeTests
{
    static void Refused(string op, Func<object> call, params string[] parts)
    {
        var e = Assert.Throws<ShapeException>(() => call());
        Assert.Equal(op, e.Operation);
        foreach (var part in parts) Assert.Contains(part, e.Message);
    }

    [Fact]
    public void A_broadcast_whose_result_cannot_be_held_names_the_op_and_the_shapes()
    {
        Refused("Add", () => Tensor.Ones(50000, 1) + Tensor.Ones(1, 50000), "[50000, 50000]", "[50000, 1]", "[1, 50000]", "2500000000 elements");
        Refused("Mul", () => Tensor.Ones(65536, 1, 1) * Tensor.Ones(1, 65536, 1), "[65536, 65536, 1]");
    }

    [Fact]
    public void An_expanded_view_never_has_more_elements_than_a_tensor_holds()
    {
        // PyTorch allows such views; the engine's sizes, strides and loops are 32-bit, so NumEl could not be trusted.
        Refused("Expand", () => Tensor.Ones(1, 1).Expand(50000, 50000), "[50000, 50000]", "[1, 1]");
        Refused("Expand", () => Tensor.Ones(1).Expand(1 << 21, 1 << 21, 1 << 21), "[2097152, 2097152, 2097152]");
        Refused("BroadcastTo", () => Tensor.Ones(1).BroadcastTo(int.MaxValue, int.MaxValue, 4), "[2147483647, 2147483647, 4]");
        Assert.Equal(2_000_000_000L, Tensor.Ones(1).Expand(40000, 50000).NumEl);
    }

    [Fact]
    public void Factories_refuse_shapes_whose_element_count_does_not_fit_even_when_the_product_wraps()
    {
        // 65536^4 = 2^64 wraps to 0 in 64 bits; (2^21)^3 = 2^63 wraps negative.
        Refused("Zeros", () => Tensor.Zeros(65536, 65536, 65536, 65536), "[65536, 65536, 65536, 65536]", "18446744073709551616 elements");
        Refused("Zeros", () => Tensor.Zeros(1 << 21, 1 << 21, 1 << 21), "9223372036854775808 elements");
        Refused("Ones", () => Tensor.Ones(50000, 50000), "[50000, 50000]");
        Refused("Rand", () => Tensor.Rand(65536, 65536, 65536, 65536));
        Refused("Randn", () => Tensor.Randn(1 << 16, 1 << 16));
        Refused("Full", () => Tensor.Full(new[] { 1 << 16, 1 << 16 }, 2f));
        Refused("FromArray", () => Tensor.FromArray(new float[4], 65536, 65536, 65536, 65536));
    }

    [Fact]
    public void Repeat_view_and_reshape_to_counts_that_wrap_are_refused()
    {
        Refused("Repeat", () => Tensor.Ones(2).Repeat(int.MaxValue), "[2147483647]", "[2]");
        Refused("Repeat", () => Tensor.Ones(3, 3).Repeat(50000, 50000), "[150000, 150000]", "[3, 3]");
        Refused("View", () => Tensor.Ones(4).View(65536, 65536, 65536, 65536), "[65536, 65536, 65536, 65536]", "[4]");
        Refused("Reshape", () => Tensor.Ones(4).Reshape(-1, 65536, 65536, 65536), "[4]");
        Refused("Flatten", () => Tensor.Zeros(0, 65536, 65536).Flatten(1), "[0, 65536, 65536]");
    }

    [Fact]
    public void Products_and_joins_whose_result_cannot_be_held_are_refused()
    {
        Refused("Matmul", () => Tensor.Ones(50000, 1).Matmul(Tensor.Ones(1, 50000)), "[50000, 50000]");
        Refused("Cat", () => Tensor.Cat(new[] { Tensor.Ones(1).Expand(int.MaxValue - 100), Tensor.Ones(1).Expand(200) }), "[2147483547]", "[200]");
        Refused("Stack", () => Tensor.Stack(Enumerable.Repeat(Tensor.Ones(1).Expand(1 << 30), 4)), "[4, 1073741824]");
    }

    [Fact]
    public void Arange_past_what_a_tensor_holds_is_refused_before_allocating()
    {
        Refused("Arange", () => Tensor.Arange(0L, 3_000_000_000L), "3000000000 elements");
        Refused("Arange", () => Tensor.Arange(long.MinValue, long.MaxValue));
        Refused("Arange", () => Tensor.Arange(0.0, 1e12));
        Refused("Arange", () => Tensor.Arange(0.0, double.PositiveInfinity));
    }

    [Fact]
    public void Window_arguments_near_int_MaxValue_are_refused_with_the_shapes()
    {
        var x = Tensor.Ones(1, 1, 4, 4);
        var w = Tensor.Ones(1, 1, 3, 3);
        Refused("Conv2d", () => Tensor.Conv2d(x, w, padding: int.MaxValue), "[1, 1, 4, 4]", "[1, 1, 3, 3]");
        Refused("Conv2d", () => Tensor.Conv2d(x, w, dilation: int.MaxValue), "[1, 1, 4, 4]");
        Refused("Conv2d", () => Tensor.Conv2d(x, w, padding: int.MaxValue / 2, stride: int.MaxValue), "[1, 1, 4, 4]");
        Refused("MaxPool2d", () => Tensor.MaxPool2d(x, int.MaxValue, padding: int.MaxValue / 2 + 1), "[1, 1, 4, 4]");
        Refused("MaxPool2d", () => Tensor.MaxPool2d(x, 3, dilation: int.MaxValue), "[1, 1, 4, 4]");
        Refused("AvgPool2d", () => Tensor.AvgPool2d(x, 3, int.MaxValue, padding: 1 << 30), "[1, 1, 4, 4]");
        Refused("Conv2d", () => Tensor.Conv2d(Tensor.Ones(1, 1, 4, 4), Tensor.Ones(1, 1, 1, 1), padding: 1 << 30), "[1, 1, 4, 4]");
        // Valid output sizes, but windows whose taps lie past int.MaxValue in the padded input.
        Refused("Conv2d", () => Tensor.Conv2d(x, w, stride: 1 << 30, padding: (1 << 30) - 2), "[1, 1, 4, 4]");
        Refused("MaxPool2d", () => Tensor.MaxPool2d(x, 2, stride: int.MaxValue - 1, padding: 1, dilation: int.MaxValue), "[1, 1, 4, 4]");
        // Within reach, as PyTorch allows: one window, wholly in the padding.
        var far = Tensor.Conv2d(x, w, stride: int.MaxValue, padding: (1 << 30) - 3);
        Assert.Equal(new[] { 1, 1, 1, 1 }, far.Shape);
        Assert.Equal(0f, far.Item());
    }

    [Fact]
    public void Empty_tensors_of_any_shape_are_accepted_as_PyTorch_does()
    {
        var empty = Tensor.Zeros(0, 65536, 65536);
        Assert.Equal(new[] { 0, 65536, 65536 }, empty.Shape);
        Assert.Equal(0, empty.NumEl);
        Assert.True(empty.IsContiguous);
        // PyTorch's stride is 2^32; an int stride saturates (no element is ever read through it).
        Assert.Equal(new[] { int.MaxValue, 65536, 1 }, empty.Strides);
        Assert.Equal(new[] { 65536, 65536, 0 }, Tensor.Zeros(65536, 65536, 0).Shape);
        Assert.Equal(new[] { 0, 65536, 65536 }, (empty + 1f).Shape);
        Assert.Equal(new[] { 65536, 0, 65536 }, empty.Transpose(0, 1).Shape);
        Assert.Equal(new[] { 65536, 65536, 0 }, empty.View(65536, 65536, 0).Shape);
        Assert.Equal(new[] { 65536, 0 }, Tensor.Zeros(0).Reshape(65536, 0).Shape);
        Assert.Equal(new[] { 65536, 65536, 65536, 0 }, Tensor.Zeros(0).Reshape(65536, 65536, 65536, 0).Shape);
        Assert.Equal(new[] { 0, 65536, 65536 }, Tensor.Zeros(2, 0).Transpose(0, 1).Reshape(0, 65536, 65536).Shape);
        Assert.Empty(empty.ToFloatArray());
    }

    [Fact]
    public void Size_and_stride_of_a_scalar_say_it_has_no_dimensions()
    {
        var scalar = Tensor.Ones(3).Sum();
        Refused("Size", () => scalar.Size(0), "dimension specified as 0 but tensor has no dimensions");
        Refused("Size", () => scalar.Size(-1), "dimension specified as -1 but tensor has no dimensions");
        Refused("Stride", () => scalar.Stride(0), "dimension specified as 0 but tensor has no dimensions");
    }

    [Fact]
    public void Range_indexers_past_the_ends_clamp_as_Python_slices_do()
    {
        var t = Tensor.Arange(4);
        Assert.Equal(new long[] { 0, 1, 2, 3 }, t[..10].ToInt64Array());
        Assert.Empty(t[3..1].ToInt64Array());
        Assert.Equal(new long[] { 0, 1, 2, 3 }, t[^10..].ToInt64Array());
        Assert.Equal(new long[] { 2, 3 }, t[^2..^0].ToInt64Array());
        Assert.Empty(t[7..].ToInt64Array());
        var x = Tensor.Arange(12).View(3, 4);
        Assert.Equal(new long[] { 1, 2, 3, 5, 6, 7, 9, 10, 11 }, x[.., 1..7].ToInt64Array());
        Assert.Equal(new[] { 0, 4 }, x[5.., ..].Shape);
        Assert.True(x[.., 1..7].SharesStorage(x));
    }

    [Fact]
    public void IndexSelect_refuses_negative_indices_as_PyTorch_does()
    {
        var t = Tensor.Arange(6).View(2, 3);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => t.IndexSelect(1, Tensor.FromArray(new long[] { 0, -1 })));
        Assert.Contains("IndexSelect: index -1 is out of range in self: expected an index in [0, 3) (dimension 1 of shape [2, 3])", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => t.IndexSelect(0, Tensor.FromArray(new long[] { 2 })));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tensor.Scalar(1f).IndexSelect(0, Tensor.FromArray(new long[] { -1 })));
        Assert.Equal(new long[] { 2, 5 }, t.IndexSelect(1, Tensor.FromArray(new long[] { 2 })).ToInt64Array());
    }

    [Fact]
    public void Embedding_and_loss_targets_refuse_negative_indices()
    {
        var weight = Tensor.Ones(4, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => F.Embedding(Tensor.FromArray(new long[] { -1 }), weight));
        var logits = Tensor.Zeros(2, 3);
        Assert.Throws<ArgumentException>(() => F.CrossEntropy(logits, Tensor.FromArray(new long[] { 0, -1 })));
        Assert.Throws<ArgumentException>(() => F.NllLoss(logits, Tensor.FromArray(new long[] { -2, 0 })));
        // ignore_index (-100 by default) is the one negative target that counts for nothing.
        Assert.Equal(0f, F.NllLoss(logits, Tensor.FromArray(new long[] { -100, 0 })).Item());
    }
}
