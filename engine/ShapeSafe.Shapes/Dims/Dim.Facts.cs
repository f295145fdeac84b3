using System;
using System.Collections.Generic;

namespace ShapeSafe.Shapes;

// Facts: the exact quotients a dim was built from. The normal form forgets them when they cancel
// (H*(D/H) is D; B*H*(D/H) is B*D), yet they are what makes a later division provably exact:
// B*D divided by B*H is D/H only because D/H was stated. Each dim carries the facts of its operands,
// so the answer depends only on what the user wrote. Facts do not take part in equality.
public sealed partial class Dim
{
    // Enough for real annotations; dropping facts beyond it only makes answers less complete, never wrong.
    const int MaxFacts = 16;

    /// <summary>Whether every term has an integer coefficient and only nonnegative powers of integer atoms.</summary>
    internal bool IsIntegralPolynomial
    {
        get
        {
            foreach (var t in _terms)
                if (!IsIntegralTerm(t)) return false;
            return true;
        }
    }

    static bool IsIntegralTerm(Term t) =>
        t.Coefficient.IsInteger && !t.Monomial.HasNegativeExponent && !HasInverseAtom(t.Monomial);

    static bool HasInverseAtom(Monomial m)
    {
        for (int i = 0; i < m.Count; i++)
            if (m.AtomAt(i).Kind == AtomKind.Inverse) return true;
        return false;
    }

    /// <summary>This dim with the facts of <paramref name="a"/> and <paramref name="b"/> (and <paramref name="extra"/>).</summary>
    Dim WithFacts(Dim a, Dim b, Dim? extra = null)
    {
        if (a._facts.Length == 0 && b._facts.Length == 0 && extra is null) return this;
        var facts = new List<Dim>(_facts);
        AddFacts(facts, a._facts);
        AddFacts(facts, b._facts);
        if (extra is not null) AddFacts(facts, new[] { extra });
        if (facts.Count == _facts.Length) return this;
        return new Dim(_terms, facts.ToArray()) { _text = _text };
    }

    static void AddFacts(List<Dim> into, Dim[] facts)
    {
        foreach (var f in facts)
        {
            if (into.Count >= MaxFacts) return;
            if (!into.Contains(f)) into.Add(f.WithoutFacts());
        }
    }

    Dim WithoutFacts() => _facts.Length == 0 ? this : new Dim(_terms);

    /// <summary>
    /// Whether q is an integer whenever a, b and their facts are: q minus integral multiples of known
    /// integers (a, b, their facts) must leave an integral polynomial. Each step cancels q's leading
    /// fractional term against a fractional term of a known integer, times an integral monomial.
    /// </summary>
    static bool IsIntegral(Dim q, Dim a, Dim b)
    {
        var known = new List<Dim> { a, b };
        known.AddRange(a._facts);
        known.AddRange(b._facts);
        var rest = q;
        for (int step = 0; step < 64; step++)
        {
            int lead = FirstFractionalTerm(rest);
            if (lead < 0) return true;
            if (!TryCancelFraction(rest, rest._terms[lead], known, out rest)) return false;
        }
        return false;
    }

    static int FirstFractionalTerm(Dim d)
    {
        for (int i = 0; i < d._terms.Length; i++)
            if (!IsIntegralTerm(d._terms[i])) return i;
        return -1;
    }

    static bool TryCancelFraction(Dim rest, Term target, List<Dim> known, out Dim result)
    {
        result = rest;
        foreach (var k in known)
        {
            foreach (var t in k._terms)
            {
                if (IsIntegralTerm(t)) continue;
                // multiplier = target / t must be an integer times an integral monomial.
                var coefficient = target.Coefficient / t.Coefficient;
                var monomial = target.Monomial / t.Monomial;
                var multiplier = new Term(coefficient, monomial);
                if (!IsIntegralTerm(multiplier)) continue;
                result = AddRaw(rest, Scale(k, coefficient, monomial), -Rational.One);
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Whether every stated quotient is exact for these values. A fact over a name the caller did not
    /// give (the H of H*(D/H), which is just D) cannot be checked and does not count against the value.
    /// </summary>
    bool FactsHold(IReadOnlyDictionary<string, long> values)
    {
        foreach (var f in _facts)
        {
            bool checkable = true;
            foreach (var name in f.Names)
                checkable &= values.ContainsKey(name);
            if (checkable && f.Evaluate(values) is not { IsInteger: true }) return false;
        }
        return true;
    }
}
