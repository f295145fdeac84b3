using ShapeSafe.Data;

namespace ShapeSafe.Distributed;

/// <summary>
/// One rank's share of a dataset (PyTorch's <c>torch.utils.data.distributed.DistributedSampler</c>): the indices,
/// shuffled per epoch when asked, are padded or cut to a multiple of <see cref="NumReplicas"/> and rank r takes every
/// <see cref="NumReplicas"/>-th one from position r, so the ranks' shards are disjoint and together cover the dataset.
/// </summary>
/// <remarks>
/// The order is PyTorch's for the same arguments: <c>randperm(len(dataset))</c> from a generator seeded with
/// <c>seed + epoch</c> (the engine's <see cref="Tensor.Randperm"/> draws LibTorch's permutation), then, without
/// <c>dropLast</c>, the first indices repeated at the end as padding (the whole list again as often as needed when
/// the padding is longer than the dataset); with <c>dropLast</c>, the tail cut off. Call <see cref="SetEpoch"/>
/// before each epoch, or every epoch has the same order.
/// </remarks>
public sealed class DistributedSampler : Sampler
{
    readonly int _length;
    int _epoch;

    /// <summary>Creates rank <paramref name="rank"/>'s sampler of <paramref name="numReplicas"/>.</summary>
    /// <param name="dataset">The dataset (only its <see cref="Dataset.Count"/> is used).</param>
    /// <param name="numReplicas">The number of ranks (<see cref="ProcessGroup.WorldSize"/>).</param>
    /// <param name="rank">This rank (<see cref="ProcessGroup.Rank"/>).</param>
    /// <param name="shuffle">Shuffle the indices, differently at each epoch.</param>
    /// <param name="seed">The shuffle's seed, the same on every rank.</param>
    /// <param name="dropLast">Cut the tail that does not divide evenly instead of padding.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numReplicas"/> is not positive, or <paramref name="rank"/> is not in [0, numReplicas).</exception>
    public DistributedSampler(Dataset dataset, int numReplicas, int rank, bool shuffle = true, long seed = 0, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numReplicas);
        if (rank < 0 || rank >= numReplicas)
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"DistributedSampler: invalid rank {rank}, rank should be in the interval [0, {numReplicas - 1}]");
        _length = dataset.Count;
        NumReplicas = numReplicas;
        Rank = rank;
        Shuffle = shuffle;
        Seed = seed;
        DropLast = dropLast;
        // PyTorch: with drop_last and an uneven split, ceil((n - R) / R) samples per rank; else ceil(n / R).
        NumSamples = dropLast && _length % numReplicas != 0
            ? (int)Math.Ceiling((double)(_length - numReplicas) / numReplicas)
            : (int)Math.Ceiling((double)_length / numReplicas);
        TotalSize = NumSamples * numReplicas;
    }

    /// <summary>A rank's sampler for the job's <paramref name="group"/>.</summary>
    public DistributedSampler(Dataset dataset, ProcessGroup group, bool shuffle = true, long seed = 0, bool dropLast = false)
        : this(dataset, (group ?? throw new ArgumentNullException(nameof(group))).WorldSize, group.Rank, shuffle, seed, dropLast)
    {
    }

    /// <summary>The number of ranks sharing the dataset.</summary>
    public int NumReplicas { get; }

    /// <summary>This sampler's rank.</summary>
    public int Rank { get; }

    /// <summary>Whether the order is shuffled.</summary>
    public bool Shuffle { get; }

    /// <summary>The seed of the shuffle.</summary>
    public long Seed { get; }

    /// <summary>Whether the uneven tail is dropped rather than padded.</summary>
    public bool DropLast { get; }

    /// <summary>Indices per rank and epoch (<c>num_samples</c>).</summary>
    public int NumSamples { get; }

    /// <summary>Indices over all ranks per epoch (<c>total_size</c>).</summary>
    public int TotalSize { get; }

    /// <summary>The current epoch, which picks the shuffle.</summary>
    public int Epoch => _epoch;

    /// <inheritdoc/>
    public override int Count => NumSamples;

    /// <summary>Sets the epoch, so the next enumeration uses that epoch's order (<c>set_epoch</c>).</summary>
    public void SetEpoch(int epoch) => _epoch = epoch;

    /// <summary>This rank's indices for the current epoch, as an array.</summary>
    public long[] Indices()
    {
        long[] order;
        if (Shuffle)
            order = Tensor.Randperm(_length, new Generator(Seed + _epoch)).ToInt64Array();
        else
        {
            order = new long[_length];
            for (int i = 0; i < _length; i++) order[i] = i;
        }

        var all = new long[TotalSize];
        if (TotalSize <= order.Length)
        {
            Array.Copy(order, all, TotalSize);
        }
        else
        {
            // Padding: the list repeated from its start (indices += (indices * k)[:padding_size]).
            if (order.Length == 0)
                throw new InvalidOperationException("DistributedSampler: cannot pad an empty dataset to a positive number of samples per rank");
            for (int i = 0; i < TotalSize; i++) all[i] = order[i % order.Length];
        }

        var mine = new long[NumSamples];
        for (int i = 0; i < NumSamples; i++) mine[i] = all[Rank + i * NumReplicas];
        return mine;
    }

    /// <inheritdoc/>
    public override IEnumerator<long> GetEnumerator() => ((IEnumerable<long>)Indices()).GetEnumerator();
}
