using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Indexing;

namespace ShapeSafe;

// Gather and scatter along a dim with an Int64 index tensor (torch.gather, Tensor.scatter, Tensor.scatter_add).
// Shapes come from the shared rules (Rules.Gather, Rules.Scatter); the addressing from IndexAlongDim; the
// gradients from Gradients/IndexingGradient.cs. Results are new contiguous tensors.
public partial class Tensor
{
    /// <summary>
    /// Values picked along <paramref name="dim"/> by <paramref name="index"/> (<c>torch.gather</c>):
    /// <c>out[i][j][k] = input[index[i][j][k]][j][k]</c> for dim 0. The result has the index's shape.
    /// </summary>
    /// <exception cref="ShapeException">The index's rank differs, or it is larger than the input outside <paramref name="dim"/>.</exception>
    /// <exception cref="ArgumentException">The index is not Int64, or a value is outside [0, size of the dim).</exception>
    [ShapeContract("Gather")]
    public Tensor Gather(int dim, Tensor index)
    {
        ArgumentNullException.ThrowIfNull(index);
        CheckIndexDType("Gather", index);
        var outShape = Rules.Gather(Sizes, dim, index.Sizes);
        int d = Rules.NormalizeDim("Gather", dim, Rank, Sizes);
        var at = IndexAlongDim.Create("Gather", index.ToInt64Array(), index.Sizes, Sizes, d, index.Sizes);
        var x = Untracked().Contiguous();
        var result = Uninitialized(DType, outShape);
        if (DType == DType.Float32) Pick(x.FloatData, x.Offset, at.Indexed, result.FloatData);
        else Pick(x.LongData, x.Offset, at.Indexed, result.LongData);
        if (!MustRecord(this)) return result;
        var sizes = Sizes;
        return result.Recorded("GatherBackward", new Tensor?[] { this, null },
            g => new Tensor?[] { IndexingGradient.Gather(g, sizes, at), null });
    }

    /// <summary>
    /// A copy of this tensor with <paramref name="src"/>'s values written along <paramref name="dim"/> where
    /// <paramref name="index"/> points (<c>Tensor.scatter</c>): <c>out[index[i][j]][j] = src[i][j]</c> for dim 0.
    /// Positions the index names twice get the later value (row-major order), as on PyTorch's CPU.
    /// </summary>
    /// <exception cref="ShapeException">The ranks differ, or the index is larger than src, or than this tensor outside <paramref name="dim"/>.</exception>
    /// <exception cref="ArgumentException">The index is not Int64, the dtypes differ, or an index value is out of bounds.</exception>
    [ShapeContract("Scatter")]
    public Tensor Scatter(int dim, Tensor index, Tensor src) => ScatterInto(dim, index, src, 0f, accumulate: false, "Scatter");

    /// <summary>A copy of this tensor with <paramref name="value"/> written along <paramref name="dim"/> where <paramref name="index"/> points.</summary>
    [ShapeContract("Scatter")]
    public Tensor Scatter(int dim, Tensor index, float value) => ScatterInto(dim, index, null, value, accumulate: false, "Scatter");

    /// <summary>
    /// A copy of this tensor with <paramref name="src"/>'s values added along <paramref name="dim"/> where
    /// <paramref name="index"/> points (<c>Tensor.scatter_add</c>); repeated positions add up.
    /// </summary>
    [ShapeContract("Scatter")]
    public Tensor ScatterAdd(int dim, Tensor index, Tensor src)
    {
        ArgumentNullException.ThrowIfNull(src);
        return ScatterInto(dim, index, src, 0f, accumulate: true, "ScatterAdd");
    }

