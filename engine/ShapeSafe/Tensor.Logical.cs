using ShapeSafe.Kernels.Reduction;

namespace ShapeSafe;

// torch.any and torch.all. Shapes come from the shared reduction rule (Rules.Reduce), so the analyzer knows them.
// PyTorch returns Bool tensors; until the engine has DType.Bool the result keeps the input's dtype and holds 1 or 0
// (PredicateDType is the one place that changes when it does). No gradient: the result never requires grad.
public partial class Tensor
{
    /// <summary>Whether any element is non-zero (<c>torch.any</c>): a 0-dim tensor holding 1 or 0; false for an empty tensor.</summary>
    [ShapeContract("Reduce")]
    public Tensor Any() => LogicalReduction(null, false, all: false, "Any");

    /// <summary>Whether any element along <paramref name="dim"/> is non-zero; the dim is dropped unless <paramref name="keepDim"/>.</summary>
    [ShapeContract("Reduce")]
    public Tensor Any(int dim, bool keepDim = false) => LogicalReduction(new[] { dim }, keepDim, all: false, "Any");

    /// <summary>Whether any element over <paramref name="dims"/> is non-zero (an empty list means all dims, as in PyTorch).</summary>
    [ShapeContract("Reduce")]
    public Tensor Any(int[] dims, bool keepDim = false) => LogicalReduction(dims, keepDim, all: false, "Any");

    /// <summary>Whether every element is non-zero (<c>torch.all</c>): a 0-dim tensor holding 1 or 0; true for an empty tensor.</summary>
    [ShapeContract("Reduce")]
    public Tensor All() => LogicalReduction(null, false, all: true, "All");

    /// <summary>Whether every element along <paramref name="dim"/> is non-zero; the dim is dropped unless <paramref name="keepDim"/>.</summary>
    [ShapeContract("Reduce")]
    public Tensor All(int dim, bool keepDim = false) => LogicalReduction(new[] { dim }, keepDim, all: true, "All");

    /// <summary>Whether every element over <paramref name="dims"/> is non-zero (an empty list means all dims).</summary>
    [ShapeContract("Reduce")]
    public Tensor All(int[] dims, bool keepDim = false) => LogicalReduction(dims, keepDim, all: true, "All");

    /// <summary>The dtype of a true/false result: the input's own until the engine has a Bool dtype.</summary>
    DType PredicateDType => DType;

    Tensor LogicalReduction(int[]? dims, bool keepDim, bool all, string op)
    {
        var outShape = Rules.Reduce(Sizes, dims, keepDim, op);
        var plan = ReductionPlan.Create(Untracked(), Rules.ReducedDims(Sizes, dims, op));
        var result = Uninitialized(PredicateDType, outShape);
        if (DType == DType.Float32) LogicalReductionKernel.Reduce(plan, all, result.FloatData);
        else LogicalReductionKernel.Reduce(plan, all, result.LongData);
        return result;
    }
}
