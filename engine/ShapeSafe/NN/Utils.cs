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
