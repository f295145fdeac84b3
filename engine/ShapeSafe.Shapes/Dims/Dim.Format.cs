using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace ShapeSafe.Shapes;

// Printing: readable, canonical (a function of the normal form) and parseable back by Dim.Parse.
public sealed partial class Dim
{
    /// <summary>
    /// The dim as users write it: <c>64</c>, <c>B*T</c>, <c>D/H</c>, <c>2*B + 1</c>, <c>(H - K)/S + 1</c>,
    /// <c>(H - 3)//2 + 1</c>. Names in a product are in ordinal order, higher-degree terms come first, terms
    /// sharing a denominator are grouped, and positive terms precede negative ones. The text parses back
    /// to an equal dim (anonymous sizes excepted).
    /// </summary>
    public override string ToString() => _text ??= Format();

    string Format()
    {
        if (_terms.Length == 0) return "0";

        // Group terms by their printed denominator, in the order the groups first appear.
        var groups = new List<KeyValuePair<string, List<Printed>>>();
        var index = new Dictionary<string, int>();
        foreach (var t in _terms)
        {
            var p = Printed.Of(t);
            if (!index.TryGetValue(p.Denominator, out int g))
            {
                index[p.Denominator] = g = groups.Count;
                groups.Add(new KeyValuePair<string, List<Printed>>(p.Denominator, new List<Printed>()));
            }
            groups[g].Value.Add(p);
        }

        var chunks = new List<KeyValuePair<bool, string>>(); // (negative, text)
        foreach (var group in groups)
        {
            var members = group.Value;
            if (members.Count == 1 || group.Key.Length == 0)
            {
                foreach (var p in members) chunks.Add(new KeyValuePair<bool, string>(p.Negative, p.Text));
                continue;
            }
            // (n1 + n2 - n3)/den; a group with only negative terms prints as - (n1 + n2)/den.
            bool allNegative = members.TrueForAll(p => p.Negative);
            var inner = new List<KeyValuePair<bool, string>>();
            foreach (var p in members) inner.Add(new KeyValuePair<bool, string>(p.Negative != allNegative, p.Numerator));
            chunks.Add(new KeyValuePair<bool, string>(allNegative, "(" + JoinSigned(inner) + ")" + group.Key));
        }
        return JoinSigned(chunks);
    }

    /// <summary>Joins signed pieces, positive ones first (stable): <c>K - H</c> reads better than <c>-H + K</c>.</summary>
    static string JoinSigned(List<KeyValuePair<bool, string>> pieces)
    {
        var sb = new StringBuilder();
        foreach (bool negatives in new[] { false, true })
        {
            foreach (var p in pieces)
            {
                if (p.Key != negatives) continue;
                if (sb.Length == 0) sb.Append(negatives ? "-" : "");
                else sb.Append(negatives ? " - " : " + ");
                sb.Append(p.Value);
            }
        }
        return sb.ToString();
    }

    /// <summary>The text of a dim used as an operand of // : parenthesized unless a name or a number.</summary>
    string OperandText()
    {
        bool simple = IsPlainName || (TryGetConstant(out long v) && v >= 0);
        return simple ? ToString() : "(" + ToString() + ")";
    }

    /// <summary>One term split for printing: sign, numerator, denominator ("" or "/x" or "/(x*y)").</summary>
    readonly struct Printed
    {
        Printed(bool negative, string numerator, string denominator)
        {
            Negative = negative;
            Numerator = numerator;
            Denominator = denominator;
        }

        public bool Negative { get; }
        public string Numerator { get; }
        public string Denominator { get; }
        public string Text => Numerator + Denominator;

        public static Printed Of(Term t)
        {
            var up = new List<string>();
            var down = new List<string>();
            // Each reciprocal of a sum is its own division, /(X)/(Y), never /((X)*(Y)): parsing that back
            // would divide by the expanded product, a different atom.
            var sums = new StringBuilder();
            var m = t.Monomial;
            // A lone compound atom (a floor quotient) needs no parentheses; inside a product it does.
            bool alone = m.Count == 1 && m.ExponentAt(0) == 1 && t.Coefficient.Num is 1 or -1 && t.Coefficient.Den == 1;
            for (int i = 0; i < m.Count; i++)
            {
                var atom = m.AtomAt(i);
                int e = m.ExponentAt(i);
                string text;
                var target = e > 0 ? up : down;
                switch (atom)
                {
                    case InverseAtom inverse when e > 0:
                        for (int k = 0; k < e; k++) sums.Append("/(").Append(inverse.Denominator).Append(')');
                        continue;
                    case InverseAtom inverse:
                        text = "(" + inverse.Denominator + ")"; // a negative power of 1/q multiplies by q
                        break;
                    case FloorAtom floor:
                        text = floor.Numerator.OperandText() + "//" + floor.Denominator.OperandText();
                        if (!alone || e < 0) text = "(" + text + ")";
                        break;
                    default:
                        text = atom.ToString()!;
                        break;
                }
                for (int k = e < 0 ? -e : e; k > 0; k--) target.Add(text);
            }

            long num = t.Coefficient.Num < 0 ? -t.Coefficient.Num : t.Coefficient.Num;
            if (num != 1 || up.Count == 0) up.Insert(0, num.ToString(CultureInfo.InvariantCulture));
            if (t.Coefficient.Den != 1) down.Insert(0, t.Coefficient.Den.ToString(CultureInfo.InvariantCulture));
            string denominator = (down.Count == 0 ? "" : down.Count == 1 ? "/" + down[0] : "/(" + string.Join("*", down) + ")") + sums;
            return new Printed(t.Coefficient.Sign < 0, string.Join("*", up), denominator);
        }
    }
}
