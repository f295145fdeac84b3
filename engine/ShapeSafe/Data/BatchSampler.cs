namespace ShapeSafe.Data;

/// <summary>
/// One epoch's batches of dataset indices, drawn exactly as PyTorch's <c>BatchSampler</c> over a
/// <c>SequentialSampler</c> or a <c>RandomSampler</c> (without replacement) does. The order is lazy,
/// like the Python generators: the permutation is drawn when the first batch is asked for, so the
/// generator advances at the same points as in PyTorch. Only the enumerating thread uses it.
/// </summary>
internal sealed class BatchSampler
{
    readonly IEnumerator<long> _order;
    readonly int _batchSize;
    readonly bool _dropLast;
    bool _exhausted;

    BatchSampler(IEnumerable<long> order, int batchSize, bool dropLast)
    {
        _order = order.GetEnumerator();
        _batchSize = batchSize;
        _dropLast = dropLast;
    }

    public static BatchSampler Sequential(int count, int batchSize, bool dropLast) =>
        new(SequentialOrder(count), batchSize, dropLast);

    public static BatchSampler Ordered(IEnumerable<long> order, int batchSize, bool dropLast) =>
        new(order, batchSize, dropLast);

    public static BatchSampler Random(int count, int batchSize, bool dropLast, Generator? generator) =>
        new(RandomOrder(count, generator), batchSize, dropLast);

    /// <summary>The next batch of indices, or null when the epoch is over.</summary>
    public long[]? Next()
    {
        if (_exhausted) return null;
        var batch = new long[_batchSize];
        int filled = 0;
        while (filled < _batchSize && _order.MoveNext()) batch[filled++] = _order.Current;
        if (filled == _batchSize) return batch;

        _exhausted = true;
        if (filled == 0 || _dropLast) return null;
        Array.Resize(ref batch, filled);
        return batch;
    }

    /// <summary>
    /// <c>torch.empty((), dtype=torch.int64).random_(generator=g).item()</c>: one 64-bit draw reduced
    /// to [0, 2^63) (ATen's <c>uniform_int</c> for int64).
    /// </summary>
    public static long RandomInt64(Generator? generator) =>
        (long)((generator ?? Generator.Default).NextUInt64() % (1UL << 63));

    static IEnumerable<long> SequentialOrder(int count)
    {
        for (long i = 0; i < count; i++) yield return i;
    }

    // RandomSampler.__iter__ with replacement=False and num_samples = n.
    static IEnumerable<long> RandomOrder(int count, Generator? generator)
    {
        // Without a generator PyTorch seeds a fresh one from the default generator, per epoch.
        var gen = generator ?? new Generator(RandomInt64(Generator.Default));
        foreach (var i in RandomKernels.Randperm(count, gen)) yield return i;

        // PyTorch then yields randperm(n)[:num_samples % n], an empty slice of a second permutation:
        // the draw still advances the generator, so the next epoch's order depends on it.
        RandomKernels.Randperm(count, gen);
    }
}
