using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Sorting;

namespace ShapeSafe;

// Ops that read along one dim or over the last two: sort, argsort, topk, cumsum, tril, triu. Shapes come from the
// shared rules (Rules.AlongDim, Rules.Topk, Rules.Triangle); gradients from Gradients/SortingGradient.cs.
// Results are new contiguous tensors; indices are Int64, as in PyTorch.
public partial class Tensor
{
    /// <summary>
    /// The values along <paramref name="dim"/> in order, with the position each came from (<c>torch.sort</c>); NaN
    /// sorts as the largest value. With <paramref name="stable"/> equal values keep their input order; without it
    /// (PyTorch's default) they come in LibTorch's order, that of the libstdc++ introsort its CPU kernel runs
    /// (the same as the stable order on lines of up to 16 elements, and on an expanded dim).
    /// </summary>
    [ShapeContract("AlongDim")]
    public (Tensor Values, Tensor Indices) Sort(int dim = -1, bool descending = false, bool stable = false)
    {
        var shape = Rules.AlongDim(Sizes, dim, "Sort");
        int d = Rules.NormalizeDim("Sort", dim, Rank, Sizes);
        // ATen skips sorting a dim of stride 0 (all its values are one element): the identity order.
        bool stableOrder = stable || Rank == 0 || StrideArray[d] == 0;
        return SortedAlong(d, shape, descending, stableOrder);
    }

    /// <summary>The indices that sort the values along <paramref name="dim"/> (<c>torch.argsort</c>; Int64; see <see cref="Sort"/> for ties).</summary>
    [ShapeContract("SameShapeDim")]
    public Tensor Argsort(int dim = -1, bool descending = false, bool stable = false) =>
        Untracked().Sort(dim, descending, stable).Indices;

    /// <summary>
    /// The <paramref name="k"/> largest values along <paramref name="dim"/> (the smallest when not
    /// <paramref name="largest"/>), best first, with their indices (<c>torch.topk</c>); NaN counts as the largest.
    /// The selection is LibTorch's CPU algorithm step for step, so equal values come out in LibTorch's order, and
    /// with <paramref name="sorted"/> false the order is LibTorch's unsorted one.
    /// </summary>
    /// <exception cref="ShapeException"><paramref name="k"/> is negative or larger than the dim.</exception>
    [ShapeContract("Topk")]
    public (Tensor Values, Tensor Indices) Topk(int k, int dim = -1, bool largest = true, bool sorted = true)
    {
        var shape = Rules.Topk(Sizes, k, dim);
        int d = Rules.NormalizeDim("Topk", dim, Rank, Sizes);
        var (outer, size, inner) = Lines(Sizes, d);
        var x = Untracked().Contiguous();
        var values = Uninitialized(DType, shape);
        var indices = Uninitialized(DType.Int64, (int[])shape.Clone());
        if (values.NumEl > 0)
        {
            if (DType == DType.Float32) TopkKernel.Topk(x.FloatData, x.Offset, outer, size, inner, k, largest, sorted, values.FloatData, indices.LongData);
            else TopkKernel.Topk(x.LongData, x.Offset, outer, size, inner, k, largest, sorted, values.LongData, indices.LongData);
        }
        return (MustRecord(this) ? RecordSelected(values, "TopkBackward", indices, d) : values, indices);
    }

    (Tensor Values, Tensor Indices) SortedAlong(int d, int[] shape, bool descending, bool stable)
    {
        var (outer, size, inner) = Lines(Sizes, d);
        var x = Untracked().Contiguous();
        var values = Uninitialized(DType, shape);
        var indices = Uninitialized(DType.Int64, (int[])shape.Clone());
        if (values.NumEl > 0)
        {
            if (DType == DType.Float32)
            {
                if (stable) SortKernel.Sort(x.FloatData, x.Offset, outer, size, inner, size, descending, values.FloatData, indices.LongData);
                else SortKernel.SortUnstable(x.FloatData, x.Offset, outer, size, inner, descending, values.FloatData, indices.LongData);
            }
            else
            {
                if (stable) SortKernel.Sort(x.LongData, x.Offset, outer, size, inner, size, descending, values.LongData, indices.LongData);
                else SortKernel.SortUnstable(x.LongData, x.Offset, outer, size, inner, descending, values.LongData, indices.LongData);
            }
        }
        return (MustRecord(this) ? RecordSelected(values, "SortBackward", indices, d) : values, indices);
    }

