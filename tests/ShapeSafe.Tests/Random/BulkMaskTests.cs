using ShapeSafe.Kernels.Dropout;

namespace ShapeSafe.Tests.Random;

/// <summary>
/// Dropout's mask drawn in bulk (<see cref="Mt19937.BernoulliBelow"/>, the vectorized twist) against the generator
/// as it drew before: the textbook Mersenne Twister one word at a time, and per element a 53-bit double compared
/// with 1 - p. Masks, and the engine's state afterwards, must be equal.
/// </summary>
public class BulkMaskTests
{
    /// <summary>at::mt19937 one word at a time: the modular recurrence, the lazy twist, the tempering.</summary>
    sealed class ReferenceTwister
    {
        readonly uint[] _s = new uint[624];
        int _left = 1, _next;

        public ReferenceTwister(ulong seed)
        {
            _s[0] = (uint)seed;
            for (uint j = 1; j < 624; j++) _s[j] = unchecked(1812433253u * (_s[j - 1] ^ (_s[j - 1] >> 30)) + j);
        }

        public uint[] State => _s;
        public int Left => _left;
        public int Next => _next;

        public uint NextUInt32()
        {
            if (--_left == 0)
            {
                for (int k = 0; k < 624; k++)
                {
                    uint y = (_s[k] & 0x80000000u) | (_s[(k + 1) % 624] & 0x7fffffffu);
                    _s[k] = _s[(k + 397) % 624] ^ (y >> 1) ^ ((_s[(k + 1) % 624] & 1) != 0 ? 0x9908b0dfu : 0u);
                }
                _left = 624;
                _next = 0;
            }
            uint x = _s[_next++];
            x ^= x >> 11;
            x ^= (x << 7) & 0x9d2c5680u;
            x ^= (x << 15) & 0xefc60000u;
            return x ^ (x >> 18);
        }

        // The old mask: a double u = (random64 & (2^53 - 1))·2^-53 per element, kept when u < 1 - p.
        public float[] Mask(int length, double p)
        {
            double keep = 1 - p;
            float scale = 1f / (float)keep;
            var mask = new float[length];
            for (int i = 0; i < length; i++)
            {
                ulong hi = NextUInt32(), lo = NextUInt32();
                mask[i] = (((hi << 32) | lo) & ((1UL << 53) - 1)) * (1.0 / (1L << 53)) < keep ? scale : 0f;
            }
            return mask;
        }
    }

    static void AssertSameState(ReferenceTwister expected, Mt19937 actual)
    {
        Assert.Equal(expected.Left, actual.Left);
        Assert.Equal(expected.Next, actual.Next);
        Assert.Equal(expected.State, actual.State.ToArray());
    }

    [Theory]
    [InlineData(0UL, 1, 0.1)]
    [InlineData(42UL, 7, 0.1)]
    [InlineData(42UL, 8, 0.5)]
    [InlineData(7UL, 311, 0.1)]
    [InlineData(7UL, 312, 0.25)]
    [InlineData(7UL, 313, 0.9)]
    [InlineData(67280421310721UL, 1000, 0.1)]
    [InlineData(123456789UL, 131072, 0.1)]
    [InlineData(123456789UL, 131075, 0.3)]
    [InlineData(4294967295UL, 4099, 1e-9)]
    [InlineData(5UL, 2053, 0)]
    public void The_bulk_mask_equals_the_one_word_at_a_time_mask_and_leaves_the_same_state(ulong seed, int length, double p)
    {
        // Pre-draws of 0 to 3 words put the element pairs on both parities, so some straddle a twist.
        for (int skip = 0; skip < 4; skip++)
        {
            var reference = new ReferenceTwister(seed);
            var generator = new Generator(unchecked((long)seed));
            for (int i = 0; i < skip; i++) Assert.Equal(reference.NextUInt32(), generator.Engine.NextUInt32());
            // Three masks back to back, then single words: the state must carry on as the reference's.
            for (int round = 0; round < 3; round++)
            {
                var mask = new float[length];
                DropoutKernel.Mask(mask, p, generator);
                Assert.Equal(reference.Mask(length, p), mask);
                AssertSameState(reference, generator.Engine);
            }
            for (int i = 0; i < 700; i++) Assert.Equal(reference.NextUInt32(), generator.Engine.NextUInt32());
        }
    }

    [Fact]
    public void Masks_drawn_at_every_offset_of_a_block_equal_the_reference()
    {
        // One generator through many short masks of changing lengths: every start within the 624-word block and
        // every tail length of the eight-lane loop.
        var reference = new ReferenceTwister(99);
        var generator = new Generator(99);
        for (int length = 0; length < 700; length += 1 + length % 5)
        {
            var mask = new float[length];
            DropoutKernel.Mask(mask, 0.2, generator);
            Assert.Equal(reference.Mask(length, 0.2), mask);
        }
        AssertSameState(reference, generator.Engine);
    }

    [Fact]
    public void The_vectorized_twist_gives_the_reference_words()
    {
        foreach (ulong seed in new[] { 0UL, 1UL, 5489UL, 0xFFFFFFFFFFFFUL })
        {
            var reference = new ReferenceTwister(seed);
            var engine = new Mt19937(seed);
            for (int i = 0; i < 624 * 5 + 3; i++) Assert.Equal(reference.NextUInt32(), engine.NextUInt32());
            AssertSameState(reference, engine);
        }
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(1.0 / 3)]
    [InlineData(1e-300)]
    [InlineData(0.999999999999)]
    public void The_integer_threshold_decides_as_the_double_comparison(double p)
    {
        double keep = 1 - p;
        ulong threshold = DropoutKernel.KeepThreshold(keep);
        // The draws at and around the threshold, where the two comparisons could disagree.
        for (long delta = -3; delta <= 3; delta++)
        {
            ulong m = (ulong)((long)threshold + delta);
            if (m >= 1UL << 53) continue;
            Assert.Equal(m * (1.0 / (1L << 53)) < keep, m < threshold);
        }
    }
}
