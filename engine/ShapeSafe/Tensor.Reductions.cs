using System.Numerics.Tensors;
using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Reduction;
using ShapeSafe.Tracing;

namespace ShapeSafe;

// Reductions and softmax. Output shapes and dim checks come from the shared rules (Rules.Reduce,
// Rules.ReducedDims, Rules.NormalizeDim); results are new contiguous tensors, as in PyTorch.
// Autograd: results record a node when MustRecord(this) (Int64 tensors never do); the gradient math is in
// Gradients/ReductionGradient.cs. Forwards read a detached input, so their internal copies record nothing.
public partial class Tensor
{
    // ---- Sum and mean ------------------------------------------------------------------------------------------

    /// <summary>The sum of all elements as a 0-dim tensor (Int64 stays Int64; an empty tensor sums to 0).</summary>
    [ShapeContract("Reduce")]
    public Tensor Sum() => SumOver(null, false, "Sum");

    /// <summary>The sum along <paramref name="dim"/> (negative counts from the end); the dim is dropped unless <paramref name="keepDim"/>.</summary>
    [ShapeContract("Reduce")]
    public Tensor Sum(int dim, bool keepDim = false) => SumOver(new[] { dim }, keepDim, "Sum");

    /// <summary>The sum over several dims (an empty list means all dims, as in PyTorch).</summary>
    [ShapeContract("Reduce")]
    public Tensor Sum(int[] dims, bool keepDim = false) => SumOver(dims, keepDim, "Sum");

    /// <summary>The mean of all elements (Float32 only: PyTorch cannot infer a dtype for an integer mean; empty gives NaN).</summary>
    [ShapeContract("Reduce")]
    public Tensor Mean() => MeanOver(null, false);

    /// <summary>The mean along <paramref name="dim"/>.</summary>
    [ShapeContract("Reduce")]
    public Tensor Mean(int dim, bool keepDim = false) => MeanOver(new[] { dim }, keepDim);

    /// <summary>The mean over several dims.</summary>
    [ShapeContract("Reduce")]
    public Tensor Mean(int[] dims, bool keepDim = false) => MeanOver(dims, keepDim);

    Tensor SumOver(int[]? dims, bool keepDim, string op)
    {
        // Var and Std sum through here too; they are not reported (a tracer finds them by their GradFn).
        if (OpTrace.Recording && op == "Sum") return OpTrace.Run(op, [this], () => SumOver(dims, keepDim, op), ("dims", dims ?? []), ("keepDim", keepDim));
        var outShape = Rules.Reduce(Sizes, dims, keepDim, op);
        var reduced = Rules.ReducedDims(Sizes, dims, op);
        // Bool sums count (Int64, as PyTorch); BFloat16 sums accumulate in float32 and round once.
        if (DType == DType.Bool) return As(DType.Int64).SumOver(dims, keepDim, op);
        if (DType == DType.BFloat16)
        {
            var sum = RoundedToBFloat16(As(DType.Float32).SumOver(dims, keepDim, op));
            return MustRecord(this) ? RecordReduction(sum, "SumBackward", reduced, keepDim, mean: false) : sum;
        }
        var plan = ReductionPlan.Create(Untracked(), reduced);
        var result = Uninitialized(DType, outShape);
        if (DType == DType.Float32) SumKernel.Sum(plan, result.FloatData);
        else if (DType == DType.Float64) SumKernel.Sum(plan, result.DoubleData);
        else SumKernel.Sum(plan, result.LongData);
        return MustRecord(this) ? RecordReduction(result, "SumBackward", reduced, keepDim, mean: false) : result;
    }