    Tensor RecordSelected(Tensor values, string name, Tensor indices, int d)
    {
        var sizes = Sizes;
        return values.Recorded(name, new Tensor?[] { this }, g => new Tensor?[] { SortingGradient.Selected(g, indices, sizes, d) });
    }

    /// <summary>Running sums along <paramref name="dim"/> (<c>torch.cumsum</c>); Int64 stays Int64, Float32 accumulates in double.</summary>
    [ShapeContract("SameShapeDim")]
    public Tensor Cumsum(int dim)
    {
        var shape = Rules.AlongDim(Sizes, dim, "Cumsum");
        int d = Rules.NormalizeDim("Cumsum", dim, Rank, Sizes);
        var (outer, size, inner) = Lines(Sizes, d);
        var x = Untracked().Contiguous();
        var result = Uninitialized(DType, shape);
        if (DType == DType.Float32) CumsumKernel.Cumsum(x.FloatData, x.Offset, outer, size, inner, reverse: false, result.FloatData);
        else CumsumKernel.Cumsum(x.LongData, x.Offset, outer, size, inner, result.LongData);
        if (!MustRecord(this)) return result;
        return result.Recorded("CumsumBackward", new Tensor?[] { this }, g => new Tensor?[] { SortingGradient.Cumsum(g, d) });
    }

    /// <summary>
    /// The lower triangle of the matrices in the last two dims (<c>torch.tril</c>): elements with
    /// <c>column - row &gt; diagonal</c> become 0.
    /// </summary>
    /// <exception cref="ShapeException">The tensor has fewer than 2 dims.</exception>
    [ShapeContract("Triangle")]
    public Tensor Tril(int diagonal = 0) => Triangle(diagonal, lower: true);

    /// <summary>The upper triangle (<c>torch.triu</c>): elements with <c>column - row &lt; diagonal</c> become 0.</summary>
    /// <exception cref="ShapeException">The tensor has fewer than 2 dims.</exception>
    [ShapeContract("Triangle")]
    public Tensor Triu(int diagonal = 0) => Triangle(diagonal, lower: false);

    Tensor Triangle(int diagonal, bool lower)
    {
        string op = lower ? "Tril" : "Triu";
        Rules.Triangle(Sizes, op);
        var result = Untracked().CopyContiguous();
        switch (DType)
        {
            case DType.Float32: SortingGradient.ZeroOutsideTriangle(result.FloatData, result.Sizes, diagonal, lower); break;
            case DType.Int64: SortingGradient.ZeroOutsideTriangle(result.LongData, result.Sizes, diagonal, lower); break;
            case DType.Bool: SortingGradient.ZeroOutsideTriangle(result.BoolData, result.Sizes, diagonal, lower); break;
            case DType.Float64: SortingGradient.ZeroOutsideTriangle(result.DoubleData, result.Sizes, diagonal, lower); break;
            default: SortingGradient.ZeroOutsideTriangle(result.BFloat16Data, result.Sizes, diagonal, lower); break;
        }
        if (!MustRecord(this)) return result;
        return result.Recorded(op + "Backward", new Tensor?[] { this }, g => new Tensor?[] { SortingGradient.Triangle(g, diagonal, lower) });
    }

    /// <summary>A contiguous tensor of <paramref name="sizes"/> seen as [outer, size, inner] around dim <paramref name="d"/> (a 0-dim tensor is [1, 1, 1]).</summary>
    internal static (int Outer, int Size, int Inner) Lines(int[] sizes, int d)
    {
        if (sizes.Length == 0) return (1, 1, 1);
        int outer = 1, inner = 1;
        for (int i = 0; i < d; i++) outer *= sizes[i];
        for (int i = d + 1; i < sizes.Length; i++) inner *= sizes[i];
        return (outer, sizes[d], inner);
    }
}
