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
}
