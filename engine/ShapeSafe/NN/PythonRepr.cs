using System.Globalization;

namespace ShapeSafe.NN;

/// <summary>
/// Python's <c>repr</c> of the values modules print in <c>extra_repr</c>, so printed modules read exactly as
/// PyTorch's: floats in Python's shortest form (<c>1e-05</c>, <c>0.1</c>, <c>1.0</c>), booleans as
/// <c>True</c>/<c>False</c>, tuples as <c>(3, 3)</c> and <c>(10,)</c>.
/// </summary>
internal static class PythonRepr
{
    /// <summary><c>repr(float)</c>: the shortest round-trip digits, in exponent form when the decimal point is
    /// more than 4 places left of them or more than 16 right (CPython's <c>float_repr_style = 'short'</c>).</summary>
    public static string Float(double value)
    {
        if (double.IsNaN(value)) return "nan";
        if (double.IsInfinity(value)) return value > 0 ? "inf" : "-inf";
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        string sign = "";
        if (text[0] == '-')
        {
            sign = "-";
            text = text[1..];
        }
        int exponent = 0;
        int e = text.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(text[(e + 1)..], CultureInfo.InvariantCulture);
            text = text[..e];
        }
        int dot = text.IndexOf('.');
        string whole = dot < 0 ? text : text[..dot];
        string fraction = dot < 0 ? "" : text[(dot + 1)..];
        string digits = whole + fraction;
        // The value is 0.<digits> × 10^point.
        int point = whole.Length + exponent;
        int lead = 0;
        while (lead < digits.Length && digits[lead] == '0') lead++;
        digits = digits[lead..].TrimEnd('0');
        point -= lead;
        if (digits.Length == 0) return sign + "0.0";

        if (point <= -4 || point > 16)
        {
            int exp = point - 1;
            string mantissa = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
        }
        if (point <= 0) return sign + "0." + new string('0', -point) + digits;
        if (point >= digits.Length) return sign + digits + new string('0', point - digits.Length) + ".0";
        return sign + digits[..point] + "." + digits[point..];
    }

    /// <summary><c>repr(bool)</c>.</summary>
    public static string Bool(bool value) => value ? "True" : "False";

    /// <summary><c>repr(int)</c>, culture-invariant.</summary>
    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary><c>repr(tuple)</c> of ints: <c>(3, 3)</c>, and <c>(10,)</c> for one element.</summary>
    public static string Tuple(params int[] values) =>
        values.Length == 1 ? "(" + Int(values[0]) + ",)" : "(" + string.Join(", ", values.Select(v => Int(v))) + ")";
}
