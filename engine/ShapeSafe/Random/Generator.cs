using System.Security.Cryptography;

namespace ShapeSafe;

/// <summary>
/// A CPU random number generator that draws the same numbers as PyTorch's <c>torch.Generator</c>
/// (LibTorch's <c>CPUGeneratorImpl</c>: a Mersenne Twister plus the cached second Box–Muller
/// sample). Seeded with the same value, every sampling function gives PyTorch's values.
/// </summary>
/// <remarks>
/// Draws from one generator are serialized with a lock, as PyTorch holds the generator's mutex
/// for the whole of a sampling call, so concurrent calls never interleave within a tensor.
/// </remarks>
public sealed class Generator
{
    /// <summary>The seed of a generator made without one, PyTorch's <c>default_rng_seed_val</c>.</summary>
    public const long DefaultSeed = 67280421310721;

    private readonly Lock _sync = new();
    private readonly Mt19937 _engine;

    /// <summary>Creates a generator seeded with <see cref="DefaultSeed"/>, like <c>torch.Generator()</c>.</summary>
    public Generator()
        : this(DefaultSeed)
    {
    }

    /// <summary>Creates a generator seeded with <paramref name="seed"/>.</summary>
    /// <param name="seed">Any 64-bit value; negative seeds are taken as their two's-complement bits, as PyTorch does.</param>
    public Generator(long seed) => _engine = new Mt19937(unchecked((ulong)seed));

    /// <summary>
    /// The process-wide generator used when no generator is given (<c>torch.default_generator</c>).
    /// Like PyTorch's, it starts from a non-deterministic seed; call <see cref="ManualSeed"/> for
    /// reproducible results.
    /// </summary>
    public static Generator Default { get; } = new(NonDeterministicSeed());

    /// <summary>
    /// The Box–Muller sine half cached by the double-precision normal sampler
    /// (PyTorch's <c>next_double_normal_sample</c>). Only touch it while holding <see cref="SyncRoot"/>.
    /// </summary>
    internal double? CachedNormal { get; set; }

    /// <summary>
    /// PyTorch's <c>next_float_normal_sample</c>: no CPU kernel used here fills it, but it is part of
    /// the state PyTorch saves, so it is carried through <see cref="GetState"/>/<see cref="SetState"/>.
    /// </summary>
    internal float? CachedFloatNormal { get; set; }

    /// <summary>The lock every sampling kernel holds for its whole run.</summary>
    internal Lock SyncRoot => _sync;

    /// <summary>The raw engine. Only use it while holding <see cref="SyncRoot"/>.</summary>
    internal Mt19937 Engine => _engine;

    /// <summary>Re-seeds the generator and forgets any cached normal sample (<c>manual_seed</c>).</summary>
    /// <returns>This generator.</returns>
    public Generator ManualSeed(long seed)
    {
        lock (_sync)
        {
            CachedNormal = null;
            CachedFloatNormal = null;
            _engine.Reseed(unchecked((ulong)seed));
        }

        return this;
    }

    /// <summary>Re-seeds the generator from a non-deterministic source (<c>seed()</c>).</summary>
    /// <returns>The seed used.</returns>
    public long Seed()
    {
        long seed = NonDeterministicSeed();
        ManualSeed(seed);
        return seed;
    }

    /// <summary>The seed the generator was last seeded with (<c>initial_seed()</c>).</summary>
    public long InitialSeed()
    {
        lock (_sync)
        {
            return unchecked((long)_engine.Seed);
        }
    }

    /// <summary>
    /// The generator's full state: the Mersenne Twister words and position and the cached normal
    /// sample, in the byte layout of PyTorch's <c>get_rng_state()</c> (5056 bytes).
    /// </summary>
    public byte[] GetState()
    {
        lock (_sync)
        {
            return GeneratorState.Write(_engine, CachedNormal, CachedFloatNormal);
        }
    }

    /// <summary>Restores a state from <see cref="GetState"/> (or from PyTorch's <c>get_rng_state()</c>).</summary>
    /// <exception cref="ArgumentNullException"><paramref name="state"/> is null.</exception>
    /// <exception cref="ArgumentException">The bytes are not a valid generator state; the generator is left unchanged.</exception>
    public void SetState(byte[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var parsed = GeneratorState.Read(state);
        lock (_sync)
        {
            _engine.CopyFrom(parsed.Engine);
            CachedNormal = parsed.CachedNormal;
            CachedFloatNormal = parsed.CachedFloatNormal;
        }
    }

    /// <summary>The next raw 32-bit word (ATen's <c>random()</c>).</summary>
    internal uint NextUInt32()
    {
        lock (_sync)
        {
            return _engine.NextUInt32();
        }
    }

    /// <summary>The next raw 64-bit word, high half drawn first (ATen's <c>random64()</c>).</summary>
    internal ulong NextUInt64()
    {
        lock (_sync)
        {
            return _engine.NextUInt64();
        }
    }

    // PyTorch keeps non-deterministic seeds to 53 bits so that they survive a trip through a double.
    private static long NonDeterministicSeed()
    {
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        return (long)(BitConverter.ToUInt64(bytes) & ((1UL << 53) - 1));
    }
}
