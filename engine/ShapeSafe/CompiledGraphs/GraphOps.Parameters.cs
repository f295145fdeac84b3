using ShapeSafe.Gradients;
using ShapeSafe.NN;
using ShapeSafe.Shapes;

namespace ShapeSafe.CompiledGraphs;

// The kernels of the ops a module writes on its own parameters and buffers: matrix products of graph values and
// F.Linear with a weight the graph reads, as eager mode runs them.
public static partial class GraphOps
{
    /// <summary>
    /// The sizes of a parameter or buffer the graph reads, for a plan: a copy, so that the plan keeps the sizes it was
    /// made for.
    /// </summary>
    public static int[] SizesOf(Tensor tensor) => (int[])tensor.Sizes.Clone();

    /// <summary>The view <c>t.T</c> of a contiguous value of <paramref name="input"/>'s shape: its dims reversed (a 2-D value's transpose).</summary>
    public static StridedViewPlan PlanReversed(int[] input)
    {
        var dims = new int[input.Length];
        for (int i = 0; i < dims.Length; i++) dims[i] = dims.Length - 1 - i;
        return new(Rules.Permute(Rules.Contiguous(input), dims));
    }

    /// <summary>
    /// The shape of <c>a.Matmul(b)</c>, <c>Tensor.Mm(a, b)</c> or <c>Tensor.Bmm(a, b)</c> (<paramref name="op"/>), with
    /// the eager op's checks and its <see cref="ShapeException"/>.
    /// </summary>
    public static int[] MatmulShape(int[] a, int[] b, string op) => op switch
    {
        "Mm" => Rules.Mm(a, b),
        "Bmm" => Rules.Bmm(a, b),
        _ => Rules.Matmul(a, b),
    };

    /// <summary>
    /// output = the product <paramref name="op"/> (<c>Matmul</c>, <c>Mm</c> or <c>Bmm</c>) of <paramref name="a"/>
    /// and <paramref name="b"/>, read through their strides (a transposed parameter is not copied), with the eager
    /// op's GEMM calls.
    /// </summary>
    public static void Matmul(string op, Tensor a, Tensor b, Tensor output)
    {
        switch (op)
        {
            case "Mm":
                Tensor.Gemm2D(a, b, output.FloatData, output.Offset, output.Sizes[1]);
                break;
            case "Bmm":
                Tensor.BatchedGemm(a, b, new[] { output.Sizes[0] }, output.FloatData, output.Sizes[1], output.Sizes[2], output.Offset);
                break;
            default:
                Tensor.MatmulInto(a, b, output);
                break;
        }
    }

    /// <summary>
    /// The gradients of a product (any of <see cref="Matmul"/>'s) for <paramref name="gradOutput"/>: dA = dC·Bᵀ and
    /// dB = Aᵀ·dC, each summed back to its operand's shape, computed as eager autograd's matmul backward computes
    /// them and copied into each non-null target.
    /// </summary>
    public static void MatmulBackward(Tensor gradOutput, Tensor a, Tensor b, Tensor? gradA, Tensor? gradB)
    {
        if (gradA is null && gradB is null) return;
        var grads = MatmulGradient.Compute(gradOutput, a, b, gradA is not null, gradB is not null);
        if (gradA is not null) Copy(grads[0]!, gradA);
        if (gradB is not null) Copy(grads[1]!, gradB);
    }

    /// <summary>
    /// The shape of <c>F.Linear(input, weight, bias)</c> on a weight and a bias the graph reads (a module's own
    /// parameters), with <c>F.Linear</c>'s checks.
    /// </summary>
    public static int[] LinearShape(int[] input, int[] weight, int[]? bias) => F.LinearShape(input, weight, bias);
}