    Tensor MeanOver(int[]? dims, bool keepDim)
    {
        if (OpTrace.Recording) return OpTrace.Run("Mean", [this], () => MeanOver(dims, keepDim), ("dims", dims ?? []), ("keepDim", keepDim));
        if (!IsFloating(DType))
            throw new ArgumentException($"Mean: mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {(DType == DType.Int64 ? "Long" : DType.ToString())} (shape {Rules.Format(Sizes)})");
        var outShape = Rules.Reduce(Sizes, dims, keepDim, "Mean");
        var reduced = Rules.ReducedDims(Sizes, dims, "Mean");
        Tensor result;
        if (DType == DType.Float32)
        {
            var plan = ReductionPlan.Create(Untracked(), reduced);
            result = Uninitialized(DType.Float32, outShape);
            var data = result.FloatData;
            SumKernel.Sum(plan, data);
            TensorPrimitives.Divide(data, (float)plan.Reduced, data);
        }
        else if (DType == DType.Float64)
        {
            var plan = ReductionPlan.Create(Untracked(), reduced);
            result = Uninitialized(DType.Float64, outShape);
            var data = result.DoubleData;
            SumKernel.Sum(plan, data);
            TensorPrimitives.Divide(data, (double)plan.Reduced, data);
        }
        else
        {
            // BFloat16: the float32 mean, rounded once (ATen accumulates reduced-precision floats in float32).
            result = RoundedToBFloat16(Detach().As(DType.Float32).MeanOver(dims, keepDim));
        }
        return MustRecord(this) ? RecordReduction(result, "MeanBackward", reduced, keepDim, mean: true) : result;
    }

    // ---- Variance ----------------------------------------------------------------------------------------------

    /// <summary>The variance of all elements; <paramref name="unbiased"/> divides by n - 1 (PyTorch's default).</summary>
    [ShapeContract("Reduce")]
    public Tensor Var(bool unbiased = true) => VarOver(null, unbiased ? 1 : 0, false, "Var");

    /// <summary>The variance along <paramref name="dim"/>.</summary>
    [ShapeContract("Reduce")]
    public Tensor Var(int dim, bool unbiased = true, bool keepDim = false) => VarOver(new[] { dim }, unbiased ? 1 : 0, keepDim, "Var");

    /// <summary>
    /// The variance of all elements with Bessel's <paramref name="correction"/> (<c>var(correction=...)</c>): the sum of
    /// squared deviations divided by max(0, n - correction). 1 is the unbiased estimate, 0 the population variance.
    /// </summary>
    [ShapeContract("Reduce")]
    public Tensor Var(double correction) => VarOver(null, correction, false, "Var");

    /// <summary>The variance along <paramref name="dim"/>, divided by max(0, n - <paramref name="correction"/>).</summary>
    [ShapeContract("Reduce")]
    public Tensor Var(int dim, double correction, bool keepDim = false) => VarOver(new[] { dim }, correction, keepDim, "Var");

    /// <summary>The variance over <paramref name="dims"/> (all dims when empty), divided by max(0, n - <paramref name="correction"/>).</summary>
    [ShapeContract("Reduce")]
    public Tensor Var(int[] dims, double correction = 1, bool keepDim = false) => VarOver(dims, correction, keepDim, "Var");

    /// <summary>The standard deviation of all elements.</summary>
    [ShapeContract("Reduce")]
    public Tensor Std(bool unbiased = true) => VarOver(null, unbiased ? 1 : 0, false, "Std");

    /// <summary>The standard deviation along <paramref name="dim"/>.</summary>
    [ShapeContract("Reduce")]
    public Tensor Std(int dim, bool unbiased = true, bool keepDim = false) => VarOver(new[] { dim }, unbiased ? 1 : 0, keepDim, "Std");

    /// <summary>The standard deviation of all elements with Bessel's <paramref name="correction"/> (see <see cref="Var(double)"/>).</summary>
    [ShapeContract("Reduce")]
    public Tensor Std(double correction) => VarOver(null, correction, false, "Std");

    /// <summary>The standard deviation along <paramref name="dim"/> with <paramref name="correction"/>.</summary>
    [ShapeContract("Reduce")]
    public Tensor Std(int dim, double correction, bool keepDim = false) => VarOver(new[] { dim }, correction, keepDim, "Std");

    /// <summary>The standard deviation over <paramref name="dims"/> (all dims when empty) with <paramref name="correction"/>.</summary>
    [ShapeContract("Reduce")]
    public Tensor Std(int[] dims, double correction = 1, bool keepDim = false) => VarOver(dims, correction, keepDim, "Std");

