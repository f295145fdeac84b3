using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Reduction;

namespace ShapeSafe;

// Vector norms (torch.norm with a numeric p, torch.linalg.vector_norm): the reduced dims are read as one vector per
// output element. Shapes come from the shared reduction rule; the gradient from ReductionGradient.Norm.
public partial class Tensor
{
    /// <summary>
    /// The <paramref name="p"/>-norm of all elements as one vector (<c>torch.norm(input, p)</c>): (Σ|x|^p)^(1/p);
    /// p = 2 (the default, also PyTorch's 'fro' for this case), 1, any real p, <see cref="double.PositiveInfinity"/>
    /// (max |x|), <see cref="double.NegativeInfinity"/> (min |x|) and 0 (the count of non-zeros).
    /// </summary>
    [ShapeContract("Reduce")]
    public Tensor Norm(double p = 2) => NormOver(null, p, false);

    /// <summary>The <paramref name="p"/>-norm along <paramref name="dim"/> (<c>torch.norm(input, p, dim, keepdim)</c>).</summary>
    [ShapeContract("Reduce")]
    public Tensor Norm(double p, int dim, bool keepDim = false) => NormOver(new[] { dim }, p, keepDim);

    /// <summary>The <paramref name="p"/>-norm over <paramref name="dims"/> (all dims when empty).</summary>
    [ShapeContract("Reduce")]
    public Tensor Norm(double p, int[] dims, bool keepDim = false) => NormOver(dims, p, keepDim);

    Tensor NormOver(int[]? dims, double p, bool keepDim)
    {
        if (DType != DType.Float32)
            throw new ArgumentException($"Norm: norm(): input dtype should be floating point, got Int64 (shape {Rules.Format(Sizes)})");
        var outShape = Rules.Reduce(Sizes, dims, keepDim, "Norm");
        var reduced = Rules.ReducedDims(Sizes, dims, "Norm");
        var plan = ReductionPlan.Create(Untracked(), reduced);
        if (plan.Reduced == 0 && double.IsInfinity(p) && CountOf(outShape) > 0)
            throw new ShapeException("Norm", $"linalg.vector_norm cannot compute the {p} norm on an empty tensor because the operation does not have an identity (shape {Rules.Format(Sizes)})");
        var result = Uninitialized(DType.Float32, outShape);
        var source = plan.Source.FloatData;
        var data = result.FloatData;
        for (int o = 0; o < plan.Outer; o++)
            for (int i = 0; i < plan.Inner; i++)
            {
                // One vector: double accumulation, rounded once.
                double acc = p == double.NegativeInfinity ? double.PositiveInfinity : 0;
                for (int r = 0; r < plan.Reduced; r++)
                {
                    double a = Math.Abs(source[plan.Start + (o * plan.Reduced + r) * plan.Inner + i]);
                    if (p == 2) acc += a * a;
                    else if (p == 1) acc += a;
                    else if (p == 0) acc += a != 0 ? 1 : 0;
                    else if (p == double.PositiveInfinity) acc = double.IsNaN(a) || a > acc ? a : acc;
                    else if (p == double.NegativeInfinity) acc = double.IsNaN(a) || a < acc ? a : acc;
                    else acc += Math.Pow(a, p);
                }
                data[o * plan.Inner + i] = (float)(p == 2 ? Math.Sqrt(acc) : p is 1 or 0 || double.IsInfinity(p) ? acc : Math.Pow(acc, 1 / p));
            }
        if (!MustRecord(this)) return result;
        var input = this;
        return result.Recorded("LinalgVectorNormBackward", new Tensor?[] { this },
            g => new Tensor?[] { ReductionGradient.Norm(g, input.Detach(), result, reduced, keepDim, p) });
    }
}
