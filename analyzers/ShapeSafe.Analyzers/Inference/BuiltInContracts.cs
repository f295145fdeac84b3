using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace ShapeSafe.Analyzers.Inference
{
    /// <summary>
    /// Shape rules for engine methods that carry no <c>[ShapeContract]</c>: the functional API (<c>F.Relu</c>,
    /// <c>F.Softmax</c>, the losses), the factories whose sizes are not an int array (<c>Arange</c>, <c>Eye</c>,
    /// <c>ZerosLike</c>) and the loss modules. The attribute on the engine method, when there is one, wins; this
    /// table lets the analyzer know them without touching the engine's files, which other work owns.
    /// </summary>
    internal static class BuiltInContracts
    {
        static readonly Dictionary<string, string> s_rules = new(System.StringComparer.Ordinal)
        {
            ["ShapeSafe.Tensor.Arange"] = "Arange",
            ["ShapeSafe.Tensor.Eye"] = "Eye",
            ["ShapeSafe.Tensor.ZerosLike"] = "Like",
            ["ShapeSafe.Tensor.OnesLike"] = "Like",
            ["ShapeSafe.Tensor.FullLike"] = "Like",
            ["ShapeSafe.Tensor.RandnLike"] = "Like",
            ["ShapeSafe.Tensor.RandLike"] = "Like",
            ["ShapeSafe.Tensor.Bernoulli"] = "Like",
            ["ShapeSafe.NN.F.Relu"] = "SameShape",
            ["ShapeSafe.NN.F.Sigmoid"] = "SameShape",
            ["ShapeSafe.NN.F.Tanh"] = "SameShape",
            ["ShapeSafe.NN.F.Gelu"] = "SameShape",
            ["ShapeSafe.NN.F.LeakyRelu"] = "SameShape",
            ["ShapeSafe.NN.F.Dropout"] = "SameShape",
            ["ShapeSafe.NN.F.Softmax"] = "SameShapeDim",
            ["ShapeSafe.NN.F.LogSoftmax"] = "SameShapeDim",
            ["ShapeSafe.NN.F.Flatten"] = "Flatten",
            ["ShapeSafe.NN.F.LayerNorm"] = "LayerNorm",
            ["ShapeSafe.NN.F.MseLoss"] = "PairLoss",
            ["ShapeSafe.NN.F.BinaryCrossEntropy"] = "PairLoss",
            ["ShapeSafe.NN.F.BinaryCrossEntropyWithLogits"] = "PairLoss",
            ["ShapeSafe.NN.F.CrossEntropy"] = "ClassLoss",
            ["ShapeSafe.NN.F.NllLoss"] = "ClassLoss",
            ["ShapeSafe.NN.F.BatchNorm"] = "SameShape",
            ["ShapeSafe.Tensor.MaxPool2dWithIndices"] = "Pool2d",
            ["ShapeSafe.Tensor.FromArray"] = "ShapeArgument",
            ["ShapeSafe.Tensor.Normal"] = "Factory",
            ["ShapeSafe.Tensor.Poisson"] = "Like",
            ["ShapeSafe.Tensor.Multinomial"] = "Multinomial",
            ["ShapeSafe.Tensor.Randperm"] = "Vector",
            ["ShapeSafe.Tensor.Scalar"] = "Scalar",
            // In-place ops and copies return the tensor they change (or a copy of it): its shape.
            ["ShapeSafe.Tensor.AddInPlace"] = "SameShape",
            ["ShapeSafe.Tensor.SubInPlace"] = "SameShape",
            ["ShapeSafe.Tensor.MulInPlace"] = "SameShape",
            ["ShapeSafe.Tensor.DivInPlace"] = "SameShape",
            ["ShapeSafe.Tensor.AddCMulInPlace"] = "SameShape",
            ["ShapeSafe.Tensor.AddCDivInPlace"] = "SameShape",
            ["ShapeSafe.Tensor.ClampInPlace"] = "SameShape",
            ["ShapeSafe.Tensor.FillInPlace"] = "SameShape",
            ["ShapeSafe.Tensor.ZeroInPlace"] = "SameShape",
            ["ShapeSafe.Tensor.CopyFrom"] = "SameShape",
            ["ShapeSafe.Tensor.ToDType"] = "SameShape",
            ["ShapeSafe.NN.TransformerEncoderLayer.Forward"] = "Transformer",
            ["ShapeSafe.NN.TransformerDecoderLayer.Forward"] = "Transformer",
            ["ShapeSafe.NN.TransformerEncoder.Forward"] = "Transformer",
            ["ShapeSafe.NN.TransformerDecoder.Forward"] = "Transformer",
            ["ShapeSafe.NN.Transformer.Forward"] = "Transformer",
            ["ShapeSafe.NN.MSELoss.Forward"] = "PairLoss",
            ["ShapeSafe.NN.BCELoss.Forward"] = "PairLoss",
            ["ShapeSafe.NN.BCEWithLogitsLoss.Forward"] = "PairLoss",
            ["ShapeSafe.NN.CrossEntropyLoss.Forward"] = "ClassLoss",
            ["ShapeSafe.NN.NLLLoss.Forward"] = "ClassLoss",
        };

        /// <summary>
        /// Rules that say more than the engine method's own contract: the norm layers' Forward declares only that it
        /// keeps the shape (its input's rank varies, so no [Shape] fits), but it also checks the channels in dim 1.
        /// </summary>
        static readonly Dictionary<string, string> s_refined = new(System.StringComparer.Ordinal)
        {
            ["ShapeSafe.NN.BatchNorm1d.Forward"] = "BatchNorm1d",
            ["ShapeSafe.NN.GroupNorm.Forward"] = "GroupNorm",
        };

        /// <summary>The operation names in messages, as the engine's own errors spell them.</summary>
        static readonly Dictionary<string, string> s_operations = new(System.StringComparer.Ordinal)
        {
            ["MseLoss"] = "MSELoss",
            ["BinaryCrossEntropy"] = "BCELoss",
            ["BinaryCrossEntropyWithLogits"] = "BCEWithLogitsLoss",
            ["CrossEntropy"] = "CrossEntropyLoss",
            ["NllLoss"] = "NLLLoss",
            ["AdaptiveMaxPool2dWithIndices"] = "AdaptiveMaxPool2d",
            ["MaxPool2dWithIndices"] = "MaxPool2d",
        };

        /// <summary>The rule of <paramref name="method"/> (an engine method in the table), or null.</summary>
        public static string? RuleOf(IMethodSymbol method) => Lookup(s_rules, method);

        /// <summary>The rule that refines <paramref name="method"/>'s own [ShapeContract], or null.</summary>
        public static string? RefinedRuleOf(IMethodSymbol method) => Lookup(s_refined, method);

        static string? Lookup(Dictionary<string, string> table, IMethodSymbol method)
        {
            var type = method.ContainingType;
            if (type is null || type.ContainingNamespace is null) return null;
            return table.TryGetValue(type.ContainingNamespace.ToDisplayString() + "." + type.Name + "." + method.Name, out var rule) ? rule : null;
        }

        /// <summary>
        /// The rule the analyzer uses for the engine method <paramref name="qualifiedName"/> (<c>ShapeSafe.NN.F.Relu</c>)
        /// declaring <paramref name="declared"/> (its [ShapeContract] rule, or null), as calls resolve it: for the coverage test.
        /// </summary>
        internal static string? Effective(string qualifiedName, string? declared) =>
            s_refined.TryGetValue(qualifiedName, out var refined) ? refined : declared ?? (s_rules.TryGetValue(qualifiedName, out var rule) ? rule : null);

        /// <summary>How the engine names the operation in its errors (<c>F.CrossEntropy</c> raises "CrossEntropyLoss").</summary>
        public static string OperationName(string name) => s_operations.TryGetValue(name, out var op) ? op : name;
    }
}
