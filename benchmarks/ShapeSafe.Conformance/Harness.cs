using TorchSharp;
using S = ShapeSafe;
using T = TorchSharp.torch;

namespace ShapeSafe.Conformance;

/// <summary>What one case measured: the worst relative errors (NaN: nothing of that kind was compared).</summary>
sealed record Result(double Output, double Gradient, string Notes);

/// <summary>
/// One comparison: inputs drawn once, given to both libraries as leaves that require grad (unless
/// <see cref="NoGrad"/>); the outputs compared; then Σ output·v for a fixed random v backpropagated through both.
/// </summary>
sealed class Case
{
    public required string Name { get; init; }
    public int[][] Shapes { get; init; } = [];
    public Func<S.Tensor[], S.Tensor>? Ours { get; init; }
    public Func<T.Tensor[], T.Tensor>? Theirs { get; init; }

    /// <summary>A comparison that draws and compares by itself (a whole model's), run instead of <see cref="Ours"/> and <see cref="Theirs"/>.</summary>
    public Func<Result>? Body { get; init; }

    /// <summary>Parameters of each side's module (same order), whose values are copied from ours to LibTorch's before running and whose gradients are compared.</summary>
    public Func<(S.Tensor[] Ours, T.Tensor[] Theirs)>? Parameters { get; init; }

    /// <summary>Draws small integers (many ties) instead of uniform values.</summary>
    public bool Ties { get; init; }
    public bool Positive { get; init; }
    public bool NoGrad { get; init; }

    /// <summary>Also requires the output's and every gradient's dtype to be LibTorch's (the autocast cases).</summary>
    public bool CheckDType { get; init; }

    /// <summary>
    /// Also reports, in the notes, the worst error against each tensor's scale (<see cref="ScaleError"/>), the measure
    /// the whole-model cases of ModelCases are judged on, beside the element-wise columns.
    /// </summary>
    public bool ReportScale { get; init; }
    public double Tolerance { get; init; } = 1e-5;
    public int Seed { get; init; } = 1;

    public Result Run()
    {
        if (Body is not null) return Body();
        if (Ours is null || Theirs is null) throw new InvalidOperationException($"case '{Name}': Ours and Theirs, or Body, must be given");
        var rng = new System.Random(Seed);
        var data = Shapes.Select(s => Draw(rng, Count(s))).ToArray();
        var ours = new S.Tensor[Shapes.Length];
        var theirs = new T.Tensor[Shapes.Length];
        for (int i = 0; i < Shapes.Length; i++)
        {
            ours[i] = S.Tensor.FromArray((float[])data[i].Clone(), Shapes[i]);
            theirs[i] = T.tensor(data[i], Shapes[i].Select(d => (long)d).ToArray());
            if (!NoGrad)
            {
                ours[i].RequiresGrad = true;
                theirs[i].requires_grad_(true);
            }
        }
        var parameters = Parameters?.Invoke();
        if (parameters is { } p)
            using (T.no_grad())
                for (int i = 0; i < p.Ours.Length; i++)
                    p.Theirs[i].copy_(T.tensor(p.Ours[i].ToFloatArray(), p.Ours[i].Shape.Select(d => (long)d).ToArray()).reshape(p.Theirs[i].shape));

        var a = Ours(ours);
        var b = Theirs(theirs);
        if (!a.Shape.Select(d => (long)d).SequenceEqual(b.shape))
            return new Result(double.NaN, double.NaN, $"MISMATCH shapes [{string.Join(", ", a.Shape)}] vs [{string.Join(", ", b.shape)}]");
        if (a.DType == S.DType.Int64)
        {
            var x = a.ToInt64Array();
            var y = b.data<long>().ToArray();
            int differ = x.Zip(y).Count(t => t.First != t.Second);
            return new Result(double.NaN, double.NaN, differ == 0 ? "Int64 exact" : $"MISMATCH {differ} of {x.Length} Int64 elements differ");
        }
        var notes = new List<string>();
        if (CheckDType) CompareDType(a, b, "output", notes);
        var outputOurs = a.ToFloatArray();
        var outputTheirs = b.to_type(T.ScalarType.Float32).data<float>().ToArray();
        double output = RelativeError(outputOurs, outputTheirs);
        double outputScale = ScaleError(outputOurs, outputTheirs);
        if (NoGrad || !a.RequiresGrad)
        {
            if (ReportScale) notes.Add($"scale: output {outputScale:0.0e+0}");
            return new Result(output, double.NaN, string.Join("; ", notes));
        }

        var v = Draw(new System.Random(Seed + 1000), (int)a.NumEl);
        (a * S.Tensor.FromArray((float[])v.Clone(), a.Shape.ToArray())).Sum().Backward();
        (b * T.tensor(v, b.shape)).sum().backward();
        double gradient = 0, gradientScale = 0;
        for (int i = 0; i < Shapes.Length; i++)
            Accumulate(Compare(ours[i].Grad, theirs[i].grad, $"input {i}", notes));
        if (parameters is { } q)
            for (int i = 0; i < q.Ours.Length; i++)
                Accumulate(Compare(q.Ours[i].Grad, q.Theirs[i].grad, $"parameter {i}", notes));
        if (ReportScale) notes.Add($"scale: output {outputScale:0.0e+0}, gradients {gradientScale:0.0e+0}");
        if (CheckDType)
        {
            for (int i = 0; i < Shapes.Length; i++)
                if (ours[i].Grad is { } g && theirs[i].grad is { } h) CompareDType(g, h, $"input {i} gradient", notes);
            if (parameters is { } r)
                for (int i = 0; i < r.Ours.Length; i++)
                    if (r.Ours[i].Grad is { } g && r.Theirs[i].grad is { } h) CompareDType(g, h, $"parameter {i} gradient", notes);
        }
        return new Result(output, gradient, string.Join("; ", notes));

        void Accumulate((double Element, double Scale) e)
        {
            gradient = Math.Max(gradient, e.Element);
            gradientScale = Math.Max(gradientScale, e.Scale);
        }
    }

