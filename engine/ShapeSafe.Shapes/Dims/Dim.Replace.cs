using System;
using System.Linq;

namespace ShapeSafe.Shapes;

// Replacing a name by a dim: how the analyzers test whether a special value of a name (T = 1, E = D) is what a
// refused rule would have needed.
public sealed partial class Dim
{
    /// <summary>
    /// This dim with every occurrence of the name <paramref name="name"/> replaced by <paramref name="value"/>
    /// (<c>B*T + T</c> with T = 1 is <c>B + 1</c>); unchanged when it does not mention the name. Names inside
    /// opaque quotients (<c>(H - 3)//2</c>) are left as they are.
    /// </summary>
    /// <exception cref="OverflowException">The result's coefficients or terms do not fit (as for any arithmetic).</exception>
    public Dim Replace(string name, Dim value)
    {
        if (!Names.Contains(name, StringComparer.Ordinal)) return this;
        var sum = Zero;
        foreach (var t in _terms)
        {
            var product = FromTerm(t.Coefficient, Monomial.One);
            for (int i = 0; i < t.Monomial.Count; i++)
            {
                var atom = t.Monomial.AtomAt(i);
                var factor = atom is NameAtom n && n.Name == name ? value : FromAtom(atom);
                int e = t.Monomial.ExponentAt(i);
                for (int k = 0; k < Math.Abs(e); k++)
                    product = e > 0 ? product * factor : DivideExact(product, factor, allowFraction: true);
            }
            sum += product;
        }
        return sum;
    }
}
