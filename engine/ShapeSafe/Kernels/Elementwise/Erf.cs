namespace ShapeSafe.Kernels.Elementwise;

/// <summary>
/// The complementary error function in double precision (.NET has no erf). Chebyshev fit from Numerical Recipes
/// (<c>erfcc</c>): relative error below 1.2e-7 everywhere, about one float ulp, and it keeps relative accuracy in
/// the far tail, which GELU of large negative inputs needs. The tests check it against a series/continued-fraction reference.
/// </summary>
internal static class Erf
{
    public static double Erfc(double x)
    {
        double z = Math.Abs(x);
        double t = 1.0 / (1.0 + 0.5 * z);
        double poly = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
        double r = t * Math.Exp(-z * z + poly);
        return x >= 0 ? r : 2.0 - r;
    }
    /// <summary>
    /// erfc to double precision, for Float64 GELU (the fit above is float-accurate only). Below 2.5 the series
    /// <c>erf(x) = 2/√π·e^(-x²)·Σ (2x²)ⁿ·x / (1·3···(2n+1))</c>, whose terms are all positive (no cancellation), and
    /// erfc = 1 - erf loses at most erfc(2.5)⁻¹ ≈ 2500 ulps relative; above it Laplace's continued fraction
    /// <c>e^(-x²)/√π / (x + ½/(x + 1/(x + 3⁄2/(x + …))))</c> by the modified Lentz method, which converges fast there.
    /// </summary>
    public static double ErfcDouble(double x)
    {
        if (double.IsNaN(x)) return x;
        if (x < 0) return 2.0 - ErfcDouble(-x);
        const double TwoOverSqrtPi = 1.12837916709551257390, InvSqrtPi = 0.56418958354775628695;
        if (x < 2.5)
        {
            double sum = 0, term = x, twoX2 = 2 * x * x;
            for (int n = 0; term > 1e-17 * sum; n++)
            {
                sum += term;
                term *= twoX2 / (2 * n + 3);
            }
            return 1.0 - TwoOverSqrtPi * Math.Exp(-x * x) * sum;
        }
        if (x > 27) return 0; // e^(-x²) underflows
        double f = x, c = x, d = 0;
        for (int k = 1; k < 200; k++)
        {
            double a = 0.5 * k;
            d = 1 / (x + a * d);
            c = x + a / c;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Exp(-x * x) * InvSqrtPi / f;
    }
}
