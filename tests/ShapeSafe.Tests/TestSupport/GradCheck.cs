using System.Text;

namespace ShapeSafe.Tests.TestSupport;

// ShapeSafe.Tests.Autograd (a test folder) hides the engine's Autograd class; name it once here.
using Autograd = ShapeSafe.Autograd;

/// <summary>
/// A gradient checker (PyTorch's <c>torch.autograd.gradcheck</c>, for float inputs): the gradients autograd computes
/// for f are compared with central finite differences of f.
/// </summary>
/// <remarks>
/// A function with a non-scalar result is checked through L = Σ f(x)·v for a fixed random cotangent v, so a gradient
/// routed to the wrong element is caught. Each input element x is moved to x ± h with h = <see cref="Eps"/>·max(1, |x|);
/// the difference quotient divides by the distance between the two perturbed floats actually used and sums L in
/// double, so the only float error left is the forward's own rounding. An analytic gradient a passes against the
/// numeric n when |a - n| ≤ <see cref="AbsTol"/> + <see cref="RelTol"/>·|n|. Those values pass every op of the engine
/// on inputs of a few dozen elements, and still fail a gradient that is 3% off (see GradCheckTests).
/// </remarks>
internal static class GradCheck
{
    public const double Eps = 1e-3;
    public const double RelTol = 1e-2;
    public const double AbsTol = 1e-3;

