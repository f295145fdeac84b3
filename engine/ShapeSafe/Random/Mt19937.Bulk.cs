using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ShapeSafe;

// The draws dropout's mask takes in bulk: the same words in the same order as one NextUInt64 per element, read
// straight from the twisted block and tempered eight at a time, and the twist itself eight words at a time.
internal sealed partial class Mt19937
{
    /// <summary>
    /// For each element, one 53-bit draw as <c>NextUInt64() &amp; (2^53 - 1)</c> would give it, in order: the element
    /// is <paramref name="scale"/> where the draw is below <paramref name="threshold"/>, else 0. Leaves the engine
    /// exactly where <c>mask.Length</c> calls of <see cref="NextUInt64"/> would.
    /// </summary>
    internal void BernoulliBelow(Span<float> mask, ulong threshold, float scale)
    {
        int done = 0;
        while (done < mask.Length)
        {
            // The words left before the next twist (the call that finds _left at 1 twists before it reads).
            int ready = _left - 1;
            if (ready == 0)
            {
                Twist();
                // As after NextUInt32's twist but before its read: 624 words ready from index 0.
                _left = StateSize + 1;
                ready = StateSize;
            }
            int pairs = Math.Min(ready / 2, mask.Length - done);
            if (pairs == 0)
            {
                // One word before the twist: this element's two words straddle it.
                mask[done++] = (NextUInt64() & ((1UL << 53) - 1)) < threshold ? scale : 0f;
                continue;
            }
            BelowFromBlock(_state.AsSpan(_next, 2 * pairs), mask.Slice(done, pairs), threshold, scale);
            _next += 2 * pairs;
            _left -= 2 * pairs;
            done += pairs;
        }
    }

    // mask[i] from the untempered words (hi, lo) = (words[2i], words[2i + 1]).
    private static void BelowFromBlock(ReadOnlySpan<uint> words, Span<float> mask, ulong threshold, float scale)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref uint w = ref MemoryMarshal.GetReference(words);
            ref float m = ref MemoryMarshal.GetReference(mask);
            var below = Vector256.Create((long)threshold);
            var low53 = Vector256.Create((1UL << 21) - 1);
            var keep = Vector256.Create(scale);
            for (; i <= mask.Length - 8; i += 8)
            {
                // Eight elements' sixteen words; each 64-bit lane holds hi in its low half and lo in its high half.
                var first = Temper(Vector256.LoadUnsafe(ref w, (nuint)(2 * i))).AsUInt64();
                var second = Temper(Vector256.LoadUnsafe(ref w, (nuint)(2 * i + 8))).AsUInt64();
                // The 53-bit draw (hi & 0x1FFFFF) << 32 | lo, below 2^53, so the signed comparison is the unsigned one.
                var a = Vector256.LessThan((((first & low53) << 32) | (first >> 32)).AsInt64(), below);
                var b = Vector256.LessThan((((second & low53) << 32) | (second >> 32)).AsInt64(), below);
                (Vector256.Narrow(a, b).AsSingle() & keep).StoreUnsafe(ref m, (nuint)i);
            }
        }
        for (; i < mask.Length; i++)
        {
            ulong draw = ((ulong)(Temper(words[2 * i]) & 0x1FFFFF) << 32) | Temper(words[2 * i + 1]);
            mask[i] = draw < threshold ? scale : 0f;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Temper(uint y)
    {
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        return y ^ (y >> 18);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Temper(Vector256<uint> y)
    {
        y ^= y >> 11;
        y ^= (y << 7) & Vector256.Create(0x9d2c5680u);
        y ^= (y << 15) & Vector256.Create(0xefc60000u);
        return y ^ (y >> 18);
    }

    // Twist's three index ranges eight words at a time. In the first, s[k + 397] is still old; in the second,
    // s[k - 227] is already new (at least 227 words behind, so outside the eight being written); in both, the loads
    // of s[k..k+8] happen before the store of s[k..k+7], so s[k + 8] is still old.
    private void TwistVectorized()
    {
        const int Wrap = StateSize - ShiftSize;
        ref uint st = ref MemoryMarshal.GetArrayDataReference(_state);
        int k = 0;
        for (; k + 8 <= Wrap; k += 8)
            Mix8(ref st, k, k + ShiftSize).StoreUnsafe(ref st, (nuint)k);
        for (; k < Wrap; k++)
            _state[k] = _state[k + ShiftSize] ^ Mix(_state[k], _state[k + 1]);
        for (; k + 8 <= StateSize - 1; k += 8)
            Mix8(ref st, k, k - Wrap).StoreUnsafe(ref st, (nuint)k);
        for (; k < StateSize - 1; k++)
            _state[k] = _state[k - Wrap] ^ Mix(_state[k], _state[k + 1]);
        _state[StateSize - 1] = _state[ShiftSize - 1] ^ Mix(_state[StateSize - 1], _state[0]);

        _left = StateSize;
        _next = 0;
    }

    // s[from..from+7] ^ Mix(s[k..k+7], s[k+1..k+8]).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Mix8(ref uint st, int k, int from)
    {
        var word = Vector256.LoadUnsafe(ref st, (nuint)k);
        var following = Vector256.LoadUnsafe(ref st, (nuint)(k + 1));
        var odd = Vector256<uint>.Zero - (following & Vector256<uint>.One);
        var mixed = (((word & Vector256.Create(UpperMask)) | (following & Vector256.Create(LowerMask))) >> 1) ^ (odd & Vector256.Create(MatrixA));
        return Vector256.LoadUnsafe(ref st, (nuint)from) ^ mixed;
    }
}
