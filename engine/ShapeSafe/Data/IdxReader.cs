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
    public static (int[] Dims, byte[] Data) Read(string path, int expectedMagic)
    {
        using var file = File.OpenRead(path);
        bool gzip = IsGzip(file);
        using var stream = gzip ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        return Read(path, stream, expectedMagic);
    }

    static (int[] Dims, byte[] Data) Read(string path, Stream stream, int expectedMagic)
    {
        Span<byte> word = stackalloc byte[4];
        if (Fill(stream, word, path) < 4)
            throw new InvalidDataException($"{path}: truncated: the file ends inside the 4-byte magic number");
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
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(word);
            if (dims[i] < 0)
                throw new InvalidDataException($"{path}: dim {i} has negative size {dims[i]}");
            count *= dims[i];
            if (count > Array.MaxLength)
                throw new InvalidDataException($"{path}: the header declares more than {Array.MaxLength} bytes of data");
        }

        var data = new byte[count];
        int read = Fill(stream, data, path);
        if (read < data.Length)
            throw new InvalidDataException(
                $"{path}: truncated: the header promises {data.Length} bytes of data ({Rules.Format(dims)}) but the file holds {read}");
        if (Fill(stream, word[..1], path) > 0)
            throw new InvalidDataException(
                $"{path}: the file holds more bytes than the header promises ({data.Length} bytes of data for {Rules.Format(dims)})");
        return (dims, data);
    }

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

