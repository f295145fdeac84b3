using System;
using System.Collections.Generic;
using System.Globalization;

namespace ShapeSafe.Shapes;

/// <summary>
/// Parses shape annotations. Grammar (spaces allowed between tokens):
/// <code>
/// shape   := ε | entry (',' entry)*        '...' only as the first entry
/// entry   := '...' | '_' | expr
/// expr    := ['-'] term (('+' | '-') term)*
/// term    := primary (('*' | '/' | '//') primary)*
/// primary := integer | name | '(' expr ')'    name := [A-Za-z_][A-Za-z0-9_]*, not '_' alone
/// </code>
/// <c>/</c> states an exact quotient (<c>D/H</c>: H divides D); <c>//</c> is a floor quotient, for sizes such as
/// a strided convolution's <c>(H - 3)//2 + 1</c>. Two constants must divide exactly, and an entry must
/// not be provably negative. Parsing never throws on bad text; errors carry a position.
/// </summary>
public static class DimParser
{
    const int MaxDepth = 64; // the analyzer runs inside the compiler: no stack overflow on "((((((…"

    // What an expression becomes when its arithmetic overflows (coefficients past 64 bits, or more terms than a dim
    // keeps, as a product of many sums expands): in a shape the entry is unchecked, like '_'; alone it is an error.
    static readonly Dim s_tooLarge = Dim.Anonymous("?");

    /// <summary>Parses a comma-separated shape annotation such as <c>B, T, D/H</c> or <c>..., 784</c>.</summary>
    public static ShapeParseResult Parse(string text)
    {
        if (text is null) throw new ArgumentNullException(nameof(text));
        var p = new Parser(text);
        var shape = p.Shape();
        return shape is null ? new ShapeParseResult(null, p.Error) : new ShapeParseResult(shape, null);
    }

    /// <summary>Parses a single dim expression such as <c>D/H</c> or <c>2*B + 1</c>.</summary>
    public static bool TryParseDim(string text, out Dim? dim, out ShapeParseError? error)
    {
        if (text is null) throw new ArgumentNullException(nameof(text));
        var p = new Parser(text);
        dim = p.WholeDim();
        error = p.Error;
        return dim is not null;
    }

    /// <summary>
    /// Reads a dim expression that <see cref="Parse"/> has accepted with each name replaced by
    /// <paramref name="resolve"/>'s dim for it (the analyzer puts a caller's dims for a callee's names:
    /// <c>In</c> → <c>784</c>, <c>B</c> → the caller's <c>N</c>). Gives null, with no error, when a name resolves
    /// to null, the text is not one expression or the arithmetic fails; a fractional result is kept.
    /// </summary>
    internal static Dim? Substitute(string text, Func<string, Dim?> resolve)
    {
        if (text is null) throw new ArgumentNullException(nameof(text));
        if (resolve is null) throw new ArgumentNullException(nameof(resolve));
        try
        {
            return new Parser(text, resolve).SubstitutedDim();
        }
        catch (ArithmeticException)
        {
            return null;
        }
    }

    sealed class Parser
    {
        readonly string _s;
        readonly Func<string, Dim?>? _resolve; // null: names stay names
        int _pos;
        int _depth;

        public Parser(string s, Func<string, Dim?>? resolve = null)
        {
            _s = s;
            _resolve = resolve;
        }

        public ShapeParseError? Error { get; private set; }

        bool AtEnd => _pos >= _s.Length;
        char Current => _s[_pos];

        void SkipSpace()
        {
            while (!AtEnd && char.IsWhiteSpace(Current)) _pos++;
        }

        bool LooksAt(string token) => string.CompareOrdinal(_s, _pos, token, 0, token.Length) == 0;

        T? Fail<T>(int position, int length, string message) where T : class
        {
            Error ??= new ShapeParseError(position, length, message);
            return null;
        }

        string Found() => AtEnd ? "the text ended" : "found '" + Current + "'";

        public ParsedShape? Shape()
        {
            var entries = new List<ShapeEntry>();
            bool ellipsis = false;
            SkipSpace();
            if (AtEnd) return new ParsedShape(false, entries); // "" is a scalar
            while (true)
            {
                SkipSpace();
                int start = _pos;
                if (LooksAt("..."))
                {
                    if (ellipsis || entries.Count > 0)
                        return Fail<ParsedShape>(start, 3, "'...' (any number of leading dims) is allowed only as the first dim");
                    ellipsis = true;
                    _pos += 3;
                }
                else if (IsLoneUnderscore())
                {
                    _pos++;
                    SkipSpace();
                    if (!AtEnd && Current != ',')
                        return Fail<ParsedShape>(start, 1, "'_' (an unchecked dim) must stand alone; expected ',' after it but " + Found());
                    entries.Add(new ShapeEntry(null, start, 1));
                }
                else
                {
                    if (AtEnd || Current == ',')
                        return Fail<ParsedShape>(_pos, AtEnd ? 0 : 1, "expected a dim (a number, a name, an expression, '_' or '...') but " + Found());
                    var dim = Checked(Expr(), start);
                    if (dim is null) return null;
                    if (ReferenceEquals(dim, s_tooLarge))
                    {
                        entries.Add(new ShapeEntry(null, start, TrimmedEnd() - start));
                    }
                    else if (DimBounds.Sign(-dim) == ProvenSign.Positive)
                        return Fail<ParsedShape>(start, TrimmedEnd() - start, $"a size cannot be negative, but '{dim}' is");
                    else
                        entries.Add(new ShapeEntry(dim, start, TrimmedEnd() - start));
                }
                SkipSpace();
                if (AtEnd) return new ParsedShape(ellipsis, entries);
                if (Current != ',')
                    return Fail<ParsedShape>(_pos, 1, "expected ',' or an operator (+ - * / //) but " + Found());
                _pos++;
            }
        }

