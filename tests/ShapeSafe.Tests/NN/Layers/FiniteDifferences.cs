using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.NN;

/// <summary>
/// The layer tests' gradient check and helpers: <see cref="Check"/> runs the shared <see cref="GradCheck"/> in its
/// in-place mode over the inputs that require grad (the inputs may be a module's parameters that f reads itself),
/// with the slightly looser tolerances the layers' float32 forwards need.
/// </summary>
public static class FiniteDifferences
{
    /// <summary>Checks the gradient of every input that requires grad.</summary>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double h = 1e-3, double atol = 2e-3, double rtol = 2e-2)
        => GradCheck.CheckInPlace(() => f(inputs), inputs.Where(t => t.RequiresGrad).ToArray(), eps: h, relTol: rtol, absTol: atol);

    /// <summary>A leaf that requires grad, with values from a fixed seed (uniform in [lo, hi)).</summary>
    public static Tensor Leaf(int seed, float lo, float hi, params int[] shape)
    {
        var rng = new System.Random(seed);
        int n = shape.Aggregate(1, (a, b) => a * b);
        var t = Tensor.FromArray(Enumerable.Range(0, n).Select(_ => (float)(lo + rng.NextDouble() * (hi - lo))).ToArray(), shape);
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>Asserts element-wise closeness with an absolute tolerance.</summary>
    public static void Close(IReadOnlyList<float> expected, IReadOnlyList<float> actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]}, got {actual[i]}");
    }
}
