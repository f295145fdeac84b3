using System.Numerics.Tensors;
using ShapeSafe.Kernels.Reduction;

namespace ShapeSafe.Gradients;

/// <summary>
/// The backward of reductions and softmax (PyTorch's <c>sum_backward</c>, <c>mean_backward</c>,
/// <c>var_backward</c>, <c>std_backward</c>, <c>evenly_distribute_backward</c>,
/// <c>value_selecting_reduction_backward</c>, <c>_softmax_backward_data</c>, <c>_log_softmax_backward_data</c>).
/// Reduced dims are given as one flag per input dim (<c>Rules.ReducedDims</c>). Like
/// <see cref="ElementwiseGradient"/>, these run with gradients disabled and are called by eager nodes and
/// generated code alike.
/// </summary>
internal static class ReductionGradient
{
    /// <summary>Sum: the gradient broadcast back over the reduced dims (a stride-0 view; nothing is copied).</summary>
    public static Tensor Sum(Tensor grad, int[] inputSizes, bool[] reduced, bool keepDim) =>
        Unreduce(grad, inputSizes, reduced, keepDim);

    /// <summary>Mean: the gradient divided by the number of reduced elements, broadcast back.</summary>
    public static Tensor Mean(Tensor grad, int[] inputSizes, bool[] reduced, bool keepDim)
    {
        long count = 1;
        for (int i = 0; i < inputSizes.Length; i++)
            if (reduced[i]) count *= inputSizes[i];
        return Unreduce(grad / (float)count, inputSizes, reduced, keepDim);
    }

    /// <summary>Variance with <paramref name="dof"/> = n - correction: (2 / dof)·g·(x - mean(x)).</summary>
    public static Tensor Var(Tensor grad, Tensor input, bool[] reduced, bool keepDim, float dof)
    {
        var centered = input - input.Mean(ReducedList(reduced), keepDim: true);
        return Unreduce(grad * (2f / dof), input.Sizes, reduced, keepDim) * centered;
    }

    /// <summary>Standard deviation from its result s: the variance's gradient for g / (2s), 0 where s = 0.</summary>
    public static Tensor Std(Tensor grad, Tensor input, Tensor result, bool[] reduced, bool keepDim, float dof)
    {
        var g = grad.ToFloatArray();
        var s = result.ToFloatArray();
        for (int i = 0; i < g.Length; i++) g[i] = s[i] == 0f ? 0f : g[i] / (2f * s[i]);
        return Var(Tensor.Create(new Storage(g), (int[])grad.Sizes.Clone()), input, reduced, keepDim, dof);
    }

    /// <summary>
    /// A p-norm from its result n (PyTorch's <c>norm_backward</c>): g·sgn(x)·|x|^(p-1) / n^(p-1), 0 where n = 0;
    /// g·sgn(x) for p = 1; g·x / n for p = 2; for ±∞ the gradient split evenly among the elements whose |x| is n;
    /// 0 for p = 0.
    /// </summary>
    public static Tensor Norm(Tensor grad, Tensor input, Tensor result, bool[] reduced, bool keepDim, double p)
    {
        var sizes = input.Sizes;
        var x = input.ToFloatArray();
        var d = new float[x.Length];
        if (p != 0 && x.Length > 0)
        {
            var g = Unreduce(grad, sizes, reduced, keepDim).ToFloatArray();
            var n = Unreduce(result, sizes, reduced, keepDim).ToFloatArray();
            if (double.IsInfinity(p))
            {
                var mask = new float[x.Length];
                for (int i = 0; i < x.Length; i++) mask[i] = Math.Abs(x[i]) == n[i] ? 1f : 0f;
                var maskTensor = Tensor.Create(new Storage(mask), (int[])sizes.Clone());
                var count = Unreduce(maskTensor.Sum(ReducedList(reduced), keepDim: true), sizes, reduced, keepDim: true).ToFloatArray();
                for (int i = 0; i < x.Length; i++) d[i] = mask[i] == 0f ? 0f : Sgn(x[i]) * g[i] / count[i];
            }
            else
            {
                for (int i = 0; i < x.Length; i++)
                {
                    if (p == 1) d[i] = Sgn(x[i]) * g[i];
                    else if (n[i] == 0f) d[i] = 0f;
                    else if (p == 2) d[i] = x[i] * (g[i] / n[i]);
                    else d[i] = (float)(Sgn(x[i]) * Math.Pow(Math.Abs(x[i]), p - 1) * g[i] / Math.Pow(n[i], p - 1));
                }
            }
        }
        return Tensor.Create(new Storage(d), (int[])sizes.Clone());

        // PyTorch's sgn: NaN stays NaN (MathF.Sign would throw).
        static float Sgn(float v) => v > 0 ? 1f : v < 0 ? -1f : v == 0 ? 0f : float.NaN;
    }

