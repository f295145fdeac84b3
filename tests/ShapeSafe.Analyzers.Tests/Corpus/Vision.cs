// Patch embeddings for a vision transformer on 32x32 images with 8x8 patches (16 tokens of 192).
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus;

public sealed class PatchEmbed : Module
{
    readonly Linear _proj = new Linear(192, 128);

    [Shape("1, 1, 128")]
    public Tensor ClassToken { get; } = Tensor.Zeros(1, 1, 128);

    [return: Shape("B, 17, 128")]
    public Tensor Forward([Shape("B, 3, 32, 32")] Tensor images)
    {
        var patches = images.Unfold(2, 8, 8).Unfold(3, 8, 8);        // [B, 3, 4, 4, 8, 8]
        var tokens = patches.Permute(0, 2, 3, 1, 4, 5).Reshape(images.Size(0), 16, 192);
        var embedded = _proj.Forward(tokens);
        var cls = ClassToken.Expand(images.Size(0), 1, 128);
        return Tensor.Cat(new[] { cls, embedded }, 1);
    }

    public Tensor Fixed()
    {
        var images = Tensor.Randn(2, 3, 32, 32);
        var patches = images.Unfold(2, 8, 8).Unfold(3, 8, 8);
        var tokens = patches.Permute(0, 2, 3, 1, 4, 5).View(2, 16, 192); // BUG: SS0001
        var cls = ClassToken.Expand(2, 1, 128);
        var flat = patches.Permute(0, 2, 3, 1, 4, 5).Reshape(2, 16, 192);
        var joined = Tensor.Cat(new[] { cls, flat }, 1); // BUG: SS0003
        return joined;
    }

    public Tensor Grid([Shape("B, 3, 32, 32")] Tensor images)
    {
        var tokens = Forward(images);
        var grid = tokens.View(images.Size(0), 17, 8, 16);
        var bad = tokens.Expand(2, 17, 64); // BUG: SS0005
        return grid;
    }
}
