using System.Globalization;
using ShapeSafe.Generators.Model;
using R = ShapeSafe.Shapes.ShapeRules<ShapeSafe.Shapes.Dim, ShapeSafe.Shapes.SymbolicDims>;

namespace ShapeSafe.Generators.Graphs
{
    // The shapes of the pixel shuffle (ForwardCapture.Activations.cs), from the shared rule the eager function checks
    // with. The activations and channel dropout keep their input's shape.
    internal sealed partial class SymbolicShapes
    {
        /// <summary>A <c>PixelShuffle</c> child's shape, when its upscale factor is a constant.</summary>
        Shape PixelShuffleLayerRule(GraphNode node, Shape x) =>
            Layer(node.Module)?.Constant("upscaleFactor") is int r ? PixelShuffle(x, r) : Shape.Unknown;

        /// <summary><c>F.PixelShuffle(x, r)</c>'s shape; the factor is the node's second argument.</summary>
        static Shape PixelShuffleFunctionRule(GraphNode node, Shape x) =>
            PixelShuffle(x, int.Parse(node.Arguments[1], CultureInfo.InvariantCulture));

        static Shape PixelShuffle(Shape x, int r) => Spatial(x, dims => R.PixelShuffle(dims, r, "PixelShuffle"));
    }
}
