using System.Globalization;
using System.Text;

namespace ShapeSafe;

public static partial class Autograd
{
    /// <summary>
    /// PyTorch's <c>torch.autograd.gradcheck</c>: compares the Jacobian autograd computes for <paramref name="function"/>
    /// at <paramref name="inputs"/> (Float64 tensors) with central finite differences in double, element by element:
    /// an analytic entry a passes against the numeric n when |a - n| ≤ <paramref name="atol"/> + <paramref name="rtol"/>·|n|
    /// (PyTorch's defaults: eps 1e-6, atol 1e-5, rtol 1e-3). Returns true, or throws naming the first entries that
    /// differ. Inputs are copied; the function must be deterministic.
    /// </summary>
    /// <exception cref="ArgumentException">An input is not Float64.</exception>
    /// <exception cref="InvalidOperationException">The Jacobians differ (the message lists them).</exception>
    public static bool GradCheck(Func<Tensor[], Tensor> function, Tensor[] inputs, double eps = 1e-6, double atol = 1e-5, double rtol = 1e-3)
    {
        for (int i = 0; i < inputs.Length; i++)
            if (inputs[i].DType != DType.Float64)
                throw new ArgumentException($"GradCheck: input {i} is {inputs[i].DType} (shape {Rules.Format(inputs[i].Sizes)}); finite differences need Float64 inputs (ToDType(DType.Float64))", nameof(inputs));
        var values = inputs.Select(t => t.ToDoubleArray()).ToArray();
        var shapes = inputs.Select(t => t.Shape.ToArray()).ToArray();

        double[] Evaluate(int input, int element, double value)
        {
            using var _ = NoGrad();
            var args = new Tensor[values.Length];
            for (int k = 0; k < values.Length; k++)
            {
                var v = (double[])values[k].Clone();
                if (k == input) v[element] = value;
                args[k] = Tensor.FromArray(v).Reshape(shapes[k]); // FromArray reads an empty shape as "the data's length"
            }
            return function(args).ToDoubleArray();
        }

        // Analytic Jacobian: one backward per output element, with a one-hot gradient.
        Tensor output;
        var leaves = new Tensor[values.Length];
        using (EnableGrad())
        {
            for (int k = 0; k < values.Length; k++)
            {
                leaves[k] = Tensor.FromArray(values[k]).Reshape(shapes[k]);
                leaves[k].RequiresGrad = true;
            }
            output = function(leaves);
        }
        if (!output.IsFloatingPoint)
            throw new ArgumentException($"GradCheck: the function returned a {output.DType} tensor (shape {Rules.Format(output.Sizes)}); it must return a floating tensor", nameof(function));
        int outCount = output.Count;
        var analytic = values.Select(v => new double[outCount, v.Length]).ToArray();
        for (int o = 0; o < outCount; o++)
        {
            var oneHot = new double[outCount];
            oneHot[o] = 1;
            var grads = Grad(new[] { output }, leaves, new[] { Tensor.FromArray(oneHot).Reshape(output.Shape.ToArray()).As(output.DType) }, retainGraph: true, allowUnused: true);
            for (int k = 0; k < values.Length; k++)
            {
                if (grads[k] is not { } g) continue;
                var gv = g.ToDoubleArray();
                for (int j = 0; j < gv.Length; j++) analytic[k][o, j] = gv[j];
            }
        }

        var failures = new StringBuilder();
        int failed = 0;
        for (int k = 0; k < values.Length; k++)
            for (int j = 0; j < values[k].Length; j++)
            {
                double x = values[k][j];
                var plus = Evaluate(k, j, x + eps);
                var minus = Evaluate(k, j, x - eps);
                for (int o = 0; o < outCount; o++)
                {
                    double numeric = (plus[o] - minus[o]) / (2 * eps);
                    double a = analytic[k][o, j];
                    if (Math.Abs(a - numeric) <= atol + rtol * Math.Abs(numeric) || (double.IsNaN(a) && double.IsNaN(numeric))) continue;
                    if (failed++ < 8)
                        failures.Append(CultureInfo.InvariantCulture, $"\n  input {k} element {j}, output element {o}: analytical {a:G10}, numerical {numeric:G10}");
                }
            }
        if (failed > 0)
            throw new InvalidOperationException($"GradCheck: Jacobian mismatch in {failed} entries (eps {eps}, atol {atol}, rtol {rtol}):{failures}");
        return true;
    }
}
