using System.Collections;

namespace ShapeSafe.Data;

/// <summary>
/// Batches of a <see cref="Dataset"/> (PyTorch's <c>torch.utils.data.DataLoader</c> with the default
/// sampler and collate function). Each enumeration is one epoch and yields one <c>Tensor[]</c> per
/// batch: one tensor per dataset column, the samples stacked along a new dim 0.
/// </summary>
/// <remarks>
/// <para>
/// Random numbers are drawn as PyTorch draws them, on the enumerating thread: starting an epoch takes
/// one 64-bit draw from <see cref="Generator"/> (or the default generator), PyTorch's worker base seed;
/// with <see cref="Shuffle"/> the first batch then draws <c>randperm(n)</c>, from <see cref="Generator"/>
/// when given, else from a fresh generator seeded by one more draw from the default generator; and
/// running off the end of the permutation draws one more (discarded) permutation, as
/// <c>RandomSampler</c> does. Seeded alike, the batches are PyTorch's, whatever <see cref="NumWorkers"/> is.
/// </para>
/// <para>
/// With <see cref="NumWorkers"/> &gt; 0, batches are built on that many threads, at most
/// <c>PrefetchFactor * NumWorkers</c> ahead of the consumer, and delivered in order. An exception in a
/// worker is rethrown on the enumerating thread (as the inner exception of an
/// <see cref="InvalidOperationException"/>); disposing the enumerator (leaving a <c>foreach</c>) stops
/// and joins the workers.
/// </para>
/// </remarks>
public sealed class DataLoader : IEnumerable<Tensor[]>
{
    /// <summary>Creates a loader over <paramref name="dataset"/>.</summary>
    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch (positive).</param>
    /// <param name="shuffle">Reshuffle at every epoch; otherwise samples come in index order.</param>
    /// <param name="dropLast">Drop the last batch when it is smaller than <paramref name="batchSize"/>.</param>
    /// <param name="numWorkers">Threads that build batches; 0 builds them on the enumerating thread.</param>
    /// <param name="generator">The generator for shuffling; null uses the default generator as PyTorch does.</param>
    /// <param name="prefetchFactor">Batches each worker may build ahead (positive; used only with workers).</param>
    /// <param name="sampler">The order of the indices (for example a <see cref="ShapeSafe.Distributed.DistributedSampler"/>);
    /// with one, <paramref name="shuffle"/> must be false, as in PyTorch, and shuffling is the sampler's.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="shuffle"/> over an empty dataset, or together with a sampler.</exception>
    public DataLoader(
        Dataset dataset,
        int batchSize = 1,
        bool shuffle = false,
        bool dropLast = false,
        int numWorkers = 0,
        Generator? generator = null,
        int prefetchFactor = 2,
        Sampler? sampler = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "DataLoader: batchSize should be a positive integer");
        if (numWorkers < 0)
            throw new ArgumentOutOfRangeException(nameof(numWorkers), numWorkers, "DataLoader: numWorkers should be non-negative; use 0 to build batches on the enumerating thread");
        if (prefetchFactor < 1)
            throw new ArgumentOutOfRangeException(nameof(prefetchFactor), prefetchFactor, "DataLoader: prefetchFactor should be a positive integer");
        // RandomSampler refuses num_samples = 0 when it is built.
        if (shuffle && dataset.Count == 0)
            throw new ArgumentException("DataLoader: cannot shuffle an empty dataset (RandomSampler needs a positive number of samples)", nameof(dataset));

        if (sampler is not null && shuffle)
            throw new ArgumentException("DataLoader: sampler option is mutually exclusive with shuffle", nameof(sampler));

        Dataset = dataset;
        Sampler = sampler;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        NumWorkers = numWorkers;
        Generator = generator;
        PrefetchFactor = prefetchFactor;
    }

    /// <summary>The dataset batches are drawn from.</summary>
    public Dataset Dataset { get; }

    /// <summary>The sampler that orders the indices, or null for the default sequential or random order.</summary>
    public Sampler? Sampler { get; }

    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; }

    /// <summary>Whether each epoch visits the samples in a new random order.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a last, smaller batch is dropped.</summary>
    public bool DropLast { get; }

    /// <summary>Threads that build batches (0: the enumerating thread builds them).</summary>
    public int NumWorkers { get; }

    /// <summary>Batches each worker may build ahead of the consumer.</summary>
    public int PrefetchFactor { get; }

    /// <summary>The generator used for shuffling, or null for the default generator.</summary>
    public Generator? Generator { get; }

    /// <summary>The number of batches in one epoch (<c>len(loader)</c>).</summary>
    public int Count
    {
        get
        {
            int n = Sampler?.Count ?? Dataset.Count;
            return DropLast ? n / BatchSize : (int)(((long)n + BatchSize - 1) / BatchSize);
        }
    }

    /// <summary>Starts an epoch (PyTorch's <c>iter(loader)</c>).</summary>
    public IEnumerator<Tensor[]> GetEnumerator()
    {
        // _BaseDataLoaderIter draws its workers' base seed here, from loader.generator. The workers here
        // need no seed, but the draw keeps the generator's stream in step with PyTorch's.
        _ = BatchSampler.RandomInt64(Generator);

        int n = Dataset.Count;
        var sampler = Sampler is not null
            ? BatchSampler.Ordered(Sampler, BatchSize, DropLast)
            : Shuffle
            ? BatchSampler.Random(n, BatchSize, DropLast, Generator)
            : BatchSampler.Sequential(n, BatchSize, DropLast);
        return NumWorkers == 0
            ? BuildOnThisThread(Dataset, sampler)
            : new ParallelBatchEnumerator(Dataset, sampler, NumWorkers, PrefetchFactor);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    static IEnumerator<Tensor[]> BuildOnThisThread(Dataset dataset, BatchSampler sampler)
    {
        while (sampler.Next() is { } indices)
            yield return dataset.GetBatch(indices);
    }
}