        public Dim? WholeDim()
        {
            SkipSpace();
            if (IsLoneUnderscore()) return Fail<Dim>(_pos, 1, "'_' is not a dim expression");
            int start = _pos;
            var dim = Checked(Expr(), start);
            if (dim is null) return null;
            if (ReferenceEquals(dim, s_tooLarge)) return Fail<Dim>(start, _s.Length - start, "the expression is too large to work with");
            SkipSpace();
            return AtEnd ? dim : Fail<Dim>(_pos, 1, "expected an operator (+ - * / //) or the end but " + Found());
        }

        public Dim? SubstitutedDim()
        {
            var dim = Expr();
            SkipSpace();
            return AtEnd && !ReferenceEquals(dim, s_tooLarge) ? dim : null;
        }

        /// <summary>A dim whose value is a known fraction (<c>3/2</c>) is no size.</summary>
        Dim? Checked(Dim? dim, int start) =>
            dim is not null && dim.TryGetRational(out var r) && !r.IsInteger
                ? Fail<Dim>(start, TrimmedEnd() - start, $"{dim} is not a whole number (use // to round down)")
                : dim;

        int TrimmedEnd()
        {
            int end = _pos;
            while (end > 0 && char.IsWhiteSpace(_s[end - 1])) end--;
            return end;
        }

        bool IsLoneUnderscore() =>
            !AtEnd && Current == '_' && (_pos + 1 == _s.Length || !IsNameChar(_s[_pos + 1]));

        static bool IsNameStart(char c) => c == '_' || (c < 128 && char.IsLetter(c));
        static bool IsNameChar(char c) => c == '_' || (c < 128 && char.IsLetterOrDigit(c));

        Dim? Expr()
        {
            if (++_depth > MaxDepth) return Fail<Dim>(_pos, 1, "the expression is nested too deeply");
            SkipSpace();
            bool negate = !AtEnd && Current == '-';
            if (negate) _pos++;
            var result = Term();
            if (result is not null && negate) result = Arithmetic(result, Dim.Zero, static (r, _) => -r);
            while (result is not null)
            {
                SkipSpace();
                if (AtEnd || (Current != '+' && Current != '-')) break;
                bool plus = Current == '+';
                _pos++;
                var right = Term();
                if (right is null) return null;
                result = plus ? Arithmetic(result, right, static (a, b) => a + b) : Arithmetic(result, right, static (a, b) => a - b);
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
                int op = _pos;
                if (Current == '*')
                {
                    _pos++;
                    var right = Primary();
                    if (right is null) return null;
                    result = Arithmetic(result, right, static (a, b) => a * b);
                }
                else if (Current == '/')
                {
                    bool floor = LooksAt("//");
                    _pos += floor ? 2 : 1;
                    var right = Primary();
                    if (right is null) return null;
                    if (right.IsZero) return Fail<Dim>(op, floor ? 2 : 1, "division by 0");
                    // A fraction such as 31/5 may be part of a whole-number sum; whole entries are checked in Checked().
                    result = floor
                        ? Arithmetic(result, right, static (a, b) => Dim.FloorDivide(a, b))
                        : Arithmetic(result, right, static (a, b) => Dim.DivideExact(a, b, allowFraction: true));
                }
                else break;
            }
            return result;
        }

        /// <summary>One step of arithmetic; an overflow (or an operand that overflowed) makes the expression <see cref="s_tooLarge"/>.</summary>
        static Dim Arithmetic(Dim a, Dim b, Func<Dim, Dim, Dim> op)
        {
            if (ReferenceEquals(a, s_tooLarge) || ReferenceEquals(b, s_tooLarge)) return s_tooLarge;
            try
            {
                return op(a, b);
            }
            catch (OverflowException)
            {
                return s_tooLarge;
            }
        }

        Dim? Primary()
        {
            SkipSpace();
            if (AtEnd) return Fail<Dim>(_pos, 0, "expected a number, a name or '(' but the text ended");
            int start = _pos;
            char c = Current;
            if (c >= '0' && c <= '9')
            {
                while (!AtEnd && Current >= '0' && Current <= '9') _pos++;
                if (!AtEnd && IsNameChar(Current))
                    return Fail<Dim>(start, _pos - start + 1, "a name cannot start with a digit");
                return long.TryParse(_s.Substring(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out long v)
                    ? Dim.Of(v)
                    : Fail<Dim>(start, _pos - start, "the number is too large");
            }
            if (IsNameStart(c))
            {
                while (!AtEnd && IsNameChar(Current)) _pos++;
                string name = _s.Substring(start, _pos - start);
                return name == "_"
                    ? Fail<Dim>(start, 1, "'_' (an unchecked dim) must stand alone, not inside an expression")
                    : _resolve is null ? Dim.Named(name) : _resolve(name);
            }
            if (c == '(')
            {
                _pos++;
                var inner = Expr();
                if (inner is null) return null;
                SkipSpace();
                if (AtEnd || Current != ')')
                    return Fail<Dim>(_pos, AtEnd ? 0 : 1, $"expected ')' to close the '(' at position {start} but " + Found());
                _pos++;
                return inner;
            }
            if (LooksAt("..."))
                return Fail<Dim>(start, 3, "'...' (any number of leading dims) must stand alone as the first dim");
            return Fail<Dim>(start, 1, "expected a number, a name or '(' but " + Found());
        }
    }
}
