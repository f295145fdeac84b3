using System.Buffers.Binary;

namespace ShapeSafe;

/// <summary>
/// Reads and writes a generator state in the byte layout of PyTorch's <c>CPUGeneratorImplState</c>
/// on x86-64 little-endian, so states move between ShapeSafe and <c>torch.get_rng_state()</c>.
/// </summary>
/// <remarks>
/// Layout: seed u64 @0, left i32 @8, seeded i32 @12, next u64 @16, 624 Mersenne words each widened
/// to u64 @24, normal_x f64 @5016 (unused, 0), normal_y f64 @5024 (the cached double normal),
/// normal_rho f64 @5032 (unused, 0), normal_is_valid i32 @5040, 4 padding bytes,
/// next_float_normal_sample f32 @5048, its valid flag (one byte) @5052, 3 padding bytes.
/// </remarks>
internal static class GeneratorState
{
    internal const int Size = 5056;

    private const int SeedOffset = 0;
    private const int LeftOffset = 8;
    private const int SeededOffset = 12;
    private const int NextOffset = 16;
    private const int WordsOffset = 24;
    private const int NormalYOffset = 5024;
    private const int NormalValidOffset = 5040;
    private const int FloatNormalOffset = 5048;
    private const int FloatNormalValidOffset = 5052;

    internal readonly record struct Parsed(Mt19937 Engine, double? CachedNormal, float? CachedFloatNormal);

    internal static byte[] Write(Mt19937 engine, double? cachedNormal, float? cachedFloatNormal)
    {
        var bytes = new byte[Size];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt64LittleEndian(span[SeedOffset..], engine.Seed);
        BinaryPrimitives.WriteInt32LittleEndian(span[LeftOffset..], engine.Left);
        BinaryPrimitives.WriteInt32LittleEndian(span[SeededOffset..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(span[NextOffset..], (ulong)engine.Next);
        var words = engine.State;
        for (int i = 0; i < Mt19937.StateSize; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span[(WordsOffset + 8 * i)..], words[i]);
        }

        if (cachedNormal is double normal)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(span[NormalYOffset..], normal);
            BinaryPrimitives.WriteInt32LittleEndian(span[NormalValidOffset..], 1);
        }

        if (cachedFloatNormal is float floatNormal)
        {
            BinaryPrimitives.WriteSingleLittleEndian(span[FloatNormalOffset..], floatNormal);
            span[FloatNormalValidOffset] = 1;
        }

        return bytes;
    }

    internal static Parsed Read(byte[] bytes)
    {
        if (bytes.Length != Size)
        {
            throw Invalid($"expected {Size} bytes (PyTorch's CPU generator state) but got {bytes.Length}");
        }

        var span = bytes.AsSpan();
        ulong seed = BinaryPrimitives.ReadUInt64LittleEndian(span[SeedOffset..]);
        int left = BinaryPrimitives.ReadInt32LittleEndian(span[LeftOffset..]);
        int seeded = BinaryPrimitives.ReadInt32LittleEndian(span[SeededOffset..]);
        ulong next = BinaryPrimitives.ReadUInt64LittleEndian(span[NextOffset..]);

        if (seeded != 1)
        {
            throw Invalid($"the 'seeded' flag at byte {SeededOffset} is {seeded}, expected 1");
        }

        if (left < 1 || left > Mt19937.StateSize)
        {
            throw Invalid($"the Mersenne Twister countdown 'left' is {left}, expected 1..{Mt19937.StateSize}");
        }

        // PyTorch only range-checks these, but a position past the words would read out of
        // bounds; every state PyTorch or ShapeSafe writes has left + next == 625, or is freshly
        // seeded (left 1, next 0).
        bool consistent = left + (long)Math.Min(next, int.MaxValue) == Mt19937.StateSize + 1 || (left == 1 && next == 0);
        if (!consistent)
        {
            throw Invalid($"the Mersenne Twister position 'next' is {next} with 'left' {left}; expected next == {Mt19937.StateSize + 1} - left");
        }

        var words = new uint[Mt19937.StateSize];
        for (int i = 0; i < words.Length; i++)
        {
            ulong word = BinaryPrimitives.ReadUInt64LittleEndian(span[(WordsOffset + 8 * i)..]);
            if (word > uint.MaxValue)
            {
                throw Invalid($"Mersenne Twister word {i} is {word}, which does not fit in 32 bits");
            }

            words[i] = (uint)word;
        }

        int normalValid = BinaryPrimitives.ReadInt32LittleEndian(span[NormalValidOffset..]);
        if (normalValid is not (0 or 1))
        {
            throw Invalid($"the cached-normal flag at byte {NormalValidOffset} is {normalValid}, expected 0 or 1");
        }

        byte floatValid = span[FloatNormalValidOffset];
        if (floatValid > 1)
        {
            throw Invalid($"the cached float normal flag at byte {FloatNormalValidOffset} is {floatValid}, expected 0 or 1");
        }

        var engine = new Mt19937(0);
        engine.Restore(seed, left, (int)next, words);
        double? cachedNormal = normalValid == 1 ? BinaryPrimitives.ReadDoubleLittleEndian(span[NormalYOffset..]) : null;
        float? cachedFloat = floatValid == 1 ? BinaryPrimitives.ReadSingleLittleEndian(span[FloatNormalOffset..]) : null;
        return new Parsed(engine, cachedNormal, cachedFloat);
    }

    private static ArgumentException Invalid(string detail) =>
        new($"Generator.SetState: invalid generator state: {detail}.", "state");
}
