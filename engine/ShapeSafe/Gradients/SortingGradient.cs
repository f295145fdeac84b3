using ShapeSafe.Kernels.Sorting;

namespace ShapeSafe.Gradients;

/// <summary>
/// The backward of sort, topk, cumsum, tril and triu (PyTorch's <c>value_selecting_reduction_backward</c> along a
/// kept dim, <c>cumsum_backward</c>, and <c>grad.tril(k)</c> / <c>grad.triu(k)</c>). Called by eager nodes and
/// generated code alike.
/// </summary>
internal static class SortingGradient
{
    /// <summary>
    /// Sort and topk: each gradient element goes back to the input position its index names along
    /// <paramref name="dim"/> (the index lists sorted positions, [outer, k, inner]); unselected elements get 0.
    /// </summary>
    public static Tensor Selected(Tensor grad, Tensor indices, int[] inputSizes, int dim)
    {
        var result = Tensor.Zeros(inputSizes);
        if (result.NumEl == 0) return result;
        var (outer, size, inner) = Tensor.Lines(inputSizes, dim);
        int k = indices.Rank == 0 ? 1 : indices.Sizes[dim];
        var g = grad.ToFloatArray();
        var index = indices.ToInt64Array();
        var target = result.FloatData;
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < k; j++)
                for (int n = 0; n < inner; n++)
                {
                    int from = (o * k + j) * inner + n;
                    target[(o * size + (int)index[from]) * inner + n] += g[from];
                }
        return result;
    }

    /// <summary>Cumsum: the running sums of the gradient taken from the back along <paramref name="dim"/>.</summary>
    public static Tensor Cumsum(Tensor grad, int dim)
    {
        var g = grad.Contiguous();
        var result = Tensor.Uninitialized(DType.Float32, (int[])grad.Sizes.Clone());
        var (outer, size, inner) = Tensor.Lines(grad.Sizes, dim);
        CumsumKernel.Cumsum(g.FloatData, g.Offset, outer, size, inner, reverse: true, result.FloatData);
        return result;
    }

    /// <summary>Tril/Triu: the gradient with the same triangle kept.</summary>
    public static Tensor Triangle(Tensor grad, int diagonal, bool lower)
    {
        var g = grad.ToFloatArray();
        ZeroOutsideTriangle(g, grad.Sizes, diagonal, lower);
        return Tensor.Create(new Storage(g), (int[])grad.Sizes.Clone());
    }

    /// <summary>
    /// Zeroes, in contiguous data of <paramref name="sizes"/> (at least 2 dims), the elements of each matrix outside
    /// the triangle: above <c>column - row = diagonal</c> for the lower one, below it for the upper one.
    /// </summary>
    public static void ZeroOutsideTriangle<T>(T[] data, int[] sizes, int diagonal, bool lower)
    {
        int rows = sizes[^2], cols = sizes[^1];
        int matrices = rows * cols == 0 ? 0 : (int)(Tensor.CountOf(sizes) / ((long)rows * cols));
        for (int m = 0; m < matrices; m++)
            for (int r = 0; r < rows; r++)
            {
                int row = (m * rows + r) * cols;
                for (int c = 0; c < cols; c++)
                    if (lower ? c - r > diagonal : c - r < diagonal) data[row + c] = default!;
            }
    }
}