    // ShapeSafe's DType names are LibTorch's ScalarType names (Float32, Float64, BFloat16, Int64, Bool).
    static void CompareDType(S.Tensor ours, T.Tensor theirs, string what, List<string> notes)
    {
        if (ours.DType.ToString() != theirs.dtype.ToString())
            notes.Add($"MISMATCH {what} dtype {ours.DType} vs {theirs.dtype}");
    }

    // The element-wise error (the column a case is judged on) and the error against the tensor's scale.
    static (double Element, double Scale) Compare(S.Tensor? ours, T.Tensor? theirs, string what, List<string> notes)
    {
        if (ours is null && theirs is null) return (0, 0);
        if (ours is null || theirs is null)
        {
            notes.Add($"MISMATCH {what}: gradient only on {(ours is null ? "LibTorch's" : "ShapeSafe's")} side");
            return (double.PositiveInfinity, double.PositiveInfinity);
        }
        var a = ours.ToFloatArray();
        var b = theirs.to_type(T.ScalarType.Float32).data<float>().ToArray();
        return (RelativeError(a, b), ScaleError(a, b));
    }

    float[] Draw(System.Random rng, int count)
    {
        var v = new float[count];
        for (int i = 0; i < count; i++)
        {
            if (Ties) v[i] = rng.Next(-2, 3);
            else if (Positive) v[i] = (float)(0.2 + 1.8 * rng.NextDouble());
            else v[i] = (float)(rng.NextDouble() * 4 - 2);
        }
        return v;
    }

    static int Count(int[] shape) => shape.Aggregate(1, (x, y) => x * y);

    /// <summary><see cref="RelativeError(float[], float[])"/> in double, for the Float64 cases (whose errors are far below float's resolution).</summary>
    public static double RelativeError(double[] a, double[] b)
    {
        if (a.Length != b.Length) return double.PositiveInfinity;
        double scale = 0;
        foreach (var y in b) scale = Math.Max(scale, Math.Abs(y));
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (double.IsNaN(a[i]) && double.IsNaN(b[i])) continue;
            if (a[i] == b[i]) continue;
            double err = Math.Abs(a[i] - b[i]) / Math.Max(Math.Max(Math.Abs(b[i]), 1e-3 * scale), 1e-300);
            worst = Math.Max(worst, double.IsNaN(err) ? double.PositiveInfinity : err);
        }
        return worst;
    }

    /// <summary>
    /// max_i |a_i - b_i| / max_j |b_j|: the error against the tensor's scale, what a model's tolerance is judged on
    /// (a model's elements near zero carry the absolute rounding of their neighbours, which the element-wise
    /// <see cref="RelativeError(float[], float[])"/> measures against their own small size).
    /// </summary>
    public static double ScaleError(float[] a, float[] b)
    {
        if (a.Length != b.Length) return double.PositiveInfinity;
        double scale = 0, worst = 0;
        for (int i = 0; i < b.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs((double)b[i]));
            double d = Math.Abs((double)a[i] - b[i]);
            worst = Math.Max(worst, double.IsNaN(d) ? double.PositiveInfinity : d);
        }
        return scale == 0 ? worst : worst / scale;
    }

    public static double RelativeError(float[] a, float[] b)
    {
        if (a.Length != b.Length) return double.PositiveInfinity;
        double scale = 0;
        foreach (var y in b) scale = Math.Max(scale, Math.Abs((double)y));
        double worst = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (float.IsNaN(a[i]) && float.IsNaN(b[i])) continue;
            if (a[i] == b[i]) continue;
            double err = Math.Abs((double)a[i] - b[i]) / Math.Max(Math.Max(Math.Abs((double)b[i]), 1e-3 * scale), 1e-30);
            worst = Math.Max(worst, double.IsNaN(err) ? double.PositiveInfinity : err);
        }
        return worst;
    }
}
