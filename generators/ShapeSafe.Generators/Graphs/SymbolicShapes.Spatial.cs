using System.Linq;
using ShapeSafe.Generators.Model;
using ShapeSafe.Shapes;
using R = ShapeSafe.Shapes.ShapeRules<ShapeSafe.Shapes.Dim, ShapeSafe.Shapes.SymbolicDims>;

namespace ShapeSafe.Generators.Graphs
{
    // The shapes of the compiled layers' values (ForwardCapture.Spatial.cs), each from the shared rule the eager
    // layer checks with: the pools' floor or ceil arithmetic, the convolutions', the adaptive pools' output size. An
    // option that is not a constant in the member's initializer leaves the shape unknown (the plan checks it).
    internal sealed partial class SymbolicShapes
    {
        Shape LayerRule(GraphNode node, Shape x)
        {
            var layer = Layer(node.Module);
            switch (node.Arguments[0])
            {
                case "AvgPool2d":
                {
                    var kernel = Pair(layer, "kernelSize", null);
                    var stride = Pair(layer, "stride", kernel);
                    var padding = Pair(layer, "padding", new[] { 0, 0 });
                    if (kernel is null || stride is null || padding is null) return Shape.Unknown;
                    return Spatial(x, dims => R.Pool2d(dims, kernel, stride, padding, new[] { 1, 1 }, "AvgPool2d", layer?.Flag("ceilMode", false) ?? false));
                }
                case "AdaptiveAvgPool2d":
                case "AdaptiveMaxPool2d":
                {
                    var size = Pair(layer, "outputSize", null);
                    if (size is null) return Shape.Unknown;
                    return Spatial(x, dims => R.AdaptivePool2d(dims, size, node.Arguments[0]));
                }
                case "GroupNorm":
                    return x;
                case "PixelShuffle":
                    return PixelShuffleLayerRule(node, x);
                case "Conv1d":
                {
                    if (layer is null || x.Partial || layer.Constant("kernelSize") is not int kernel || layer.Constant("padding") is not int padding) return Shape.Unknown;
                    int groups = layer.Constant("groups") ?? 1, stride = layer.Constant("stride") ?? 1, dilation = layer.Constant("dilation") ?? 1;
                    var weight = new[] { Int(layer, "outChannels"), PerGroup(Int(layer, "inChannels"), groups), Dim.Of(kernel) };
                    return x.With(R.Conv1d(x.Dims, weight, stride, padding, dilation, groups, "Conv1d"));
                }
                case "ConvTranspose2d":
                {
                    var kernel = Pair(layer, "kernelSize", null);
                    var stride = Pair(layer, "stride", new[] { 1, 1 });
                    var padding = Pair(layer, "padding", new[] { 0, 0 });
                    var outputPadding = Pair(layer, "outputPadding", new[] { 0, 0 });
                    var dilation = Pair(layer, "dilation", new[] { 1, 1 });
                    if (kernel is null || stride is null || padding is null || outputPadding is null || dilation is null) return Shape.Unknown;
                    int groups = layer?.Constant("groups") ?? 1;
                    var weight = new[] { Int(layer, "inChannels"), PerGroup(Int(layer, "outChannels"), groups), Dim.Of(kernel[0]), Dim.Of(kernel[1]) };
                    return Spatial(x, dims => R.ConvTranspose2d(dims, weight, stride, padding, outputPadding, dilation, groups, "ConvTranspose2d"));
                }
                case "Upsample":
                {
                    var size = Pair(layer, "size", null);
                    if (size is null || x.Partial || x.Dims.Length != 4) return Shape.Unknown;
                    return x.With(R.Interpolate2d(x.Dims, size, null, "Upsample"));
                }
                default:
                    return Shape.Unknown;
            }
        }

        /// <summary><c>F.Pad</c>'s shape by the shared rule when its pad sizes are constants; an interpolation's is left to the plan.</summary>
        static Shape FunctionRule(GraphNode node, Shape x)
        {
            if (node.Op != GraphOp.Pad || x.Partial || node.Arguments.Count < 3 || node.Arguments.Skip(2).Any(a => a == "?")) return Shape.Unknown;
            var pad = node.Arguments.Skip(2).Select(a => int.Parse(a, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            return x.With(R.Pad(x.Dims, pad, node.Arguments[1], "Pad"));
        }
    }
}
