using ShapeSafe.Shapes;
using SymbolicRules = ShapeSafe.Shapes.ShapeRules<ShapeSafe.Shapes.Dim, ShapeSafe.Shapes.SymbolicDims>;

namespace ShapeSafe.Shapes.Tests.Rules;

/// <summary>The indexing, sorting and resampling rules over symbolic dims, as the analyzer will run them.</summary>
public class SymbolicLayerRuleTests
{
    static Dim P(string text) => Dim.Parse(text);

    static Dim[] Shape(params string[] dims) => dims.Select(P).ToArray();

    static string Format(Dim[] shape) => SymbolicRules.Format(shape);

    [Fact]
    public void Indexing_rules_keep_names()
    {
        Assert.Equal("[B, 3]", Format(SymbolicRules.Gather(Shape("B", "10"), 1, Shape("B", "3"))));
        Assert.Throws<ShapeException>(() => SymbolicRules.Gather(Shape("B", "4"), 0, Shape("B", "5")));
        Assert.Equal("[B, 10]", Format(SymbolicRules.Scatter(Shape("B", "10"), 1, Shape("B", "2"), Shape("B", "2"))));
        Assert.Equal("[B, T, 10]", Format(SymbolicRules.OneHot(Shape("B", "T"), P("10"))));
    }

    [Fact]
    public void Topk_is_undecidable_against_a_named_size_and_exact_against_a_constant()
    {
        Assert.Equal("[B, 3]", Format(SymbolicRules.Topk(Shape("B", "8"), 3, -1)));
        Assert.Throws<UndecidableShapeException>(() => SymbolicRules.Topk(Shape("B", "N"), 5, 1));
        Assert.Throws<ShapeException>(() => SymbolicRules.Topk(Shape("B", "4"), 5, 1));
        Assert.Equal("[B, N]", Format(SymbolicRules.AlongDim(Shape("B", "N"), 1, "Cumsum")));
    }

    [Fact]
    public void Resampling_rules_compute_symbolic_sizes()
    {
        Assert.Equal("[B, C, 2*H, 2*W]", Format(SymbolicRules.PixelShuffle(Shape("B", "4*C", "H", "W"), 2)));
        Assert.Throws<ShapeException>(() => SymbolicRules.PixelShuffle(Shape("B", "6", "H", "W"), 2));
        Assert.Equal("[B, C, H + 4, W + 2]", Format(SymbolicRules.Pad(Shape("B", "C", "H", "W"), [1, 1, 2, 2])));
        Assert.Equal("[B, C, 1, 1]", Format(SymbolicRules.AdaptivePool2d(Shape("B", "C", "H", "W"), [1, 1])));
        Assert.Equal("[B, C, 7, 7]", Format(SymbolicRules.Interpolate2d(Shape("B", "C", "H", "W"), [7, 7], null)));
        Assert.Throws<UndecidableShapeException>(() => SymbolicRules.Interpolate2d(Shape("B", "C", "H", "W"), null, [2.0, 2.0]));
        // (H - 1)·2 - 2 + 3 + 1 = 2·H.
        Assert.Equal("[B, 6, 2*H, 2*W]", Format(SymbolicRules.ConvTranspose2d(Shape("B", "3", "H", "W"), Shape("3", "6", "4", "4"), [2, 2], [1, 1], [0, 0], [1, 1])));
        Assert.Equal("[B, 8, L]", Format(SymbolicRules.Conv1d(Shape("B", "4", "L"), Shape("8", "4", "3"), 1, 1, 1)));
        Assert.Throws<UndecidableShapeException>(() => SymbolicRules.Conv1d(Shape("B", "C", "L"), Shape("8", "4", "3"), 1, 1, 1));
        Assert.Throws<ShapeException>(() => SymbolicRules.Conv1d(Shape("B", "5", "L"), Shape("8", "4", "3"), 1, 1, 1));
    }
}