    /// <summary>Var, or Std when <paramref name="op"/> is "Std".</summary>
    Tensor VarOver(int[]? dims, double correction, bool keepDim, string op)
    {
        if (DType != DType.Float32)
            throw new ArgumentException($"{op}: std and var only support floating point and complex dtypes (got Int64, shape {Rules.Format(Sizes)})");
        var reduced = Rules.ReducedDims(Sizes, dims, op);
        long count = 1;
        for (int i = 0; i < Rank; i++)
            if (reduced[i]) count *= Sizes[i];
        // ATen's divisor: max(0, n - correction), in double, then used as the float divisor.
        float dof = (float)Math.Max(count - correction, 0);
        // Two passes (mean, then squared deviations): accurate for float data, and it reuses the sum kernel.
        var x = Untracked();
        var deviations = (x - x.MeanOver(dims, keepDim: true)).Square();
        var result = deviations.SumOver(dims, keepDim, op);
        var data = result.FloatData;
        TensorPrimitives.Divide(data, dof, data);
        if (op == "Std") TensorPrimitives.Sqrt(data, data);
        return MustRecord(this) ? RecordVar(result, op == "Std", reduced, keepDim, dof) : result;
    }

    // ---- Max, min, argmax, argmin ------------------------------------------------------------------------------

    /// <summary>The largest element as a 0-dim tensor; NaN if any element is NaN. An empty tensor throws.</summary>
    [ShapeContract("Reduce")]
    public Tensor Max() => Extremum(max: true, "Max");

    /// <summary>The smallest element as a 0-dim tensor; NaN if any element is NaN. An empty tensor throws.</summary>
    [ShapeContract("Reduce")]
    public Tensor Min() => Extremum(max: false, "Min");

    /// <summary>
    /// The largest values along <paramref name="dim"/> and their indices (Int64). Ties give the first occurrence;
    /// a NaN wins (the first NaN), as on PyTorch's CPU.
    /// </summary>
    [ShapeContract("Reduce")]
    public (Tensor Values, Tensor Indices) Max(int dim, bool keepDim = false) => ExtremumAlong(dim, keepDim, max: true, "Max");

    /// <summary>The smallest values along <paramref name="dim"/> and their indices (first occurrence on ties).</summary>
    [ShapeContract("Reduce")]
    public (Tensor Values, Tensor Indices) Min(int dim, bool keepDim = false) => ExtremumAlong(dim, keepDim, max: false, "Min");

    /// <summary>The index of the largest element in the flattened tensor (0-dim Int64; first occurrence on ties).</summary>
    [ShapeContract("Reduce")]
    public Tensor Argmax() => ArgExtremum(null, false, max: true, "Argmax");

    /// <summary>The indices of the largest elements along <paramref name="dim"/> (Int64).</summary>
    [ShapeContract("Reduce")]
    public Tensor Argmax(int dim, bool keepDim = false) => ArgExtremum(dim, keepDim, max: true, "Argmax");

    /// <summary>The index of the smallest element in the flattened tensor.</summary>
    [ShapeContract("Reduce")]
    public Tensor Argmin() => ArgExtremum(null, false, max: false, "Argmin");

    /// <summary>The indices of the smallest elements along <paramref name="dim"/>.</summary>
    [ShapeContract("Reduce")]
    public Tensor Argmin(int dim, bool keepDim = false) => ArgExtremum(dim, keepDim, max: false, "Argmin");

    Tensor Extremum(bool max, string op)
    {
        if (NumEl == 0)
            throw new ShapeException(op, $"{op.ToLowerInvariant()}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument (shape {Rules.Format(Sizes)})");
        var x = Untracked().Contiguous();
        int n = Count;
        if (DType == DType.Float32)
        {
            var span = x.FloatData.AsSpan(x.Offset, n);
            var result = Scalar(max ? TensorPrimitives.Max(span) : TensorPrimitives.Min(span));
            return MustRecord(this) ? RecordExtremum(result, op + "Backward") : result;
        }
        var longs = x.LongData.AsSpan(x.Offset, n);
        return Scalar(max ? TensorPrimitives.Max<long>(longs) : TensorPrimitives.Min<long>(longs));
    }

    (Tensor Values, Tensor Indices) ExtremumAlong(int dim, bool keepDim, bool max, string op)
    {
        var dims = new[] { dim };
        var outShape = Rules.Reduce(Sizes, dims, keepDim, op);
        CheckNonEmptyDim(dim, op);
        var plan = ReductionPlan.Create(Untracked(), Rules.ReducedDims(Sizes, dims, op));
        var values = Uninitialized(DType, outShape);
        var indices = Uninitialized(DType.Int64, (int[])outShape.Clone());
        if (DType == DType.Float32) ExtremumKernel.Reduce(plan, max, values.FloatData, indices.LongData);
        else ExtremumKernel.Reduce(plan, max, values.LongData, indices.LongData);
        return (MustRecord(this) ? RecordExtremumAlong(values, op + "Backward", indices, dim, keepDim) : values, indices);
    }

