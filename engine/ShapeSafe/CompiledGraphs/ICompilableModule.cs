namespace ShapeSafe.NN;

/// <summary>
/// A module whose <c>Forward</c> the <c>[Module]</c> generator compiled (or tried to): the generator implements this
/// on every <c>[Module]</c> class with a <c>Forward</c>, so code that holds a plain <see cref="Module"/>, such as the
/// trainer, can ask for its graph. Users call the generated <c>model.Compile()</c>, which returns the typed graph.
/// </summary>
public interface ICompilableModule
{
    /// <summary>The module's compiled graph, bound to this module (the same as the generated <c>Compile(options)</c>).</summary>
    CompiledModule Compile(CompileOptions? options = null);
}
