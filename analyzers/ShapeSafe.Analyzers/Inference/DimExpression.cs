using System;
using ShapeSafe.Shapes;

namespace ShapeSafe.Analyzers.Inference
{
    /// <summary>
    /// Evaluates one dim of an annotation that <see cref="DimParser"/> has already accepted, with each name
    /// replaced by a dim of the caller (<c>In</c> → <c>784</c>, <c>B</c> → the caller's <c>N</c>). The core
    /// has no symbolic substitution, so this walks the same small grammar (<c>+ - * / //</c>, parentheses)
    /// and builds the result with the core's own arithmetic.
    /// </summary>
    internal static class DimExpression
    {
        /// <summary>The dim, or null when a name has no value in <paramref name="lookup"/> or the arithmetic fails.</summary>
        public static Dim? Evaluate(string text, Func<string, Dim?> lookup)
        {
            try
            {
                var reader = new Reader(text, lookup);
                var dim = reader.Expr();
                reader.SkipSpace();
                return reader.AtEnd ? dim : null;
            }
            catch (ArithmeticException)
            {
                return null;
            }
        }

        sealed class Reader
        {
            readonly string _s;
            readonly Func<string, Dim?> _lookup;
            int _pos;
            int _depth;

            public Reader(string s, Func<string, Dim?> lookup)
            {
                _s = s;
                _lookup = lookup;
            }

            public bool AtEnd => _pos >= _s.Length;

            public void SkipSpace()
            {
                while (!AtEnd && char.IsWhiteSpace(_s[_pos])) _pos++;
            }

            public Dim? Expr()
            {
                if (++_depth > 64) return null;
                SkipSpace();
                bool negate = !AtEnd && _s[_pos] == '-';
                if (negate) _pos++;
                var result = Term();
                if (result is not null && negate) result = -result;
                while (result is not null)
                {
                    SkipSpace();
                    if (AtEnd || (_s[_pos] != '+' && _s[_pos] != '-')) break;
                    bool plus = _s[_pos++] == '+';
                    var right = Term();
                    if (right is null) return null;
                    result = plus ? result + right : result - right;
                }
                _depth--;
                return result;
            }

            Dim? Term()
            {
                var result = Primary();
                while (result is not null)
                {
                    SkipSpace();
                    if (AtEnd) break;
                    char c = _s[_pos];
                    if (c == '*')
                    {
                        _pos++;
                        var right = Primary();
                        if (right is null) return null;
                        result *= right;
                    }
                    else if (c == '/')
                    {
                        bool floor = _pos + 1 < _s.Length && _s[_pos + 1] == '/';
                        _pos += floor ? 2 : 1;
                        var right = Primary();
                        if (right is null || right.IsZero) return null;
                        result = floor ? Dim.FloorDivide(result, right) : Dim.DivideExact(result, right, allowFraction: true);
                    }
                    else break;
                }
                return result;
            }

            Dim? Primary()
            {
                SkipSpace();
                if (AtEnd) return null;
                int start = _pos;
                char c = _s[_pos];
                if (c >= '0' && c <= '9')
                {
                    while (!AtEnd && _s[_pos] >= '0' && _s[_pos] <= '9') _pos++;
                    return long.TryParse(_s.Substring(start, _pos - start), out long v) ? Dim.Of(v) : null;
                }
                if (c == '_' || (c < 128 && char.IsLetter(c)))
                {
                    while (!AtEnd && (_s[_pos] == '_' || (_s[_pos] < 128 && char.IsLetterOrDigit(_s[_pos])))) _pos++;
                    return _lookup(_s.Substring(start, _pos - start));
                }
                if (c == '(')
                {
                    _pos++;
                    var inner = Expr();
                    SkipSpace();
                    if (inner is null || AtEnd || _s[_pos] != ')') return null;
                    _pos++;
                    return inner;
                }
                return null;
            }
        }
    }
}
