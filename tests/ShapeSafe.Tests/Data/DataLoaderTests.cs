using ShapeSafe.Data;

namespace ShapeSafe.Tests.Data;

/// <summary>
/// The seed's section 11: a DataLoader over 2000 samples with batch 64. Every enumeration draws from a
/// generator (the default one when none is given, as PyTorch does), hence the DefaultGenerator collection.
/// </summary>
[Collection("DefaultGenerator")]
public class DataLoaderTests
{
    // x: row i is [3i, 3i+1, 3i+2] (Float32); y: i (Int64).
    static TensorDataset Rows(int n = 2000) =>
        new(Tensor.Arange(0, 3L * n).ToDType(DType.Float32).View(n, 3), Tensor.Arange(n));

    [Fact]
    public void Two_thousand_samples_in_batches_of_64_give_32_batches_the_last_of_16()
    {
        var loader = new DataLoader(Rows(), batchSize: 64);
        var batches = loader.ToList();

        Assert.Equal(32, loader.Count);
        Assert.Equal(32, batches.Count);
        Assert.All(batches.Take(31), b => Assert.Equal(new[] { 64, 3 }, b[0].Shape));
        Assert.Equal(new[] { 16, 3 }, batches[31][0].Shape);
        Assert.Equal(new[] { 16 }, batches[31][1].Shape);
    }

    [Fact]
    public void DropLast_drops_the_batch_of_16()
    {
        var loader = new DataLoader(Rows(), batchSize: 64, dropLast: true);
        var batches = loader.ToList();

        Assert.Equal(31, loader.Count);
        Assert.Equal(31, batches.Count);
        Assert.All(batches, b => Assert.Equal(64, b[1].Size(0)));
        Assert.Equal(1983L, batches[^1][1].ToInt64Array()[^1]);
    }

    [Fact]
    public void Sequential_batches_hold_the_rows_in_order_and_keep_dtypes()
    {
        int k = 0;
        foreach (var batch in new DataLoader(Rows(), batchSize: 64))
        {
            Assert.Equal(2, batch.Length);
            Assert.Equal(DType.Float32, batch[0].DType);
            Assert.Equal(DType.Int64, batch[1].DType);
            int start = 64 * k, count = batch[1].Size(0);
            Assert.Equal(Enumerable.Range(start, count).Select(i => (long)i), batch[1].ToInt64Array());
            Assert.Equal(Enumerable.Range(3 * start, 3 * count).Select(i => (float)i), batch[0].ToFloatArray());
            k++;
        }
        Assert.Equal(32, k);
    }

