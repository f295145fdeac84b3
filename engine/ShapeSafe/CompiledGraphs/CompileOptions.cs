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
    /// AOTAutograd's min-cut rematerialization, by a simple rule: a value the backward reads is recomputed there,
    /// instead of saved, when an element-wise op (ReLU, GELU, sigmoid, tanh, negation, arithmetic with a tensor or a
    /// scalar, or a dropout by the mask it drew, which the graph keeps) makes it from values the backward has anyway
    /// (the arguments, values saved for other steps, other recomputed values), at most four such ops from a saved
    /// value. Matrix products, convolutions, pools, normalizations, softmaxes, random draws and views are never recomputed. Every value this drops is saved bytes
    /// gained, and the backward runs each element-wise op of the forward at most once more. The recomputation runs
    /// the forward's kernels on the same operands, so results are bit for bit those without it.
    /// </summary>
    MinCut,
}