    Tensor ArgExtremum(int? dim, bool keepDim, bool max, string op)
    {
        // Widening BFloat16 to float32 is exact and keeps the order (NaN included): the float32 kernel finds the same index.
        if (DType == DType.BFloat16) return As(DType.Float32).ArgExtremum(dim, keepDim, max, op);
        int[]? dims = dim is { } d ? new[] { d } : null;
        var outShape = Rules.Reduce(Sizes, dims, keepDim && dims is not null, op);
        if (dim is { } given) CheckNonEmptyDim(given, op);
        else if (NumEl == 0)
            throw new ShapeException(op, $"{op.ToLowerInvariant()}(): Expected reduction dim to be specified for input.numel() == 0 (shape {Rules.Format(Sizes)})");
        var plan = ReductionPlan.Create(Untracked(), Rules.ReducedDims(Sizes, dims, op));
        var indices = Uninitialized(DType.Int64, outShape);
        if (DType == DType.Float32) ExtremumKernel.Reduce<float>(plan, max, null, indices.LongData);
        else ExtremumKernel.Reduce<long>(plan, max, null, indices.LongData);
        return indices;
    }

    void CheckNonEmptyDim(int dim, string op)
    {
        if (Rank == 0) return;
        int d = Rules.NormalizeDim(op, dim, Rank, Sizes);
        if (Sizes[d] == 0)
            throw new ShapeException(op, $"{op.ToLowerInvariant()}(): Expected reduction dim {d} to have non-zero size (shape {Rules.Format(Sizes)})");
    }

    // ---- Softmax -----------------------------------------------------------------------------------------------

    /// <summary>
    /// <c>exp(x) / Σ exp(x)</c> along <paramref name="dim"/>, computed stably (the max is subtracted first).
    /// Float32, Float64 and BFloat16 (computed in float32 and rounded once), as in PyTorch (Int64 input throws).
    /// </summary>
    [ShapeContract("SameShapeDim")]
    public Tensor Softmax(int dim) => SoftmaxAlong(dim, log: false, "Softmax");

    /// <summary><c>x - log Σ exp(x)</c> along <paramref name="dim"/>, stable for large values (<c>[1000, 0]</c> gives <c>[0, -1000]</c>).</summary>
    [ShapeContract("SameShapeDim")]
    public Tensor LogSoftmax(int dim) => SoftmaxAlong(dim, log: true, "LogSoftmax");

    Tensor SoftmaxAlong(int dim, bool log, string op)
    {
        if (OpTrace.Recording) return OpTrace.Run(op, [this], () => SoftmaxAlong(dim, log, op), ("dim", dim));
        int d = Rules.NormalizeDim(op, dim, Rank, Sizes);
        if (DType == DType.Float64) return SoftmaxFloat64(d, dim, log);
        if (DType == DType.BFloat16) return SoftmaxBFloat16(dim, log, op);
        var x = FloatOnly(op).Untracked().Contiguous();
        int outer = 1, size = Rank == 0 ? 1 : Sizes[d], inner = 1;
        for (int i = 0; i < d; i++) outer *= Sizes[i];
        for (int i = d + 1; i < Rank; i++) inner *= Sizes[i];
        var result = Uninitialized(DType.Float32, (int[])Sizes.Clone());
        if (result.NumEl > 0)
            SoftmaxKernel.Run(x.FloatData, x.Offset, outer, size, inner, result.FloatData, log);
        return MustRecord(this) ? RecordSoftmax(result, log, dim) : result;
    }

