using System;
using System.Collections.Generic;

namespace ShapeSafe.Shapes;

/// <summary>
/// A product of atoms with nonzero integer exponents, sorted by atom: <c>B²·T·H⁻¹</c>.
/// A negative exponent is an exact quotient by that atom (the user wrote <c>D/H</c>).
/// Immutable; equality is structural and the hash is computed once.
/// </summary>
internal sealed class Monomial : IEquatable<Monomial>, IComparable<Monomial>
{
    public static readonly Monomial One = new(Array.Empty<Atom>(), Array.Empty<int>());

    readonly Atom[] _atoms;
    readonly int[] _exponents;
    readonly int _hash;

    Monomial(Atom[] atoms, int[] exponents)
    {
        _atoms = atoms;
        _exponents = exponents;
        int h = 17;
        for (int i = 0; i < atoms.Length; i++)
        {
            h = unchecked((h * 31 + atoms[i].GetHashCode()) * 31 + exponents[i]);
            if (exponents[i] > 0) Degree += exponents[i];
            if (exponents[i] < 0) HasNegativeExponent = true;
            if (atoms[i].Kind != AtomKind.Name) HasOpaqueAtom = true;
        }
        _hash = h;
    }

    public static Monomial Of(Atom atom, int exponent = 1) => new(new[] { atom }, new[] { exponent });

    public int Count => _atoms.Length;
    public Atom AtomAt(int i) => _atoms[i];
    public int ExponentAt(int i) => _exponents[i];
    public bool IsOne => _atoms.Length == 0;

    /// <summary>The sum of the positive exponents: the degree of the numerator.</summary>
    public int Degree { get; }

    public bool HasNegativeExponent { get; }

    /// <summary>Whether some atom is not a plain name (anonymous, quotient or floor).</summary>
    public bool HasOpaqueAtom { get; }

    /// <summary>The exponent of <paramref name="atom"/> (0 when absent).</summary>
    public int ExponentOf(Atom atom)
    {
        for (int i = 0; i < _atoms.Length; i++)
            if (_atoms[i].Equals(atom)) return _exponents[i];
        return 0;
    }

    public static Monomial operator *(Monomial a, Monomial b) => Combine(a, b, 1);

    public static Monomial operator /(Monomial a, Monomial b) => Combine(a, b, -1);

    public Monomial Inverse() => Combine(One, this, -1);

    /// <summary>a · b^sign, by merging the two sorted factor lists; exponents that cancel are dropped.</summary>
    static Monomial Combine(Monomial a, Monomial b, int sign)
    {
        if (b.IsOne) return a;
        if (a.IsOne && sign == 1) return b;
        var atoms = new List<Atom>(a.Count + b.Count);
        var exps = new List<int>(a.Count + b.Count);
        int i = 0, j = 0;
        while (i < a.Count || j < b.Count)
        {
            int c = i == a.Count ? 1 : j == b.Count ? -1 : a._atoms[i].CompareTo(b._atoms[j]);
            if (c < 0) { atoms.Add(a._atoms[i]); exps.Add(a._exponents[i]); i++; }
            else if (c > 0) { atoms.Add(b._atoms[j]); exps.Add(sign * b._exponents[j]); j++; }
            else
            {
                int e = checked(a._exponents[i] + sign * b._exponents[j]);
                if (e != 0) { atoms.Add(a._atoms[i]); exps.Add(e); }
                i++;
                j++;
            }
        }
        return atoms.Count == 0 ? One : new Monomial(atoms.ToArray(), exps.ToArray());
    }

    /// <summary>The per-atom minimum of the exponents (absent atoms count as 0): what both monomials contain.</summary>
    public static Monomial Min(Monomial a, Monomial b) => Pick(a, b, Math.Min);

    /// <summary>The per-atom maximum of the exponents (absent atoms count as 0).</summary>
    public static Monomial Max(Monomial a, Monomial b) => Pick(a, b, Math.Max);

    static Monomial Pick(Monomial a, Monomial b, Func<int, int, int> choose)
    {
        var atoms = new List<Atom>();
        var exps = new List<int>();
        int i = 0, j = 0;
        while (i < a.Count || j < b.Count)
        {
            int c = i == a.Count ? 1 : j == b.Count ? -1 : a._atoms[i].CompareTo(b._atoms[j]);
            int e = c < 0 ? choose(a._exponents[i], 0) : c > 0 ? choose(0, b._exponents[j]) : choose(a._exponents[i], b._exponents[j]);
            var atom = c <= 0 ? a._atoms[i] : b._atoms[j];
            if (c <= 0) i++;
            if (c >= 0) j++;
            if (e != 0) { atoms.Add(atom); exps.Add(e); }
        }
        return atoms.Count == 0 ? One : new Monomial(atoms.ToArray(), exps.ToArray());
    }

    /// <summary>The factors with negative exponent, inverted: the denominator part (<c>H</c> for <c>D/H</c>).</summary>
    public Monomial DenominatorPart() => Min(this, One).Inverse();

    /// <summary>The factors with positive exponent: the numerator part.</summary>
    public Monomial NumeratorPart() => Max(this, One);

    /// <summary>Whether every exponent of this / <paramref name="other"/> is ≥ 0.</summary>
    public bool IsMultipleOf(Monomial other)
    {
        var q = this / other;
        for (int i = 0; i < q.Count; i++)
            if (q._exponents[i] < 0) return false;
        return true;
    }

    public bool Equals(Monomial? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null || other._hash != _hash || other.Count != Count) return false;
        for (int i = 0; i < _atoms.Length; i++)
            if (_exponents[i] != other._exponents[i] || !_atoms[i].Equals(other._atoms[i])) return false;
        return true;
    }

    public override bool Equals(object? obj) => obj is Monomial m && Equals(m);

    public override int GetHashCode() => _hash;

    /// <summary>
    /// Canonical order of terms: higher numerator degree first, then lexicographic on the exponent
    /// vector over the atom order. On ordinary polynomials this is graded-lex, a term order, so
    /// polynomial division by leading terms terminates.
    /// </summary>
    public int CompareTo(Monomial? other)
    {
        if (other is null) return 1;
        if (ReferenceEquals(this, other)) return 0;
        if (Degree != other.Degree) return other.Degree.CompareTo(Degree);
        int i = 0, j = 0;
        while (i < Count || j < other.Count)
        {
            int c = i == Count ? 1 : j == other.Count ? -1 : _atoms[i].CompareTo(other._atoms[j]);
            // The first atom where the exponents differ decides: the larger exponent sorts first.
            if (c < 0) return _exponents[i] > 0 ? -1 : 1;
            if (c > 0) return other._exponents[j] > 0 ? 1 : -1;
            if (_exponents[i] != other._exponents[j]) return other._exponents[j].CompareTo(_exponents[i]);
            i++;
            j++;
        }
        return 0;
    }
}
