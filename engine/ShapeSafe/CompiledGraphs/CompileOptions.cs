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
}
