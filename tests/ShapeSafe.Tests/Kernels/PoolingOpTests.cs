using ShapeSafe;
using ShapeSafe.Shapes;

namespace ShapeSafe.Tests.Kernels;

/// <summary><c>Tensor.MaxPool2d</c> and <c>Tensor.AvgPool2d</c>: values as PyTorch prints them, shapes, errors, nodes, gradients.</summary>
public class PoolingOpTests
{
    static Tensor Counting(params int[] shape) =>
        Tensor.Arange(shape.Aggregate(1, (a, b) => a * b)).ToDType(DType.Float32).Reshape(shape);

    [Fact]
    public void Max_pool_takes_each_window_maximum_and_its_index()
    {
        var (values, indices) = Tensor.MaxPool2dWithIndices(Counting(1, 1, 4, 4), 2);
        Assert.Equal(new[] { 1, 1, 2, 2 }, values.Shape);
        Assert.Equal(new float[] { 5, 7, 13, 15 }, values.ToFloatArray());
        Assert.Equal(DType.Int64, indices.DType);
        Assert.Equal(new long[] { 5, 7, 13, 15 }, indices.ToInt64Array());
    }

    [Fact]
    public void Max_pool_with_padding_and_stride_one()
    {
        // F.max_pool2d(arange(9.).view(1,3,3), 3, stride=1, padding=1)
        var y = Tensor.MaxPool2d(Counting(1, 3, 3), 3, stride: 1, padding: 1);
        Assert.Equal(new[] { 1, 3, 3 }, y.Shape);
        Assert.Equal(new float[] { 4, 5, 5, 7, 8, 8, 7, 8, 8 }, y.ToFloatArray());
    }

    [Fact]
    public void Avg_pool_counts_padding_by_default()
    {
        // F.avg_pool2d(arange(9.).view(1,1,3,3), 2, stride=1, padding=1) → corners divide by 4 though only one element is real
        var y = Tensor.AvgPool2d(Counting(1, 1, 3, 3), 2, stride: 1, padding: 1);
        Assert.Equal(new[] { 1, 1, 4, 4 }, y.Shape);
        Assert.Equal(new float[] { 0, 0.25f, 0.75f, 0.5f, 0.75f, 2, 3, 1.75f, 2.25f, 5, 6, 3.25f, 1.5f, 3.25f, 3.75f, 2 }, y.ToFloatArray());
        var exclusive = Tensor.AvgPool2d(Counting(1, 1, 3, 3), 2, stride: 1, padding: 1, countIncludePad: false);
        Assert.Equal(new float[] { 0, 0.5f, 1.5f, 2, 1.5f, 2, 3, 3.5f, 4.5f, 5, 6, 6.5f, 6, 6.5f, 7.5f, 8 }, exclusive.ToFloatArray());
    }

    [Fact]
    public void Tuple_overloads_pool_height_and_width_separately()
    {
        var y = Tensor.MaxPool2d(Counting(1, 1, 4, 6), (2, 3));
        Assert.Equal(new float[] { 8, 11, 20, 23 }, y.ToFloatArray());
        var a = Tensor.AvgPool2d(Counting(1, 1, 4, 6), (4, 1), stride: (1, 2));
        Assert.Equal(new float[] { 9, 11, 13 }, a.ToFloatArray());
    }

    [Fact]
    public void Shape_errors_come_from_the_shared_rule()
    {
        var half = Assert.Throws<ShapeException>(() => Tensor.MaxPool2d(Tensor.Ones(1, 1, 4, 4), 2, padding: 2));
        Assert.Contains("MaxPool2d", half.Message);
        Assert.Contains("half", half.Message);
        Assert.Throws<ShapeException>(() => Tensor.MaxPool2d(Tensor.Ones(4, 4), 2));
    }

    [Fact]
    public void Window_larger_than_the_input_is_refused()
    {
        Assert.Throws<ShapeException>(() => Tensor.AvgPool2d(Tensor.Ones(1, 1, 2, 2), 3));
        Assert.Throws<ShapeException>(() => Tensor.MaxPool2d(Tensor.Ones(1, 1, 2, 2), 3));
    }

    [Fact]
    public void Records_pooling_nodes()
    {
        var x = Counting(1, 1, 4, 4);
        x.RequiresGrad = true;
        Assert.Equal("MaxPool2DWithIndicesBackward", Tensor.MaxPool2d(x, 2).GradFn);
        Assert.Equal("AvgPool2DBackward", Tensor.AvgPool2d(x, 2).GradFn);
    }

    [Fact]
    public void Max_pool_backward_routes_each_gradient_to_its_maximum()
    {
        var x = Counting(1, 1, 4, 4);
        x.RequiresGrad = true;
        Tensor.MaxPool2d(x, 2).Backward(Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 1, 1, 2, 2));
        Assert.Equal(new float[] { 0, 0, 0, 0, 0, 1, 0, 2, 0, 0, 0, 0, 0, 3, 0, 4 }, x.Grad!.ToFloatArray());
    }

    [Fact]
    public void Avg_pool_backward_spreads_each_gradient_over_its_window()
    {
        var x = Counting(1, 2, 2);
        x.RequiresGrad = true;
        Tensor.AvgPool2d(x, 2).Backward(Tensor.FromArray(new float[] { 8 }, 1, 1, 1));
        Assert.Equal(new float[] { 2, 2, 2, 2 }, x.Grad!.ToFloatArray());
    }

    [Theory]
    [InlineData(2, 3, 6, 6, 2, 2, 0, 1)]
    [InlineData(1, 2, 7, 5, 3, 2, 1, 1)]
    [InlineData(1, 2, 7, 7, 3, 1, 1, 2)]
    public void Max_pool_gradient_matches_finite_differences(int n, int c, int h, int w, int k, int stride, int padding, int dilation)
    {
        var random = new System.Random(h * 10 + k);
        // Distinct values 0.05 apart: a ±0.01 nudge never changes which element wins.
        int count = n * c * h * w;
        var data = Enumerable.Range(0, count).Select(i => i * 0.05f - count * 0.025f).ToArray();
        random.Shuffle(data);
        var x = Tensor.FromArray(data, n, c, h, w);
        x.RequiresGrad = true;
        var y = Tensor.MaxPool2d(x, k, stride, padding, dilation);
        var r = ConvolutionKernelTests.RandomArray(random, (int)y.NumEl);
        y.Backward(Tensor.FromArray(r, y.Shape.ToArray()));
        ConvolutionGradientTests.CheckAgainstFiniteDifferences(x,
            () => ConvolutionGradientTests.Dot(Tensor.MaxPool2d(x, k, stride, padding, dilation), r), "input");
    }

    [Theory]
    [InlineData(2, 3, 6, 6, 2, 2, 0, true)]
    [InlineData(1, 2, 7, 5, 3, 2, 1, true)]
    [InlineData(1, 2, 7, 5, 3, 2, 1, false)]
    public void Avg_pool_gradient_matches_finite_differences(int n, int c, int h, int w, int k, int stride, int padding, bool countIncludePad)
    {
        var random = new System.Random(h * 10 + k);
        var x = ConvolutionGradientTests.Leaf(random, n, c, h, w);
        var y = Tensor.AvgPool2d(x, k, stride, padding, countIncludePad);
        var r = ConvolutionKernelTests.RandomArray(random, (int)y.NumEl);
        y.Backward(Tensor.FromArray(r, y.Shape.ToArray()));
        ConvolutionGradientTests.CheckAgainstFiniteDifferences(x,
            () => ConvolutionGradientTests.Dot(Tensor.AvgPool2d(x, k, stride, padding, countIncludePad), r), "input");
    }
}
