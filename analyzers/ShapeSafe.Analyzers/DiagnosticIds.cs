namespace ShapeSafe.Analyzers
{
    /// <summary>Every diagnostic id the ShapeSafe analyzers report, in one place (API.md, "Diagnostic ids").</summary>
    public static class DiagnosticIds
    {
        /// <summary><c>View</c> on a tensor whose layout it cannot express.</summary>
        public const string ViewOnIncompatibleLayout = "SS0001";

        /// <summary>Matrix product shape mismatch.</summary>
        public const string MatrixProductMismatch = "SS0002";

        /// <summary><c>Cat</c>/<c>Stack</c> (and <c>Split</c>) shape mismatch.</summary>
        public const string JoinMismatch = "SS0003";

        /// <summary><c>View</c>/<c>Reshape</c> element count mismatch, or more than one <c>-1</c>.</summary>
        public const string ElementCountMismatch = "SS0004";

        /// <summary>Operands that do not broadcast.</summary>
        public const string BroadcastMismatch = "SS0005";

        /// <summary>Dimension index out of range.</summary>
        public const string DimOutOfRange = "SS0006";

        /// <summary>A value does not match a declared <c>[Shape]</c>.</summary>
        public const string ShapeAnnotationMismatch = "SS0007";

        /// <summary>An input does not fit a layer's configuration.</summary>
        public const string LayerConfigurationMismatch = "SS0008";

        /// <summary>Malformed <c>[Shape]</c> or <c>[Dim]</c> annotation.</summary>
        public const string MalformedAnnotation = "SS0009";

        /// <summary>Convolution or pooling gives an empty or negative output size.</summary>
        public const string EmptyWindowOutput = "SS0010";

        /// <summary>Opt-in: the inferred shape of each tensor local.</summary>
        public const string InferredShape = "SS1000";
    }
}
