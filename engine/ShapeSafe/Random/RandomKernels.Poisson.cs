namespace ShapeSafe;

internal static partial class RandomKernels
{
    /// <summary>
    /// <c>torch.poisson(rates)</c>: ATen's <c>sample_poisson</c> per element, in double —
    /// Hörmann's transformed rejection (PTRS) for rate &gt;= 10, otherwise multiplying 53-bit
    /// uniforms until the product falls to exp(-rate). Rates are checked as they are reached.
    /// </summary>
    internal static void Poisson(ReadOnlySpan<float> rates, Span<float> output, Generator? generator = null)
    {
        CheckSameLength(rates.Length, output.Length, "Poisson");
        var gen = Resolve(generator);
        lock (gen.SyncRoot)
        {
            var engine = gen.Engine;
            for (int i = 0; i < rates.Length; i++)
            {
                double rate = rates[i];
                if (!(rate >= 0))
                {
                    throw new ArgumentException($"Poisson: invalid rate, expected rates to be non-negative, but rates[{i}] = {rates[i]}.");
                }

                output[i] = SamplePoisson(rate, engine);
            }
        }
    }

    private static long SamplePoisson(double rate, Mt19937 engine)
    {
        if (rate >= 10)
        {
            double slam = Math.Sqrt(rate);
            double logRate = Math.Log(rate);
            double b = 0.931 + 2.53 * slam;
            double a = -0.059 + 0.02483 * b;
            double invAlpha = 1.1239 + 1.1328 / (b - 3.4);
            double vr = 0.9277 - 3.6224 / (b - 2);
            while (true)
            {
                double u = UniformDouble(engine) - 0.5;
                double v = UniformDouble(engine);
                double us = 0.5 - Math.Abs(u);
                double k = Math.Floor((2 * a / us + b) * u + rate + 0.43);
                if (us >= 0.07 && v <= vr)
                {
                    return (long)k;
                }

                if (k < 0 || (us < 0.013 && v > us))
                {
                    continue;
                }

                if (Math.Log(v) + Math.Log(invAlpha) - Math.Log(a / (us * us) + b) <= -rate + k * logRate - LogFactorial(k))
                {
                    return (long)k;
                }
            }
        }

        if (rate == 0)
        {
            return 0;
        }

        double limit = Math.Exp(-rate);
        long count = 0;
        double product = 1.0;
        while (true)
        {
            product *= UniformDouble(engine);
            if (product > limit)
            {
                count++;
            }
            else
            {
                return count;
            }
        }
    }

    /// <summary>
    /// log(k!) = lgamma(k + 1) for a whole k &gt;= 0, which is all the Poisson sampler asks of
    /// lgamma (.NET has none). Exact factorials up to 22! are doubles, so those take one rounded
    /// log; beyond, Stirling's series, whose truncation error there is far below an ulp.
    /// </summary>
    internal static double LogFactorial(double k)
    {
        if (k < 23)
        {
            double factorial = 1;
            for (int i = 2; i <= (int)k; i++)
            {
                factorial *= i;
            }

            return Math.Log(factorial);
        }

        double x = k + 1;
        double inv = 1 / x;
        double inv2 = inv * inv;
        double series = inv * (1.0 / 12 - inv2 * (1.0 / 360 - inv2 * (1.0 / 1260 - inv2 * (1.0 / 1680))));
        const double HalfLogTwoPi = 0.91893853320467274178;
        return (x - 0.5) * Math.Log(x) - x + HalfLogTwoPi + series;
    }
}
