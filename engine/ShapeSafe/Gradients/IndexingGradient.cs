using ShapeSafe.Kernels.Indexing;

namespace ShapeSafe.Gradients;

/// <summary>
/// The backward of gather and scatter (PyTorch's <c>gather_backward</c>, and <c>grad.scatter(dim, index, 0)</c> /
/// <c>grad.gather(dim, index)</c> for scatter), over the addressing the forward computed
/// (<see cref="IndexAlongDim"/>). Called by eager nodes and generated code alike.
/// </summary>
internal static class IndexingGradient
{
    /// <summary>Gather: each gradient element added back at the input position it was picked from (repeats add up).</summary>
    public static Tensor Gather(Tensor grad, int[] inputSizes, IndexAlongDim at)
    {
        var result = Tensor.Zeros(inputSizes);
        var g = grad.ToFloatArray();
        var target = result.FloatData;
        for (int p = 0; p < at.Indexed.Length; p++) target[at.Indexed[p]] += g[p];
        return result;
    }

    /// <summary>Scatter, for the tensor scattered into: the gradient with the overwritten positions set to 0.</summary>
    public static Tensor ScatterSelf(Tensor grad, IndexAlongDim at)
    {
        var g = grad.ToFloatArray();
        foreach (int o in at.Indexed) g[o] = 0f;
        return Tensor.Create(new Storage(g), (int[])grad.Sizes.Clone());
    }

    /// <summary>
    /// Scatter and scatter_add, for the source: the gradient gathered at the positions written to, in the source's
    /// shape (elements of a larger source that the index does not reach get 0).
    /// </summary>
    public static Tensor ScatterSource(Tensor grad, int[] srcSizes, IndexAlongDim at)
    {
        var result = Tensor.Zeros(srcSizes);
        var g = grad.ToFloatArray();
        var target = result.FloatData;
        for (int p = 0; p < at.Indexed.Length; p++) target[at.Aligned[p]] = g[at.Indexed[p]];
        return result;
    }
}
