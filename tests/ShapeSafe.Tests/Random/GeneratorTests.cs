namespace ShapeSafe.Tests.Random;

public class GeneratorTests
{
    private static float[] DrawMixed(Generator generator)
    {
        var values = new List<float>();
        var small = new float[5];
        RandomKernels.FillNormal(small, 0, 1, true, generator);
        values.AddRange(small);
        var large = new float[21];
        RandomKernels.FillNormal(large, 0, 1, true, generator);
        values.AddRange(large);
        var uniform = new float[10];
        RandomKernels.FillUniform(uniform, 0, 1, generator);
        values.AddRange(uniform);
        var ints = new long[7];
        RandomKernels.FillRandint(ints, 0, 1000, generator);
        values.AddRange(ints.Select(i => (float)i));
        return values.ToArray();
    }

    [Fact]
    public void The_same_seed_gives_the_same_stream_and_another_seed_does_not()
    {
        Assert.Equal(DrawMixed(new Generator(5)), DrawMixed(new Generator(5)));
        Assert.NotEqual(DrawMixed(new Generator(5)), DrawMixed(new Generator(6)));
        Assert.Equal(DrawMixed(new Generator(5)), DrawMixed(new Generator(77).ManualSeed(5)));
    }

    [Fact]
    public void The_default_constructor_uses_pytorchs_default_seed()
    {
        Assert.Equal(67280421310721, new Generator().InitialSeed());
        Assert.Equal(DrawMixed(new Generator(67280421310721)), DrawMixed(new Generator()));
    }

    [Fact]
    public void ManualSeed_returns_the_generator_and_sets_InitialSeed()
    {
        var generator = new Generator(1);
        Assert.Same(generator, generator.ManualSeed(1234));
        Assert.Equal(1234, generator.InitialSeed());
    }

    [Fact]
    public void Seed_reseeds_non_deterministically_and_reports_the_seed()
    {
        var generator = new Generator(1);
        long seed = generator.Seed();
        Assert.Equal(seed, generator.InitialSeed());
        Assert.InRange(seed, 0, (1L << 53) - 1);
        Assert.Equal(DrawMixed(new Generator(seed)), DrawMixed(generator));
        Assert.NotEqual(seed, new Generator(1).Seed()); // two 53-bit draws colliding: ~1e-16
    }

    [Fact]
    public void Default_is_one_process_wide_generator()
    {
        Assert.Same(Generator.Default, Generator.Default);
    }

    [Fact]
    public void SetState_restores_a_state_saved_mid_stream_including_the_cached_normal()
    {
        var generator = new Generator(2024);
        RandomKernels.FillUniform(new float[13], 0, 1, generator);
        // Three double-precision normals: two Box–Muller pairs, the second sine half left cached.
        RandomKernels.FillNormal(new float[3], 0, 1, true, generator);
        byte[] saved = generator.GetState();

        float[] first = DrawMixed(generator);
        generator.SetState(saved);
        Assert.Equal(first, DrawMixed(generator));

        var other = new Generator(0);
        other.SetState(saved);
        Assert.Equal(first, DrawMixed(other));
        Assert.Equal(2024, other.InitialSeed());

        // The cached sample is part of the state: drop its flag and the next normal changes.
        byte[] withoutCache = (byte[])saved.Clone();
        withoutCache[5040] = 0;
        other.SetState(withoutCache);
        Assert.NotEqual(first[0], DrawMixed(other)[0]);
    }

    [Fact]
    public void GetState_round_trips_through_SetState_byte_for_byte()
    {
        var generator = new Generator(31);
        RandomKernels.FillNormal(new float[1], 0, 1, true, generator);
        byte[] state = generator.GetState();
        var copy = new Generator(99);
        copy.SetState(state);
        Assert.Equal(state, copy.GetState());
    }

    [Fact]
    public void ManualSeed_forgets_the_cached_normal()
    {
        var generator = new Generator(8);
        RandomKernels.FillNormal(new float[1], 0, 1, true, generator); // leaves a cached sample
        generator.ManualSeed(8);
        var again = new float[1];
        RandomKernels.FillNormal(again, 0, 1, true, generator);
        var fresh = new float[1];
        RandomKernels.FillNormal(fresh, 0, 1, true, new Generator(8));
        Assert.Equal(fresh, again);
    }

