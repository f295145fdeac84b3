using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    // The spatial and normalization layers compiled as one composite step each over the bound eager layer
    // (GraphOps.Layer): AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d, GroupNorm, Conv1d, ConvTranspose2d and
    // Upsample. The options that decide the layer's parameters (GroupNorm's affine, a convolution's bias) must be known
    // at build time, as the graph takes a gradient for each parameter; the others are read by the symbolic shapes
    // when they are constants, and the plan checks them with the eager layer's messages.
    internal sealed partial class ForwardCapture
    {
        /// <summary>The layers this file compiles, by their type's name.</summary>
        static readonly HashSet<string> CompiledLayers = new()
        {
            "ShapeSafe.NN.AvgPool2d",
            "ShapeSafe.NN.AdaptiveAvgPool2d",
            "ShapeSafe.NN.AdaptiveMaxPool2d",
            "ShapeSafe.NN.GroupNorm",
            "ShapeSafe.NN.Conv1d",
            "ShapeSafe.NN.ConvTranspose2d",
            "ShapeSafe.NN.Upsample",
        };

        static bool IsCompiledLayer(INamedTypeSymbol type) => CompiledLayers.Contains(type.ToDisplayString());

        /// <summary>Captures a compiled layer's <c>Forward</c>: one step whose arguments are the layer's name and its parameter members.</summary>
        int LayerForward(string path, INamedTypeSymbol type, List<int> input, IOperation call)
        {
            if (input.Count != 1)
                throw Break(call, type.Name + ".Forward with " + input.Count + " arguments");
            var arguments = new List<string> { type.Name };
            string? option = type.Name switch
            {
                "GroupNorm" => "affine",
                "Conv1d" or "ConvTranspose2d" => "bias",
                _ => null,
            };
            if (option is not null)
            {
                var layer = LayerArguments.Read(path, _root, _types, _compilation, _cancellationToken);
                if (layer is null || layer.Flag(option, true) != layer.Flag(option, false))
                    throw Break(call, type.Name + " " + path + "'s " + option + " is not known at build time (the graph takes a gradient for each of its parameters: "
                        + "create it in its member's initializer or the constructor with a constant " + option + ")");
                bool on = layer.Flag(option, true);
                // A GroupNorm has its weight and bias with affine; a convolution has its weight, and its bias with bias.
                if (option == "bias" || on) arguments.Add("Weight");
                if (on) arguments.Add("Bias");
            }
            Bind(path, type);
            return Add(GraphOp.Layer, input, path, call, arguments.ToArray());
        }
    }
}