    /// <summary>
    /// Max or min of the whole tensor: the gradient split evenly among the elements equal to the result (all NaNs
    /// when the result is NaN), as PyTorch's <c>evenly_distribute_backward</c>.
    /// </summary>
    public static Tensor EvenlyDistribute(Tensor grad, Tensor input, Tensor result)
    {
        float value = result.Item();
        bool nan = float.IsNaN(value);
        var x = input.ToFloatArray();
        int count = 0;
        foreach (var v in x)
            if (nan ? float.IsNaN(v) : v == value) count++;
        float share = grad.Item() / count;
        var d = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
            if (nan ? float.IsNaN(x[i]) : x[i] == value) d[i] = share;
        return Tensor.Create(new Storage(d), (int[])input.Sizes.Clone());
    }

    /// <summary>
    /// Max or min along <paramref name="dim"/>: each gradient element goes to the input element its index names
    /// (PyTorch's <c>value_selecting_reduction_backward</c>); the others get 0.
    /// </summary>
    public static Tensor ValueSelecting(Tensor grad, Tensor indices, int dim, int[] inputSizes, bool keepDim)
    {
        var result = Tensor.Zeros(inputSizes);
        if (result.NumEl == 0) return result;
        int rank = inputSizes.Length;
        int d = rank == 0 ? 0 : Rules.NormalizeDim("Backward", dim, rank, inputSizes);
        int outer = 1, size = rank == 0 ? 1 : inputSizes[d], inner = 1;
        for (int i = 0; i < d; i++) outer *= inputSizes[i];
        for (int i = d + 1; i < rank; i++) inner *= inputSizes[i];

        // With or without keepDim, the gradient and the indices list their elements as [outer, inner].
        var g = grad.ToFloatArray();
        var index = indices.ToInt64Array();
        var target = result.FloatData;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int k = o * inner + i;
                target[(o * size + (int)index[k]) * inner + i] += g[k];
            }
        return result;
    }

    /// <summary>Softmax from its result y: y·(g - Σ g·y) along <paramref name="dim"/>.</summary>
    public static Tensor Softmax(Tensor grad, Tensor result, int dim)
    {
        if (dim == result.Rank - 1 && result.NumEl > 0 && grad.DType == DType.Float32 && result.DType == DType.Float32
            && grad.IsContiguous && result.IsContiguous && grad.Sizes.AsSpan().SequenceEqual(result.Sizes))
        {
            var gradInput = Tensor.Uninitialized(DType.Float32, (int[])result.Sizes.Clone());
            int length = result.Sizes[^1];
            SoftmaxLastDimInto(grad.FloatData.AsSpan(grad.Offset, gradInput.Count), result.FloatData.AsSpan(result.Offset, gradInput.Count), length,
                gradInput.FloatData);
            return gradInput;
        }
        return (grad - (grad * result).Sum(dim, keepDim: true)) * result;
    }

    /// <summary>
    /// Softmax's backward along the last dim of contiguous rows of <paramref name="length"/>, into
    /// <paramref name="gradInput"/>: per row g·y, its pairwise sum (as <see cref="Tensor.Sum(int, bool)"/> sums a
    /// row), then (g - Σ)·y, the same roundings as the composed ops. <paramref name="gradInput"/> may be
    /// <paramref name="grad"/> itself.
    /// </summary>
    public static void SoftmaxLastDimInto(ReadOnlySpan<float> grad, ReadOnlySpan<float> result, int length, Span<float> gradInput)
    {
        Span<float> product = length <= 1024 ? stackalloc float[length] : new float[length];
        for (int start = 0; start < result.Length; start += length)
        {
            var g = grad.Slice(start, length);
            var y = result.Slice(start, length);
            var dx = gradInput.Slice(start, length);
            TensorPrimitives.Multiply(g, y, product);
            float sum = SumKernel.PairwiseSum(product);
            TensorPrimitives.Subtract(g, sum, dx);
            TensorPrimitives.Multiply(dx, y, dx);
        }
    }

    /// <summary>Log-softmax from its result y: g - exp(y)·Σ g along <paramref name="dim"/>.</summary>
    public static Tensor LogSoftmax(Tensor grad, Tensor result, int dim) =>
        grad - result.Exp() * grad.Sum(dim, keepDim: true);

    /// <summary>The output's gradient broadcast back to the input's shape: reduced dims come back as size 1, then expand.</summary>
    static Tensor Unreduce(Tensor grad, int[] inputSizes, bool[] reduced, bool keepDim)
    {
        if (!keepDim)
        {
            var kept = (int[])inputSizes.Clone();
            for (int i = 0; i < kept.Length; i++)
                if (reduced[i]) kept[i] = 1;
            grad = grad.Reshape(kept);
        }
        return grad.Expand(inputSizes);
    }

    static int[] ReducedList(bool[] reduced)
    {
        var dims = new List<int>();
        for (int i = 0; i < reduced.Length; i++)
            if (reduced[i]) dims.Add(i);
        return dims.ToArray();
    }
}
