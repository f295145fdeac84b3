namespace ShapeSafe.Shapes.Graph
{
    /// <summary>The ops the fusion rules know; every other op is <see cref="Other"/>.</summary>
    public enum FusibleOp
    {
        /// <summary>An op no rule starts, continues or ends with.</summary>
        Other,

        /// <summary><c>Linear</c> on any input.</summary>
        Linear,

        /// <summary><c>Conv2d</c>.</summary>
        Conv2d,

        /// <summary><c>ReLU</c>.</summary>
        Relu,

        /// <summary>Exact (erf) <c>GELU</c>.</summary>
        Gelu,

        /// <summary><c>MaxPool2d</c>.</summary>
        MaxPool2d,
    }

    /// <summary>What a run of ops becomes.</summary>
    public enum Fusion
    {
        /// <summary>No rule applies: the op runs on its own.</summary>
        None,

        /// <summary><c>Linear</c>, <c>ReLU</c>: the ReLU in the matrix product's epilogue.</summary>
        LinearRelu,

        /// <summary><c>Linear</c>, exact <c>GELU</c>: the GELU in the matrix product's epilogue.</summary>
        LinearGelu,

        /// <summary><c>Conv2d</c>, <c>ReLU</c>: the ReLU in the convolution's epilogue.</summary>
        Conv2dRelu,

        /// <summary><c>Conv2d</c>, <c>ReLU</c>, <c>MaxPool2d</c>: pooled as it is convolved.</summary>
        Conv2dReluMaxPool,
    }

    /// <summary>
    /// The fusion rules, written once: eager <c>Sequential</c> and the compiled graphs of <c>[Module]</c> classes ask
    /// them which ops run as one. A rule covers a chain: ops where each one's output is read only by the next, so the
    /// values inside the chain are never seen and need not be stored. The longest rule wins; no rule is longer than
    /// three ops.
    /// </summary>
    public static class FusionRules
    {
        /// <summary>
        /// The fusion that starts at <paramref name="first"/> and how many ops it covers (1 when none applies).
        /// </summary>
        /// <param name="first">The op the fused op would start with.</param>
        /// <param name="second">The op after it in the chain (<see cref="FusibleOp.Other"/> where the chain ends).</param>
        /// <param name="third">The op after that (<see cref="FusibleOp.Other"/> where the chain ends).</param>
        public static (Fusion Fusion, int Length) Match(FusibleOp first, FusibleOp second, FusibleOp third)
        {
            switch (first)
            {
                case FusibleOp.Linear when second == FusibleOp.Relu:
                    return (Fusion.LinearRelu, 2);
                case FusibleOp.Linear when second == FusibleOp.Gelu:
                    return (Fusion.LinearGelu, 2);
                case FusibleOp.Conv2d when second == FusibleOp.Relu && third == FusibleOp.MaxPool2d:
                    return (Fusion.Conv2dReluMaxPool, 3);
                case FusibleOp.Conv2d when second == FusibleOp.Relu:
                    return (Fusion.Conv2dRelu, 2);
                default:
                    return (Fusion.None, 1);
            }
        }
    }
}
