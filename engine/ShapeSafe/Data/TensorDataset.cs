namespace ShapeSafe.Data;

/// <summary>
/// A dataset over tensors that share their first dim (PyTorch's <c>TensorDataset</c>): sample
/// <c>i</c> is row <c>i</c> of each tensor.
/// </summary>
public class TensorDataset : Dataset
{
    readonly Tensor[] _tensors;

    /// <summary>Wraps <paramref name="tensors"/>, one column each (they are not copied).</summary>
    /// <exception cref="ArgumentException">No tensors were given.</exception>
    /// <exception cref="ShapeException">A tensor is 0-D, or the sizes of dim 0 differ.</exception>
    public TensorDataset(params Tensor[] tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        if (tensors.Length == 0)
            throw new ArgumentException("TensorDataset: needs at least one tensor", nameof(tensors));
        foreach (var t in tensors) ArgumentNullException.ThrowIfNull(t, nameof(tensors));

        int rows = tensors[0].Rank > 0 ? tensors[0].Sizes[0] : -1;
        if (rows < 0 || !tensors.All(t => t.Rank > 0 && t.Sizes[0] == rows))
        {
            var shapes = string.Join(", ", tensors.Select(t => Rules.Format(t.Sizes)));
            throw new ShapeException("TensorDataset", $"every tensor needs the same size of dim 0 (one row per sample), got shapes {shapes}");
        }
        _tensors = (Tensor[])tensors.Clone();
    }

    /// <summary>The wrapped tensors, one per column.</summary>
    public IReadOnlyList<Tensor> Tensors => _tensors;

    /// <inheritdoc/>
    public override int Count => _tensors[0].Sizes[0];

    /// <summary>Row <paramref name="index"/> of each tensor (views, not copies).</summary>
    public override Tensor[] this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(index), index, $"TensorDataset: index {index} is out of range for {Count} samples");
            var sample = new Tensor[_tensors.Length];
            for (int c = 0; c < sample.Length; c++) sample[c] = _tensors[c].Select(0, index);
            return sample;
        }
    }

    /// <summary>Gathers the rows of each column with one <see cref="Tensor.IndexSelect"/> (one copy per column and batch).</summary>
    public override Tensor[] GetBatch(long[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Length == 0)
            throw new ArgumentException("GetBatch: needs at least one index", nameof(indices));
        var index = Tensor.FromArray(indices, indices.Length);
        var batch = new Tensor[_tensors.Length];
        for (int c = 0; c < batch.Length; c++) batch[c] = _tensors[c].IndexSelect(0, index);
        return batch;
    }
}
