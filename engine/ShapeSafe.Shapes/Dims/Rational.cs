using System;
using System.Globalization;

namespace ShapeSafe.Shapes;

/// <summary>
/// An exact fraction with a positive denominator in lowest terms: the coefficient of a monomial.
/// Fractions appear when the user divides by a constant that does not divide every coefficient
/// (<c>(B + 1)/2</c> is <c>B/2 + 1/2</c>). Arithmetic is checked: sizes are far below the range of long.
/// </summary>
internal readonly struct Rational : IEquatable<Rational>, IComparable<Rational>
{
    public readonly long Num;
    public readonly long Den;

    public static readonly Rational Zero = new(0, 1, normalized: true);
    public static readonly Rational One = new(1, 1, normalized: true);

    Rational(long num, long den, bool normalized)
    {
        Num = num;
        Den = den;
    }

    public static Rational Of(long value) => new(value, 1, normalized: true);

    public static Rational Of(long num, long den)
    {
        if (den == 0) throw new DivideByZeroException();
        if (den < 0) { num = checked(-num); den = checked(-den); }
        long g = Gcd(num, den);
        return new Rational(num / g, den / g, normalized: true);
    }

    public bool IsZero => Num == 0;
    public bool IsInteger => Den == 1;
    public int Sign => Math.Sign(Num);

    public static Rational operator +(Rational a, Rational b)
    {
        if (a.Den == 1 && b.Den == 1) return Of(checked(a.Num + b.Num));
        long g = Gcd(a.Den, b.Den);
        long den = checked(a.Den / g * b.Den);
        return Of(checked(a.Num * (den / a.Den) + b.Num * (den / b.Den)), den);
    }

    public static Rational operator -(Rational a) => new(checked(-a.Num), a.Den, normalized: true);

    public static Rational operator -(Rational a, Rational b) => a + -b;

    public static Rational operator *(Rational a, Rational b)
    {
        if (a.Den == 1 && b.Den == 1) return Of(checked(a.Num * b.Num));
        // Cross-reduce first so intermediate products stay small.
        long g1 = Gcd(a.Num, b.Den), g2 = Gcd(b.Num, a.Den);
        return Of(checked((a.Num / g1) * (b.Num / g2)), checked((a.Den / g2) * (b.Den / g1)));
    }

    public static Rational operator /(Rational a, Rational b)
    {
        if (b.Num == 0) throw new DivideByZeroException();
        return a * new Rational(b.Den, b.Num, normalized: true).Normalize();
    }

    Rational Normalize() => Of(Num, Den);

    /// <summary>Greatest common divisor of |a| and |b|; Gcd(0, 0) is 1 so it can always divide.</summary>
    public static long Gcd(long a, long b)
    {
        a = Math.Abs(a);
        b = Math.Abs(b);
        while (b != 0) (a, b) = (b, a % b);
        return a == 0 ? 1 : a;
    }

    public static long Lcm(long a, long b) => checked(a / Gcd(a, b) * b);

    public bool Equals(Rational other) => Num == other.Num && Den == other.Den;
    public override bool Equals(object? obj) => obj is Rational r && Equals(r);
    public override int GetHashCode() => unchecked(Num.GetHashCode() * 31 + Den.GetHashCode());

    public int CompareTo(Rational other)
    {
        if (Den == other.Den) return Num.CompareTo(other.Num);
        // Compare a/b with c/d through a*d vs c*b; decimal holds the 128-bit products exactly enough.
        return ((decimal)Num * other.Den).CompareTo((decimal)other.Num * Den);
    }

    public override string ToString() => Den == 1
        ? Num.ToString(CultureInfo.InvariantCulture)
        : Num.ToString(CultureInfo.InvariantCulture) + "/" + Den.ToString(CultureInfo.InvariantCulture);
}
