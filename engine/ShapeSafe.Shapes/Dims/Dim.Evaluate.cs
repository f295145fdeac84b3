using System;
using System.Collections.Generic;

namespace ShapeSafe.Shapes;

// Evaluation with concrete values for the names.
public sealed partial class Dim
{
    /// <summary>Whether the dim is a single name with coefficient 1 (<c>B</c>, not <c>2*B</c> or <c>B + 1</c>).</summary>
    internal bool IsPlainName => TryGetName(out _);

    /// <summary>True with the name when the dim is exactly one name (<c>B</c>).</summary>
    public bool TryGetName(out string name)
    {
        name = "";
        if (_terms.Length != 1 || !_terms[0].Coefficient.Equals(Rational.One)) return false;
        var m = _terms[0].Monomial;
        if (m.Count != 1 || m.ExponentAt(0) != 1 || m.AtomAt(0) is not NameAtom n) return false;
        name = n.Name;
        return true;
    }

    /// <summary>
    /// The value with each name replaced by its value in <paramref name="values"/>; null when a name is
    /// missing, the dim holds an anonymous size, a divisor is 0, or an exact quotient the dim was built
    /// from is not exact for these values (<c>D/H</c>, and also <c>H*(D/H)</c>, with D = 3, H = 2).
    /// Floor quotients round toward zero.
    /// </summary>
    public long? Substitute(IReadOnlyDictionary<string, long> values)
    {
        if (values is null) throw new ArgumentNullException(nameof(values));
        try
        {
            var value = Evaluate(values);
            return value is { IsInteger: true } v && FactsHold(values) ? v.Num : null;
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    /// <summary>The exact rational value; null when it cannot be computed.</summary>
    internal Rational? Evaluate(IReadOnlyDictionary<string, long> values)
    {
        var sum = Rational.Zero;
        foreach (var t in _terms)
        {
            var product = t.Coefficient;
            for (int i = 0; i < t.Monomial.Count; i++)
            {
                var atom = EvaluateAtom(t.Monomial.AtomAt(i), values);
                if (atom is not { } a) return null;
                int e = t.Monomial.ExponentAt(i);
                if (e < 0 && a.IsZero) return null;
                var power = e < 0 ? Rational.One / a : a;
                for (int k = Math.Abs(e); k > 0; k--) product *= power;
            }
            sum += product;
        }
        return sum;
    }

    static Rational? EvaluateAtom(Atom atom, IReadOnlyDictionary<string, long> values)
    {
        switch (atom)
        {
            case NameAtom n:
                return values.TryGetValue(n.Name, out long v) ? Rational.Of(v) : null;
            case InverseAtom inverse:
                // Rational, not integer: B/(T + 1) is B·(1/(T + 1)), and only the whole sum must be whole.
                return inverse.Denominator.Evaluate(values) is { IsZero: false } d ? Rational.One / d : null;
            case FloorAtom f:
                {
                    var num = f.Numerator.Evaluate(values);
                    var den = f.Denominator.Evaluate(values);
                    if (num is not { IsInteger: true } n || den is not { IsInteger: true, IsZero: false } dv) return null;
                    return Rational.Of(n.Num / dv.Num);
                }
            default:
                return null; // anonymous sizes have no value
        }
    }
}
