using System;
using System.Collections.Generic;
using System.Linq;

namespace ShapeSafe.Shapes;

/// <summary>
/// The analyzers' reading of dim names (API.md, "What a name means"): a name stands for any size the caller may
/// choose. Inside a scope opened by <see cref="Begin"/>, <see cref="SymbolicDims.Equal"/> answers an equality
/// between sizes over names only that is not an identity (<c>T</c> = 1, <c>H</c> = 128, <c>B*T</c> = 64) with
/// False and records it: a rule that then refuses its inputs works only when one of the recorded equalities holds,
/// and the diagnostic says so. Anonymous sizes (what the analysis could not name) never count: they stay Unknown.
/// Outside a scope the domain is unchanged; the scope is per thread, as one rule runs on one thread.
/// </summary>
public static class GenericNames
{
    [ThreadStatic] static List<(Dim, Dim)>? t_assumed;

    internal static bool Active => t_assumed is not null;

    internal static void Record(Dim a, Dim b)
    {
        var list = t_assumed!;
        if (list.Count < 8 && !list.Any(p => (p.Item1.Equals(a) && p.Item2.Equals(b)) || (p.Item1.Equals(b) && p.Item2.Equals(a))))
            list.Add((a, b));
    }

    /// <summary>Starts answering generically on this thread until the scope is disposed.</summary>
    public static Scope Begin()
    {
        var outer = t_assumed;
        t_assumed = new List<(Dim, Dim)>();
        return new Scope(outer);
    }

    /// <summary>A scope of generic answers; <see cref="Condition"/> says what the answers assumed false.</summary>
    public readonly struct Scope : IDisposable
    {
        readonly List<(Dim, Dim)>? _outer;

        internal Scope(List<(Dim, Dim)>? outer) => _outer = outer;

        /// <summary>The equalities answered False so far, in the order asked.</summary>
        public IReadOnlyList<(Dim Left, Dim Right)> Assumed => t_assumed ?? new List<(Dim, Dim)>();

        /// <summary>
        /// "T is 1", "H is 128 or T is 1": the condition under which the refused rule could have held; null when
        /// nothing was assumed (the refusal holds for every size).
        /// </summary>
        public string? Condition => Describe(Assumed);

        /// <summary>Ends the scope.</summary>
        public void Dispose() => t_assumed = _outer;
    }

    /// <summary>The condition of <paramref name="assumed"/> in words, or null when empty.</summary>
    public static string? Describe(IReadOnlyList<(Dim Left, Dim Right)> assumed)
    {
        if (assumed.Count == 0) return null;
        var parts = assumed.Select(p => Equation(p.Left, p.Right)).Distinct().ToList();
        return parts.Count == 1 ? parts[0] : string.Join(", ", parts.Take(parts.Count - 1)) + " or " + parts[parts.Count - 1];
    }

    static string Equation(Dim a, Dim b)
    {
        // The name first: "T is 1" rather than "1 is T".
        if (a.IsConstant && !b.IsConstant) (a, b) = (b, a);
        return b.IsConstant ? $"{a} is {b}" : $"{a} = {b}";
    }
}
