using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ShapeSafe.Shapes;

/// <summary>
/// A parsed <c>[Shape("..., B, _, D/H")]</c> annotation: an optional leading <c>...</c> (any number of
/// leading dims) followed by entries, each a dim or the unchecked wildcard <c>_</c>.
/// </summary>
public sealed class ParsedShape
{
    internal ParsedShape(bool hasEllipsis, IReadOnlyList<ShapeEntry> entries)
    {
        HasEllipsis = hasEllipsis;
        Entries = entries;
    }

    /// <summary>Whether the annotation begins with <c>...</c>: the tensor may have any number of dims before <see cref="Entries"/>.</summary>
    public bool HasEllipsis { get; }

    /// <summary>The dims after the ellipsis (all of them when there is none), left to right.</summary>
    public IReadOnlyList<ShapeEntry> Entries { get; }

    /// <summary>The annotation in canonical form: <c>..., B, _, D/H</c>; <c>""</c> for a scalar.</summary>
    public override string ToString() =>
        string.Join(", ", (HasEllipsis ? new[] { "..." } : new string[0]).Concat(Entries.Select(e => e.ToString())));
}

/// <summary>One dim of a parsed annotation, with where it was written (for diagnostics).</summary>
public sealed class ShapeEntry
{
    internal ShapeEntry(Dim? dim, int position, int length)
    {
        Dim = dim;
        Position = position;
        Length = length;
    }

    /// <summary>The dim; null for the wildcard <c>_</c>.</summary>
    public Dim? Dim { get; }

    /// <summary>Whether this is <c>_</c>: one dim of any size, not checked.</summary>
    public bool IsWildcard => Dim is null;

    /// <summary>The index of the entry's first character in the annotation text.</summary>
    public int Position { get; }

    /// <summary>The number of characters the entry spans (without surrounding spaces).</summary>
    public int Length { get; }

    /// <summary>The dim in canonical form, or <c>_</c>.</summary>
    public override string ToString() => Dim?.ToString() ?? "_";
}

/// <summary>Why an annotation does not parse, and where (the analyzer reports it as SS0009).</summary>
public sealed class ShapeParseError
{
    internal ShapeParseError(int position, int length, string message)
    {
        Position = position;
        Length = length;
        Message = message;
    }

    /// <summary>The index in the annotation text where the problem is (the text's length when it ended too early).</summary>
    public int Position { get; }

    /// <summary>How many characters the problem spans (0 at the end of the text).</summary>
    public int Length { get; }

    /// <summary>What is wrong and what was expected, e.g. <c>expected ')' to close the '(' at position 3</c>.</summary>
    public string Message { get; }

    /// <summary><c>position N: message</c>.</summary>
    public override string ToString() => "position " + Position.ToString(CultureInfo.InvariantCulture) + ": " + Message;
}

/// <summary>The outcome of <see cref="DimParser.Parse"/>: a shape or an error, never both.</summary>
public sealed class ShapeParseResult
{
    internal ShapeParseResult(ParsedShape? shape, ShapeParseError? error)
    {
        Shape = shape;
        Error = error;
    }

    /// <summary>Whether the text parsed.</summary>
    public bool Success => Shape is not null;

    /// <summary>The parsed shape, when <see cref="Success"/>.</summary>
    public ParsedShape? Shape { get; }

    /// <summary>The error, when not <see cref="Success"/>.</summary>
    public ShapeParseError? Error { get; }
}
