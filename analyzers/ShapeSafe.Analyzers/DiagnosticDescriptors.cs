using Microsoft.CodeAnalysis;

namespace ShapeSafe.Analyzers
{
    /// <summary>The descriptors of every ShapeSafe diagnostic. Messages come from the shape rules, so most formats are <c>{0}</c>.</summary>
    public static class DiagnosticDescriptors
    {
        /// <summary>Where each id's page lives; the id and <c>.md</c> are appended.</summary>
        public const string HelpLinkBase = "https://github.com/shapesafe/shapesafe/blob/main/docs/diagnostics/";

        const string Category = "Shape";

        /// <summary>SS0001.</summary>
        public static readonly DiagnosticDescriptor ViewOnIncompatibleLayout = Create(
            DiagnosticIds.ViewOnIncompatibleLayout,
            "View cannot express the tensor's layout",
            "{0}",
            "View needs the dims it merges or splits to be laid out contiguously; after Transpose, Permute, Expand or slicing they may not be. Use Reshape(...) or call Contiguous() first.");

        /// <summary>SS0002.</summary>
        public static readonly DiagnosticDescriptor MatrixProductMismatch = Create(
            DiagnosticIds.MatrixProductMismatch,
            "Matrix product shape mismatch",
            "{0}",
            "The inner dims of a matrix product (Matmul, Mm, Bmm, Dot, Mv, Einsum) must be equal, and batch dims must broadcast.");

        /// <summary>SS0003.</summary>
        public static readonly DiagnosticDescriptor JoinMismatch = Create(
            DiagnosticIds.JoinMismatch,
            "Cat/Stack shape mismatch",
            "{0}",
            "Cat needs all sizes equal except along the joined dim; Stack needs equal shapes; Split sizes must add up to the dim.");

        /// <summary>SS0004.</summary>
        public static readonly DiagnosticDescriptor ElementCountMismatch = Create(
            DiagnosticIds.ElementCountMismatch,
            "View/Reshape element count mismatch",
            "{0}",
            "View and Reshape keep the number of elements: the requested sizes must multiply to it, with at most one -1.");

        /// <summary>SS0005.</summary>
        public static readonly DiagnosticDescriptor BroadcastMismatch = Create(
            DiagnosticIds.BroadcastMismatch,
            "Operands do not broadcast",
            "{0}",
            "Aligned from the last dim, each pair of sizes must be equal or one of them 1.");

        /// <summary>SS0006.</summary>
        public static readonly DiagnosticDescriptor DimOutOfRange = Create(
            DiagnosticIds.DimOutOfRange,
            "Dimension index out of range",
            "{0}",
            "A dim argument must lie in [-rank, rank-1] (rank+1 positions for Unsqueeze and Stack); an index must lie within its dim.");

        /// <summary>SS0007.</summary>
        public static readonly DiagnosticDescriptor ShapeAnnotationMismatch = Create(
            DiagnosticIds.ShapeAnnotationMismatch,
            "Value does not match its declared [Shape]",
            "{0}",
            "An argument, field, property or return value has a shape that differs from the [Shape] it is declared with.");

        /// <summary>SS0008.</summary>
        public static readonly DiagnosticDescriptor LayerConfigurationMismatch = Create(
            DiagnosticIds.LayerConfigurationMismatch,
            "Input does not fit the layer's configuration",
            "{0}",
            "A layer's [Dim] constructor arguments fix the sizes its Forward accepts (Linear in-features, Conv2d in-channels, norm sizes).");

        /// <summary>SS0009.</summary>
        public static readonly DiagnosticDescriptor MalformedAnnotation = Create(
            DiagnosticIds.MalformedAnnotation,
            "Malformed [Shape] or [Dim] annotation",
            "{0}",
            "A dim is an integer, a name, an expression of those with * / + - (and // for floor division), '_' (one unchecked dim) or a leading '...'.");

        /// <summary>SS0010.</summary>
        public static readonly DiagnosticDescriptor EmptyWindowOutput = Create(
            DiagnosticIds.EmptyWindowOutput,
            "Convolution or pooling output is empty",
            "{0}",
            "The kernel (with dilation) must fit in the padded input, or the output size would be zero or negative.");

        /// <summary>SS1000 (off by default): enable it in .editorconfig to see each tensor local's inferred shape and each Forward's return.</summary>
        public static readonly DiagnosticDescriptor InferredShape = new(
            DiagnosticIds.InferredShape,
            "Inferred tensor shape",
            "{0}",
            Category,
            DiagnosticSeverity.Info,
            isEnabledByDefault: false,
            description: "Shows the shape the analyzer infers for each tensor local and at each return of a Forward method (dotnet_diagnostic.SS1000.severity = suggestion).",
            helpLinkUri: HelpLinkBase + DiagnosticIds.InferredShape + ".md");

        static DiagnosticDescriptor Create(string id, string title, string format, string description) =>
            new(id, title, format, Category, DiagnosticSeverity.Error, isEnabledByDefault: true, description, HelpLinkBase + id + ".md");
    }
}
