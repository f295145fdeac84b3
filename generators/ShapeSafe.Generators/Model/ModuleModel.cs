namespace ShapeSafe.Generators.Model
{
    /// <summary>
    /// Everything the emitter needs to write one <c>[Module]</c> class's registration: plain values only, so two
    /// parses of an unchanged class are equal and the generator's cache holds.
    /// </summary>
    /// <param name="Namespace">The class's namespace, or empty for the global namespace.</param>
    /// <param name="ContainingTypes">The types the class is nested in, outermost first.</param>
    /// <param name="Declaration">The class itself (its name and type parameters).</param>
    /// <param name="Members">The state members, in registration order.</param>
    /// <param name="HintName">The generated file's name, <c>{Type}.g.cs</c>.</param>
    /// <param name="Forward">The compiled graph of its <c>Forward</c> (or why it runs eagerly); null when there is no <c>Compile()</c> to write.</param>
    internal sealed record ModuleModel(
        string Namespace,
        EquatableArray<TypeDeclaration> ContainingTypes,
        TypeDeclaration Declaration,
        EquatableArray<StateMember> Members,
        string HintName,
        ForwardModel? Forward = null);

    /// <summary>How a type is declared again in the generated file, for example <c>partial class Block&lt;T&gt;</c>.</summary>
    /// <param name="Keyword">The declaration's keyword: <c>class</c>, <c>struct</c>, <c>record</c>, <c>record struct</c> or <c>interface</c>.</param>
    /// <param name="Name">The name with its type parameters, as written in a declaration (<c>Block&lt;T&gt;</c>).</param>
    internal sealed record TypeDeclaration(string Keyword, string Name);

    /// <summary>What kind of state a member is, and so which registration call it gets.</summary>
    internal enum StateKind
    {
        /// <summary>A <c>Module</c>: a child.</summary>
        Child,

        /// <summary>An array or read-only list of modules: a <c>ModuleList</c> child.</summary>
        ChildList,

        /// <summary>A <c>Parameter</c>.</summary>
        Parameter,

        /// <summary>A <c>Tensor</c> marked <c>[Buffer]</c>.</summary>
        Buffer,
    }

    /// <summary>One state member.</summary>
    /// <param name="Kind">Child, child list, parameter or buffer.</param>
    /// <param name="StateName">The name it is registered under (<c>conv1</c> for a field <c>_conv1</c>).</param>
    /// <param name="MemberName">The field's or property's name in C#, escaped where it is a keyword (<c>@class</c>).</param>
    /// <param name="Persistent">For buffers: whether it is part of the state dict.</param>
    internal sealed record StateMember(StateKind Kind, string StateName, string MemberName, bool Persistent);
}
