using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    // The activation and small layers: GELU (exact or tanh), SiLU, Mish, Softplus, Hardswish and LeakyReLU as children,
    // their F. functions and tensor methods; Identity; Dropout2d; PixelShuffle and F.PixelShuffle. The element-wise
    // activations are steps of their own whose options (Softplus's beta and threshold, LeakyReLU's slope) are float
    // literals in the generated code, read at build time from the child's creation or the call's constants: an option
    // that changes the math and is not known at build time is a graph break. GELU's tanh form, which eager mode
    // composes of several ops, and the pixel shuffle are composite steps over the eager function and layer.
    internal sealed partial class ForwardCapture
    {
        /// <summary>The element-wise activation layers by type, with their kernel's name and the options it takes.</summary>
        static readonly Dictionary<string, (string Kernel, string[] Options)> ActivationLayers = new()
        {
            ["ShapeSafe.NN.SiLU"] = ("Silu", new string[0]),
            ["ShapeSafe.NN.Mish"] = ("Mish", new string[0]),
            ["ShapeSafe.NN.Softplus"] = ("Softplus", new[] { "beta", "threshold" }),
            ["ShapeSafe.NN.Hardswish"] = ("Hardswish", new string[0]),
            ["ShapeSafe.NN.LeakyReLU"] = ("LeakyRelu", new[] { "negativeSlope" }),
        };

        /// <summary>
        /// A child activation, <c>Identity</c> or <c>Dropout2d</c> layer's <c>Forward</c>; null when <paramref name="type"/>
        /// is none of them.
        /// </summary>
        int? SmallLayer(string path, INamedTypeSymbol type, List<int> input, IOperation call)
        {
            var name = type.ToDisplayString();
            if (name is not ("ShapeSafe.NN.GELU" or "ShapeSafe.NN.Identity" or "ShapeSafe.NN.Dropout2d") && !ActivationLayers.ContainsKey(name)) return null;
            if (input.Count != 1)
                throw Break(call, type.Name + ".Forward with " + input.Count + " arguments");
            switch (name)
            {
                // Identity returns its input itself: no step.
                case "ShapeSafe.NN.Identity":
                    return input[0];
                case "ShapeSafe.NN.Dropout2d":
                    Bind(path, type);
                    return Add(GraphOp.Dropout2d, input, path, call);
                case "ShapeSafe.NN.GELU":
                {
                    var approximate = LayerArguments.Read(path, _root, _types, _compilation, _cancellationToken)?.Text("approximate");
                    if (approximate is not ("none" or "tanh"))
                        throw Break(call, "GELU " + path + "'s approximate is not known at build time (the graph picks its kernels by it: "
                            + "create it in its member's initializer or the constructor with a constant \"none\" or \"tanh\")");
                    Bind(path, type);
                    return approximate == "none"
                        ? Add(GraphOp.Gelu, input, path, call)
                        : Add(GraphOp.GeluTanh, input, path, call, "approximate: \"tanh\"");
                }
            }
            var (kernel, options) = ActivationLayers[name];
            var arguments = new List<string> { kernel };
            if (options.Length > 0)
            {
                var layer = LayerArguments.Read(path, _root, _types, _compilation, _cancellationToken);
                foreach (var option in options)
                {
                    if (layer?.Number(option) is not double value)
                        throw Break(call, type.Name + " " + path + "'s " + option + " is not known at build time (the graph writes it into its code: "
                            + "create it in its member's initializer or the constructor with a constant " + option + ")");
                    // The eager function rounds each option to float once, as the kernel computes in float.
                    arguments.Add(FloatLiteral((float)value));
                }
            }
            Bind(path, type);
            return Add(GraphOp.Activation, input, path, call, arguments.ToArray());
        }

        /// <summary>
        /// <c>F.Silu(x)</c>, <c>F.Mish</c>, <c>F.Softplus(x, beta, threshold)</c>, <c>F.Hardswish</c>, <c>F.LeakyRelu(x, slope)</c>,
        /// <c>x.LeakyRelu(slope)</c>, <c>F.Gelu(x, approximate: "tanh")</c> and <c>F.PixelShuffle(x, r)</c>; null when the
        /// call is none of them (the exact GELU is captured with the other activations).
        /// </summary>
        int? ActivationFunction(IInvocationOperation invocation, string? containing, Scope scope)
        {
            var method = invocation.TargetMethod.Name;
            IOperation source;
            IArgumentOperation[] rest;
            if (containing == "ShapeSafe.NN.F" && method is "Silu" or "Mish" or "Softplus" or "Hardswish" or "LeakyRelu" or "Gelu" or "PixelShuffle"
                && invocation.Arguments.Length >= 1)
            {
                source = invocation.Arguments[0].Value;
                rest = invocation.Arguments.Skip(1).ToArray();
            }
            else if (containing == "ShapeSafe.Tensor" && method == "LeakyRelu" && !invocation.TargetMethod.IsStatic && invocation.Instance is { } tensor)
            {
                source = tensor;
                rest = invocation.Arguments.ToArray();
            }
            else
            {
                return null;
            }
            var what = (containing == "ShapeSafe.Tensor" ? "Tensor." : "F.") + method;
            switch (method)
            {
                case "Gelu":
                {
                    var approximate = rest.FirstOrDefault(a => a.Parameter?.Name == "approximate");
                    if (approximate is null || approximate.ArgumentKind == ArgumentKind.DefaultValue) return null;
                    if (approximate.Value.ConstantValue is not { HasValue: true, Value: "none" or "tanh" } constant)
                        throw Break(invocation, "F.Gelu's approximate is not a constant \"none\" or \"tanh\" (the graph picks its kernels by it)");
                    if ((string)constant.Value! == "none") return null;
                    return Add(GraphOp.GeluTanh, new[] { Value(source, scope) }, "", invocation, "approximate: \"tanh\"");
                }
                case "PixelShuffle":
                {
                    var factor = rest.FirstOrDefault(a => a.Parameter?.Name == "upscaleFactor");
                    if (factor?.Value.ConstantValue is not { HasValue: true, Value: int r })
                        throw Break(invocation, "F.PixelShuffle's upscaleFactor is not a constant (the graph writes the call's options into its code)");
                    var text = r.ToString(CultureInfo.InvariantCulture);
                    return Add(GraphOp.PixelShuffle, new[] { Value(source, scope) }, "", invocation, "upscaleFactor: " + text, text);
                }
            }
            var arguments = new List<string> { method };
            foreach (var argument in rest)
            {
                var value = argument.Value.ConstantValue;
                if (!value.HasValue || value.Value is not (double or float or int or long))
                    throw Break(invocation, what + "'s " + argument.Parameter?.Name + " is not a constant (the graph writes it into its code)");
                // As the eager function rounds it: a double option to float once.
                arguments.Add(FloatLiteral((float)System.Convert.ToDouble(value.Value, CultureInfo.InvariantCulture)));
            }
            return Add(GraphOp.Activation, new[] { Value(source, scope) }, "", invocation, arguments.ToArray());
        }
    }
}
