using System;
using System.Collections.Generic;

namespace ShapeSafe.Shapes;

// Division: exact quotients (a user's fact), provable divisibility, floor quotients, and the
// reciprocal atoms that hold a division by a sum that the algebra cannot carry out.
public sealed partial class Dim
{
    /// <summary>
    /// a / b rounded toward zero (floor, for the non-negative sizes rules use). The exact quotient when
    /// b provably divides a, the value when both are constants, otherwise an opaque atom printed
    /// <c>(H - 3)//2</c>; two floor quotients are equal when their operands are.
    /// </summary>
    /// <exception cref="DivideByZeroException"><paramref name="b"/> is 0.</exception>
    public static Dim FloorDivide(Dim a, Dim b)
    {
        if (b.IsZero) throw new DivideByZeroException("A dim cannot be divided by 0.");
        if (a.TryGetConstant(out long x) && b.TryGetConstant(out long y)) return Of(x / y);
        if (TryDivideProvably(a, b, out var q) == Truth.True) return q;
        return FromAtom(new FloorAtom(a, b)).WithFacts(a, b);
    }

    /// <summary>a / b as a stated fact. Two constants that do not divide throw, unless
    /// <paramref name="allowFraction"/> (the parser, where 31/5 may be part of a whole-number sum).</summary>
    internal static Dim DivideExact(Dim a, Dim b, bool allowFraction = false)
    {
        var q = DivideExactRaw(a, b, allowFraction);
        // The division is a fact the user stated: remember it unless it holds for every value anyway.
        return q.WithFacts(a, b, q.IsIntegralPolynomial ? null : q);
    }

    static Dim DivideExactRaw(Dim a, Dim b, bool allowFraction)
    {
        if (b.IsZero) throw new DivideByZeroException("A dim cannot be divided by 0.");
        if (a.TryGetConstant(out long x) && b.TryGetConstant(out long y))
        {
            if (x % y == 0) return Of(x / y);
            // Two known numbers leave no fact to record: the division either is exact or is a mistake.
            if (!allowFraction) throw new ArithmeticException($"{x}/{y} is not a whole number.");
            return FromTerm(Rational.Of(x, y), Monomial.One);
        }
        if (a.IsZero) return Zero;
        if (b._terms.Length == 1) return Simplify(DivideByTerm(a, b._terms[0]));
        if (TryDividePolynomial(a, b, out var q)) return Simplify(q);
        return Simplify(MakeQuotient(a, b));
    }

    /// <summary>a / (c·m) in the Laurent algebra: always succeeds; the result may carry new denominators.</summary>
    static Dim DivideByTerm(Dim a, Term t) => Scale(a, Rational.One / t.Coefficient, t.Monomial.Inverse());

    /// <summary>
    /// Whether b provably divides a: True with the quotient when the quotient is an integer for every
    /// assignment that respects the exact quotients a and b were built from (so <c>B*(D/H)</c> divided by
    /// <c>B</c> is <c>D/H</c>, but <c>D</c> divided by <c>H</c> is unknown); False only for constants that
    /// do not divide; Unknown otherwise.
    /// </summary>
    internal static Truth TryDivideProvably(Dim a, Dim b, out Dim quotient)
    {
        quotient = Zero;
        if (b.IsZero) return Truth.False;
        if (a.TryGetConstant(out long x) && b.TryGetConstant(out long y))
        {
            if (x % y != 0) return Truth.False;
            quotient = Of(x / y);
            return Truth.True;
        }
        // As with integers, a divisor that may be 0 divides nothing (0/0 is not exact either).
        if (DimBounds.Sign(b) != ProvenSign.Positive && DimBounds.Sign(-b) != ProvenSign.Positive) return Truth.Unknown;
        if (a.IsZero) return Truth.True;
        Dim q;
        if (b._terms.Length == 1) q = Simplify(DivideByTerm(a, b._terms[0]));
        else if (!TryDividePolynomial(a, b, out q)) return Truth.Unknown;
        q = Simplify(q);
        if (!IsIntegral(q, a, b)) return Truth.Unknown;
        quotient = q.WithFacts(a, b);
        return Truth.True;
    }

    /// <summary>
    /// Splits d into its content c·m and a primitive part: d = c·m·primitive, where the primitive part has
    /// coprime integer coefficients, a positive leading term and no monomial factor (each atom's lowest
    /// power is 0). Equal dims up to such a factor get the same primitive part.
    /// </summary>
    static Dim Primitive(Dim d, out Rational c, out Monomial m)
    {
        c = Rational.One;
        m = Monomial.One;
        // Shifting can make reciprocal atoms reducible (A·1/(A - 6) is 1 + 6/(A - 6)), which can change
        // the content again; a few rounds reach a fixed point for anything but contrived nesting.
        for (int round = 0; round < 4; round++)
        {
            var next = PrimitiveOnce(d, out var c1, out var m1);
            c *= c1;
            m *= m1;
            if (next.Equals(d)) break;
            d = next;
        }
        return d;
    }

    static Dim PrimitiveOnce(Dim d, out Rational c, out Monomial m)
    {
        long num = 0, den = 1;
        m = d._terms[0].Monomial;
        foreach (var t in d._terms)
        {
            num = Rational.Gcd(num, t.Coefficient.Num);
            den = Rational.Lcm(den, t.Coefficient.Den);
            m = Monomial.Min(m, t.Monomial);
        }
        c = Rational.Of(num, den);
        var primitive = Simplify(Scale(d, Rational.One / c, m.Inverse()));
        // The sign comes from the leading term after the shift: dividing by m can reorder terms.
        if (primitive._terms[0].Coefficient.Sign < 0)
        {
            c = -c;
            primitive = Scale(primitive, -Rational.One, Monomial.One);
        }
        return primitive;
    }