    /// <summary>
    /// A copy of this tensor with <paramref name="src"/>'s values reduced into it along <paramref name="dim"/> where
    /// <paramref name="index"/> points (<c>Tensor.scatter_reduce</c>): <paramref name="reduce"/> is "sum", "prod",
    /// "mean", "amax" or "amin". With <paramref name="includeSelf"/> (PyTorch's default) a position's own value takes
    /// part; without it, a position that something is scattered to keeps only the scattered values. Positions nothing
    /// is scattered to keep their value. The gradient follows ATen's scatter_reduce_backward (amax and amin share it
    /// evenly among equal winners).
    /// </summary>
    /// <exception cref="ShapeException">The ranks differ, or the index is larger than src, or than this tensor outside <paramref name="dim"/>.</exception>
    /// <exception cref="ArgumentException">An unknown reduction, an index that is not Int64, different dtypes, or an index value out of bounds.</exception>
    [ShapeContract("Scatter")]
    public Tensor ScatterReduce(int dim, Tensor index, Tensor src, string reduce, bool includeSelf = true)
    {
        const string op = "ScatterReduce";
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(reduce);
        var reduction = ScatterReduceKernel.Parse(reduce, op);
        CheckIndexDType(op, index);
        CheckSourceDType(op, src);
        var outShape = Rules.Scatter(Sizes, dim, index.Sizes, src.Sizes, op);
        int d = Rules.NormalizeDim(op, dim, Rank, Sizes);
        var at = IndexAlongDim.Create(op, index.ToInt64Array(), index.Sizes, Sizes, d, src.Sizes);
        var result = Untracked().CopyContiguous();
        var s = src.Untracked().Contiguous();
        if (DType == DType.Int64)
        {
            ScatterReduceKernel.Reduce(result.LongData, s.LongData, s.Offset, at, reduction, includeSelf);
            return result;
        }
        var counts = ScatterReduceKernel.Reduce(result.FloatData, s.FloatData, s.Offset, at, reduction, includeSelf);
        if (!MustRecord(this, src)) return result;
        var self = Untracked().ToFloatArray();
        var outputs = result.FloatData;
        var (srcData, srcStart, srcLength, srcSizes) = (s.FloatData, s.Offset, s.Count, src.Sizes);
        return result.Recorded("ScatterReduceBackward", new Tensor?[] { this, null, src }, g =>
        {
            var (gradSelf, gradSrc) = ScatterReduceKernel.Backward(g.ToFloatArray(), self, srcData, srcStart, srcLength,
                outputs, counts, at, reduction, includeSelf);
            return new Tensor?[] { FromArray(gradSelf, outShape), null, FromArray(gradSrc, srcSizes) };
        });
    }

    Tensor ScatterInto(int dim, Tensor index, Tensor? src, float value, bool accumulate, string op)
    {
        ArgumentNullException.ThrowIfNull(index);
        CheckIndexDType(op, index);
        if (src is not null) CheckSourceDType(op, src);
        var outShape = Rules.Scatter(Sizes, dim, index.Sizes, src?.Sizes, op);
        int d = Rules.NormalizeDim(op, dim, Rank, Sizes);
        var at = IndexAlongDim.Create(op, index.ToInt64Array(), index.Sizes, Sizes, d, src?.Sizes ?? index.Sizes);
        var result = Untracked().CopyContiguous();
        if (DType == DType.Float32)
        {
            var target = result.FloatData;
            if (src is null) Put(value, at.Indexed, target);
            else Put(src.Untracked().Contiguous(), at, target, accumulate);
        }
        else
        {
            var target = result.LongData;
            if (src is null) Put((long)value, at.Indexed, target);
            else Put(src.Untracked().Contiguous(), at, target, accumulate);
        }
        if (!(src is null ? MustRecord(this) : MustRecord(this, src))) return result;
        var srcSizes = src?.Sizes;
        return result.Recorded(op + "Backward", new Tensor?[] { this, null, src }, g => new Tensor?[]
        {
            accumulate ? g : IndexingGradient.ScatterSelf(g, at),
            null,
            srcSizes is null ? null : IndexingGradient.ScatterSource(g, srcSizes, at),
        });
    }

    void CheckSourceDType(string op, Tensor src)
    {
        if (src.DType != DType)
            throw new ArgumentException($"{op}: Expected self.dtype to be equal to src.dtype (self {DType} of shape {Rules.Format(Sizes)}, src {src.DType} of shape {Rules.Format(src.Sizes)})");
    }

    static void CheckIndexDType(string op, Tensor index)
    {
        if (index.DType != DType.Int64)
            throw new ArgumentException($"{op}: Expected dtype int64 for index, got {index.DType} (shape {Rules.Format(index.Sizes)})", nameof(index));
    }

    static void Pick<T>(T[] source, int start, int[] offsets, T[] destination)
    {
        for (int p = 0; p < offsets.Length; p++) destination[p] = source[start + offsets[p]];
    }

    static void Put<T>(T value, int[] offsets, T[] target)
    {
        foreach (int o in offsets) target[o] = value;
    }

    static void Put(Tensor src, IndexAlongDim at, float[] target, bool accumulate)
    {
        var s = src.FloatData;
        int start = src.Offset;
        for (int p = 0; p < at.Indexed.Length; p++)
        {
            if (accumulate) target[at.Indexed[p]] += s[start + at.Aligned[p]];
            else target[at.Indexed[p]] = s[start + at.Aligned[p]];
        }
    }

    static void Put(Tensor src, IndexAlongDim at, long[] target, bool accumulate)
    {
        var s = src.LongData;
        int start = src.Offset;
        for (int p = 0; p < at.Indexed.Length; p++)
        {
            if (accumulate) target[at.Indexed[p]] += s[start + at.Aligned[p]];
            else target[at.Indexed[p]] = s[start + at.Aligned[p]];
        }
    }
}
