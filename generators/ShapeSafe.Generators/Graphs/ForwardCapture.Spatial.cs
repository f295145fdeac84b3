using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
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
            "ShapeSafe.NN.PixelShuffle",
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

        /// <summary>
        /// <c>F.Pad(x, pad, mode, value)</c> and <c>F.Interpolate(x, ...)</c>: one composite step over the eager function,
        /// whose arguments after the input must be constants (they are written into the generated call).
        /// </summary>
        int FunctionCall(IInvocationOperation invocation, Scope scope)
        {
            var method = invocation.TargetMethod.Name;
            var rendered = new List<string>();
            string mode = method == "Pad" ? "constant" : "";
            var pad = new List<string>();
            foreach (var argument in invocation.Arguments.Skip(1))
            {
                if (argument.ArgumentKind == ArgumentKind.DefaultValue) continue;
                if (!IsConstantArgument(argument.Value) || argument.Syntax is not ArgumentSyntax syntax)
                    throw Break(invocation, "F." + method + "'s " + argument.Parameter?.Name + " is not a constant (the graph writes the call's options into its code)");
                rendered.Add(argument.Parameter!.Name + ": " + syntax.Expression);
                if (method == "Pad" && argument.Parameter.Name == "mode" && argument.Value.ConstantValue.Value is string m) mode = m;
                if (method == "Pad" && argument.Parameter.Name == "pad") pad.AddRange(ConstantElements(argument.Value).Select(e => Unwrap(e).ConstantValue.Value is int v ? v.ToString(CultureInfo.InvariantCulture) : "?"));
            }
            var arguments = new List<string> { string.Join(", ", rendered) };
            if (method == "Pad") { arguments.Add(mode); arguments.AddRange(pad); }
            return Add(method == "Pad" ? GraphOp.Pad : GraphOp.Interpolate, new[] { Value(invocation.Arguments[0].Value, scope) }, "", invocation, arguments.ToArray());
        }

        static IEnumerable<IOperation> ConstantElements(IOperation operation) => Unwrap(operation) switch
        {
            IArrayCreationOperation { Initializer: { } initializer } => initializer.ElementValues,
            ITupleOperation tuple => tuple.Elements,
            _ => Enumerable.Empty<IOperation>(),
        };

        static bool IsConstantArgument(IOperation operation)
        {
            operation = Unwrap(operation);
            if (operation.ConstantValue.HasValue || operation is IDefaultValueOperation) return true;
            return operation is IArrayCreationOperation { Initializer: not null } or ITupleOperation
                && ConstantElements(operation).All(IsConstantArgument);
        }
    }
}