    /// <summary>Fails the test, listing every mismatch, unless f's gradients at <paramref name="inputs"/> match finite differences.</summary>
    public static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        var report = Compare(f, inputs);
        if (!report.Passed) Assert.Fail(report.ToString());
    }

    /// <summary>Compares autograd's gradients of f with finite differences at <paramref name="inputs"/> (Float32; their values are copied).</summary>
    public static Report Compare(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = Eps, double relTol = RelTol,
        double absTol = AbsTol, int seed = 20240607)
    {
        var values = inputs.Select(t => t.ToFloatArray()).ToArray();
        var shapes = inputs.Select(t => t.Shape.ToArray()).ToArray();

        // Analytic: one backward pass with the cotangent. The caller's grad mode must not change the answer.
        Tensor output;
        Tensor?[] analytic;
        var leaves = new Tensor[inputs.Length];
        float[] cotangent;
        using (Autograd.EnableGrad())
        {
            for (int i = 0; i < inputs.Length; i++)
            {
                leaves[i] = Make((float[])values[i].Clone(), shapes[i]);
                leaves[i].RequiresGrad = true;
            }
            output = f(leaves);
            cotangent = Cotangent(output, seed);
            var v = Make(cotangent, output.Shape.ToArray());
            analytic = Autograd.Grad(new[] { output }, leaves, new[] { v }, allowUnused: true);
        }

        return Collect(analytic, values, shapes, eps, relTol, absTol,
            (i, j, value) => Evaluate(f, values, shapes, i, j, value, cotangent));
    }

    /// <summary>
    /// Fails the test unless autograd's gradients for <paramref name="leaves"/> (tensors f reads itself, such as a
    /// module's parameters) match finite differences; see <see cref="CompareInPlace"/>.
    /// </summary>
    public static void CheckInPlace(Func<Tensor> f, Tensor[] leaves, double eps = Eps, double relTol = RelTol, double absTol = AbsTol)
    {
        var report = CompareInPlace(f, leaves, eps, relTol, absTol);
        if (!report.Passed) Assert.Fail(report.ToString());
    }

    /// <summary>
    /// <see cref="Compare"/> for tensors f does not take as arguments but reads itself (a module's parameters, leaves
    /// it closes over): each element of each leaf (contiguous Float32, requiring grad) is moved in place and restored.
    /// </summary>
    public static Report CompareInPlace(Func<Tensor> f, Tensor[] leaves, double eps = Eps, double relTol = RelTol,
        double absTol = AbsTol, int seed = 20240607)
    {
        foreach (var leaf in leaves)
        {
            if (!leaf.IsContiguous || leaf.DType != DType.Float32 || !leaf.RequiresGrad)
                throw new ArgumentException($"CompareInPlace moves the elements of contiguous Float32 leaves that require grad; got a {leaf.DType} tensor of shape [{string.Join(", ", leaf.Shape)}]");
        }
        Tensor?[] analytic;
        float[] cotangent;
        using (Autograd.EnableGrad())
        {
            var output = f();
            cotangent = Cotangent(output, seed);
            analytic = Autograd.Grad(new[] { output }, leaves, new[] { Make((float[])cotangent.Clone(), output.Shape.ToArray()) }, allowUnused: true);
        }
        var values = leaves.Select(t => t.ToFloatArray()).ToArray();
        var shapes = leaves.Select(t => t.Shape.ToArray()).ToArray();
        return Collect(analytic, values, shapes, eps, relTol, absTol, (i, j, value) =>
        {
            var data = leaves[i].FloatData;
            int at = leaves[i].StorageOffset + j;
            float original = data[at];
            data[at] = value;
            try
            {
                float[] output;
                using (Autograd.NoGrad()) output = f().ToFloatArray();
                double sum = 0;
                for (int k = 0; k < output.Length; k++) sum += (double)output[k] * cotangent[k];
                return sum;
            }
            finally
            {
                data[at] = original;
            }
        });
    }

    // The comparison both modes share: loss(i, j, value) is L with element j of input i set to value.
    static Report Collect(Tensor?[] analytic, float[][] values, int[][] shapes, double eps, double relTol, double absTol,
        Func<int, int, float, double> loss)
    {
        var report = new Report();
        for (int i = 0; i < values.Length; i++)
        {
            var a = analytic[i]?.ToFloatArray() ?? new float[values[i].Length];
            if (analytic[i] is { } g && !g.Shape.SequenceEqual(shapes[i]))
            {
                report.Mismatches.Add($"input {i}: gradient of shape [{string.Join(", ", g.Shape)}] for an input of shape [{string.Join(", ", shapes[i])}]");
                continue;
            }
            for (int j = 0; j < values[i].Length; j++)
            {
                float x = values[i][j];
                double h = eps * Math.Max(1.0, Math.Abs(x));
                float up = (float)(x + h), down = (float)(x - h);
                double numeric = (loss(i, j, up) - loss(i, j, down)) / ((double)up - down);
                report.Checked++;
                if (!(Math.Abs(a[j] - numeric) <= absTol + relTol * Math.Abs(numeric)))
                    report.Mismatches.Add($"input {i} [{string.Join(", ", shapes[i])}], element {j} (x = {x}): analytic {a[j]}, numeric {numeric:G6}");
            }
        }
        return report;
    }

    /// <summary>L = Σ f(x)·v with element j of input i replaced by <paramref name="value"/>, summed in double.</summary>
    static double Evaluate(Func<Tensor[], Tensor> f, float[][] values, int[][] shapes, int input, int element, float value, float[] cotangent)
    {
        var args = new Tensor[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            var data = (float[])values[i].Clone();
            if (i == input) data[element] = value;
            args[i] = Make(data, shapes[i]);
        }
        float[] output;
        using (Autograd.NoGrad()) output = f(args).ToFloatArray();
        double sum = 0;
        for (int k = 0; k < output.Length; k++) sum += (double)output[k] * cotangent[k];
        return sum;
    }

    /// <summary>A tensor of any shape, 0-dim included (FromArray reads an empty shape as 1-D).</summary>
    static Tensor Make(float[] data, int[] shape) => shape.Length == 0 ? Tensor.Scalar(data[0]) : Tensor.FromArray(data, shape);

    /// <summary>1 for a one-element result; otherwise fixed random weights in ±[0.5, 1.5], never near 0 so no element goes unchecked.</summary>
    static float[] Cotangent(Tensor output, int seed)
    {
        var v = new float[output.NumEl];
        if (v.Length == 1) v[0] = 1f;
        else
        {
            var rng = new System.Random(seed);
            for (int k = 0; k < v.Length; k++) v[k] = (float)((0.5 + rng.NextDouble()) * (rng.Next(2) == 0 ? -1 : 1));
        }
        return v;
    }

    /// <summary>What a comparison found: how many gradient elements were checked and which disagreed.</summary>
    public sealed class Report
    {
        public int Checked { get; set; }

        public List<string> Mismatches { get; } = new();

        public bool Passed => Mismatches.Count == 0 && Checked > 0;

        public override string ToString()
        {
            if (Passed) return $"gradcheck passed ({Checked} elements)";
            var text = new StringBuilder($"gradcheck failed: {Mismatches.Count} of {Checked} gradient elements differ from finite differences");
            foreach (var m in Mismatches.Take(20)) text.Append('\n').Append("  ").Append(m);
            return text.ToString();
        }
    }
}
