using System.Numerics.Tensors;

namespace ShapeSafe.NN;

/// <summary>Training helpers from <c>torch.nn.utils</c>.</summary>
public static partial class Utils
{
    /// <summary>
    /// Scales the gradients of <paramref name="parameters"/> in place so that their total 2-norm (the norm of all
    /// gradients taken as one vector) is at most <paramref name="maxNorm"/> (PyTorch's <c>clip_grad_norm_</c>).
    /// Parameters without a gradient are skipped. As in PyTorch the scale is <c>maxNorm / (norm + 1e-6)</c>, clamped
    /// to 1, so gradients already within the bound keep their values.
    /// </summary>
    /// <returns>The total norm before clipping, as a 0-dim tensor (PyTorch returns it too); it may be infinite or NaN.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is negative or NaN.</exception>
    public static Tensor ClipGradNorm(IEnumerable<Parameter> parameters, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (!(maxNorm >= 0))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "ClipGradNorm: maxNorm must be non-negative");
        var grads = new List<Tensor>();
        foreach (var p in parameters)
            if (p.GradUnexposed is { } g) grads.Add(g);
        if (grads.Count == 0) return Tensor.Scalar(0f);
        if (grads.All(g => g.DType == DType.Float64)) return ClipGradNormFloat64(grads, maxNorm);
        if (grads.Any(g => g.DType != DType.Float32))
            throw new ArgumentException($"ClipGradNorm: gradients must all be Float32 or all Float64, got {string.Join(", ", grads.Select(g => g.DType).Distinct())}", nameof(parameters));

