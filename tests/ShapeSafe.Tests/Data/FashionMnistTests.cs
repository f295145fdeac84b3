using System.IO.Compression;
using ShapeSafe.Data;

namespace ShapeSafe.Tests.Data;

/// <summary>The IDX reader and writer on small files made here, plain and gzip, and every malformed case.</summary>
public sealed class FashionMnistTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("shapesafe-idx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Three 28x28 images whose pixel p of image n is (n * 7 + p) % 256, labels 9, 0, 4.
    static byte[] Pixels(int n = 3) => Enumerable.Range(0, n * 28 * 28).Select(i => (byte)((i / 784 * 7 + i % 784) % 256)).ToArray();

    void WriteSplit(string split, bool gzip, byte[]? pixels = null, byte[]? labels = null, int side = 28)
    {
        pixels ??= Pixels();
        labels ??= new byte[] { 9, 0, 4 };
        string ext = gzip ? ".gz" : "";
        IdxWriter.Write(Path.Combine(_dir, $"{split}-images-idx3-ubyte{ext}"), pixels, new[] { pixels.Length / (side * side), side, side }, gzip);
        IdxWriter.Write(Path.Combine(_dir, $"{split}-labels-idx1-ubyte{ext}"), labels, new[] { labels.Length }, gzip);
    }

    string ImagesPath(string split = "train") => Path.Combine(_dir, $"{split}-images-idx3-ubyte");

    string LabelsPath(string split = "train") => Path.Combine(_dir, $"{split}-labels-idx1-ubyte");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Written_files_read_back_as_scaled_images_and_int64_labels(bool gzip)
    {
        WriteSplit("train", gzip);

        var data = FashionMnist.Load(_dir);

        Assert.Equal(3, data.Count);
        Assert.Equal(new[] { 3, 1, 28, 28 }, data.Images.Shape);
        Assert.Equal(DType.Float32, data.Images.DType);
        Assert.Equal(new long[] { 9, 0, 4 }, data.Labels.ToInt64Array());
        Assert.Equal(DType.Int64, data.Labels.DType);
        Assert.Equal(Pixels().Select(b => b / 255f), data.Images.ToFloatArray());
        Assert.Equal(1f, data[0][0].ToFloatArray()[255]);
        Assert.Equal(9L, data[0][1].ItemInt64());
        Assert.True(data.Train);
    }

    [Fact]
    public void The_test_split_reads_the_t10k_files()
    {
        WriteSplit("t10k", gzip: true, labels: new byte[] { 1, 2, 3 });
        var test = FashionMnist.Load(_dir, train: false);
        Assert.False(test.Train);
        Assert.Equal(new long[] { 1, 2, 3 }, test.Labels.ToInt64Array());
    }

    [Fact]
    public void Gzip_is_told_by_its_magic_bytes_not_by_the_name()
    {
        // Plain bytes under a .gz name and gzip bytes under a plain name.
        IdxWriter.Write(ImagesPath() + ".gz", Pixels(), new[] { 3, 28, 28 });
        IdxWriter.Write(LabelsPath(), new byte[] { 5, 6, 7 }, new[] { 3 }, gzip: true);
        Assert.Equal(0x1f, File.ReadAllBytes(LabelsPath())[0]);

        var data = FashionMnist.Load(_dir);

        Assert.Equal(new long[] { 5, 6, 7 }, data.Labels.ToInt64Array());
        Assert.Equal(Pixels().Select(b => b / 255f), data.Images.ToFloatArray());
    }

    [Fact]
    public void Tensors_round_trip_through_WriteImages_and_WriteLabels()
    {
        WriteSplit("train", gzip: false);
        var original = FashionMnist.Load(_dir);
        var copy = Directory.CreateDirectory(Path.Combine(_dir, "copy")).FullName;
        IdxWriter.WriteImages(Path.Combine(copy, "train-images-idx3-ubyte.gz"), original.Images, gzip: true);
        IdxWriter.WriteLabels(Path.Combine(copy, "train-labels-idx1-ubyte.gz"), original.Labels, gzip: true);

        var again = FashionMnist.Load(copy);

        Assert.Equal(original.Images.ToFloatArray(), again.Images.ToFloatArray());
        Assert.Equal(original.Labels.ToInt64Array(), again.Labels.ToInt64Array());
    }

    [Fact]
    public void The_header_is_big_endian_magic_then_dims()
    {
        IdxWriter.Write(LabelsPath(), new byte[] { 1, 2 }, new[] { 2 });
        Assert.Equal(new byte[] { 0, 0, 8, 1, 0, 0, 0, 2, 1, 2 }, File.ReadAllBytes(LabelsPath()));
    }

    [Fact]
    public void A_missing_file_names_what_was_tried_and_how_to_get_the_data()
    {
        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_dir));
        Assert.Contains("train-images-idx3-ubyte", e.Message);
        Assert.Contains(ImagesPath() + ".gz", e.Message);
        Assert.Contains("apt-get install dataset-fashion-mnist", e.Message);
        Assert.Contains("/usr/share/datasets/fashion-mnist", e.Message);
        Assert.Contains("--data DIR", e.Message);
    }

    [Fact]
    public void Wrong_image_magic_is_refused()
    {
        WriteSplit("train", gzip: false);
        IdxWriter.Write(ImagesPath(), Pixels(), new[] { 3, 784 });   // 0x00000802

        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_dir));
        Assert.Contains(ImagesPath(), e.Message);
        Assert.Contains("wrong magic number 0x00000802, expected 0x00000803", e.Message);
    }

    [Fact]
    public void Wrong_label_magic_is_refused()
    {
        WriteSplit("train", gzip: true);
        IdxWriter.Write(LabelsPath() + ".gz", new byte[] { 1, 2, 3 }, new[] { 3, 1 }, gzip: true);   // 0x00000802

        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_dir));
        Assert.Contains(LabelsPath() + ".gz", e.Message);
        Assert.Contains("wrong magic number 0x00000802, expected 0x00000801", e.Message);
    }

    [Fact]
    public void Images_that_are_not_28_by_28_are_refused()
    {
        WriteSplit("train", gzip: false, pixels: new byte[3 * 27 * 27], side: 27);

        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_dir));
        Assert.Contains(ImagesPath(), e.Message);
        Assert.Contains("images are 27x27 pixels, Fashion-MNIST images are 28x28", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Truncated_image_data_is_refused(bool gzip)
    {
        WriteSplit("train", gzip: false);
        var full = File.ReadAllBytes(ImagesPath());
        File.Delete(ImagesPath());
        WriteRaw(ImagesPath(), full[..^100], gzip);

        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_dir));
        Assert.Contains(ImagesPath(), e.Message);
        Assert.Contains($"truncated: the header promises 2352 bytes of data ([3, 28, 28]) but the file holds 2252", e.Message);
    }

    [Fact]
    public void A_gzip_file_cut_short_is_refused()
    {
        WriteSplit("train", gzip: true);
        var bytes = File.ReadAllBytes(ImagesPath() + ".gz");
        File.WriteAllBytes(ImagesPath() + ".gz", bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_dir));
        Assert.Contains(ImagesPath() + ".gz", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void A_file_that_ends_inside_the_header_is_refused()
    {
        WriteSplit("train", gzip: false);
        File.WriteAllBytes(LabelsPath(), new byte[] { 0, 0, 8, 1, 0, 0 });

        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_dir));
        Assert.Contains(LabelsPath(), e.Message);
        Assert.Contains("truncated: the file ends inside the header", e.Message);
    }

    [Fact]
    public void Bytes_past_the_promised_data_are_refused()
    {
        WriteSplit("train", gzip: false);
        File.AppendAllText(LabelsPath(), "x");

        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_dir));
        Assert.Contains(LabelsPath(), e.Message);
        Assert.Contains("more bytes than the header promises", e.Message);
    }

    [Fact]
    public void A_label_count_different_from_the_image_count_is_refused()
    {
        WriteSplit("train", gzip: false, labels: new byte[] { 1, 2 });

        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_dir));
        Assert.Contains($"{LabelsPath()}: holds 2 labels but {ImagesPath()} holds 3 images", e.Message);
    }

    [Fact]
    public void A_label_above_9_is_refused()
    {
        WriteSplit("train", gzip: true, labels: new byte[] { 1, 10, 2 });

        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_dir));
        Assert.Contains($"{LabelsPath()}.gz: label 1 is 10, but Fashion-MNIST labels are 0..9", e.Message);
    }

    [Fact]
    public void A_corrupt_gzip_stream_is_refused_naming_the_file()
    {
        WriteSplit("train", gzip: true);
        var bytes = File.ReadAllBytes(LabelsPath() + ".gz");
        for (int i = 10; i < bytes.Length - 8; i++) bytes[i] = 0xff;
        File.WriteAllBytes(LabelsPath() + ".gz", bytes);

        var e = Assert.Throws<InvalidDataException>(() => FashionMnist.Load(_dir));
        Assert.Contains(LabelsPath() + ".gz", e.Message);
    }

    [Fact]
    public void Classes_are_torchvisions_ten_names()
    {
        Assert.Equal(
            new[] { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" },
            FashionMnist.Classes);
    }

    [Fact]
    public void Loaded_data_batches_through_a_DataLoader()
    {
        WriteSplit("train", gzip: false);
        var batches = new DataLoader(FashionMnist.Load(_dir), batchSize: 2, generator: new Generator(0)).ToList();

        Assert.Equal(new[] { 2, 1, 28, 28 }, batches[0][0].Shape);
        Assert.Equal(new long[] { 9, 0 }, batches[0][1].ToInt64Array());
        Assert.Equal(new[] { 1, 1, 28, 28 }, batches[1][0].Shape);
    }

    [Fact]
    public void The_writer_checks_dims_against_the_data()
    {
        Assert.Throws<ArgumentException>(() => IdxWriter.Write(LabelsPath(), new byte[3], new[] { 4 }));
        Assert.Throws<ArgumentException>(() => IdxWriter.WriteImages(ImagesPath(), Tensor.Full(new[] { 1, 2, 2 }, 1.5f)));
        Assert.Throws<ShapeException>(() => IdxWriter.WriteLabels(LabelsPath(), Tensor.Zeros(new[] { 2, 2 }, DType.Int64)));
    }

    static void WriteRaw(string path, byte[] bytes, bool gzip)
    {
        using var file = File.Create(path);
        using var stream = gzip ? new GZipStream(file, CompressionLevel.Fastest) : (Stream)file;
        stream.Write(bytes);
    }
}
