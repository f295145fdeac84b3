using System.Globalization;
using System.Linq;
using ShapeSafe.Generators.Model;
using ShapeSafe.Shapes;
using R = ShapeSafe.Shapes.ShapeRules<ShapeSafe.Shapes.Dim, ShapeSafe.Shapes.SymbolicDims>;

namespace ShapeSafe.Generators.Graphs
{
    // The shapes of the tensor methods (ForwardCapture.TensorOps.cs), from the shared rules the eager methods check
    // with: a reduction's, Tril's and Triu's, Expand's. The element-wise math keeps its input's shape.
    internal sealed partial class SymbolicShapes
    {
        /// <summary>A tensor method's shape by the rule its node names; a partial input shape gives an unknown one, except element-wise.</summary>
        static Shape TensorFunctionRule(GraphNode node, Shape x)
        {
            var rule = node.Arguments[2];
            if (rule == "Elementwise") return x;
            if (x.Partial) return Shape.Unknown;
            var op = node.Arguments[0];
            switch (rule)
            {
                case "Reduce":
                {
                    var dims = node.Arguments.Skip(4).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray();
                    return x.With(R.Reduce(x.Dims, dims.Length == 0 ? null : dims, node.Arguments[3] == "true", op));
                }
                case "Triangle":
                    return x.With(R.Triangle(x.Dims, op));
                case "Expand":
                {
                    var sizes = node.Arguments.Skip(3).Select(a => Dim.Of(long.Parse(a, CultureInfo.InvariantCulture))).ToArray();
                    return x.With(R.Expand(R.Contiguous(x.Dims), sizes, op).Sizes);
                }
                default:
                    return Shape.Unknown;
            }
        }
    }
}
