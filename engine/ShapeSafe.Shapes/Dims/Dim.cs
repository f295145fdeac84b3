using System;
using System.Collections.Generic;
using System.Linq;

namespace ShapeSafe.Shapes;

/// <summary>
/// An immutable symbolic size: an integer constant, a name (<c>B</c>, <c>Hidden</c>), or sums,
/// differences, products and exact quotients of those (<c>B*T</c>, <c>D/H</c>, <c>L + 1</c>).
/// </summary>
/// <remarks>
/// <para>A dim is kept in a canonical normal form, a sum of terms each a nonzero rational coefficient
/// times a product of atoms with integer exponents, so structural equality is semantic equality:
/// <c>B*T*C</c> equals <c>C*B*T</c>, <c>(B*T)/T</c> equals <c>B</c>, <c>H*(D/H)</c> equals <c>D</c>,
/// <c>(B + 1)*2</c> equals <c>2*B + 2</c>. Names stand for unknown integers ≥ 1.</para>
/// <para>Dividing with <c>/</c> states that the division is exact (a user's <c>D/H</c> says H divides D):
/// a negative exponent or a fractional coefficient (<c>(B + 1)/2</c>) records it, and the dim remembers
/// the stated quotient even after it cancels, so later divisions can rely on it. A quotient by a sum
/// that does not divide keeps the sum's reciprocal as an opaque atom (<c>(B + 1)/(T + 1)</c>, cancelled
/// again when multiplied by <c>T + 1</c>); <see cref="FloorDivide"/> of an inexact quotient is an opaque
/// atom printed <c>(H - 3)//2</c>.</para>
/// <para>Not canonical (equal values, different forms, so comparisons answer Unknown): a quotient by a
/// product of sums written expanded versus as successive divisions, some quotients by sums that mix in
/// quotients by names, and floor quotients whose operands differ in form. None occurs in ordinary
/// shape annotations; the answers stay sound. Arithmetic is checked: an overflow of the 64-bit coefficients, or a
/// normal form of more than <see cref="MaxTerms"/> terms, throws <see cref="OverflowException"/>.</para>
/// </remarks>
public sealed partial class Dim : IEquatable<Dim>
{
    /// <summary>The constant 0.</summary>
    public static readonly Dim Zero = new(Array.Empty<Term>());

    /// <summary>The constant 1.</summary>
    public static readonly Dim One = new(new[] { new Term(Rational.One, Monomial.One) });

    // Sorted by Monomial order, one term per monomial, no zero coefficients.
    readonly Term[] _terms;
    readonly int _hash;
    // Exact quotients this dim was built from (see Dim.Facts.cs); not part of equality.
    readonly Dim[] _facts;
    string? _text;
    IReadOnlyList<string>? _names;

    /// <summary>
    /// The most terms a normal form may have. A product of sums expands (<c>(A0+B0)*(A1+B1)*…</c> doubles with each factor),
    /// and no shape a model is written for needs more; past the cap the arithmetic throws <see cref="OverflowException"/>,
    /// as a coefficient overflow does, so the work stays bounded and callers treat the dim as unknown.
    /// </summary>
    internal const int MaxTerms = 64;

    Dim(Term[] terms, Dim[]? facts = null)
    {
        if (terms.Length > MaxTerms)
            throw new OverflowException($"a dim with {terms.Length} terms is too large to keep (at most {MaxTerms})");
        _terms = terms;
        _facts = facts ?? Array.Empty<Dim>(); // not a static field: Zero and One are built before other files' statics
        int h = terms.Length;
        foreach (var t in terms)
        {
            h = unchecked((h * 31 + t.Monomial.GetHashCode()) * 31 + t.Coefficient.GetHashCode());
            if (t.Monomial.HasOpaqueAtom) HasOpaqueAtom = true;
        }
        _hash = h;
    }

    internal int TermCount => _terms.Length;
    internal Term TermAt(int i) => _terms[i];
    internal bool HasOpaqueAtom { get; }

    /// <summary>The dim holding <paramref name="value"/>.</summary>
    public static Dim Of(long value)
    {
        if (value == 0) return Zero;
        if (value == 1) return One;
        // Small sizes (every literal in model code) are made once: dims are immutable, so one instance serves all.
        var cache = s_small;
        if (cache is null || value < 2 || value >= cache.Length) return new Dim(new[] { new Term(Rational.Of(value), Monomial.One) });
        return cache[value] ??= new Dim(new[] { new Term(Rational.Of(value), Monomial.One) });
    }

    // Null while the type's statics are being built (another file's initializer may call Of first).
    static readonly Dim?[]? s_small = new Dim?[4097];

