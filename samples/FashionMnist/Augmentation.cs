namespace ShapeSafe.Samples.FashionMnist;

/// <summary>
/// Training-time augmentation for 28×28 images: a random horizontal flip (clothes look the same mirrored)
/// and, when <paramref name="shift"/>, a random shift of up to <see cref="MaxShift"/> pixels with zero fill.
/// Draws come from the given generator, so a seed reproduces a run.
/// </summary>
internal sealed class Augmentation(Generator generator, bool shift = true)
{
    public const int MaxShift = 2;
    const int Side = 28;

    /// <summary>A new batch [N, 1, 28, 28]: each image flipped with probability 1/2 and shifted.</summary>
    public Tensor Apply(Tensor images)
    {
        int n = images.Size(0);
        var source = images.Contiguous().ToFloatArray();
        var draws = Tensor.Rand(new[] { n, 3 }, generator).ToFloatArray();
        var result = new float[source.Length];
        for (int i = 0; i < n; i++)
        {
            bool flip = draws[3 * i] < 0.5f;
            int dy = shift ? (int)(draws[3 * i + 1] * (2 * MaxShift + 1)) - MaxShift : 0;
            int dx = shift ? (int)(draws[3 * i + 2] * (2 * MaxShift + 1)) - MaxShift : 0;
            int plane = i * Side * Side;
            for (int y = 0; y < Side; y++)
            {
                int sy = y - dy;
                if (sy < 0 || sy >= Side) continue;
                for (int x = 0; x < Side; x++)
                {
                    int sx = (flip ? Side - 1 - x : x) - dx;
                    if (sx < 0 || sx >= Side) continue;
                    result[plane + y * Side + x] = source[plane + sy * Side + sx];
                }
            }
        }
        return Tensor.FromArray(result, images.Shape.ToArray());
    }
}