    [Fact]
    public void Shuffled_batches_form_a_permutation_of_all_rows_with_their_labels()
    {
        var seen = new List<long>();
        foreach (var batch in new DataLoader(Rows(), batchSize: 64, shuffle: true, generator: new Generator(1)))
        {
            var labels = batch[1].ToInt64Array();
            var x = batch[0].ToFloatArray();
            for (int i = 0; i < labels.Length; i++)
                Assert.Equal(3f * labels[i], x[3 * i]);   // the columns stay paired
            seen.AddRange(labels);
        }

        Assert.Equal(2000, seen.Count);
        Assert.NotEqual(Enumerable.Range(0, 2000).Select(i => (long)i), seen);
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => (long)i), seen.Order());
    }

    [Fact]
    public void Each_epoch_draws_a_new_order()
    {
        var loader = new DataLoader(Rows(100), batchSize: 100, shuffle: true, generator: new Generator(3));
        var first = loader.First()[1].ToInt64Array();
        var second = loader.First()[1].ToInt64Array();
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Same_seed_gives_identical_batches_for_0_1_and_3_workers()
    {
        List<long[]> Epochs(int workers)
        {
            var loader = new DataLoader(Rows(), batchSize: 64, shuffle: true, numWorkers: workers, generator: new Generator(2024));
            var labels = new List<long[]>();
            for (int epoch = 0; epoch < 2; epoch++)
                foreach (var batch in loader) labels.Add(batch[1].ToInt64Array());
            return labels;
        }

        var serial = Epochs(0);
        Assert.Equal(64, serial.Count);
        Assert.Equal(serial, Epochs(1));
        Assert.Equal(serial, Epochs(3));
    }

    // LibTorch 2.10 replaying PyTorch's DataLoader(shuffle=True, generator=torch.Generator().manual_seed(42))
    // over 10 samples: per epoch a base-seed draw, randperm(10), and the extra randperm(10) RandomSampler
    // draws when its permutation runs out.
    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public void Shuffled_epochs_match_pytorch_for_a_seeded_generator(int workers)
    {
        var loader = new DataLoader(Rows(10), batchSize: 4, shuffle: true, numWorkers: workers, generator: new Generator(42));

        Assert.Equal(new long[] { 6, 5, 4, 0, 8, 9, 2, 1, 3, 7 }, Labels(loader));
        Assert.Equal(new long[] { 3, 6, 5, 8, 9, 4, 2, 0, 7, 1 }, Labels(loader));
    }

    // Without a generator, each epoch draws the base seed and then a seed for a fresh generator from the
    // default generator (RandomSampler's `seed = int(torch.empty((), dtype=torch.int64).random_().item())`).
    [Fact]
    public void Shuffled_epochs_match_pytorch_for_the_default_generator()
    {
        Tensor.ManualSeed(7);
        var loader = new DataLoader(Rows(10), batchSize: 3, shuffle: true);

        Assert.Equal(new long[] { 3, 2, 7, 8, 6, 1, 5, 9, 0, 4 }, Labels(loader));
        Assert.Equal(new long[] { 1, 3, 5, 2, 8, 9, 6, 7, 4, 0 }, Labels(loader));
        Assert.Equal(0.36531615f, Tensor.Rand(1).Item());   // the default generator is where PyTorch's is
    }

    [Fact]
    public void An_unshuffled_epoch_still_draws_pytorchs_base_seed()
    {
        var generator = new Generator(42);
        _ = new DataLoader(Rows(10), batchSize: 4, generator: generator).ToList();

        // The draw is LibTorch's torch.empty((), dtype=torch.int64).random_(generator=g) for seed 42,
        // and it is the only one the epoch made.
        var reference = new Generator(42);
        Assert.Equal(6909045637428952499, BatchSampler.RandomInt64(reference));
        Assert.Equal(Tensor.Rand(new[] { 4 }, reference).ToFloatArray(), Tensor.Rand(new[] { 4 }, generator).ToFloatArray());
    }

    [Fact]
    public void A_custom_dataset_is_stacked_sample_by_sample_like_the_gathered_tensor_dataset()
    {
        var rows = Rows(10);
        var stacked = new DataLoader(new SampleByIndex(rows), batchSize: 4).ToList();
        var gathered = new DataLoader(rows, batchSize: 4).ToList();

        Assert.Equal(gathered.Count, stacked.Count);
        for (int b = 0; b < gathered.Count; b++)
        {
            Assert.Equal(gathered[b][0].Shape, stacked[b][0].Shape);
            Assert.Equal(gathered[b][0].ToFloatArray(), stacked[b][0].ToFloatArray());
            Assert.Equal(DType.Int64, stacked[b][1].DType);
            Assert.Equal(gathered[b][1].ToInt64Array(), stacked[b][1].ToInt64Array());
        }
    }

    [Fact]
    public void TensorDataset_refuses_tensors_with_different_row_counts()
    {
        var e = Assert.Throws<ShapeException>(() => new TensorDataset(Tensor.Zeros(5, 3), Tensor.Zeros(4)));
        Assert.Equal("TensorDataset", e.Operation);
        Assert.Contains("[5, 3], [4]", e.Message);
    }

    [Fact]
    public void TensorDataset_sample_is_each_tensors_row()
    {
        var sample = Rows(5)[2];
        Assert.Equal(new float[] { 6, 7, 8 }, sample[0].ToFloatArray());
        Assert.Equal(2L, sample[1].ItemInt64());
        Assert.Throws<ArgumentOutOfRangeException>(() => Rows(5)[5]);
    }

    [Fact]
    public void Loader_arguments_are_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Rows(5), batchSize: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Rows(5), numWorkers: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Rows(5), numWorkers: 1, prefetchFactor: 0));
        var empty = new TensorDataset(Tensor.Zeros(0, 3));
        Assert.Throws<ArgumentException>(() => new DataLoader(empty, shuffle: true));
        Assert.Empty(new DataLoader(empty, batchSize: 4));
    }

    static long[] Labels(DataLoader loader) => loader.SelectMany(b => b[1].ToInt64Array()).ToArray();

    /// <summary>A dataset without a batch fast path: the loader stacks its samples.</summary>
    sealed class SampleByIndex(Dataset inner) : Dataset
    {
        public override int Count => inner.Count;

        public override Tensor[] this[int index] => inner[index];
    }
}