    /// <summary>
    /// The dim named <paramref name="name"/>, an identifier (<c>[A-Za-z_][A-Za-z0-9_]*</c>, not <c>_</c> alone)
    /// standing for an unknown integer ≥ 1. Two dims with the same name are equal.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not an identifier.</exception>
    public static Dim Named(string name)
    {
        if (!IsIdentifier(name))
            throw new ArgumentException($"'{name}' is not a dim name: expected a letter or '_' followed by letters, digits or '_'.", nameof(name));
        return FromAtom(new NameAtom(name));
    }

    /// <summary>
    /// A fresh unknown size (≥ 0) that equals no other dim, not even another anonymous one with the
    /// same hint: for sizes the analysis cannot name. Printed as <paramref name="hint"/>.
    /// </summary>
    public static Dim Anonymous(string hint = "?") => FromAtom(new AnonymousAtom(hint));

    /// <summary>The dim holding <paramref name="value"/>.</summary>
    public static implicit operator Dim(long value) => Of(value);

    /// <summary>Parses one dim expression: <c>B*T</c>, <c>D/H</c>, <c>(H - 3)//2 + 1</c> (grammar on <see cref="DimParser"/>).</summary>
    /// <exception cref="FormatException">The text is not a dim expression; the message gives the position.</exception>
    public static Dim Parse(string text) =>
        DimParser.TryParseDim(text, out var dim, out var error) ? dim! : throw new FormatException("Invalid dim '" + text + "': " + error);

    internal static Dim FromAtom(Atom atom) => new(new[] { new Term(Rational.One, Monomial.Of(atom)) });

    internal static Dim FromTerm(Rational coefficient, Monomial monomial) =>
        coefficient.IsZero ? Zero : new Dim(new[] { new Term(coefficient, monomial) });

    internal static bool IsIdentifier(string? name)
    {
        if (string.IsNullOrEmpty(name) || name == "_") return false;
        if (!(char.IsLetter(name![0]) && name[0] < 128) && name[0] != '_') return false;
        foreach (char c in name)
            if (!(c < 128 && (char.IsLetterOrDigit(c) || c == '_'))) return false;
        return true;
    }

    /// <summary>Whether the dim is the integer 0.</summary>
    public bool IsZero => _terms.Length == 0;

    /// <summary>Whether the dim is an integer constant (it mentions no name).</summary>
    public bool IsConstant => TryGetConstant(out _);

    /// <summary>True with the value when the dim is an integer constant.</summary>
    public bool TryGetConstant(out long value)
    {
        value = 0;
        if (_terms.Length == 0) return true;
        if (_terms.Length != 1 || !_terms[0].Monomial.IsOne || !_terms[0].Coefficient.IsInteger) return false;
        value = _terms[0].Coefficient.Num;
        return true;
    }

    /// <summary>The rational constant, when the dim mentions no atom (a non-integer only under contradictory facts).</summary>
    internal bool TryGetRational(out Rational value)
    {
        value = Rational.Zero;
        if (_terms.Length == 0) return true;
        if (_terms.Length != 1 || !_terms[0].Monomial.IsOne) return false;
        value = _terms[0].Coefficient;
        return true;
    }

    /// <summary>The names the dim mentions, sorted ordinally, including those inside quotients.</summary>
    public IReadOnlyList<string> Names => _names ??= CollectNames();

