namespace ShapeSafe.Tests.Random;

/// <summary>
/// Values recorded from LibTorch 2.10 (CPU, through TorchSharp 0.107) with the calls named in each
/// test, each right after <c>torch.manual_seed</c>. They cover what tests/goldens/rng.jsonl does not.
/// </summary>
public class LibTorchParityTests
{
    [Fact]
    public void Uniform_from_to_matches_libtorch_bit_for_bit()
    {
        // torch.manual_seed(7); torch.empty(20).uniform_(-3.5, 2.25)
        float[] expected = [-0.4241954f, -2.3568816f, 0.29046726f, 0.27711907f, -2.161621f, -1.0558969f, -2.3092554f, 0.12098409f, -1.3994322f, 1.394793f, 1.4159231f, -0.33212256f, -1.8506757f, -2.3136635f, -0.9407315f, -1.4341058f, 0.6421875f, -3.0799513f, 2.0770378f, -2.8802273f];
        var actual = new float[20];
        RandomKernels.FillUniform(actual, -3.5, 2.25, new Generator(7));

        // Recorded with round-trip precision, so exact: this pins the fused multiply-add.
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Randint_with_a_range_of_2_pow_32_or_more_draws_64_bits()
    {
        // torch.randint(-5, 10_000_000_000, (8,))
        long[] expected = [8235817172, 6441514492, 538656725, 3141211721, 4802104054, 6240713634, 1421894100, 936339067];
        var actual = new long[8];
        RandomKernels.FillRandint(actual, -5, 10_000_000_000L, new Generator(7));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Randint_with_negative_bounds_matches_libtorch()
    {
        // torch.randint(-100, -50, (8,))
        long[] expected = [-85, -58, -79, -64, -67, -53, -63, -71];
        var actual = new long[8];
        RandomKernels.FillRandint(actual, -100, -50, new Generator(7));
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Randn_of_37_recomputes_the_last_16_values()
    {
        // torch.randn(37)
        float[] expected = [-0.8201345f, 0.39563116f, 0.8989085f, -1.3884039f, -0.16699602f, 0.28514996f, -0.6410915f, -0.8936554f, 0.926543f, -0.5355122f, -1.1597203f, -0.46015716f, 0.70853907f, 1.0127554f, 0.23039687f, 1.0901651f, -1.5826646f, -0.32456663f, 1.9263681f, -0.33001173f, 0.19844505f, -0.66186756f, -0.82845205f, -0.6056803f, -0.13543689f, 0.74711823f, 0.61181575f, 1.8677835f, 2.5116029f, -0.25013262f, 0.50112146f, 0.2600362f, -1.6370213f, 0.15771191f, 0.39574093f, -1.3677397f, -0.100734316f];
        var actual = new float[37];
        RandomKernels.FillNormal(actual, 0, 1, true, new Generator(7));
        GoldenTests.AssertClose(expected, actual, "randn(37)");
    }

    [Fact]
    public void Normal_with_scalar_mean_and_std_matches_libtorch_on_both_paths()
    {
        // torch.empty(20).normal_(1.5, 0.25) and torch.empty(5).normal_(1.5, 0.25)
        float[] expected20 = [1.2949663f, 1.5989078f, 1.7247272f, 1.152899f, 1.5496112f, 1.6955181f, 1.759777f, 1.3188723f, 1.2877729f, 1.1957676f, 1.4797446f, 1.8403713f, 0.9846305f, 1.6685252f, 1.1691636f, 1.1600578f, 1.2833246f, 1.3589983f, 0.98588437f, 1.4108194f];
        float[] expected5 = [1.4633012f, 1.6965353f, 1.7367054f, 1.221414f, 1.9226975f];
        var actual20 = new float[20];
        RandomKernels.FillNormal(actual20, 1.5, 0.25, true, new Generator(7));
        GoldenTests.AssertClose(expected20, actual20, "normal_(1.5, 0.25) n=20");
        var actual5 = new float[5];
        RandomKernels.FillNormal(actual5, 1.5, 0.25, true, new Generator(7));
        GoldenTests.AssertClose(expected5, actual5, "normal_(1.5, 0.25) n=5");
    }

    [Fact]
    public void Non_contiguous_randn_takes_the_per_element_path_even_for_20_values()
    {
        // x = torch.empty(4, 5).t(); x.normal_(0, 1); x.contiguous(). LibTorch's iterator walks a
        // nullary op in memory order, so the span handed to the kernel is x's storage, and the
        // contiguous copy lists storage[j * 5 + i] at logical (i, j) of the 5 x 4 view.
        float[] expected = [-0.1467951f, -0.8948279f, 0.3176783f, 1.3470227f, 0.7861413f, -0.35562503f, 0.13280697f, 2.438208f, 0.94682163f, 1.2323858f, 0.1373241f, 0.20275828f, -1.114344f, 0.13817266f, 0.24054612f, 2.4505413f, 1.6907902f, -1.6821985f, 1.3954508f, 2.0256019f];
        var storage = new float[20];
        RandomKernels.FillNormal(storage, 0, 1, contiguous: false, new Generator(7));
        var logical = new float[20];
        for (int i = 0; i < 5; i++)
        {
            for (int j = 0; j < 4; j++)
            {
                logical[i * 4 + j] = storage[j * 5 + i];
            }
        }

        GoldenTests.AssertClose(expected, logical, "non-contiguous normal_");
    }

    [Fact]
    public void Small_randn_calls_share_the_cached_second_sample()
    {
        // randn(1) three times, then randn(3): one stream of double-precision samples.
        float[] expected = [-0.1467951f, 0.7861413f, 0.94682163f, -1.114344f, 1.6907902f, -0.8948279f];
        var generator = new Generator(7);
        var actual = new List<float>();
        for (int i = 0; i < 3; i++)
        {
            var one = new float[1];
            RandomKernels.FillNormal(one, 0, 1, true, generator);
            actual.Add(one[0]);
        }

        var three = new float[3];
        RandomKernels.FillNormal(three, 0, 1, true, generator);
        actual.AddRange(three);
        GoldenTests.AssertClose(expected, actual, "randn(1) x3 then randn(3)");
    }

    [Fact]
    public void Bernoulli_matches_libtorch()
    {
        // torch.bernoulli(p) and torch.bernoulli(torch.full((40,), 0.5))
        float[] p = [0f, 0.1f, 0.5f, 0.9f, 1f, 0.3f, 0.7f, 0.25f, 0.999f, 0.001f, 0.5f, 0.5f];
        float[] expected = [0, 0, 1, 1, 1, 1, 0, 0, 1, 0, 1, 0];
        var actual = new float[p.Length];
        RandomKernels.Bernoulli(p, actual, new Generator(3));
        Assert.Equal(expected, actual);

        float[] expectedHalf = [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0];
        var half = Enumerable.Repeat(0.5f, 40).ToArray();
        var actualHalf = new float[40];
        RandomKernels.Bernoulli(half, actualHalf, new Generator(3));
        Assert.Equal(expectedHalf, actualHalf);
    }

    private static readonly float[] TwoRows = [0.1f, 0.2f, 0.0f, 0.4f, 0.3f, 1f, 2f, 0f, 3f, 0.5f];

    [Fact]
    public void Multinomial_with_replacement_matches_libtorch()
    {
        // torch.multinomial(probs.reshape(2, 5), 12, True)
        long[] expected = [3, 1, 3, 3, 1, 4, 3, 4, 4, 3, 3, 3, 3, 1, 0, 1, 1, 1, 3, 3, 3, 1, 0, 1];
        Assert.Equal(expected, RandomKernels.Multinomial(TwoRows, 2, 5, 12, replacement: true, new Generator(5)));
    }

    [Fact]
    public void Multinomial_without_replacement_matches_libtorch()
    {
        // torch.multinomial(probs.reshape(2, 5), 4, False)
        long[] expected = [3, 4, 1, 0, 1, 3, 4, 0];
        Assert.Equal(expected, RandomKernels.Multinomial(TwoRows, 2, 5, 4, replacement: false, new Generator(5)));
    }

    [Fact]
    public void Multinomial_of_one_sample_takes_the_exponential_race_with_or_without_replacement()
    {
        long[] expected = [3, 1];
        Assert.Equal(expected, RandomKernels.Multinomial(TwoRows, 2, 5, 1, replacement: true, new Generator(5)));
        Assert.Equal(expected, RandomKernels.Multinomial(TwoRows, 2, 5, 1, replacement: false, new Generator(5)));
    }

    [Fact]
    public void Multinomial_consumes_the_generator_as_libtorch_does()
    {
        // torch.rand(3) after each multinomial call
        var afterRace = new Generator(5);
        RandomKernels.Multinomial(TwoRows, 2, 5, 4, replacement: false, afterRace);
        var rand = new float[3];
        RandomKernels.FillUniform(rand, 0, 1, afterRace);
        GoldenTests.AssertClose([0.6697648f, 0.26147312f, 0.040715218f], rand, "rand(3) after multinomial without replacement");

        var afterSearch = new Generator(5);
        RandomKernels.Multinomial(TwoRows, 2, 5, 12, replacement: true, afterSearch);
        RandomKernels.FillUniform(rand, 0, 1, afterSearch);
        GoldenTests.AssertClose([0.856369f, 0.37414265f, 0.9060595f], rand, "rand(3) after multinomial with replacement");
    }

    [Fact]
    public void Multinomial_without_replacement_puts_positive_weights_first()
    {
        // torch.multinomial([1, 0, 0, 2], 4, False) gave [3, 0, 2, 1]: the two positive weights
        // first; the order of the zero-weight tail comes from LibTorch's sort internals.
        long[] actual = RandomKernels.Multinomial([1f, 0f, 0f, 2f], 1, 4, 4, replacement: false, new Generator(5));
        Assert.Equal([3L, 0L], actual[..2]);
        Assert.Equal([1L, 2L], actual[2..].Order());
    }

    [Fact]
    public void Poisson_matches_libtorch_for_small_and_large_rates()
    {
        // torch.poisson(rates), then torch.rand(3)
        float[] rates = [0f, 0.5f, 1f, 3f, 9.99f, 10f, 25f, 100f, 1000f, 1e5f, 2.5f, 50f];
        float[] expected = [0, 0, 3, 1, 8, 17, 34, 97, 1029, 100169, 2, 53];
        var generator = new Generator(11);
        var actual = new float[rates.Length];
        RandomKernels.Poisson(rates, actual, generator);
        Assert.Equal(expected, actual);
        var rand = new float[3];
        RandomKernels.FillUniform(rand, 0, 1, generator);
        GoldenTests.AssertClose([0.082624376f, 0.27295715f, 0.76938945f], rand, "rand(3) after poisson");
    }

    [Fact]
    public void Normal_with_tensor_mean_and_std_matches_libtorch_on_both_paths()
    {
        // mean = arange(20) * 0.5 - 3, std = arange(20) * 0.1 + 0.05; torch.normal(mean, std),
        // and the same on the first 5 elements.
        var mean = Enumerable.Range(0, 20).Select(i => i * 0.5f - 3f).ToArray();
        var std = Enumerable.Range(0, 20).Select(i => i * 0.1f + 0.05f).ToArray();
        float[] expected20 = [-2.978142f, -2.444491f, -1.6046067f, -1.5544739f, -2.131351f, -0.4373028f, 0.63841444f, 0.55110353f, -0.8446244f, 1.8953235f, 3.0666528f, 2.2543354f, 4.007352f, 4.9670405f, 4.3759418f, 7.369628f, 2.1251445f, 4.120633f, 5.7720633f, 9.617263f];
        float[] expected5 = [-3.005583f, -2.6718414f, -1.647421f, -1.0221115f, -0.49574262f];
        var actual20 = new float[20];
        RandomKernels.Normal(mean, std, actual20, true, new Generator(13));
        GoldenTests.AssertClose(expected20, actual20, "normal(mean, std) n=20");
        var actual5 = new float[5];
        RandomKernels.Normal(mean.AsSpan(0, 5), std.AsSpan(0, 5), actual5, true, new Generator(13));
        GoldenTests.AssertClose(expected5, actual5, "normal(mean, std) n=5");
    }

    [Fact]
    public void Randperm_matches_libtorch_for_seed_9()
    {
        // torch.randperm(10) and torch.randperm(10, dtype=float32) agree.
        Assert.Equal([0L, 5, 8, 7, 6, 2, 9, 1, 4, 3], RandomKernels.Randperm(10, new Generator(9)));
    }

    [Fact]
    public void Seeds_use_the_low_32_bits_for_the_stream_but_keep_all_64_for_InitialSeed()
    {
        float[] expected = [0.8302519f, 0.12611091f, 0.9074697f];
        var big = new Generator((1L << 40) | 5);
        var rand = new float[3];
        RandomKernels.FillUniform(rand, 0, 1, big);
        GoldenTests.AssertClose(expected, rand, "seed 2^40 + 5");
        Assert.Equal((1L << 40) | 5, big.InitialSeed());

        var negative = new Generator(-1);
        RandomKernels.FillUniform(rand, 0, 1, negative);
        GoldenTests.AssertClose([0.9937994f, 0.57130635f, 0.57000804f], rand, "seed -1");
        Assert.Equal(-1, negative.InitialSeed());
    }

    [Fact]
    public void GetState_uses_libtorchs_byte_layout()
    {
        // torch.manual_seed(42); torch.get_rng_state(): bytes 0..39 and 5000..5055.
        byte[] head = [42, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0, 147, 138, 60, 185, 0, 0, 0, 0];
        byte[] tail = [159, 153, 220, 49, 0, 0, 0, 0, 42, 181, 151, 1, .. new byte[44]];
        var generator = new Generator(42);
        byte[] state = generator.GetState();
        Assert.Equal(5056, state.Length);
        Assert.Equal(head, state[..40]);
        Assert.Equal(tail, state[5000..]);

        // After torch.randn(1): four 32-bit draws (left 621, next 4) and a cached sine half.
        byte[] headAfter = [42, 0, 0, 0, 0, 0, 0, 0, 109, 2, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0];
        byte[] tailAfter = [210, 9, 95, 85, 0, 0, 0, 0, 95, 66, 172, 243, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 133, 75, 61, 155, 211, 124, 192, 63, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        RandomKernels.FillNormal(new float[1], 0, 1, true, generator);
        state = generator.GetState();
        Assert.Equal(headAfter, state[..24]);
        Assert.Equal(tailAfter, state[5000..]);
    }
}
