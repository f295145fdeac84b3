using System.Buffers.Binary;
using System.IO.Compression;

namespace ShapeSafe.Data;

/// <summary>
/// Writes IDX files of unsigned bytes, the format <see cref="FashionMnist"/> reads: for shipping a
/// small subset of a dataset, or for tests that make their own.
/// </summary>
public static class IdxWriter
{
    /// <summary>
    /// Writes <paramref name="data"/> (row-major, as many bytes as <paramref name="dims"/> multiply to)
    /// with the header <c>0x000008NN</c> and the dims, gzip-compressed when <paramref name="gzip"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The dims are negative, more than 255, or do not match the data length.</exception>
    public static void Write(string path, ReadOnlySpan<byte> data, int[] dims, bool gzip = false)
    {
        ArgumentNullException.ThrowIfNull(dims);
        if (dims.Length > 255)
            throw new ArgumentException($"IdxWriter: an IDX file has at most 255 dims, got {dims.Length}", nameof(dims));
        long count = 1;
        foreach (var d in dims)
        {
            if (d < 0) throw new ArgumentException($"IdxWriter: dims must be non-negative, got {Rules.Format(dims)}", nameof(dims));
            count *= d;
        }
        if (count != data.Length)
            throw new ArgumentException($"IdxWriter: dims {Rules.Format(dims)} hold {count} bytes but {data.Length} were given", nameof(dims));

        var header = new byte[4 + 4 * dims.Length];
        BinaryPrimitives.WriteInt32BigEndian(header, (IdxReader.UnsignedByte << 8) | dims.Length);
        for (int i = 0; i < dims.Length; i++)
            BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4 + 4 * i), dims[i]);

        using var file = File.Create(path);
        using var stream = gzip ? new GZipStream(file, CompressionLevel.Optimal) : (Stream)file;
        stream.Write(header);
        stream.Write(data);
    }

    /// <summary>
    /// Writes images in [0, 1] (Float32 [N, 1, H, W] or [N, H, W], as <see cref="FashionMnist"/> loads
    /// them) as bytes <c>round(x * 255)</c> with dims [N, H, W]; reading them back gives the same values.
    /// </summary>
    /// <exception cref="ShapeException">The tensor is not [N, 1, H, W] or [N, H, W].</exception>
    /// <exception cref="ArgumentException">A value is outside [0, 1].</exception>
    public static void WriteImages(string path, Tensor images, bool gzip = false)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (!(images.Rank == 3 || (images.Rank == 4 && images.Sizes[1] == 1)))
            throw new ShapeException("IdxWriter.WriteImages", $"expects images [N, 1, H, W] or [N, H, W], got shape {Rules.Format(images.Sizes)}");
        var values = images.ToFloatArray();
        var bytes = new byte[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (!(v >= 0f && v <= 1f))
                throw new ArgumentException($"IdxWriter.WriteImages: pixel values must be in [0, 1], element {i} is {v}", nameof(images));
            bytes[i] = (byte)MathF.Round(v * 255f);
        }
        Write(path, bytes, new[] { images.Sizes[0], images.Sizes[^2], images.Sizes[^1] }, gzip);
    }

    /// <summary>Writes labels (a 1-D tensor of integers in 0..255) with dims [N].</summary>
    /// <exception cref="ShapeException">The tensor is not 1-D.</exception>
    /// <exception cref="ArgumentException">A label is outside 0..255.</exception>
    public static void WriteLabels(string path, Tensor labels, bool gzip = false)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Rank != 1)
            throw new ShapeException("IdxWriter.WriteLabels", $"expects labels [N], got shape {Rules.Format(labels.Sizes)}");
        var values = labels.ToInt64Array();
        var bytes = new byte[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] is < 0 or > 255)
                throw new ArgumentException($"IdxWriter.WriteLabels: labels must be in 0..255, element {i} is {values[i]}", nameof(labels));
            bytes[i] = (byte)values[i];
        }
        Write(path, bytes, new[] { values.Length }, gzip);
    }
}
