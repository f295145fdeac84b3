// Helpers of a training script: annotations, splits and einsums.
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus;

public static class Utilities
{
    public static Tensor Normalize([Shape("B, C, ")] Tensor x) => x; // BUG: SS0009

    public static Tensor Channels([Shape("N, C, H,, W")] Tensor x) => x; // BUG: SS0009

    public static Tensor Halves([Shape("B, 64")] Tensor x)
    {
        var parts = x.Split(32, 1);
        var wrong = x.Split(new[] { 32, 16 }, 1); // BUG: SS0003
        return parts[0] * parts[1];
    }

    public static Tensor Gram([Shape("B, N, D")] Tensor x, [Shape("B, M, E")] Tensor y)
    {
        var gram = Tensor.Einsum("bnd,bmd->bnm", x, x);
        return Tensor.Einsum("bnd,bmd->bnm", x, y); // BUG: SS0002
    }

    public static Tensor Channel([Shape("N, C, H, W")] Tensor x) => x.Transpose(1, 4); // BUG: SS0006

    public static Tensor Batched([Shape("B, N, 8")] Tensor a, [Shape("B, 8, M")] Tensor b, [Shape("B, 4, M")] Tensor c)
    {
        var ab = Tensor.Bmm(a, b);
        return Tensor.Bmm(a, c); // BUG: SS0002
    }
}
