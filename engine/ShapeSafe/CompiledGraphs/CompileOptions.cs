namespace ShapeSafe.NN;

/// <summary>How <c>Compile()</c> runs a module's generated graph.</summary>
public sealed class CompileOptions
{
    /// <summary>The options <c>Compile()</c> uses when given none.</summary>
    public static CompileOptions Default { get; } = new();

    /// <summary>
    /// How many input shapes get a plan of their own (TorchDynamo's <c>cache_size_limit</c>, 8 by default). A new
    /// shape past the limit runs the module's eager <c>Forward</c>, as TorchDynamo falls back to eager once it
    /// would recompile too often.
    /// </summary>
    public int CacheSizeLimit { get; init; } = 8;

    /// <summary>
    /// Whether the backward recomputes cheap element-wise values instead of keeping them from the forward
    /// (<see cref="RecomputeMode.None"/> by default). The generator decides at build time which values can be
    /// recomputed; this option chooses, when the graph is compiled, whether they are.
    /// </summary>
    public RecomputeMode Recompute { get; init; } = RecomputeMode.None;
}

/// <summary>What a compiled graph's backward recomputes rather than saves (<see cref="CompileOptions.Recompute"/>).</summary>
public enum RecomputeMode
{
    /// <summary>Nothing: every value the backward reads is kept from the forward.</summary>
    None,

    /// <summary>
    /// AOTAutograd's min-cut rematerialization: of the values the backward reads, those element-wise ops make (ReLU,
    /// GELU, sigmoid, tanh, negation, arithmetic with a tensor or a scalar, or a dropout by the mask it drew, which the
    /// graph keeps) are recomputed there from the values a minimum cut of the graph saves, chosen at build time to
    /// save the fewest bytes by the values' symbolic shapes (per unit of a named dim such as B first). The cut may
    /// save a value the backward does not read, a narrow one, to recompute several wide ones. Matrix products,
    /// convolutions, pools, normalizations, softmaxes, embeddings, attention layers, random draws and views are never
    /// recomputed, and each element-wise op of the forward runs at most once more. The recomputation runs the
    /// forward's kernels on the same operands, so results are bit for bit those without it.
    /// </summary>
    MinCut,
}
