using System.Numerics.Tensors;

namespace ShapeSafe.Data;

/// <summary>
/// Fashion-MNIST (Zalando's 28×28 grey images of clothing in 10 classes) read from its IDX files, as
/// torchvision's <c>FashionMNIST</c> with <c>ToTensor()</c> gives it: images Float32 [N, 1, 28, 28]
/// scaled to [0, 1], labels Int64 [N]. Sample <c>i</c> is <c>(image, label)</c>.
/// </summary>
public sealed class FashionMnist : TensorDataset
{
    /// <summary>Where Debian's <c>dataset-fashion-mnist</c> package puts the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Image side in pixels.</summary>
    public const int Side = 28;

    internal const int ImagesMagic = 0x00000803;
    internal const int LabelsMagic = 0x00000801;

    static readonly string[] ClassNames =
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    };

    FashionMnist(Tensor images, Tensor labels, bool train)
        : base(images, labels)
    {
        Images = images;
        Labels = labels;
        Train = train;
    }

    /// <summary>The class names, indexed by label (torchvision's <c>FashionMNIST.classes</c>).</summary>
    public static IReadOnlyList<string> Classes => ClassNames;

    /// <summary>All images, Float32 [N, 1, 28, 28] in [0, 1].</summary>
    public Tensor Images { get; }

    /// <summary>All labels, Int64 [N] in 0..9.</summary>
    public Tensor Labels { get; }

    /// <summary>Whether this is the training split (60,000 images) rather than the test split (10,000).</summary>
    public bool Train { get; }

    /// <summary>
    /// Reads <c>train-images-idx3-ubyte</c> and <c>train-labels-idx1-ubyte</c> (or the <c>t10k-</c> pair
    /// when <paramref name="train"/> is false), plain or gzip-compressed (with or without <c>.gz</c>),
    /// from <paramref name="directory"/> or its torchvision-style <c>FashionMNIST/raw</c> folder.
    /// </summary>
    /// <param name="directory">The folder holding the files; null means <see cref="DefaultDirectory"/>.</param>
    /// <param name="train">The training split, else the test split.</param>
    /// <exception cref="InvalidDataException">
    /// A file is missing or malformed (wrong magic number, image size, truncated, label count or value);
    /// the message names the file and the problem.
    /// </exception>
    public static FashionMnist Load(string? directory = null, bool train = true)
    {
        directory ??= DefaultDirectory;
        string split = train ? "train" : "t10k";
        string imagesPath = Find(directory, $"{split}-images-idx3-ubyte");
        string labelsPath = Find(directory, $"{split}-labels-idx1-ubyte");

        var (imageDims, pixels) = IdxReader.Read(imagesPath, ImagesMagic);
        if (imageDims[1] != Side || imageDims[2] != Side)
            throw new InvalidDataException(
                $"{imagesPath}: images are {imageDims[1]}x{imageDims[2]} pixels, Fashion-MNIST images are {Side}x{Side}");

        var (labelDims, labelBytes) = IdxReader.Read(labelsPath, LabelsMagic);
        if (labelDims[0] != imageDims[0])
            throw new InvalidDataException(
                $"{labelsPath}: holds {labelDims[0]} labels but {imagesPath} holds {imageDims[0]} images");

        var labels = new long[labelBytes.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            if (labelBytes[i] >= ClassNames.Length)
                throw new InvalidDataException(
                    $"{labelsPath}: label {i} is {labelBytes[i]}, but Fashion-MNIST labels are 0..{ClassNames.Length - 1}");
            labels[i] = labelBytes[i];
        }

        // ToTensor: byte -> float, then divided (not multiplied by 1/255) so the values are PyTorch's.
        var floats = GC.AllocateUninitializedArray<float>(pixels.Length);
        TensorPrimitives.ConvertChecked<byte, float>(pixels, floats);
        TensorPrimitives.Divide(floats, 255f, floats);

        // The arrays are fresh and ours: wrap them rather than copy (FromArray would copy 188 MB).
        int count = imageDims[0];
        return new FashionMnist(
            Tensor.Create(new Storage(floats), new[] { count, 1, Side, Side }),
            Tensor.Create(new Storage(labels), new[] { count }),
            train);
    }

    static string Find(string directory, string name)
    {
        var tried = new List<string>();
        foreach (var folder in new[] { directory, Path.Combine(directory, "FashionMNIST", "raw") })
        {
            foreach (var file in new[] { name, name + ".gz" })
            {
                var path = Path.Combine(folder, file);
                if (File.Exists(path)) return path;
                tried.Add(path);
            }
        }

        throw new InvalidDataException(
            $"FashionMnist: cannot find {name} in {directory} (tried {string.Join(", ", tried)}). "
            + $"Install the data with `apt-get install dataset-fashion-mnist` (it puts the files in {DefaultDirectory}), "
            + "or pass --data DIR naming a folder that holds train-images-idx3-ubyte, train-labels-idx1-ubyte, "
            + "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each may be .gz).");
    }
}
