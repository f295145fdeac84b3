using System;
using System.Threading;

namespace ShapeSafe.Shapes;

/// <summary>The kinds of atoms, in the order atoms sort inside a monomial.</summary>
internal enum AtomKind : byte
{
    /// <summary>A user's name (<c>B</c>): an unknown integer ≥ 1.</summary>
    Name,
    /// <summary>A fresh unknown size ≥ 0 that equals nothing else.</summary>
    Anonymous,
    /// <summary>The reciprocal of a sum that does not divide exactly: the <c>1/(T + 1)</c> in <c>(B + 1)/(T + 1)</c>.</summary>
    Inverse,
    /// <summary>A rounded-down quotient that may be inexact: <c>(H - 3)//2</c>.</summary>
    Floor,
}

/// <summary>
/// A variable of the polynomial algebra. Names are the common case; the other kinds wrap
/// what the algebra cannot express as a polynomial, so they behave as opaque variables.
/// Atoms are immutable and compare structurally (anonymous atoms by identity).
/// </summary>
internal abstract class Atom : IEquatable<Atom>, IComparable<Atom>
{
    int _hash;

    public abstract AtomKind Kind { get; }

    public abstract bool Equals(Atom? other);

    protected abstract int ComputeHash();

    public override bool Equals(object? obj) => obj is Atom a && Equals(a);

    public override int GetHashCode()
    {
        // Cached: atoms sit in every monomial key, and quotient atoms hash whole dims.
        if (_hash == 0)
        {
            int h = ComputeHash();
            _hash = h == 0 ? 1 : h;
        }
        return _hash;
    }

    public int CompareTo(Atom? other)
    {
        if (ReferenceEquals(this, other)) return 0;
        if (other is null) return 1;
        if (Kind != other.Kind) return Kind.CompareTo(other.Kind);
        return CompareSameKind(other);
    }

    protected abstract int CompareSameKind(Atom other);
}

internal sealed class NameAtom : Atom
{
    public NameAtom(string name) => Name = name;

    public string Name { get; }
    public override AtomKind Kind => AtomKind.Name;
    public override bool Equals(Atom? other) => other is NameAtom n && n.Name == Name;
    protected override int ComputeHash() => StringComparer.Ordinal.GetHashCode(Name);
    protected override int CompareSameKind(Atom other) => string.CompareOrdinal(Name, ((NameAtom)other).Name);
    public override string ToString() => Name;
}

internal sealed class AnonymousAtom : Atom
{
    static long s_next;

    public AnonymousAtom(string hint)
    {
        Hint = hint;
        Id = Interlocked.Increment(ref s_next);
    }

    public string Hint { get; }
    public long Id { get; }
    public override AtomKind Kind => AtomKind.Anonymous;
    public override bool Equals(Atom? other) => ReferenceEquals(this, other);
    protected override int ComputeHash() => Id.GetHashCode();
    protected override int CompareSameKind(Atom other) => Id.CompareTo(((AnonymousAtom)other).Id);
    public override string ToString() => Hint;
}

/// <summary>
/// 1/q for a sum q that the algebra cannot divide by: the user's (B + 1)/(T + 1) is (B + 1)·[1/(T + 1)].
/// Keeping only the reciprocal as the atom keeps sums canonical: (B + C)/(T + 1) and
/// B/(T + 1) + C/(T + 1) have the same normal form. q is primitive (coprime integer coefficients,
/// positive leading term, no monomial factor), so equal divisors give equal atoms.
/// </summary>
internal sealed class InverseAtom : Atom
{
    public InverseAtom(Dim denominator) => Denominator = denominator;

    public Dim Denominator { get; }
    public override AtomKind Kind => AtomKind.Inverse;
    public override bool Equals(Atom? other) => other is InverseAtom i && i.Denominator.Equals(Denominator);
    protected override int ComputeHash() => unchecked(Denominator.GetHashCode() * 397 + 1);
    protected override int CompareSameKind(Atom other) => Denominator.CompareTo(((InverseAtom)other).Denominator);
}

/// <summary>numerator / denominator rounded toward zero, kept as the rule computed it: <c>(H - 3)//2</c>.</summary>
internal sealed class FloorAtom : Atom
{
    public FloorAtom(Dim numerator, Dim denominator)
    {
        Numerator = numerator;
        Denominator = denominator;
    }

    public Dim Numerator { get; }
    public Dim Denominator { get; }
    public override AtomKind Kind => AtomKind.Floor;

    public override bool Equals(Atom? other) =>
        other is FloorAtom f && f.Numerator.Equals(Numerator) && f.Denominator.Equals(Denominator);

    protected override int ComputeHash() => unchecked(Numerator.GetHashCode() * 397 + Denominator.GetHashCode());

    protected override int CompareSameKind(Atom other)
    {
        var f = (FloorAtom)other;
        int c = Numerator.CompareTo(f.Numerator);
        return c != 0 ? c : Denominator.CompareTo(f.Denominator);
    }
}
