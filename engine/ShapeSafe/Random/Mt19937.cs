using System.Runtime.Intrinsics;

namespace ShapeSafe;

/// <summary>
/// The 32-bit Mersenne Twister exactly as LibTorch's <c>at::mt19937</c> runs it: seeded from the
/// low 32 bits of a 64-bit seed (the full seed is kept for <c>initial_seed</c>), with the lazy
/// twist that happens on the first draw after seeding and after every 624 draws.
/// Not thread-safe: <see cref="Generator"/> serializes access.
/// </summary>
internal sealed partial class Mt19937
{
    internal const int StateSize = 624;
    private const int ShiftSize = 397;
    private const uint MatrixA = 0x9908b0df;
    private const uint UpperMask = 0x80000000;
    private const uint LowerMask = 0x7fffffff;

    private readonly uint[] _state = new uint[StateSize];

    // `_left` counts down to the next twist; `_next` indexes the next word to temper. PyTorch
    // stores both in its RNG state, so they are kept with the same meaning here.
    private int _left;
    private int _next;

    internal Mt19937(ulong seed) => Reseed(seed);

    /// <summary>The 64-bit seed this engine was last seeded with.</summary>
    internal ulong Seed { get; private set; }

    internal int Left => _left;

    internal int Next => _next;

    internal ReadOnlySpan<uint> State => _state;

    internal void Reseed(ulong seed)
    {
        Seed = seed;
        _state[0] = (uint)seed;
        for (uint j = 1; j < StateSize; j++)
        {
            uint prev = _state[j - 1];
            _state[j] = unchecked(1812433253u * (prev ^ (prev >> 30)) + j);
        }

        _left = 1;
        _next = 0;
    }

    /// <summary>Restores a state previously read through <see cref="State"/>, <see cref="Left"/> and <see cref="Next"/>.</summary>
    internal void Restore(ulong seed, int left, int next, ReadOnlySpan<uint> state)
    {
        Seed = seed;
        _left = left;
        _next = next;
        state.CopyTo(_state);
    }

    internal void CopyFrom(Mt19937 other) => Restore(other.Seed, other._left, other._next, other._state);

    internal uint NextUInt32()
    {
        if (--_left == 0)
        {
            Twist();
        }

        uint y = _state[_next++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >> 18;
        return y;
    }

    /// <summary>ATen's <c>random64()</c>: the first 32-bit draw is the high half.</summary>
    internal ulong NextUInt64()
    {
        ulong hi = NextUInt32();
        ulong lo = NextUInt32();
        return (hi << 32) | lo;
    }

    private void Twist()
    {
        if (Vector256.IsHardwareAccelerated)
        {
            TwistVectorized();
            return;
        }

        // The reference recurrence s[k] = s[k + 397 mod 624] ^ mix(s[k], s[k + 1 mod 624]) in its three index ranges,
        // so that no step tests for the wrap, and with the odd-word constant selected without a branch. Words
        // at k+1 are still old; from k = 227 on, the words at k+397 wrap to already-new ones, which is what the
        // reference generator does.
        Span<uint> st = _state;
        const int Wrap = StateSize - ShiftSize;
        for (int k = 0; k < Wrap; k++)
        {
            st[k] = st[k + ShiftSize] ^ Mix(st[k], st[k + 1]);
        }

        for (int k = Wrap; k < StateSize - 1; k++)
        {
            st[k] = st[k - Wrap] ^ Mix(st[k], st[k + 1]);
        }

        st[StateSize - 1] = st[ShiftSize - 1] ^ Mix(st[StateSize - 1], st[0]);

        _left = StateSize;
        _next = 0;
    }

    /// <summary>One step's twist of <paramref name="word"/> with its successor: the upper bit of one and the lower 31 of the other, shifted, and the matrix constant when the successor is odd.</summary>
    private static uint Mix(uint word, uint following) =>
        (((word & UpperMask) | (following & LowerMask)) >> 1) ^ ((0u - (following & 1)) & MatrixA);
}
