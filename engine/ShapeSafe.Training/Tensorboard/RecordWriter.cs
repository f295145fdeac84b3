using System.Buffers.Binary;
using System.Numerics;

namespace ShapeSafe.Tensorboard;

/// <summary>
/// TFRecord framing, which TensorBoard's event files use: each record is its length (uint64, little-endian), the
/// masked CRC-32C of those 8 bytes, the data, and the masked CRC-32C of the data.
/// </summary>
internal sealed class RecordWriter(Stream stream) : IDisposable
{
    public void Write(ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], MaskedCrc(header[..8]));
        Span<byte> footer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(footer, MaskedCrc(data));
        stream.Write(header);
        stream.Write(data);
        stream.Write(footer);
    }

    public void Flush() => stream.Flush();

    public void Dispose() => stream.Dispose();

    /// <summary>TFRecord's mask: rotate right by 15 bits and add a constant, so CRCs of CRCs stay well spread.</summary>
    internal static uint MaskedCrc(ReadOnlySpan<byte> data)
    {
        uint crc = Crc32C(data);
        return unchecked(((crc >> 15) | (crc << 17)) + 0xa282ead8u);
    }

    /// <summary>CRC-32C (Castagnoli), with the SSE4.2 / ARM instruction where the CPU has it (<see cref="BitOperations.Crc32C(uint, ulong)"/>).</summary>
    internal static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        for (; i < data.Length; i++)
            crc = BitOperations.Crc32C(crc, data[i]);
        return ~crc;
    }
}
