using TorchSharp;
using ShapeSafe.NN;
using T = TorchSharp.torch;
using TF = TorchSharp.torch.nn.functional;

namespace ShapeSafe.Conformance;

/// <summary>The layers compared; where a layer has weights, LibTorch's module gets a copy of ours.</summary>
static class LayerCases
{
    public static IEnumerable<Case> All()
    {
        // ---- activations
        yield return new Case { Name = "SiLU", Shapes = [[4, 25]], Ours = x => new SiLU().Forward(x[0] * 4f), Theirs = x => TF.silu(x[0] * 4f) };
        yield return new Case { Name = "Mish", Shapes = [[4, 25]], Ours = x => new Mish().Forward(x[0] * 4f), Theirs = x => TF.mish(x[0] * 4f) };
        yield return new Case { Name = "Softplus", Shapes = [[4, 25]], Ours = x => new Softplus().Forward(x[0] * 4f), Theirs = x => TF.softplus(x[0] * 4f) };
        yield return new Case { Name = "Softplus beta 2 threshold 3", Shapes = [[4, 25]], Ours = x => new Softplus(2, 3).Forward(x[0] * 2f), Theirs = x => TF.softplus(x[0] * 2f, 2, 3) };
        yield return new Case { Name = "Hardswish", Shapes = [[4, 25]], Ours = x => new Hardswish().Forward(x[0] * 3f), Theirs = x => TF.hardswish(x[0] * 3f) };
        yield return new Case { Name = "Identity", Shapes = [[3, 4]], Ours = x => new Identity().Forward(x[0]) * 1f, Theirs = x => x[0] * 1f };

        // ---- pooling
        yield return new Case { Name = "AdaptiveAvgPool2d (3, 2) of 7x5", Shapes = [[2, 3, 7, 5]], Ours = x => new AdaptiveAvgPool2d((3, 2)).Forward(x[0]), Theirs = x => TF.adaptive_avg_pool2d(x[0], new long[] { 3, 2 }) };
        yield return new Case { Name = "AdaptiveAvgPool2d 1 (global)", Shapes = [[2, 4, 6, 6]], Ours = x => new AdaptiveAvgPool2d(1).Forward(x[0]), Theirs = x => TF.adaptive_avg_pool2d(x[0], new long[] { 1, 1 }) };
        yield return new Case { Name = "AdaptiveAvgPool2d 4 of 3x3 (upsampling)", Shapes = [[3, 3, 3]], Ours = x => new AdaptiveAvgPool2d(4).Forward(x[0]), Theirs = x => TF.adaptive_avg_pool2d(x[0], new long[] { 4, 4 }) };
        yield return new Case { Name = "AdaptiveMaxPool2d (2, 3) of 5x7", Shapes = [[2, 2, 5, 7]], Ours = x => new AdaptiveMaxPool2d((2, 3)).Forward(x[0]), Theirs = x => TF.adaptive_max_pool2d(x[0], new long[] { 2, 3 }) };
        yield return new Case { Name = "AdaptiveMaxPool2d indices", Shapes = [[2, 2, 5, 7]], NoGrad = true, Ours = x => F.AdaptiveMaxPool2dWithIndices(x[0], (3, 3)).Indices, Theirs = x => TF.adaptive_max_pool2d_with_indices(x[0], new long[] { 3, 3 }).Indices };
    }
}