    /// <summary>
    /// Exact division by a sum, by multivariate long division. Both sides are first shifted to
    /// ordinary polynomials (no negative exponents) and b is made primitive; a Laurent polynomial b
    /// without monomial factor divides a exactly when it divides it as a polynomial, and for a single
    /// divisor the division leaves no remainder exactly when it divides.
    /// </summary>
    internal static bool TryDividePolynomial(Dim a, Dim b, out Dim quotient) =>
        Divide(a, b, exactOnly: true, out quotient, out _);

    /// <summary>
    /// Long division a = b·quotient + remainder, in graded order on the shifted polynomials: no term of the
    /// (shifted) remainder is a multiple of b's leading term. With <paramref name="exactOnly"/> it gives up
    /// at the first such term. False only when it gave up.
    /// </summary>
    static bool Divide(Dim a, Dim b, bool exactOnly, out Dim quotient, out Dim remainder)
    {
        quotient = Zero;
        remainder = Zero;
        if (a.IsZero) return true;
        var divisor = Primitive(b, out var cb, out var mb);
        var shift = Monomial.One;
        foreach (var t in a._terms) shift = Monomial.Min(shift, t.Monomial);
        var rest = Scale(a, Rational.One, shift.Inverse());

        var lead = divisor._terms[0];
        var terms = new List<Term>();
        var left = new List<Term>();
        // Each step removes the leading term, and graded order admits no infinite descent; the cap only
        // guards against pathological inputs from generated code.
        for (int step = 0; !rest.IsZero; step++)
        {
            if (step > 10_000) return false;
            var lt = rest._terms[0];
            if (lt.Monomial.IsMultipleOf(lead.Monomial))
            {
                var t = new Term(lt.Coefficient / lead.Coefficient, lt.Monomial / lead.Monomial);
                terms.Add(t);
                rest = AddRaw(rest, Scale(divisor, t.Coefficient, t.Monomial), -Rational.One);
            }
            else
            {
                if (exactOnly) return false;
                left.Add(lt); // terms leave in decreasing order, so the list stays sorted
                rest = AddRaw(rest, FromTerm(lt.Coefficient, lt.Monomial), -Rational.One);
            }
        }
        terms.Sort(s_byMonomial);
        quotient = terms.Count == 0 ? Zero : Scale(new Dim(terms.ToArray()), Rational.One / cb, shift / mb);
        remainder = left.Count == 0 ? Zero : Scale(new Dim(left.ToArray()), Rational.One, shift);
        return true;
    }

    /// <summary>a / b for a sum b that does not divide a: a/(c·m) times the reciprocal atom of the primitive rest of b.</summary>
    static Dim MakeQuotient(Dim a, Dim b)
    {
        var primitive = Primitive(b, out var c, out var m);
        return Scale(a, Rational.One / c, m.Inverse() * Monomial.Of(new InverseAtom(primitive)));
    }

    /// <summary>
    /// Cancels reciprocal atoms against their divisor: ((B + 1)/(T + 1))·(T + 1) is B + 1 and
    /// (B + C + 3)/(B + 3) is 1 + C/(B + 3). For each atom 1/q, the terms holding it (with the atom taken
    /// out once) are divided by q with remainder; the quotient leaves the atom, the remainder keeps it.
    /// A negative power (1/q)⁻¹ is multiplied out to q.
    /// </summary>
    static Dim Simplify(Dim d)
    {
        if (!d.HasOpaqueAtom) return d;
        // Each round lowers the total power of some reciprocal atom; the cap guards pathological inputs.
        for (int round = 0; round < 64; round++)
        {
            if (!TrySimplifyOnce(d, out var next)) return d;
            d = next;
        }
        return d;
    }

    static bool TrySimplifyOnce(Dim d, out Dim result)
    {
        result = d;
        HashSet<Atom>? seen = null;
        foreach (var t in d._terms)
        {
            for (int i = 0; i < t.Monomial.Count; i++)
            {
                if (t.Monomial.AtomAt(i) is not InverseAtom atom) continue;
                if (t.Monomial.ExponentAt(i) < 0)
                {
                    // (1/q)^-k·rest = q·(1/q)^(1-k)·rest: multiply one power out.
                    var without = AddRaw(d, FromTerm(t.Coefficient, t.Monomial), -Rational.One);
                    var expanded = MultiplyRaw(atom.Denominator, FromTerm(t.Coefficient, t.Monomial * Monomial.Of(atom)));
                    result = AddRaw(without, expanded, Rational.One);
                    return true;
                }
                if ((seen ??= new HashSet<Atom>()).Add(atom) && TryCancel(d, atom, out result)) return true;
            }
        }
        return false;
    }

    /// <summary>Replaces Σ cᵢ·mᵢ·(1/q), when Σ cᵢ·mᵢ = q·s + r with s ≠ 0, by s + r·(1/q).</summary>
    static bool TryCancel(Dim d, InverseAtom atom, out Dim result)
    {
        result = d;
        var factor = Monomial.Of(atom);
        var holding = new List<Term>();
        var others = new List<Term>();
        foreach (var t in d._terms)
        {
            if (t.Monomial.ExponentOf(atom) > 0) holding.Add(new Term(t.Coefficient, t.Monomial / factor));
            else others.Add(t);
        }
        holding.Sort(s_byMonomial);
        if (!Divide(new Dim(holding.ToArray()), atom.Denominator, exactOnly: false, out var s, out var r) || s.IsZero)
            return false;
        var rest = others.Count == 0 ? Zero : new Dim(others.ToArray());
        result = AddRaw(AddRaw(rest, s, Rational.One), Scale(r, Rational.One, factor), Rational.One);
        return true;
    }
}
