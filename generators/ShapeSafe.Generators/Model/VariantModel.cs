namespace ShapeSafe.Generators.Model
{
    /// <summary>One branch of a <c>Forward</c> as one path through it takes it.</summary>
    /// <param name="Condition">The condition as the compiled class evaluates it when it binds (<c>Module._useNorm</c>, <c>training</c>).</param>
    /// <param name="Source">The condition as written, for the variant's documentation (<c>_kind == Kind.Max</c>).</param>
    /// <param name="Module">The inlined child whose <c>Forward</c> has the branch (its registry path), or empty for the module's own.</param>
    /// <param name="Taken">Whether this path takes the branch (the condition is true).</param>
    internal sealed record BranchDecision(string Condition, string Source, string Module, bool Taken);

    /// <summary>One combination of the branches' outcomes and what runs for it.</summary>
    /// <param name="Decisions">The branches in the order the capture met them, each with its outcome on this path.</param>
    /// <param name="Graph">The graph of this path, or null where the path ends in a <c>throw</c> (eager mode runs it and throws).</param>
    /// <param name="Throws">For a throwing path: the line of the throw; else empty.</param>
    /// <param name="Shapes">The symbolic shapes of this path's graph, worked out at build time (null where the path throws).</param>
    internal sealed record GraphVariant(EquatableArray<BranchDecision> Decisions, CapturedGraph? Graph, string Throws, GraphShapes? Shapes = null);

    /// <summary>An inlined child whose options or mode the branches read, bound by its registry path.</summary>
    /// <param name="Path">The registry path (<c>block1</c>).</param>
    /// <param name="Type">The child's type, fully qualified.</param>
    /// <param name="FollowsMode">Whether a branch of it reads its <c>Training</c>, which the graph takes to be the module's.</param>
    internal sealed record BranchChild(string Path, string Type, bool FollowsMode);

    /// <summary>An <c>UnsafeAccessor</c> for a readonly option the compiled class cannot name (a private field of an inlined child).</summary>
    /// <param name="Name">The accessor's name (<c>BlockUseNorm</c>).</param>
    /// <param name="DeclaringType">The type that declares the field, fully qualified.</param>
    /// <param name="Field">The field's name.</param>
    /// <param name="FieldType">The field's type, fully qualified.</param>
    internal sealed record FieldAccessor(string Name, string DeclaringType, string Field, string FieldType);

    /// <summary>
    /// A <c>Forward</c> whose branches read values known when the graph is bound (readonly options) or at each call
    /// (<c>Training</c>): one graph per combination of their outcomes, as TorchDynamo specializes on such values.
    /// </summary>
    /// <param name="Variants">Every path, in the order the capture enumerated them (each branch's true side first).</param>
    /// <param name="Children">The inlined children the conditions read.</param>
    /// <param name="Accessors">The accessors the conditions call.</param>
    /// <param name="ReadsTraining">Whether a condition reads <c>Training</c> (then a graph is picked at each call).</param>
    internal sealed record GraphVariants(EquatableArray<GraphVariant> Variants, EquatableArray<BranchChild> Children, EquatableArray<FieldAccessor> Accessors, bool ReadsTraining);
}
