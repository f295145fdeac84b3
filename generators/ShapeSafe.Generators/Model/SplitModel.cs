namespace ShapeSafe.Generators.Model
{
    /// <summary>
    /// A <c>Forward</c> split at its graph breaks, as TorchDynamo splits one: runs of top-level statements that compile
    /// are graphs of their own (each its own autograd node, plan and buffers), and the statements between them run
    /// eagerly, written into a method of the module from the source as it is.
    /// </summary>
    /// <param name="Parts">The parts in the order <c>Forward</c> runs them.</param>
    /// <param name="GraphsParameter">The name of the split <c>Forward</c>'s parameter that holds the compiled graphs (one no identifier of <c>Forward</c> uses).</param>
    /// <param name="Usings">The using directives of the file that declares <c>Forward</c>, which the eager code is written against.</param>
    /// <param name="NamespaceUsings">The using directives of the namespace declaration that holds the class there.</param>
    internal sealed record SplitForward(EquatableArray<ForwardPart> Parts, string GraphsParameter, EquatableArray<string> Usings, EquatableArray<string> NamespaceUsings);

    /// <summary>One part of a split <c>Forward</c>: statements that run as one compiled graph, or eagerly.</summary>
    /// <param name="Name">A compiled part's name, after what it computes (<c>Fc1Relu</c>); empty for an eager part.</param>
    /// <param name="Lines">Where the statements are (<c>Net.cs(12-14)</c>).</param>
    /// <param name="Code">The statements as written, one entry per line.</param>
    /// <param name="Reason">For an eager part, why it runs eagerly (with the line); else empty.</param>
    /// <param name="Graph">A compiled part's graph; null for an eager part.</param>
    /// <param name="Shapes">The graph's symbolic shapes.</param>
    /// <param name="Inputs">The graph's inputs: the names of the parameters and locals it reads from the statements before it.</param>
    /// <param name="Output">The local or parameter its output is assigned to; empty when the part ends in <c>Forward</c>'s <c>return</c>.</param>
    /// <param name="DeclaresOutput">Whether the part declares <paramref name="Output"/>.</param>
    /// <param name="DeclaredForLater">Locals the part declares that later statements assign before reading them.</param>
    /// <param name="AssignedFirst">Locals declared before the part that it assigns before reading them (its eager form declares them).</param>
    internal sealed record ForwardPart(string Name, string Lines, EquatableArray<string> Code, string Reason, CapturedGraph? Graph, GraphShapes? Shapes,
        EquatableArray<string> Inputs, string Output, bool DeclaresOutput, EquatableArray<LocalDeclaration> DeclaredForLater, EquatableArray<LocalDeclaration> AssignedFirst);

    /// <summary>A local the generated code declares without a value.</summary>
    /// <param name="Type">Its type, fully qualified.</param>
    /// <param name="Name">Its name.</param>
    internal sealed record LocalDeclaration(string Type, string Name);
}