        // PyTorch takes each gradient's norm, then the norm of those norms; the sums run in double here.
        double squares = 0;
        foreach (var g in grads)
        {
            double norm = Math.Sqrt(SumOfSquares(g));
            squares += (double)(float)norm * (float)norm;
        }
        float total = (float)Math.Sqrt(squares);
        float scale = (float)Math.Min(maxNorm / (total + 1e-6), 1.0);
        if (scale < 1f)
        {
            foreach (var g in grads) Scale(g, scale);
        }
        return Tensor.Scalar(total);
    }

    /// <summary>
    /// Clamps the gradients of <paramref name="parameters"/> in place to [-<paramref name="clipValue"/>,
    /// <paramref name="clipValue"/>] (PyTorch's <c>clip_grad_value_</c>: <c>clamp_min_(-clip_value)</c>, then
    /// <c>clamp_max_(clip_value)</c>, so NaN stays NaN). Parameters without a gradient are skipped.
    /// </summary>
    /// <exception cref="ArgumentException">A gradient is neither Float32 nor Float64.</exception>
    public static void ClipGradValue(IEnumerable<Parameter> parameters, double clipValue)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var grads = new List<Tensor>();
        foreach (var p in parameters)
        {
            if (p.GradUnexposed is not { } g) continue;
            if (g.DType is not (DType.Float32 or DType.Float64))
                throw new ArgumentException($"ClipGradValue: gradients must be Float32 or Float64, got a {g.DType} gradient of shape {Rules.Format(g.Sizes)}", nameof(parameters));
            grads.Add(g);
        }
        foreach (var g in grads)
        {
            var t = g.IsContiguous ? g : g.Contiguous();
            if (t.DType == DType.Float64)
            {
                var span = t.DoubleData.AsSpan(t.Offset, t.Count);
                for (int i = 0; i < span.Length; i++) span[i] = ClampMax(ClampMin(span[i], -clipValue), clipValue);
            }
            else
            {
                // ATen rounds the scalar bounds to the tensor's dtype.
                float low = (float)-clipValue, high = (float)clipValue;
                var span = t.FloatData.AsSpan(t.Offset, t.Count);
                for (int i = 0; i < span.Length; i++) span[i] = (float)ClampMax(ClampMin(span[i], low), high);
            }
            if (!ReferenceEquals(t, g))
                using (Autograd.NoGrad()) g.CopyFrom(t);
        }
    }

    // ATen's clamp_min / clamp_max: NaN propagates.
    static double ClampMin(double x, double min) => double.IsNaN(x) ? x : Math.Max(x, min);

    static double ClampMax(double x, double max) => double.IsNaN(x) ? x : Math.Min(x, max);

    // PyTorch's clip_grad_norm_ in Float64, op for op: each gradient's linalg.vector_norm, the vector_norm of those
    // norms stacked, clip_coef = max_norm / (total + 1e-6) (Tensor.__rtruediv__: a reciprocal, then a product),
    // clamped to 1, and every gradient multiplied by it (even by 1, so a NaN norm makes the gradients NaN, as there).
    static Tensor ClipGradNormFloat64(List<Tensor> grads, double maxNorm)
    {
        var norms = new double[grads.Count];
        for (int i = 0; i < grads.Count; i++)
        {
            var t = grads[i].IsContiguous ? grads[i] : grads[i].Contiguous();
            norms[i] = NormTwo(t.DoubleData.AsSpan(t.Offset, t.Count));
        }
        double total = NormTwo(norms);
        double coefficient = 1.0 / (total + 1e-6) * maxNorm;
        if (!double.IsNaN(coefficient)) coefficient = Math.Min(coefficient, 1.0);
        foreach (var g in grads)
        {
            var t = g.IsContiguous ? g : g.Contiguous();
            var span = t.DoubleData.AsSpan(t.Offset, t.Count);
            for (int i = 0; i < span.Length; i++) span[i] *= coefficient;
            if (!ReferenceEquals(t, g))
                using (Autograd.NoGrad()) g.CopyFrom(t);
        }
        return Tensor.Scalar(total);
    }

    // ATen's 2-norm of a contiguous double vector (vec::map_reduce_all of x·x with one accumulator vector of the
    // dispatched width, the tail added into its first lanes, then the lanes summed left to right), then sqrt. The
    // width is ATen's Vectorized<double>: 8 lanes when the CPU has AVX-512, else 4.
    static double NormTwo(ReadOnlySpan<double> x)
    {
        int lanes = System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? 8 : 4;
        int size = x.Length;
        if (size == 0) return 0;
        Span<double> acc = stackalloc double[lanes];
        if (size < lanes)
        {
            acc.Clear();
            for (int j = 0; j < size; j++) acc[j] = x[j] * x[j];
            return Math.Sqrt(SumLanes(acc, size));
        }
        for (int j = 0; j < lanes; j++) acc[j] = x[j] * x[j];
        int d = lanes;
        for (; d < size - size % lanes; d += lanes)
            for (int j = 0; j < lanes; j++) acc[j] += x[d + j] * x[d + j];
        for (int j = 0; j < size - d; j++) acc[j] += x[d + j] * x[d + j];
        return Math.Sqrt(SumLanes(acc, lanes));
    }

    static double SumLanes(ReadOnlySpan<double> acc, int count)
    {
        double sum = acc[0];
        for (int j = 1; j < count; j++) sum += acc[j];
        return sum;
    }

    static double SumOfSquares(Tensor g)
    {
        // Gradients are contiguous in practice; a strided one is copied first.
        var t = g.IsContiguous ? g : g.Contiguous();
        var span = t.FloatData.AsSpan(t.Offset, t.Count);
        double sum = 0;
        // Chunks keep float accumulation short before it is folded into the double total.
        const int chunk = 4096;
        for (int i = 0; i < span.Length; i += chunk)
        {
            var part = span.Slice(i, Math.Min(chunk, span.Length - i));
            sum += TensorPrimitives.SumOfSquares(part);
        }
        return sum;
    }

    static void Scale(Tensor g, float scale)
    {
        if (g.IsContiguous)
        {
            var span = g.FloatData.AsSpan(g.Offset, g.Count);
            TensorPrimitives.Multiply(span, scale, span);
            return;
        }
        using (Autograd.NoGrad())
            g.CopyFrom(g * scale);
    }
}
