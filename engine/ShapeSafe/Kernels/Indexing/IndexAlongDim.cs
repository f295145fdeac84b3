namespace ShapeSafe.Kernels.Indexing;

/// <summary>
/// The addressing gather and scatter share. For element p of an index tensor (row-major), <see cref="Indexed"/> is
/// the offset of p with its coordinate along the dim replaced by the index value, in a contiguous tensor of the
/// target's sizes; <see cref="Aligned"/> is the offset of p itself in a contiguous tensor of another shape (the
/// source of a scatter, which may be larger than the index). ATen walks the same positions in the same order.
/// </summary>
internal readonly struct IndexAlongDim
{
    public readonly int[] Indexed;
    public readonly int[] Aligned;

    IndexAlongDim(int[] indexed, int[] aligned)
    {
        Indexed = indexed;
        Aligned = aligned;
    }

    /// <summary>
    /// The offsets for <paramref name="index"/> (contiguous values of shape <paramref name="indexSizes"/>) into
    /// <paramref name="targetSizes"/> along <paramref name="dim"/>, and aligned offsets into <paramref name="alignedSizes"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An index value is outside [0, size) of the target's dim (negative included, as in ATen).</exception>
    public static IndexAlongDim Create(string op, long[] index, int[] indexSizes, int[] targetSizes, int dim, int[] alignedSizes)
    {
        int count = index.Length;
        var indexed = new int[count];
        var aligned = new int[count];
        if (count == 0) return new IndexAlongDim(indexed, aligned);
        // A 0-dim tensor addresses like one of shape [1].
        int rank = Math.Max(indexSizes.Length, 1);
        var idxSizes = Padded(indexSizes);
        var targetStrides = Rules.ContiguousStrides(Padded(targetSizes));
        var alignedStrides = Rules.ContiguousStrides(Padded(alignedSizes));
        int bound = targetSizes.Length == 0 ? 1 : targetSizes[dim];
        var position = new int[rank];
        int baseTarget = 0, baseAligned = 0;
        for (int p = 0; p < count; p++)
        {
            long value = index[p];
            if (value < 0 || value >= bound)
                throw new ArgumentException($"{op}: index {value} is out of bounds for dimension {dim} with size {bound} (index shape {Rules.Format(indexSizes)}, input shape {Rules.Format(targetSizes)})");
            indexed[p] = baseTarget + (int)value * targetStrides[dim];
            aligned[p] = baseAligned;
            // Advance the row-major position; the bases leave out the dim's own coordinate for the target.
            for (int d = rank - 1; d >= 0; d--)
            {
                if (++position[d] < idxSizes[d])
                {
                    if (d != dim) baseTarget += targetStrides[d];
                    baseAligned += alignedStrides[d];
                    break;
                }
                if (d != dim) baseTarget -= (position[d] - 1) * targetStrides[d];
                baseAligned -= (position[d] - 1) * alignedStrides[d];
                position[d] = 0;
            }
        }
        return new IndexAlongDim(indexed, aligned);
    }

    static int[] Padded(int[] sizes) => sizes.Length == 0 ? new[] { 1 } : sizes;
}
