using ShapeSafe.NN;
using ShapeSafe.Shapes;
using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.NN.Layers;

/// <summary>
/// Pooling's options: ceil mode (ATen's pooling_output_shape, including its rule that the last window starts inside
/// the input), max pooling's indices from the module and from F, and average pooling's divisor override. Values are
/// worked out by hand on arange inputs; benchmarks/ShapeSafe.Conformance compares them and their gradients with LibTorch.
/// </summary>
public class PoolingOptionTests
{
    static readonly Generator Rng = new(7);

    static Tensor Arange(params int[] shape) => Tensor.Arange(shape.Aggregate(1, (a, b) => a * b)).ToDType(DType.Float32).Reshape(shape);

    [Fact]
    public void CeilModeRoundsUpButTheLastWindowMustStartInsideTheInput()
    {
        Assert.Equal(new[] { 1, 1, 3, 3 }, ShapeRules<int, ConcreteDims>.Pool2d([1, 1, 5, 5], [2, 2], [2, 2], [0, 0], [1, 1], "MaxPool2d", ceilMode: true));
        Assert.Equal(new[] { 1, 1, 2, 2 }, ShapeRules<int, ConcreteDims>.Pool2d([1, 1, 5, 5], [2, 2], [2, 2], [0, 0], [1, 1], "MaxPool2d"));
        Assert.Equal(new[] { 3, 3, 3 }, ShapeRules<int, ConcreteDims>.Pool2d([3, 6, 6], [3, 3], [2, 2], [0, 0], [1, 1], "MaxPool2d", ceilMode: true));
        // 5 + 2·1 with kernel 3 and stride 3: ceil gives 3 windows, but the third would start at 6 = 5 + 1 (only padding).
        Assert.Equal(new[] { 1, 1, 2, 2 }, ShapeRules<int, ConcreteDims>.Pool2d([1, 1, 5, 5], [3, 3], [3, 3], [1, 1], [1, 1], "MaxPool2d", ceilMode: true));
    }

    [Fact]
    public void MaxPoolInCeilModeKeepsThePartialWindowsAndReturnsTheirIndices()
    {
        var x = Arange(1, 1, 5, 5);
        var pool = new MaxPool2d(2, ceilMode: true);

        var (values, indices) = pool.ForwardWithIndices(x);

        Assert.Equal(new[] { 6f, 8, 9, 16, 18, 19, 21, 23, 24 }, pool.Forward(x).ToFloatArray());
        Assert.Equal(new[] { 6f, 8, 9, 16, 18, 19, 21, 23, 24 }, values.ToFloatArray());
        Assert.Equal(new long[] { 6, 8, 9, 16, 18, 19, 21, 23, 24 }, indices.ToInt64Array());
        Assert.Equal(DType.Int64, F.MaxPool2dWithIndices(x, 2, ceilMode: true).Indices.DType);
        Assert.Equal(new[] { 1, 1, 3, 3 }, F.MaxPool2d(x, 2, ceilMode: true).Shape);
        Assert.Equal("MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=True)", pool.ToString());
    }

    [Fact]
    public void AvgPoolInCeilModeDividesAClippedWindowByItsClippedSize()
    {
        var y = new AvgPool2d(2, ceilMode: true).Forward(Arange(1, 1, 5, 5));

        Assert.Equal(new[] { 3f, 5, 6.5f, 13, 15, 16.5f, 20.5f, 22.5f, 24 }, y.ToFloatArray());
    }

    [Fact]
    public void DivisorOverrideReplacesEveryWindowsDivisor()
    {
        var x = Arange(1, 4, 4);

        var y = F.AvgPool2d(x, 2, divisorOverride: 3);
        var padded = new AvgPool2d(2, padding: 1, divisorOverride: 2).Forward(x);

        Assert.Equal(new[] { 10f / 3, 18f / 3, 42f / 3, 50f / 3 }, y.ToFloatArray());
        Assert.Equal(new[] { 0f, 1.5f, 1.5f }, padded.ToFloatArray()[..3]);
        var e = Assert.Throws<ArgumentException>(() => F.AvgPool2d(x, 2, divisorOverride: 0));
        Assert.StartsWith("AvgPool2d: divisor must be not zero", e.Message);
        Assert.Throws<ArgumentException>(() => new AvgPool2d(2, divisorOverride: 0));
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        GradCheck.Check(x => F.MaxPool2d(x[0], 2, ceilMode: true), Tensor.Randn([1, 2, 5, 5], Rng));
        GradCheck.Check(x => F.AvgPool2d(x[0], 3, 2, 1, ceilMode: true), Tensor.Randn([2, 6, 6], Rng));
        GradCheck.Check(x => F.AvgPool2d(x[0], 2, 2, 1, countIncludePad: false, ceilMode: true, divisorOverride: 5), Tensor.Randn([1, 1, 5, 4], Rng));
    }
}
