using System.Buffers.Binary;
using System.IO.Compression;
using ShapeSafe.Data;

namespace ShapeSafe.Tests.Data;

/// <summary>IDX files built to mislead the reader: gzip members without (or with a cut) trailer, bytes after the member, and headers that claim far more data than the file holds.</summary>
public sealed class IdxHostileFileTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("shapesafe-idx-hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    const int LabelsMagic = 0x00000801, ImagesMagic = 0x00000803;

    string Labels(byte[] bytes)
    {
        var path = Path.Combine(_dir, "labels.gz");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    static byte[] Gzip(byte[] content)
    {
        var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(content);
        return buffer.ToArray();
    }

    static byte[] LabelFile(int count)
    {
        var bytes = new byte[8 + count];
        BinaryPrimitives.WriteInt32BigEndian(bytes, LabelsMagic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        for (int i = 0; i < count; i++) bytes[8 + i] = (byte)(i % 10);
        return bytes;
    }

    static void Refused(string path, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path, LabelsMagic));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_whole_gzip_member_reads_back()
    {
        var (dims, data) = IdxReader.Read(Labels(Gzip(LabelFile(1000))), LabelsMagic);
        Assert.Equal(new[] { 1000 }, dims);
        Assert.Equal(LabelFile(1000)[8..], data);
    }

    [Fact]
    public void A_gzip_member_without_its_trailer_is_refused()
    {
        var whole = Gzip(LabelFile(1000));
        Refused(Labels(whole[..^8]), "truncated");
        Refused(Labels(whole[..^3]), "truncated");
        Refused(Labels(whole[..^1]), "truncated");
    }

    [Fact]
    public void Bytes_after_the_gzip_member_are_refused()
    {
        var whole = Gzip(LabelFile(1000));
        Refused(Labels([.. whole, .. "trailing garbage"u8.ToArray()]), "");
        Refused(Labels([.. whole, .. whole]), "");
        Refused(Labels([.. whole, 0]), "");
    }

    [Fact]
    public void A_trailer_whose_CRC_does_not_match_the_data_is_refused()
    {
        var whole = Gzip(LabelFile(1000));
        whole[^8] ^= 0x01;
        // zlib checks the CRC itself as it reads the trailer; the reader checks it again over what it read.
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(Labels(whole), LabelsMagic));
        Assert.Matches("CRC-32|not a valid gzip file", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_tiny_file_claiming_millions_of_images_is_refused_before_allocating_for_them(bool gzip)
    {
        var header = new byte[16 + 100];
        BinaryPrimitives.WriteInt32BigEndian(header, ImagesMagic);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 2_700_000);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(8), 28);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(12), 28);
        var path = Path.Combine(_dir, "images");
        File.WriteAllBytes(path, gzip ? Gzip(header) : header);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => IdxReader.Read(path, ImagesMagic));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("truncated", e.Message);
        Assert.Contains("the header promises 2116800000 bytes of data ([2700000, 28, 28])", e.Message);
        Assert.True(allocated < 4 << 20, $"{allocated} bytes allocated");
    }
}
