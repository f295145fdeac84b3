using ShapeSafe.Data;

namespace ShapeSafe.Distributed.Tests;

/// <summary>
/// <see cref="DistributedSampler"/>: PyTorch's indices for a seed (the permutations are LibTorch's
/// <c>torch.randperm(n, generator=torch.Generator().manual_seed(seed + epoch))</c> from shared/goldens/rng.jsonl),
/// padding and cutting, disjoint shards that cover the dataset, and a new order per epoch.
/// </summary>
public class SamplerTests
{
    static readonly TensorDataset Seven = new(Tensor.Arange(7L));
    static readonly TensorDataset Seventeen = new(Tensor.Arange(17L));

    static long[] Indices(Dataset data, int replicas, int rank, long seed = 0, int epoch = 0, bool shuffle = true, bool dropLast = false)
    {
        var sampler = new DistributedSampler(data, replicas, rank, shuffle, seed, dropLast);
        sampler.SetEpoch(epoch);
        return sampler.ToArray();
    }

    [Fact]
    public void Three_ranks_over_seven_samples_pad_with_the_first_indices()
    {
        // randperm(7) seeded 0 is [4, 0, 5, 3, 2, 6, 1]; padded to 9 with [4, 0]; rank r takes positions r, r + 3, r + 6.
        Assert.Equal(new long[] { 4, 3, 1 }, Indices(Seven, 3, 0));
        Assert.Equal(new long[] { 0, 2, 4 }, Indices(Seven, 3, 1));
        Assert.Equal(new long[] { 5, 6, 0 }, Indices(Seven, 3, 2));
    }

    [Fact]
    public void Set_epoch_reshuffles_with_seed_plus_epoch()
    {
        // Epoch 1 of seed 0 is randperm(7) seeded 1: [0, 6, 1, 3, 5, 2, 4], padded with [0, 6].
        Assert.Equal(new long[] { 0, 3, 4 }, Indices(Seven, 3, 0, epoch: 1));
        Assert.Equal(new long[] { 6, 5, 0 }, Indices(Seven, 3, 1, epoch: 1));
        Assert.Equal(new long[] { 1, 2, 6 }, Indices(Seven, 3, 2, epoch: 1));
        // Seed 40 at epoch 2 is seed 42: [1, 6, 3, 5, 4, 0, 2], padded with [1].
        Assert.Equal(new long[] { 1, 3, 4, 2 }, Indices(Seven, 2, 0, seed: 40, epoch: 2));
        Assert.Equal(new long[] { 6, 5, 0, 1 }, Indices(Seven, 2, 1, seed: 40, epoch: 2));
        Assert.NotEqual(Indices(Seventeen, 2, 0, epoch: 0), Indices(Seventeen, 2, 0, epoch: 1));
    }

    [Fact]
    public void Drop_last_cuts_the_uneven_tail()
    {
        // randperm(17) seeded 42, cut to 16: ceil((17 - 4) / 4) = 4 samples per rank.
        var sampler = new DistributedSampler(Seventeen, 4, 1, seed: 42, dropLast: true);
        Assert.Equal(4, sampler.Count);
        Assert.Equal(new long[] { 4, 16, 10, 7 }, sampler.ToArray());
    }

    [Theory]
    [InlineData(17, 1)]
    [InlineData(17, 2)]
    [InlineData(17, 3)]
    [InlineData(16, 4)]
    [InlineData(100, 7)]
    public void Shards_are_disjoint_and_cover_the_dataset(int n, int replicas)
    {
        var data = new TensorDataset(Tensor.Arange((long)n));
        var shards = Enumerable.Range(0, replicas).Select(r => Indices(data, replicas, r, seed: 5, dropLast: true)).ToArray();
        var all = shards.SelectMany(s => s).ToArray();
        Assert.Equal(all.Length, all.Distinct().Count());
        Assert.Equal(n - n % replicas, all.Length);

        var padded = Enumerable.Range(0, replicas).SelectMany(r => Indices(data, replicas, r, seed: 5)).ToArray();
        Assert.Equal(Enumerable.Range(0, n).Select(i => (long)i), padded.Distinct().Order());
        Assert.Equal((n + replicas - 1) / replicas * replicas, padded.Length);
    }

    [Fact]
    public void Without_shuffle_rank_r_takes_every_nth_index()
    {
        Assert.Equal(new long[] { 1, 4, 0 }, Indices(Seven, 3, 1, shuffle: false));
    }

    [Fact]
    public void A_data_loader_batches_the_samplers_indices()
    {
        var sampler = new DistributedSampler(Seventeen, 2, 1, seed: 0, shuffle: false);
        var loader = new DataLoader(Seventeen, batchSize: 4, sampler: sampler);
        Assert.Equal(3, loader.Count);
        var batches = loader.Select(b => b[0].ToInt64Array()).ToArray();
        Assert.Equal(new long[] { 1, 3, 5, 7 }, batches[0]);
        Assert.Equal(new long[] { 9, 11, 13, 15 }, batches[1]);
        Assert.Equal(new long[] { 0 }, batches[2]);
        Assert.Throws<ArgumentException>(() => new DataLoader(Seventeen, shuffle: true, sampler: sampler));
    }

    [Fact]
    public void A_rank_outside_the_world_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DistributedSampler(Seven, 2, 2));
    }
}