    /// <summary>
    /// Softmax or log-softmax of Float64 along dim <paramref name="d"/>, in double as ATen's CPU kernel for double: the
    /// max subtracted first, <c>x - max - log Σ e^(x - max)</c> for the log form. A loop of its own rather than the
    /// Float32 kernel made generic, so the float path is untouched; the backward is the same tensor formula as Float32's.
    /// </summary>
    Tensor SoftmaxFloat64(int d, int dim, bool log)
    {
        var x = Untracked().Contiguous();
        int outer = 1, size = Rank == 0 ? 1 : Sizes[d], inner = 1;
        for (int i = 0; i < d; i++) outer *= Sizes[i];
        for (int i = d + 1; i < Rank; i++) inner *= Sizes[i];
        var result = Uninitialized(DType.Float64, (int[])Sizes.Clone());
        var src = x.DoubleData;
        var dst = result.DoubleData;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                int start = o * size * inner + i;
                double max = double.NegativeInfinity;
                for (int k = 0; k < size; k++) max = Math.Max(max, src[x.Offset + start + k * inner]);
                // A row of -inf (or all +inf) keeps ATen's answer: NaN from -inf - -inf, as the float kernel gives.
                double sum = 0;
                for (int k = 0; k < size; k++)
                {
                    double e = Math.Exp(src[x.Offset + start + k * inner] - max);
                    dst[start + k * inner] = e;
                    sum += e;
                }
                if (log)
                {
                    double logSum = Math.Log(sum);
                    for (int k = 0; k < size; k++) dst[start + k * inner] = src[x.Offset + start + k * inner] - max - logSum;
                }
                else
                {
                    for (int k = 0; k < size; k++) dst[start + k * inner] /= sum;
                }
            }
        return MustRecord(this) ? RecordSoftmax(result, log, dim) : result;
    }

    /// <summary>
    /// Softmax or log-softmax of BFloat16 as ATen's CPU kernels compute a reduced-precision input: widened to float32
    /// (exact), the float32 kernel, the result rounded once. The backward widens the gradient and the rounded result
    /// the same way, runs the float32 formula and rounds the input's gradient once.
    /// </summary>
    Tensor SoftmaxBFloat16(int dim, bool log, string op)
    {
        var result = RoundedToBFloat16(Untracked().As(DType.Float32).SoftmaxAlong(dim, log, op));
        if (!MustRecord(this)) return result;
        return result.Recorded(log ? "LogSoftmaxBackward" : "SoftmaxBackward", new Tensor?[] { this }, g =>
        {
            var grad = g.As(DType.Float32);
            var y = result.As(DType.Float32);
            return new Tensor?[] { RoundedToBFloat16(log ? ReductionGradient.LogSoftmax(grad, y, dim) : ReductionGradient.Softmax(grad, y, dim)) };
        });
    }

    // ---- Autograd recording ------------------------------------------------------------------------------------
    // In methods of their own, so their closures are allocated only when a node is recorded.

    /// <summary>This tensor, or a detached alias when it takes part in autograd (forward plumbing must not record).</summary>
    Tensor Untracked() => RequiresGrad ? Detach() : this;

    Tensor RecordReduction(Tensor result, string name, bool[] reduced, bool keepDim, bool mean)
    {
        var sizes = Sizes;
        return result.Recorded(name, new Tensor?[] { this }, g => new Tensor?[]
        {
            mean ? ReductionGradient.Mean(g, sizes, reduced, keepDim) : ReductionGradient.Sum(g, sizes, reduced, keepDim),
        });
    }

    Tensor RecordVar(Tensor result, bool std, bool[] reduced, bool keepDim, float dof)
    {
        var input = this;
        return std
            ? result.Recorded("StdBackward", new Tensor?[] { this }, g => new Tensor?[] { ReductionGradient.Std(g, input, result, reduced, keepDim, dof) })
            : result.Recorded("VarBackward", new Tensor?[] { this }, g => new Tensor?[] { ReductionGradient.Var(g, input, reduced, keepDim, dof) });
    }

    Tensor RecordExtremum(Tensor result, string name)
    {
        var input = this;
        return result.Recorded(name, new Tensor?[] { this }, g => new Tensor?[] { ReductionGradient.EvenlyDistribute(g, input, result) });
    }

    Tensor RecordExtremumAlong(Tensor values, string name, Tensor indices, int dim, bool keepDim)
    {
        var sizes = Sizes;
        return values.Recorded(name, new Tensor?[] { this }, g => new Tensor?[] { ReductionGradient.ValueSelecting(g, indices, dim, sizes, keepDim) });
    }

    Tensor RecordSoftmax(Tensor result, bool log, int dim) => log
        ? result.Recorded("LogSoftmaxBackward", new Tensor?[] { this }, g => new Tensor?[] { ReductionGradient.LogSoftmax(g, result, dim) })
        : result.Recorded("SoftmaxBackward", new Tensor?[] { this }, g => new Tensor?[] { ReductionGradient.Softmax(g, result, dim) });
}