    public static TheoryData<string, Func<byte[], byte[]>> CorruptStates => new()
    {
        { "5056 bytes", s => s[..100] },
        { "'seeded' flag", s => { s[12] = 0; return s; } },
        { "'left' is 0", s => { s[8] = 0; s[9] = 0; return s; } },
        { "'left' is 700", s => { s[8] = 0xBC; s[9] = 0x02; return s; } },
        { "'next' is 9", s => { s[16] = 9; return s; } },
        { "word 3", s => { s[24 + 3 * 8 + 5] = 1; return s; } },
        { "cached-normal flag", s => { s[5040] = 2; return s; } },
        { "float normal flag", s => { s[5052] = 7; return s; } },
    };

    [Theory]
    [MemberData(nameof(CorruptStates))]
    public void SetState_rejects_a_malformed_state_with_a_clear_message_and_keeps_the_old_state(string problem, Func<byte[], byte[]> corrupt)
    {
        var source = new Generator(3);
        RandomKernels.FillNormal(new float[1], 0, 1, true, source);
        byte[] bad = corrupt(source.GetState());

        var target = new Generator(11);
        byte[] before = target.GetState();
        var error = Assert.Throws<ArgumentException>(() => target.SetState(bad));
        Assert.Contains("SetState", error.Message);
        Assert.Contains(problem.Split(' ')[0], error.Message);
        Assert.Equal(before, target.GetState());
    }

    [Fact]
    public void SetState_rejects_null()
    {
        Assert.Throws<ArgumentNullException>(() => new Generator(1).SetState(null!));
    }

    [Fact]
    public void A_seeded_generator_gives_the_same_values_on_another_thread()
    {
        float[] here = DrawMixed(new Generator(4242));
        float[]? there = null;
        var thread = new Thread(() => there = DrawMixed(new Generator(4242)));
        thread.Start();
        thread.Join();
        Assert.Equal(here, there);
    }

    [Fact]
    public void Concurrent_calls_on_one_generator_never_interleave_within_a_call()
    {
        // Each call draws 16 uniforms under the generator's lock, so whatever the scheduling,
        // the calls' results are exactly the 16-value chunks of the sequential stream.
        const int Threads = 4, CallsPerThread = 500, Chunk = 16;
        var sequential = new Generator(77);
        var expected = new HashSet<string>();
        for (int i = 0; i < Threads * CallsPerThread; i++)
        {
            var chunk = new float[Chunk];
            RandomKernels.FillUniform(chunk, 0, 1, sequential);
            expected.Add(string.Join(",", chunk));
        }

        var shared = new Generator(77);
        var results = new System.Collections.Concurrent.ConcurrentBag<string>();
        System.Threading.Tasks.Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, _ =>
        {
            for (int i = 0; i < CallsPerThread; i++)
            {
                var chunk = new float[Chunk];
                RandomKernels.FillUniform(chunk, 0, 1, shared);
                results.Add(string.Join(",", chunk));
            }
        });

        Assert.Equal(Threads * CallsPerThread, results.Count);
        Assert.True(expected.SetEquals(results), "some call's values were not a chunk of the sequential stream");
    }

    [Fact]
    public void NextUInt64_puts_the_first_32_bit_draw_in_the_high_half()
    {
        var a = new Generator(10);
        var b = new Generator(10);
        ulong wide = a.NextUInt64();
        uint hi = b.NextUInt32();
        uint lo = b.NextUInt32();
        Assert.Equal(((ulong)hi << 32) | lo, wide);
    }

    [Fact]
    public void The_engine_matches_the_reference_mt19937_output()
    {
        // The reference mt19937 seeded with 5489 gives 3499211612 first and 4123659995 as its
        // 10000th output (the value C++ requires of std::mt19937).
        var generator = new Generator(5489);
        Assert.Equal(3499211612u, generator.NextUInt32());
        for (int i = 2; i < 10000; i++)
        {
            generator.NextUInt32();
        }

        Assert.Equal(4123659995u, generator.NextUInt32());
    }
}
