namespace ShapeSafe.NN;

/// <summary>
/// A batch of sequences of different lengths packed step by step (PyTorch's <c>torch.nn.utils.rnn.PackedSequence</c>),
/// as <see cref="Utils.Rnn.PackPaddedSequence(Tensor, Tensor, bool, bool)"/> and <see cref="Utils.Rnn.PackSequence"/>
/// make it and <see cref="RNN"/>, <see cref="LSTM"/> and <see cref="GRU"/> take it. The sequences are ordered longest
/// first; <see cref="Data"/> holds step 0 of every sequence, then step 1 of those at least 2 long, and so on, and
/// <see cref="BatchSizes"/> says how many sequences each step holds.
/// </summary>
/// <remarks>
/// For lengths [4, 2, 1] (already sorted) the batch sizes are [3, 2, 1, 1] and the rows of <see cref="Data"/> are
/// (t0: s0, s1, s2), (t1: s0, s1), (t2: s0), (t3: s0). When the batch was packed unsorted, <see cref="SortedIndices"/>
/// lists the original batch index of each sorted sequence and <see cref="UnsortedIndices"/> is its inverse; both are
/// null for a batch packed with <c>enforceSorted</c>.
/// </remarks>
public sealed class PackedSequence
{
    readonly int[] _batchSizes;

    /// <summary>
    /// Wraps packed rows (PyTorch's <c>PackedSequence(data, batch_sizes, sorted_indices, unsorted_indices)</c>). As in
    /// PyTorch, <paramref name="unsortedIndices"/> is computed as the inverse of <paramref name="sortedIndices"/> when
    /// not given. Usually made by <see cref="Utils.Rnn.PackPaddedSequence(Tensor, Tensor, bool, bool)"/>.
    /// </summary>
    /// <param name="data">The packed rows, [Σ batch sizes, *].</param>
    /// <param name="batchSizes">The number of sequences at each step: 1-D Int64, positive and non-increasing.</param>
    /// <param name="sortedIndices">For each sorted sequence, its index in the original batch (a permutation of 0..N-1, Int64), or null.</param>
    /// <param name="unsortedIndices">The inverse permutation, or null to compute it.</param>
    /// <exception cref="ShapeException">The batch sizes or indices do not describe <paramref name="data"/>.</exception>
    public PackedSequence(Tensor data, Tensor batchSizes, Tensor? sortedIndices = null, Tensor? unsortedIndices = null)
    {
        const string op = "PackedSequence";
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(batchSizes);
        if (batchSizes.Rank != 1 || batchSizes.DType != DType.Int64)
            throw new ShapeException(op, $"batch_sizes should be a 1D Int64 tensor, got {batchSizes.Rank}D {batchSizes.DType} {Rules.Format(batchSizes.Sizes)}");
        if (batchSizes.Sizes[0] == 0)
            throw new ShapeException(op, "batch_sizes can not be empty");
        var sizes = batchSizes.ToInt64Array();
        long total = 0;
        for (int t = 0; t < sizes.Length; t++)
        {
            if (sizes[t] <= 0 || (t > 0 && sizes[t] > sizes[t - 1]))
                throw new ShapeException(op, $"batch_sizes must be positive and non-increasing, got {FormatLongs(sizes)}");
            total += sizes[t];
        }
        if (data.Rank == 0 || data.Sizes[0] != total)
            throw new ShapeException(op, $"data {Rules.Format(data.Sizes)} should have {total} rows, the sum of batch_sizes {FormatLongs(sizes)}");
        int batch = (int)sizes[0];
        if (sortedIndices is not null)
        {
            var sorted = Permutation(op, "sorted_indices", sortedIndices, batch);
            if (unsortedIndices is null)
            {
                var inverse = new long[batch];
                for (int i = 0; i < batch; i++) inverse[sorted[i]] = i;
                unsortedIndices = Tensor.FromArray(inverse, batch);
            }
        }
        if (unsortedIndices is not null)
            Permutation(op, "unsorted_indices", unsortedIndices, batch);

        Data = data;
        BatchSizes = batchSizes;
        SortedIndices = sortedIndices;
        UnsortedIndices = unsortedIndices;
        _batchSizes = sizes.Select(v => (int)v).ToArray();
    }

    /// <summary>The packed rows, [Σ lengths, *]: each step's sequences, longest first, one step after the other.</summary>
    public Tensor Data { get; }

    /// <summary>How many sequences each step holds (1-D Int64, as long as the longest sequence).</summary>
    public Tensor BatchSizes { get; }

    /// <summary>For each sorted sequence, its index in the batch that was packed (Int64), or null when it was packed sorted.</summary>
    public Tensor? SortedIndices { get; }

    /// <summary>For each sequence of the batch that was packed, its position among the sorted ones (the inverse of <see cref="SortedIndices"/>), or null.</summary>
    public Tensor? UnsortedIndices { get; }

    /// <summary>The batch sizes as integers.</summary>
    internal int[] BatchSizeArray => _batchSizes;

    /// <summary>PyTorch's repr: <c>PackedSequence(data=..., batch_sizes=..., sorted_indices=..., unsorted_indices=...)</c>, with the shapes.</summary>
    public override string ToString() =>
        $"PackedSequence(data={Rules.Format(Data.Sizes)}, batch_sizes={Rules.Format(_batchSizes)}, sorted_indices={Indices(SortedIndices)}, unsorted_indices={Indices(UnsortedIndices)})";

    static string Indices(Tensor? t) => t is null ? "None" : FormatLongs(t.ToInt64Array());

    static string FormatLongs(long[] values) => "[" + string.Join(", ", values) + "]";

    static long[] Permutation(string op, string what, Tensor indices, int batch)
    {
        if (indices.Rank != 1 || indices.DType != DType.Int64 || indices.Sizes[0] != batch)
            throw new ShapeException(op, $"{what} should be a 1D Int64 tensor of the batch size {batch}, got {indices.Rank}D {indices.DType} {Rules.Format(indices.Sizes)}");
        var values = indices.ToInt64Array();
        var seen = new bool[batch];
        foreach (var v in values)
        {
            if (v < 0 || v >= batch || seen[v])
                throw new ShapeException(op, $"{what} {FormatLongs(values)} is not a permutation of 0..{batch - 1}");
            seen[v] = true;
        }
        return values;
    }
}
