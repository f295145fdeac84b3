using System.Linq;
using ShapeSafe.Generators.Model;
using ShapeSafe.Shapes;
using R = ShapeSafe.Shapes.ShapeRules<ShapeSafe.Shapes.Dim, ShapeSafe.Shapes.SymbolicDims>;

namespace ShapeSafe.Generators.Graphs
{
    // The shapes of the recurrent layers' values (the output [T, N, directions·out] in the input's layout, the final
    // states [directions·layers, N, size]) and of Select and Narrow with constant arguments.
    internal sealed partial class SymbolicShapes
    {
        Shape RecurrentRule(GraphNode node, Shape x)
        {
            switch (node.Op)
            {
                case GraphOp.Recurrent:
                {
                    var (features, _, _, _) = RecurrentSizes(node);
                    // The last dim (the features) is replaced, whatever comes before it.
                    if (x.Dims.Length == 0) return Shape.Unknown;
                    if (!x.Partial && x.Dims.Length is not (2 or 3)) return Shape.Unknown;
                    return x.With(x.Dims.Take(x.Dims.Length - 1).Concat(new[] { features }).ToArray());
                }
                case GraphOp.RecurrentHidden:
                case GraphOp.RecurrentCell:
                {
                    var layer = _graph.Nodes[node.Inputs[0]];
                    var input = _values[layer.Inputs[0]] ?? Shape.Unknown;
                    var (_, stacks, output, hidden) = RecurrentSizes(layer);
                    var size = node.Op == GraphOp.RecurrentHidden ? output : hidden;
                    if (input.Partial || input.Dims.Length is not (2 or 3)) return Shape.Unknown;
                    if (input.Dims.Length == 2) return Shape.Of(stacks, size);
                    bool batchFirst = Layer(layer.Module)?.Flag("batchFirst", false) ?? false;
                    return Shape.Of(stacks, input.Dims[batchFirst ? 0 : 1], size);
                }
                case GraphOp.Select:
                    return x.Partial ? Shape.Unknown : x.With(R.Select(R.Contiguous(x.Dims), IntArgument(node, 0), IntArgument(node, 1), "Select").Sizes);
                default:
                    return x.Partial ? Shape.Unknown
                        : x.With(R.Narrow(R.Contiguous(x.Dims), IntArgument(node, 0), IntArgument(node, 1), IntArgument(node, 2), "Narrow").Sizes);
            }
        }

        /// <summary>A recurrent node's sizes: the output's features (directions·out), the state's stacks (directions·layers), out and hidden.</summary>
        (Dim Features, Dim Stacks, Dim Output, Dim Hidden) RecurrentSizes(GraphNode node)
        {
            var layer = Layer(node.Module);
            int layers = IntArgument(node, 1), directions = node.Arguments[2] == "true" ? 2 : 1, proj = IntArgument(node, 4);
            var hidden = Int(layer, "hiddenSize");
            var output = proj > 0 ? Dim.Of(proj) : hidden;
            Dim features = directions == 1 ? output : output.TryGetConstant(out long o) ? Dim.Of(2 * o) : Dim.Anonymous();
            return (features, Dim.Of(layers * directions), output, hidden);
        }
    }
}
