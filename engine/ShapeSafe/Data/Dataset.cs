namespace ShapeSafe.Data;

/// <summary>
/// A map-style dataset (PyTorch's <c>torch.utils.data.Dataset</c>): <see cref="Count"/> samples, each
/// read by index as an array of tensors, one per column (for example image and label).
/// </summary>
/// <remarks>
/// A <see cref="DataLoader"/> with workers calls <see cref="this[int]"/> and <see cref="GetBatch"/> from
/// several threads at once, so implementations must be safe for concurrent reads.
/// </remarks>
public abstract class Dataset
{
    /// <summary>The number of samples (<c>len(dataset)</c>).</summary>
    public abstract int Count { get; }

    /// <summary>Sample <paramref name="index"/>: one tensor per column.</summary>
    public abstract Tensor[] this[int index] { get; }

    /// <summary>
    /// The samples at <paramref name="indices"/> collated into one tensor per column, each stacked along
    /// a new dim 0 (PyTorch's <c>default_collate</c>). This default stacks the samples one by one;
    /// datasets that can gather many rows at once (like <see cref="TensorDataset"/>) override it.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="indices"/> is empty.</exception>
    /// <exception cref="InvalidOperationException">The samples do not all have the same number of columns.</exception>
    public virtual Tensor[] GetBatch(long[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Length == 0)
            throw new ArgumentException("GetBatch: needs at least one index", nameof(indices));

        var samples = new Tensor[indices.Length][];
        for (int i = 0; i < indices.Length; i++)
        {
            samples[i] = this[checked((int)indices[i])];
            if (samples[i].Length != samples[0].Length)
                throw new InvalidOperationException(
                    $"{GetType().Name}: sample {indices[i]} has {samples[i].Length} columns but sample {indices[0]} has {samples[0].Length}; every sample needs the same columns to be batched");
        }

        var batch = new Tensor[samples[0].Length];
        var column = new Tensor[samples.Length];
        for (int c = 0; c < batch.Length; c++)
        {
            for (int i = 0; i < samples.Length; i++) column[i] = samples[i][c];
            batch[c] = Tensor.Stack(column);
        }
        return batch;
    }
}
