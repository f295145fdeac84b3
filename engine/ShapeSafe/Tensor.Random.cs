namespace ShapeSafe;

// Random sampling (seed section 6). Values match LibTorch's CPU generator draw for draw; the
// transforms live in Random/RandomKernels and these factories give them shapes.
public partial class Tensor
{
    /// <summary>Uniform samples in [0, 1) (<c>torch.rand</c>).</summary>
    [ShapeContract("Factory")]
    public static Tensor Rand(params int[] shape) => Rand(shape, null);

    /// <summary>Uniform samples in [0, 1) from <paramref name="generator"/> (the default generator when null).</summary>
    [ShapeContract("Factory")]
    public static Tensor Rand(int[] shape, Generator? generator)
    {
        var t = Uninitialized(DType.Float32, (int[])shape.Clone(), "Rand");
        RandomKernels.FillUniform(t.FloatData, 0, 1, generator);
        return t;
    }

    /// <summary>Standard normal samples (<c>torch.randn</c>).</summary>
    [ShapeContract("Factory")]
    public static Tensor Randn(params int[] shape) => Randn(shape, null);

    /// <summary>Standard normal samples from <paramref name="generator"/>.</summary>
    [ShapeContract("Factory")]
    public static Tensor Randn(int[] shape, Generator? generator)
    {
        var t = Uninitialized(DType.Float32, (int[])shape.Clone(), "Randn");
        RandomKernels.FillNormal(t.FloatData, 0, 1, contiguous: true, generator);
        return t;
    }

    /// <summary>Integers uniform in [<paramref name="low"/>, <paramref name="high"/>) as Int64 (<c>torch.randint</c>).</summary>
    [ShapeContract("Factory")]
    public static Tensor Randint(long low, long high, int[] shape, Generator? generator = null)
    {
        if (low >= high)
            throw new ArgumentException($"Randint: expects low < high, but got low = {low} and high = {high}");
        var t = Uninitialized(DType.Int64, (int[])shape.Clone(), "Randint");
        RandomKernels.FillRandint(t.LongData, low, high, generator);
        return t;
    }

    /// <summary>Integers uniform in [0, <paramref name="high"/>) as Int64.</summary>
    [ShapeContract("Factory")]
    public static Tensor Randint(long high, int[] shape, Generator? generator = null) => Randint(0, high, shape, generator);

    /// <summary>A random permutation of 0..n-1 as Int64 (<c>torch.randperm</c>).</summary>
    public static Tensor Randperm(int n, Generator? generator = null)
    {
        if (n < 0) throw new ArgumentException($"Randperm: n must be non-negative, got {n}", nameof(n));
        return Create(new Storage(RandomKernels.Randperm(n, generator)), new[] { n });
    }

    /// <summary>0/1 samples, each 1 with probability given by <paramref name="p"/> (values in [0, 1]).</summary>
    public static Tensor Bernoulli(Tensor p, Generator? generator = null)
    {
        var probs = p.ToFloatArray();
        var t = Uninitialized(DType.Float32, (int[])p.Sizes.Clone(), "Bernoulli");
        RandomKernels.Bernoulli(probs, t.FloatData, generator);
        return t;
    }

    /// <summary>
    /// Category indices sampled from each row of <paramref name="probs"/> (1-D or 2-D non-negative weights):
    /// [numSamples] or [rows, numSamples], Int64.
    /// </summary>
    public static Tensor Multinomial(Tensor probs, int numSamples, bool replacement = false, Generator? generator = null)
    {
        if (probs.Rank is not (1 or 2))
            throw new ShapeException("Multinomial", $"prob_dist must be 1 or 2 dim, got shape {Rules.Format(probs.Sizes)}");
        int rows = probs.Rank == 1 ? 1 : probs.Sizes[0];
        int categories = probs.Sizes[^1];
        var samples = RandomKernels.Multinomial(probs.ToFloatArray(), rows, categories, numSamples, replacement, generator);
        var shape = probs.Rank == 1 ? new[] { numSamples } : new[] { rows, numSamples };
        return Create(new Storage(samples), shape);
    }

    /// <summary>Normal samples with a fixed mean and standard deviation.</summary>
    public static Tensor Normal(float mean, float std, int[] shape, Generator? generator = null)
    {
        var t = Uninitialized(DType.Float32, (int[])shape.Clone(), "Normal");
        RandomKernels.FillNormal(t.FloatData, mean, std, contiguous: true, generator);
        return t;
    }

    /// <summary>Normal samples with element-wise means and standard deviations (broadcast together).</summary>
    public static Tensor Normal(Tensor mean, Tensor std, Generator? generator = null)
    {
        var shape = Rules.Broadcast(mean.Sizes, std.Sizes, "Normal");
        var m = mean.BroadcastTo(shape).ToFloatArray();
        var s = std.BroadcastTo(shape).ToFloatArray();
        var t = Uninitialized(DType.Float32, shape, "Normal");
        RandomKernels.Normal(m, s, t.FloatData, contiguous: true, generator);
        return t;
    }

    /// <summary>Poisson samples with the given rates (non-negative).</summary>
    public static Tensor Poisson(Tensor rates, Generator? generator = null)
    {
        var t = Uninitialized(DType.Float32, (int[])rates.Sizes.Clone(), "Poisson");
        RandomKernels.Poisson(rates.ToFloatArray(), t.FloatData, generator);
        return t;
    }

    /// <summary>Seeds the default generator (<c>torch.manual_seed</c>).</summary>
    public static Generator ManualSeed(long seed) => Generator.Default.ManualSeed(seed);

    /// <summary>Seeds the default generator non-deterministically and returns the seed.</summary>
    public static long Seed() => Generator.Default.Seed();

    /// <summary>The default generator's initial seed.</summary>
    public static long InitialSeed() => Generator.Default.InitialSeed();

    /// <summary>The default generator's state.</summary>
    public static byte[] GetRngState() => Generator.Default.GetState();

    /// <summary>Restores the default generator's state.</summary>
    public static void SetRngState(byte[] state) => Generator.Default.SetState(state);
}
