using ShapeSafe;
using ShapeSafe.Shapes;

namespace ShapeSafe.Tests.Kernels;

/// <summary><c>Tensor.Conv2d</c>: values, shapes, unbatched input, shape errors from the shared rule, recorded nodes.</summary>
public class ConvolutionOpTests
{
    static Tensor Counting(params int[] shape) =>
        Tensor.Arange(shape.Aggregate(1, (a, b) => a * b)).ToDType(DType.Float32).Reshape(shape);

    [Fact]
    public void Two_by_two_ones_kernel_sums_each_window()
    {
        var y = Tensor.Conv2d(Counting(1, 1, 4, 4), Tensor.Ones(1, 1, 2, 2));
        Assert.Equal(new[] { 1, 1, 3, 3 }, y.Shape);
        Assert.Equal(new float[] { 10, 14, 18, 26, 30, 34, 42, 46, 50 }, y.ToFloatArray());
    }

    [Fact]
    public void Padding_stride_and_bias()
    {
        // torch.conv2d(arange(16.).view(1,1,4,4), ones(1,1,3,3), bias=tensor([0.5]), stride=2, padding=1)
        var y = Tensor.Conv2d(Counting(1, 1, 4, 4), Tensor.Ones(1, 1, 3, 3), Tensor.FromArray(new[] { 0.5f }, 1), stride: 2, padding: 1);
        Assert.Equal(new[] { 1, 1, 2, 2 }, y.Shape);
        Assert.Equal(new float[] { 10.5f, 24.5f, 51.5f, 90.5f }, y.ToFloatArray());
    }

    [Fact]
    public void Tuple_overload_takes_separate_height_and_width_settings()
    {
        var y = Tensor.Conv2d(Counting(1, 1, 4, 5), Tensor.Ones(1, 1, 1, 1), null, stride: (2, 3), padding: (0, 1));
        Assert.Equal(new[] { 1, 1, 2, 3 }, y.Shape);
        Assert.Equal(new float[] { 0, 2, 0, 0, 12, 0 }, y.ToFloatArray());
    }

    [Fact]
    public void Unbatched_input_gives_an_unbatched_output_equal_to_the_batched_one()
    {
        var x = Tensor.Randn(new[] { 3, 7, 6 }, new Generator(5));
        var w = Tensor.Randn(new[] { 4, 3, 3, 3 }, new Generator(6));
        var b = Tensor.Randn(new[] { 4 }, new Generator(7));
        var unbatched = Tensor.Conv2d(x, w, b, padding: 1);
        var batched = Tensor.Conv2d(x.Unsqueeze(0), w, b, padding: 1);
        Assert.Equal(new[] { 4, 7, 6 }, unbatched.Shape);
        Assert.Equal(batched.ToFloatArray(), unbatched.ToFloatArray());
    }

    [Fact]
    public void Non_contiguous_input_reads_the_same_values()
    {
        var x = Tensor.Randn(new[] { 2, 3, 6, 5 }, new Generator(8));
        var w = Tensor.Randn(new[] { 2, 3, 3, 3 }, new Generator(9));
        var transposed = x.Transpose(2, 3).Contiguous().Transpose(2, 3);   // same values, other strides
        Assert.False(transposed.IsContiguous);
        Assert.Equal(Tensor.Conv2d(x, w).ToFloatArray(), Tensor.Conv2d(transposed, w).ToFloatArray());
    }

    [Fact]
    public void Groups_split_the_channels()
    {
        // Depthwise: each output channel sees only its own input channel.
        var x = Counting(1, 2, 3, 3);
        var w = Tensor.Ones(2, 1, 3, 3);
        var y = Tensor.Conv2d(x, w, groups: 2);
        Assert.Equal(new float[] { 36, 117 }, y.ToFloatArray());
    }

    [Fact]
    public void Shape_errors_come_from_the_shared_rule()
    {
        var w = Tensor.Ones(4, 3, 3, 3);
        var channels = Assert.Throws<ShapeException>(() => Tensor.Conv2d(Tensor.Ones(1, 2, 8, 8), w));
        Assert.Contains("Conv2d", channels.Message);
        Assert.Contains("[1, 2, 8, 8]", channels.Message);
        Assert.Contains("[4, 3, 3, 3]", channels.Message);

        var tooSmall = Assert.Throws<ShapeException>(() => Tensor.Conv2d(Tensor.Ones(1, 3, 2, 2), w));
        Assert.Contains("kernel size", tooSmall.Message);

        Assert.Throws<ShapeException>(() => Tensor.Conv2d(Tensor.Ones(3, 8), w));
        Assert.Throws<ShapeException>(() => Tensor.Conv2d(Tensor.Ones(1, 3, 8, 8), w, stride: 0));

        var bias = Assert.Throws<ShapeException>(() => Tensor.Conv2d(Tensor.Ones(1, 3, 8, 8), w, Tensor.Ones(3)));
        Assert.Contains("bias", bias.Message);
    }

    [Fact]
    public void Records_a_convolution_node_only_when_gradients_flow()
    {
        var x = Tensor.Ones(1, 1, 3, 3);
        var w = Tensor.Ones(1, 1, 2, 2);
        Assert.Null(Tensor.Conv2d(x, w).GradFn);
        w.RequiresGrad = true;
        Assert.Equal("ConvolutionBackward", Tensor.Conv2d(x, w).GradFn);
        using (global::ShapeSafe.Autograd.NoGrad())
            Assert.Null(Tensor.Conv2d(x, w).GradFn);
    }

    [Fact]
    public void Backward_fills_the_gradients_of_input_weight_and_bias()
    {
        var x = Counting(1, 1, 3, 3);
        var w = Tensor.Ones(1, 1, 2, 2);
        var b = Tensor.Zeros(1);
        x.RequiresGrad = true;
        w.RequiresGrad = true;
        b.RequiresGrad = true;
        Tensor.Conv2d(x, w, b).Backward(Tensor.Ones(1, 1, 2, 2));
        Assert.Equal(new float[] { 1, 2, 1, 2, 4, 2, 1, 2, 1 }, x.Grad!.ToFloatArray());
        Assert.Equal(new float[] { 8, 12, 20, 24 }, w.Grad!.ToFloatArray());
        Assert.Equal(new float[] { 4 }, b.Grad!.ToFloatArray());
    }
}
