namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// Reading sizes as model code does: <c>var (b, t, c) = x.Shape</c> (2 to 6 names), <c>x.Shape[^1]</c>,
/// <c>x.Shape.Count</c>, <c>x.Length</c> (len(x)) and <c>x[^1]</c>; each flows into the ops that use it.
/// </summary>
public class ShapeReadingTests
{
    [Fact]
    public async Task Every_deconstruction_count_binds_the_dims_names()
    {
        var shown = await Inferred.In("""[Shape("N, C, D, H, W, K")] Tensor x, [Shape("B, T")] Tensor y""", """
            var (n, c, d, h, w, k) = x.Shape;
            var flat = x.View(n, c * d * h * w * k);
            var (b, t) = y.Shape;
            var rows = y.View(b * t);
            var again = x.Reshape(x.Shape[^6], -1, x.Shape[^1]);
            """);
        Assert.Equal(new[] { "flat [N, C*D*H*K*W]", "rows [B*T]", "again [N, C*D*H*W, K]" }, shown);
    }

    [Fact]
    public async Task Length_is_dim_0_and_Count_is_the_rank()
    {
        var shown = await Inferred.In("""[Shape("B, T, C")] Tensor x""", """
            var steps = Tensor.Zeros(x.Length, x.Shape.Count);
            var last = x[^1];
            var lastTwo = x[^1][^2];
            var rows = x.View(x.Length, -1);
            """);
        Assert.Equal(new[] { "steps [B, 3]", "last [T, C]", "lastTwo [C]", "rows [B, C*T]" }, shown);
    }

    [Fact]
    public async Task Wrong_counts_and_the_length_of_a_0_d_tensor_are_SS0006_with_the_engines_messages()
    {
        var shown = await Inferred.In("""[Shape("B, T, C")] Tensor x""", """
            var (b, t) = x.Shape;
            var (n, c, h, w, d, e) = x.Shape;
            var total = x.Sum();
            int len = total.Length;
            var row = total[^1];
            """);
        Assert.Equal(new[]
        {
            "SS0006 9: Deconstruct: too many values to unpack (expected 2): shape [B, T, C]",
            "SS0006 10: Deconstruct: not enough values to unpack (expected 6, got 3): shape [B, T, C]",
            "total []",
            "SS0006 12: Length: len() of a 0-d tensor",
            "SS0006 13: Index: too many indices (1) for tensor of shape []",
        }, shown);
    }

    [Fact]
    public async Task Sizes_of_unknown_tensors_stay_unknown_and_silent()
    {
        var shown = await Inferred.In("Tensor x", """
            var (b, t) = x.Shape;
            var (n, c, h, w, d, e) = x.Shape;
            int len = x.Length;
            var last = x[^1];
            var y = Tensor.Zeros(len, x.Shape.Count, b);
            """);
        Assert.Equal(new[] { "y [?, ?, ?]" }, shown);
    }
}