    IReadOnlyList<string> CollectNames()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var t in _terms)
        {
            for (int i = 0; i < t.Monomial.Count; i++)
            {
                switch (t.Monomial.AtomAt(i))
                {
                    case NameAtom n: names.Add(n.Name); break;
                    case InverseAtom inverse: names.UnionWith(inverse.Denominator.Names); break;
                    case FloorAtom f: names.UnionWith(f.Numerator.Names); names.UnionWith(f.Denominator.Names); break;
                }
            }
        }
        return names.ToArray();
    }

    /// <summary>a + b.</summary>
    public static Dim operator +(Dim a, Dim b) => Simplify(AddRaw(a, b, Rational.One)).WithFacts(a, b);

    /// <summary>a − b.</summary>
    public static Dim operator -(Dim a, Dim b) => Simplify(AddRaw(a, b, -Rational.One)).WithFacts(a, b);

    /// <summary>−a.</summary>
    public static Dim operator -(Dim a) => Scale(a, -Rational.One, Monomial.One).WithFacts(a, Zero);

    /// <summary>a × b.</summary>
    public static Dim operator *(Dim a, Dim b) => Simplify(MultiplyRaw(a, b)).WithFacts(a, b);

    /// <summary>
    /// a / b, stating that the division is exact (as a <c>D/H</c> in an annotation does): the result
    /// times b equals a. Use <see cref="SymbolicDims.TryDivideExact"/> to ask whether a division is exact.
    /// </summary>
    /// <exception cref="DivideByZeroException"><paramref name="b"/> is 0.</exception>
    /// <exception cref="ArithmeticException">Both are constants and b does not divide a.</exception>
    public static Dim operator /(Dim a, Dim b) => DivideExact(a, b, allowFraction: false);

    /// <summary>Structural (and so semantic) equality.</summary>
    public static bool operator ==(Dim? a, Dim? b) => a is null ? b is null : a.Equals(b);

    /// <summary>Structural inequality.</summary>
    public static bool operator !=(Dim? a, Dim? b) => !(a == b);

    /// <summary>Whether both dims have the same normal form.</summary>
    public bool Equals(Dim? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null || other._hash != _hash || other._terms.Length != _terms.Length) return false;
        for (int i = 0; i < _terms.Length; i++)
        {
            if (!_terms[i].Coefficient.Equals(other._terms[i].Coefficient) || !_terms[i].Monomial.Equals(other._terms[i].Monomial))
                return false;
        }
        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Dim d && Equals(d);

    /// <inheritdoc/>
    public override int GetHashCode() => _hash;

    /// <summary>A total order on normal forms, used to sort atoms that contain dims.</summary>
    internal int CompareTo(Dim other)
    {
        if (ReferenceEquals(this, other)) return 0;
        int c = _terms.Length.CompareTo(other._terms.Length);
        for (int i = 0; c == 0 && i < _terms.Length; i++)
        {
            c = _terms[i].Monomial.CompareTo(other._terms[i].Monomial);
            if (c == 0) c = _terms[i].Coefficient.CompareTo(other._terms[i].Coefficient);
        }
        return c;
    }

    // ---- Raw arithmetic: exact on normal forms, no simplification of quotient atoms. ----

    static readonly Comparison<Term> s_byMonomial = (x, y) => x.Monomial.CompareTo(y.Monomial);

    /// <summary>a + scale·b by merging the sorted term lists: linear in the sizes.</summary>
    internal static Dim AddRaw(Dim a, Dim b, Rational scale)
    {
        if (b.IsZero) return a;
        if (a.IsZero && scale.Equals(Rational.One)) return b;
        var terms = new List<Term>(a._terms.Length + b._terms.Length);
        int i = 0, j = 0;
        while (i < a._terms.Length || j < b._terms.Length)
        {
            int c = i == a._terms.Length ? 1 : j == b._terms.Length ? -1 : a._terms[i].Monomial.CompareTo(b._terms[j].Monomial);
            if (c < 0) terms.Add(a._terms[i++]);
            else if (c > 0) { terms.Add(new Term(b._terms[j].Coefficient * scale, b._terms[j].Monomial)); j++; }
            else
            {
                var sum = a._terms[i].Coefficient + b._terms[j].Coefficient * scale;
                if (!sum.IsZero) terms.Add(new Term(sum, a._terms[i].Monomial));
                i++;
                j++;
            }
        }
        return terms.Count == 0 ? Zero : new Dim(terms.ToArray());
    }

    /// <summary>coefficient·monomial·a.</summary>
    internal static Dim Scale(Dim a, Rational coefficient, Monomial monomial)
    {
        if (coefficient.IsZero) return Zero;
        var terms = new Term[a._terms.Length];
        for (int i = 0; i < terms.Length; i++)
            terms[i] = new Term(a._terms[i].Coefficient * coefficient, a._terms[i].Monomial * monomial);
        // Multiplying by a monomial with negative exponents can reorder terms (their degrees change unevenly).
        if (!monomial.IsOne) Array.Sort(terms, s_byMonomial);
        return new Dim(terms);
    }

    internal static Dim MultiplyRaw(Dim a, Dim b)
    {
        if (a.IsZero || b.IsZero) return Zero;
        if (a._terms.Length == 1) return Scale(b, a._terms[0].Coefficient, a._terms[0].Monomial);
        if (b._terms.Length == 1) return Scale(a, b._terms[0].Coefficient, b._terms[0].Monomial);
        var sums = new Dictionary<Monomial, Rational>();
        foreach (var x in a._terms)
        {
            foreach (var y in b._terms)
            {
                var m = x.Monomial * y.Monomial;
                var c = x.Coefficient * y.Coefficient;
                sums[m] = sums.TryGetValue(m, out var prior) ? prior + c : c;
            }
        }
        return FromSums(sums);
    }

    static Dim FromSums(Dictionary<Monomial, Rational> sums)
    {
        var terms = new List<Term>(sums.Count);
        foreach (var kv in sums)
            if (!kv.Value.IsZero) terms.Add(new Term(kv.Value, kv.Key));
        terms.Sort(s_byMonomial);
        return terms.Count == 0 ? Zero : new Dim(terms.ToArray());
    }
}

/// <summary>One term of a normal form: a nonzero coefficient times a monomial.</summary>
internal readonly struct Term
{
    public Term(Rational coefficient, Monomial monomial)
    {
        Coefficient = coefficient;
        Monomial = monomial;
    }

    public Rational Coefficient { get; }
    public Monomial Monomial { get; }
}
