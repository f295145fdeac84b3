using System.Numerics.Tensors;

namespace ShapeSafe.Gradients;

/// <summary>
/// The embedding lookup ("EmbeddingBackward"): the forward copies weight row <c>index[i]</c> to output row i;
/// the backward adds output-gradient row i into weight-gradient row <c>index[i]</c> (a scatter-add, so an
/// index used twice gets both gradients), skipping the padding index, whose row never learns.
/// </summary>
internal static class EmbeddingGradient
{
    /// <summary>out[i, :] = weight[index[i], :] for contiguous weight rows of length <paramref name="dim"/>.</summary>
    public static void Gather(ReadOnlySpan<long> index, float[] weight, int weightOffset, int dim, Span<float> output)
    {
        for (int i = 0; i < index.Length; i++)
            weight.AsSpan(weightOffset + (int)index[i] * dim, dim).CopyTo(output.Slice(i * dim, dim));
    }

    /// <summary>The weight's gradient [numEmbeddings, dim]: Σ over i with index[i] = r of g[i, :], row r.</summary>
    public static Tensor Backward(Tensor gradOutput, long[] index, int numEmbeddings, int dim, long? paddingIdx)
    {
        var grad = Tensor.Zeros(numEmbeddings, dim);
        var g = gradOutput.Contiguous();
        AddRows(g.FloatData.AsSpan(g.Offset, index.Length * dim), index, dim, paddingIdx, grad.FloatData);
        return grad;
    }

    /// <summary>
    /// <see cref="Backward"/> into <paramref name="target"/>, a dense weight gradient of <paramref name="numEmbeddings"/>
    /// rows read from index 0 (a compiled graph's gradient for the weight): zeroed, then each row added in.
    /// </summary>
    public static void BackwardInto(ReadOnlySpan<float> gradOutput, ReadOnlySpan<long> index, int numEmbeddings, int dim, long? paddingIdx, float[] target)
    {
        target.AsSpan(0, numEmbeddings * dim).Clear();
        AddRows(gradOutput, index, dim, paddingIdx, target);
    }

    /// <summary>Adds gradient row i into row <c>index[i]</c> of <paramref name="target"/>, in order, skipping the padding index.</summary>
    static void AddRows(ReadOnlySpan<float> gradOutput, ReadOnlySpan<long> index, int dim, long? paddingIdx, float[] target)
    {
        for (int i = 0; i < index.Length; i++)
        {
            if (index[i] == paddingIdx) continue;
            var row = target.AsSpan((int)index[i] * dim, dim);
            TensorPrimitives.Add(row, gradOutput.Slice(i * dim, dim), row);
        }
    }
}
