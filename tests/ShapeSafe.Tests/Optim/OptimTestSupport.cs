using ShapeSafe.NN;

namespace ShapeSafe.Tests.Optim;

/// <summary>Parameters from literals, hand-set gradients and a relative comparison against double references.</summary>
internal static class OptimTestSupport
{
    public static Parameter Param(params float[] values) => new(Tensor.FromArray(values));

    public static void SetGrad(Parameter p, params double[] grad) =>
        p.Grad = Tensor.FromArray(grad.Select(g => (float)g).ToArray());

    /// <summary>Float32 results against a double reference: |actual - expected| &lt;= 1e-6 |expected| (+1e-9 near zero).</summary>
    public static void AssertClose(double[] expected, Tensor actual, double relative = 1e-6)
    {
        var values = actual.ToFloatArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < values.Length; i++)
        {
            double tolerance = relative * Math.Abs(expected[i]) + 1e-9;
            Assert.True(Math.Abs(values[i] - expected[i]) <= tolerance,
                $"element {i}: expected {expected[i]:R}, got {values[i]:R} (off by {Math.Abs(values[i] - expected[i]):E2}, tolerance {tolerance:E2})");
        }
    }

    /// <summary>The gradient fed at step k (0-based) to a 3-element parameter: varied signs and sizes.</summary>
    public static double[] GradientAt(int k) => new[] { 0.5 - 0.3 * k, -1.25 + 0.2 * k * k, 2.0 / (k + 1) };
}
