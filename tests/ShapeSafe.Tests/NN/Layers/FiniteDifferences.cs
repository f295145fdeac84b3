namespace ShapeSafe.Tests.NN;

/// <summary>
/// A gradient check by central differences, in float32 as the engine computes: the analytic gradient of
/// Σ w·f(inputs) (w fixed pseudo-random weights, fed to Backward as the output's gradient) against
/// (Σ w·f(x + h) - Σ w·f(x - h)) / 2h per input element. Only Backward(gradient) is needed, so it works
/// before element-wise autograd lands. (The shared GradCheck can replace it once it is in main.)
/// </summary>
public static class FiniteDifferences
{
    /// <summary>Checks the gradient of every input that requires grad.</summary>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, double h = 1e-3, double atol = 2e-3, double rtol = 2e-2)
    {
        foreach (var input in inputs)
            if (input.RequiresGrad) input.Grad = null;
        var output = f(inputs);
        var rng = new System.Random(7);
        var weights = Enumerable.Range(0, (int)output.NumEl).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        output.Backward(output.Rank == 0 ? Tensor.Scalar(weights[0]) : Tensor.FromArray(weights, output.Shape.ToArray()));

        for (int i = 0; i < inputs.Length; i++)
        {
            var input = inputs[i];
            if (!input.RequiresGrad) continue;
            Assert.NotNull(input.Grad);
            var analytic = input.Grad!.ToFloatArray();
            var data = input.FloatData;
            Assert.True(input.IsContiguous, "FiniteDifferences perturbs contiguous inputs");
            for (int j = 0; j < analytic.Length; j++)
            {
                int at = input.StorageOffset + j;
                float original = data[at];
                data[at] = original + (float)h;
                double plus = Weighted(f, inputs, weights);
                data[at] = original - (float)h;
                double minus = Weighted(f, inputs, weights);
                data[at] = original;
                // The step actually taken, after rounding to float.
                double step = (double)(original + (float)h) - (original - (float)h);
                double numeric = (plus - minus) / step;
                double tolerance = atol + rtol * Math.Abs(numeric);
                Assert.True(Math.Abs(analytic[j] - numeric) <= tolerance,
                    $"input {i} element {j}: analytic {analytic[j]} vs numeric {numeric} (tolerance {tolerance})");
            }
        }
    }

    static double Weighted(Func<Tensor[], Tensor> f, Tensor[] inputs, float[] weights)
    {
        using var _ = global::ShapeSafe.Autograd.NoGrad();
        var values = f(inputs).ToFloatArray();
        double sum = 0;
        for (int k = 0; k < values.Length; k++) sum += (double)values[k] * weights[k];
        return sum;
    }

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
