using System.Buffers.Binary;
using System.IO.Compression;

namespace ShapeSafe.Data;

/// <summary>
/// Reads IDX files of unsigned bytes (the MNIST format): a big-endian magic number
/// <c>0x000008NN</c> (type 0x08, NN dims), NN big-endian int32 sizes, then the bytes. Files may be
/// gzip-compressed; that is told by the gzip magic bytes, not by the name.
/// </summary>
internal static class IdxReader
{
    /// <summary>The type byte of unsigned 8-bit data.</summary>
    public const int UnsignedByte = 0x08;

    /// <summary>Reads <paramref name="path"/>, which must start with <paramref name="expectedMagic"/>.</summary>
    /// <returns>The dim sizes and the data, row-major.</returns>
    /// <exception cref="InvalidDataException">The file is not such an IDX file; the message names it and the problem.</exception>
    /// <remarks>
    /// Nothing is allocated for the data until the sizes the header declares are known to fit the file: its length,
    /// or for gzip the uncompressed length in the trailer. A gzip file must be exactly one member whose CRC-32 and
    /// length match the data; a missing or cut trailer, or bytes after the member, are refused.
    /// </remarks>
    public static (int[] Dims, byte[] Data) Read(string path, int expectedMagic)
    {
        using var file = File.OpenRead(path);
        if (!IsGzip(file))
            return Read(path, file, expectedMagic, file.Length, null);

        // RFC 1952: a member is a 10-byte header, the deflate data, then CRC-32 and ISIZE (length mod 2^32), little-endian.
        if (file.Length < 18)
            throw new InvalidDataException($"{path}: truncated: a gzip file of {file.Length} bytes cannot hold a header and a trailer");
        Span<byte> trailer = stackalloc byte[8];
        file.Position = file.Length - 8;
        file.ReadExactly(trailer);
        file.Position = 0;
        var expected = new GzipTrailer(
            System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]),
            file.Length);
        using var stream = new GZipStream(file, CompressionMode.Decompress);
        return Read(path, stream, expectedMagic, expected.Size, expected);
    }

    /// <summary>What a gzip file's last 8 bytes claim about its data, and the compressed length.</summary>
    sealed record GzipTrailer(uint Crc, uint Size, long CompressedLength);

    // Deflate expands at most about 1032:1, so a claim beyond that cannot be true whatever the trailer says.
    const long MaxDeflateRatio = 1032;

    static (int[] Dims, byte[] Data) Read(string path, Stream stream, int expectedMagic, long available, GzipTrailer? gzip)
    {
        uint crc = 0;
        Span<byte> word = stackalloc byte[4];
        if (Fill(stream, word, path) < 4)
            throw new InvalidDataException($"{path}: truncated: the file ends inside the 4-byte magic number");
        crc = Crc32.Append(crc, word);
        int magic = BinaryPrimitives.ReadInt32BigEndian(word);
        if (magic != expectedMagic)
            throw new InvalidDataException(
                $"{path}: wrong magic number 0x{magic:X8}, expected 0x{expectedMagic:X8} (IDX unsigned bytes with {expectedMagic & 0xFF} dims)");

        var dims = new int[magic & 0xFF];
        long count = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (Fill(stream, word, path) < 4)
                throw new InvalidDataException($"{path}: truncated: the file ends inside the header, which declares {dims.Length} dims");
            crc = Crc32.Append(crc, word);
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(word);
            if (dims[i] < 0)
                throw new InvalidDataException($"{path}: dim {i} has negative size {dims[i]}");
            count *= dims[i];
            if (count > Array.MaxLength)
                throw new InvalidDataException($"{path}: the header declares more than {Array.MaxLength} bytes of data");
        }

        // Check the claim against the file before allocating for it.
        long header = 4 + 4L * dims.Length;
        if (gzip is null)
        {
            if (available - header < count)
                throw Truncated(path, count, dims, available - header);
        }
        else
        {
            long total = header + count;
            if (total > gzip.CompressedLength * MaxDeflateRatio)
                throw new InvalidDataException(
                    $"{path}: truncated or corrupt: the header promises {count} bytes of data ({Rules.Format(dims)}), more than a gzip file of {gzip.CompressedLength} bytes can hold");
            if ((uint)total != gzip.Size)
            {
                if (gzip.Size < total && total <= uint.MaxValue)
                    throw Truncated(path, count, dims, gzip.Size - header);
                throw new InvalidDataException(
                    $"{path}: the gzip trailer records {gzip.Size} bytes (mod 2^32) but the header promises {total} ({count} bytes of data for {Rules.Format(dims)}): the file is truncated or corrupt, or holds more bytes than the header promises");
            }
        }

        var data = new byte[count];
        int read = Fill(stream, data, path);
        if (read < data.Length)
            throw Truncated(path, count, dims, read);
        if (Fill(stream, word[..1], path) > 0)
            throw new InvalidDataException(
                $"{path}: the file holds more bytes than the header promises ({data.Length} bytes of data for {Rules.Format(dims)})");
        if (gzip is not null && Crc32.Append(crc, data) != gzip.Crc)
            throw new InvalidDataException(
                $"{path}: the data's CRC-32 does not match the gzip trailer: the file is corrupt, truncated, or has bytes after the gzip member");
        return (dims, data);
    }

    static InvalidDataException Truncated(string path, long count, int[] dims, long holds) =>
        new($"{path}: truncated: the header promises {count} bytes of data ({Rules.Format(dims)}) but the file holds {Math.Max(holds, 0)}");

    // Reads until the buffer is full or the data ends; a corrupt gzip stream is reported with the file's name.
    static int Fill(Stream stream, Span<byte> buffer, string path)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a valid gzip file ({e.Message})", e);
        }
    }

    // Peeks at the first two bytes: 0x1f 0x8b starts every gzip member (RFC 1952).
    static bool IsGzip(FileStream file)
    {
        Span<byte> head = stackalloc byte[2];
        int read = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return read == 2 && head[0] == 0x1f && head[1] == 0x8b;
    }
}

