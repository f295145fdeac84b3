using System.Collections.Generic;

namespace ShapeSafe.Shapes;

/// <summary>What can be proved about the sign of a dim for every assignment of its names.</summary>
internal enum ProvenSign : byte
{
    Unknown,
    /// <summary>≥ 0 for every assignment.</summary>
    NonNegative,
    /// <summary>&gt; 0 for every assignment.</summary>
    Positive,
}

/// <summary>
/// Sound sign reasoning for the normal form, with names ≥ 1. A term c·m over names only is &gt; 0 when
/// c &gt; 0, and at least c when m has no quotient (each name is ≥ 1). A negative term −c·m is covered
/// by positive terms that are multiples of m (m·B ≥ m because B ≥ 1), so <c>B*T - B</c> ≥ 0 and
/// <c>B - 1</c> ≥ 0. What remains uncovered makes the answer Unknown: the reasoning never guesses.
/// </summary>
internal static class DimBounds
{
    public static ProvenSign Sign(Dim d)
    {
        // Sized once (a list that grows copies itself): this runs for most comparisons the analyzers make.
        var positive = new List<Slot>(d.TermCount);
        List<Slot>? negative = null;
        for (int i = 0; i < d.TermCount; i++)
        {
            var t = d.TermAt(i);
            bool namesOnly = !t.Monomial.HasOpaqueAtom;
            if (t.Coefficient.Sign > 0)
            {
                // A positive term over opaque atoms still counts as ≥ 0 when each atom is ≥ 0.
                if (!namesOnly && !OpaqueFactorsNonNegative(t.Monomial)) return ProvenSign.Unknown;
                positive.Add(new Slot(t.Monomial, t.Coefficient, namesOnly));
            }
            else
            {
                if (!namesOnly) return ProvenSign.Unknown;
                (negative ??= new List<Slot>(d.TermCount)).Add(new Slot(t.Monomial, -t.Coefficient, true));
            }
        }

        // Cover each negative term (highest degree first, as the terms are sorted) by its multiples.
        for (int n = 0; negative is not null && n < negative.Count; n++)
        {
            var need = negative[n];
            var left = need.Amount;
            for (int i = 0; i < positive.Count && left.Sign > 0; i++)
            {
                var p = positive[i];
                if (!p.NamesOnly || p.Amount.Sign <= 0 || !p.Monomial.IsMultipleOf(need.Monomial)) continue;
                var take = p.Amount.CompareTo(left) < 0 ? p.Amount : left;
                positive[i] = new Slot(p.Monomial, p.Amount - take, true);
                left -= take;
            }
            if (left.Sign > 0) return ProvenSign.Unknown;
        }

        var lowerBound = Rational.Zero;
        bool strict = false;
        foreach (var p in positive)
        {
            if (p.Amount.Sign <= 0 || !p.NamesOnly) continue;
            if (p.Monomial.HasNegativeExponent) strict = true; // a quotient of names is > 0 but may be small
            else lowerBound += p.Amount;
        }
        return lowerBound.Sign > 0 || strict ? ProvenSign.Positive : ProvenSign.NonNegative;
    }

    /// <summary>Whether every non-name atom of m has a positive exponent and is provably ≥ 0.</summary>
    static bool OpaqueFactorsNonNegative(Monomial m)
    {
        for (int i = 0; i < m.Count; i++)
        {
            var atom = m.AtomAt(i);
            if (atom.Kind == AtomKind.Name) continue;
            if (m.ExponentAt(i) < 0) return false; // the atom may be 0
            if (atom is InverseAtom inverse && Sign(inverse.Denominator) != ProvenSign.Positive) return false;
            if (atom is FloorAtom floor
                && (Sign(floor.Numerator) == ProvenSign.Unknown || Sign(floor.Denominator) != ProvenSign.Positive))
                return false;
            // Anonymous atoms are sizes: ≥ 0.
        }
        return true;
    }

    readonly struct Slot
    {
        public Slot(Monomial monomial, Rational amount, bool namesOnly)
        {
            Monomial = monomial;
            Amount = amount;
            NamesOnly = namesOnly;
        }

        public Monomial Monomial { get; }
        public Rational Amount { get; }
        public bool NamesOnly { get; }
    }
}
