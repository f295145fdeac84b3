using TorchSharp;
using ShapeSafe.NN;
using S = ShapeSafe;
using T = TorchSharp.torch;
using TF = TorchSharp.torch.nn.functional;

namespace ShapeSafe.Conformance;

/// <summary>The layers compared; where a layer has weights, LibTorch's module gets a copy of ours.</summary>
static class LayerCases
{
    /// <summary>A layer case: ours and LibTorch's module, whose parameters (same order) get our values before the run.</summary>
    static Case Layer(string name, int[][] shapes, Module ours, Func<S.Tensor, S.Tensor> ourForward, T.nn.Module<T.Tensor, T.Tensor> theirs, double tolerance = 1e-5) => new()
    {
        Name = name,
        Shapes = shapes,
        Tolerance = tolerance,
        Parameters = () => (ours.Parameters().Cast<S.Tensor>().ToArray(), theirs.parameters().Cast<T.Tensor>().ToArray()),
        Ours = x => ourForward(x[0]),
        Theirs = x => theirs.forward(x[0]),
    };

    /// <summary>Seeded initialization: the same seed must give the same weights bit for bit (tolerance 0).</summary>
    static Case Init(string name, Func<S.Tensor> ours, Func<T.Tensor> theirs) => new()
    {
        Name = name,
        Shapes = [],
        NoGrad = true,
        Tolerance = 0,
        Ours = _ =>
        {
            S.Tensor.ManualSeed(20);
            return ours();
        },
        Theirs = _ =>
        {
            T.manual_seed(20);
            using (T.no_grad()) return theirs().detach().clone();
        },
    };

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
    
        // ---- convolution and normalization
        yield return Init("Conv1d init weight", () => new Conv1d(4, 6, 3).Weight, () => T.nn.Conv1d(4, 6, 3).weight);
        yield return Init("Conv1d init bias (groups 2)", () => new Conv1d(4, 6, 3, groups: 2).Bias!, () => T.nn.Conv1d(4, 6, 3, groups: 2).bias!);
        var conv1d = new Conv1d(4, 6, 3, stride: 2, padding: 1);
        yield return Layer("Conv1d stride 2 padding 1", [[2, 4, 11]], conv1d, conv1d.Forward, T.nn.Conv1d(4, 6, 3, stride: 2, padding: 1));
        var dilated = new Conv1d(4, 4, 3, dilation: 2, groups: 2, bias: false);
        yield return Layer("Conv1d dilation 2 groups 2 unbatched", [[4, 9]], dilated, dilated.Forward, T.nn.Conv1d(4, 4, 3, dilation: 2, groups: 2, bias: false));
        var bn = new BatchNorm1d(4);
        // The input gradient of a batch norm is a difference of nearly equal sums: compared at 1e-4 of its scale.
        yield return Layer("BatchNorm1d train [N, C, L]", [[3, 4, 5]], bn, bn.Forward, T.nn.BatchNorm1d(4), tolerance: 1e-4);
        var bn2 = new BatchNorm1d(5);
        var theirBn2 = T.nn.BatchNorm1d(5);
        yield return Layer("BatchNorm1d train [N, C]", [[6, 5]], bn2, bn2.Forward, theirBn2, tolerance: 1e-4);
        yield return new Case { Name = "BatchNorm1d running_var after a step", Shapes = [], NoGrad = true, Ours = _ => bn2.RunningVar!, Theirs = _ => theirBn2.running_var! };
        var gn = new GroupNorm(2, 6);
        using (S.Autograd.NoGrad())
        {
            gn.Weight!.CopyFrom(S.Tensor.Randn([6], new S.Generator(3)));
            gn.Bias!.CopyFrom(S.Tensor.Randn([6], new S.Generator(4)));
        }
        yield return Layer("GroupNorm 2 groups of 3", [[2, 6, 4, 3]], gn, gn.Forward, T.nn.GroupNorm(2, 6));
        var gnPlain = new GroupNorm(3, 3, affine: false);
        yield return Layer("GroupNorm one channel per group, no affine", [[4, 3, 5]], gnPlain, gnPlain.Forward, T.nn.GroupNorm(3, 3, affine: false));
    
        // ---- dropout, pixel shuffle, padding, interpolation
        yield return new Case
        {
            Name = "Dropout2d p=0.3 seeded mask",
            Shapes = [[4, 6, 3, 3]],
            Ours = x => { S.Tensor.ManualSeed(7); return F.Dropout2d(x[0], 0.3); },
            Theirs = x => { T.manual_seed(7); return TF.dropout2d(x[0], 0.3, training: true); },
        };
        yield return new Case { Name = "PixelShuffle 2", Shapes = [[2, 12, 3, 4]], Ours = x => new PixelShuffle(2).Forward(x[0]), Theirs = x => TF.pixel_shuffle(x[0], 2) };
        yield return new Case { Name = "PixelShuffle 3 unbatched", Shapes = [[9, 2, 2]], Ours = x => new PixelShuffle(3).Forward(x[0]), Theirs = x => TF.pixel_shuffle(x[0], 3) };
        yield return new Case { Name = "Pad constant 2 dims", Shapes = [[2, 3, 4]], Ours = x => F.Pad(x[0], [1, 2, 0, 1], value: 0.5), Theirs = x => TF.pad(x[0], new long[] { 1, 2, 0, 1 }, PaddingModes.Constant, 0.5) };
        yield return new Case { Name = "Pad constant negative (crop)", Shapes = [[2, 3, 5]], Ours = x => F.Pad(x[0], [-1, 2, -1, 0]), Theirs = x => TF.pad(x[0], new long[] { -1, 2, -1, 0 }) };
        yield return new Case { Name = "Pad reflect 2-D", Shapes = [[2, 2, 4, 5]], Ours = x => F.Pad(x[0], [2, 3, 3, 1], "reflect"), Theirs = x => TF.pad(x[0], new long[] { 2, 3, 3, 1 }, PaddingModes.Reflect) };
        yield return new Case { Name = "Pad replicate 1-D", Shapes = [[2, 3, 4]], Ours = x => F.Pad(x[0], [3, 5], "replicate"), Theirs = x => TF.pad(x[0], new long[] { 3, 5 }, PaddingModes.Replicate) };
        yield return new Case { Name = "Pad circular 2-D", Shapes = [[1, 2, 3, 4]], Ours = x => F.Pad(x[0], [4, 2, 1, 3], "circular"), Theirs = x => TF.pad(x[0], new long[] { 4, 2, 1, 3 }, PaddingModes.Circular) };
        yield return new Case { Name = "Interpolate nearest scale 2", Shapes = [[2, 3, 4, 5]], Ours = x => F.Interpolate(x[0], 2.0), Theirs = x => TF.interpolate(x[0], scale_factor: new[] { 2.0, 2.0 }) };
        yield return new Case { Name = "Interpolate nearest size (7, 3)", Shapes = [[2, 3, 4, 5]], Ours = x => F.Interpolate(x[0], size: (7, 3)), Theirs = x => TF.interpolate(x[0], size: new long[] { 7, 3 }) };
        yield return new Case { Name = "Interpolate nearest scale 1.5", Shapes = [[1, 2, 5, 6]], Ours = x => F.Interpolate(x[0], 1.5), Theirs = x => TF.interpolate(x[0], scale_factor: new[] { 1.5, 1.5 }) };
        // LibTorch's vectorized loop rounds the weighted sums differently (fused multiply-adds): 1e-4 of the scale.
        yield return new Case { Name = "Interpolate bilinear scale 2", Tolerance = 1e-4, Shapes = [[2, 3, 4, 5]], Ours = x => F.Interpolate(x[0], 2.0, "bilinear"), Theirs = x => TF.interpolate(x[0], scale_factor: new[] { 2.0, 2.0 }, mode: T.InterpolationMode.Bilinear) };
        yield return new Case { Name = "Interpolate bilinear size align corners", Shapes = [[2, 3, 4, 5]], Ours = x => F.Interpolate(x[0], size: (7, 9), mode: "bilinear", alignCorners: true), Theirs = x => TF.interpolate(x[0], size: new long[] { 7, 9 }, mode: T.InterpolationMode.Bilinear, align_corners: true) };
        yield return new Case { Name = "Interpolate bilinear downsample", Shapes = [[1, 2, 9, 7]], Ours = x => F.Interpolate(x[0], size: (4, 3), mode: "bilinear"), Theirs = x => TF.interpolate(x[0], size: new long[] { 4, 3 }, mode: T.InterpolationMode.Bilinear) };
        yield return new Case { Name = "Upsample bilinear scale 1.7", Shapes = [[1, 2, 5, 4]], Ours = x => new Upsample(1.7, "bilinear").Forward(x[0]), Theirs = x => TF.interpolate(x[0], scale_factor: new[] { 1.7, 1.7 }, mode: T.InterpolationMode.Bilinear) };
    
        // ---- transposed convolution
        yield return Init("ConvTranspose2d init weight", () => new ConvTranspose2d(4, 6, 3).Weight, () => T.nn.ConvTranspose2d(4, 6, 3).weight);
        yield return Init("ConvTranspose2d init bias (groups 2)", () => new ConvTranspose2d(4, 6, 3, groups: 2).Bias!, () => T.nn.ConvTranspose2d(4, 6, 3, groups: 2).bias!);
        // The existing Conv2d on the same kernels, as a baseline for how far float sums of this length drift.
        var conv2d = new Conv2d(5, 3, 3, padding: 1);
        yield return Layer("Conv2d (baseline)", [[2, 5, 8, 10]], conv2d, conv2d.Forward, T.nn.Conv2d(5, 3, 3, padding: 1), tolerance: 1e-4);

        // ---- losses: class-probability targets (with label smoothing and weights) and MSE broadcasting
        var classWeight = new[] { 1f, 2f, 0.5f, 1.5f };
        yield return new Case { Name = "CrossEntropy probability target", Shapes = [[5, 4], [5, 4]], Positive = true, Ours = x => F.CrossEntropy(x[0], x[1]), Theirs = x => TF.cross_entropy(x[0], x[1]) };
        yield return new Case { Name = "CrossEntropy probabilities smoothing 0.2", Shapes = [[5, 4], [5, 4]], Positive = true, Ours = x => F.CrossEntropy(x[0], x[1], labelSmoothing: 0.2), Theirs = x => TF.cross_entropy(x[0], x[1], label_smoothing: 0.2) };
        yield return new Case { Name = "CrossEntropy probabilities weight none", Tolerance = 1e-4, Shapes = [[2, 4, 3], [2, 4, 3]], Positive = true, Ours = x => F.CrossEntropy(x[0], x[1], S.Tensor.FromArray(classWeight), reduction: Reduction.None, labelSmoothing: 0.1), Theirs = x => TF.cross_entropy(x[0], x[1], T.tensor(classWeight), reduction: T.nn.Reduction.None, label_smoothing: 0.1) };
        yield return new Case { Name = "MSELoss broadcast [6, 1] vs [6]", Shapes = [[6, 1], [6]], Ours = x => F.MseLoss(x[0], x[1]), Theirs = x => TF.mse_loss(x[0], x[1]) };

        // ---- convolution padding options and pooling options
        var same = new Conv2d(3, 4, 4, "same");
        yield return Layer("Conv2d padding same (even kernel)", [[2, 3, 7, 6]], same, same.Forward, T.nn.Conv2d(3, 4, 4, padding: TorchSharp.Padding.Same), tolerance: 1e-4);
        var sameDilated = new Conv1d(3, 2, 4, "same", dilation: 3);
        yield return Layer("Conv1d padding same dilation 3", [[2, 3, 11]], sameDilated, sameDilated.Forward, T.nn.Conv1d(3, 2, 4, padding: TorchSharp.Padding.Same, dilation: 3), tolerance: 1e-4);
        var valid = new Conv2d(3, 2, 3, "valid");
        yield return Layer("Conv2d padding valid", [[1, 3, 6, 5]], valid, valid.Forward, T.nn.Conv2d(3, 2, 3, padding: TorchSharp.Padding.Valid), tolerance: 1e-4);
        foreach (var (mode, theirs) in new[] { ("reflect", TorchSharp.PaddingModes.Reflect), ("replicate", TorchSharp.PaddingModes.Replicate), ("circular", TorchSharp.PaddingModes.Circular) })
        {
            var ours = new Conv2d(2, 3, 3, padding: 1, paddingMode: mode);
            yield return Layer($"Conv2d padding_mode {mode}", [[2, 2, 5, 6]], ours, ours.Forward, T.nn.Conv2d(2, 3, 3, padding: 1, padding_mode: theirs), tolerance: 1e-4);
        }
        var sameReflect = new Conv1d(2, 2, 2, "same", paddingMode: "reflect");
        yield return Layer("Conv1d same reflect (even kernel)", [[2, 2, 7]], sameReflect, sameReflect.Forward, T.nn.Conv1d(2, 2, 2, padding: TorchSharp.Padding.Same, padding_mode: TorchSharp.PaddingModes.Reflect), tolerance: 1e-4);
        yield return new Case { Name = "MaxPool2d ceil_mode 3/2 of 8x7", Shapes = [[2, 3, 8, 7]], Ours = x => F.MaxPool2d(x[0], 3, 2, ceilMode: true), Theirs = x => TF.max_pool2d(x[0], new long[] { 3, 3 }, new long[] { 2, 2 }, ceil_mode: true) };
        yield return new Case { Name = "MaxPool2d ceil_mode 2 of 5x5 indices", Shapes = [[1, 2, 5, 5]], NoGrad = true, Ours = x => F.MaxPool2dWithIndices(x[0], 2, ceilMode: true).Indices, Theirs = x => TF.max_pool2d_with_indices(x[0], new long[] { 2, 2 }, ceil_mode: true).indices };
        yield return new Case { Name = "MaxPool2d ceil_mode last window dropped", Shapes = [[1, 1, 5, 5]], Ours = x => F.MaxPool2d(x[0], 3, 3, 1, ceilMode: true), Theirs = x => TF.max_pool2d(x[0], new long[] { 3, 3 }, new long[] { 3, 3 }, new long[] { 1, 1 }, ceil_mode: true) };
        yield return new Case { Name = "AvgPool2d ceil_mode pad 1", Shapes = [[2, 2, 7, 6]], Ours = x => F.AvgPool2d(x[0], 3, 2, 1, ceilMode: true), Theirs = x => TF.avg_pool2d(x[0], new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1 }, ceil_mode: true) };
        yield return new Case { Name = "AvgPool2d ceil_mode no count_include_pad", Shapes = [[2, 2, 7, 6]], Ours = x => F.AvgPool2d(x[0], 3, 2, 1, countIncludePad: false, ceilMode: true), Theirs = x => TF.avg_pool2d(x[0], new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1 }, ceil_mode: true, count_include_pad: false) };
        yield return new Case { Name = "AvgPool2d divisor_override 5", Shapes = [[2, 2, 6, 6]], Ours = x => F.AvgPool2d(x[0], 2, 2, 1, divisorOverride: 5), Theirs = x => TF.avg_pool2d(x[0], new long[] { 2, 2 }, new long[] { 2, 2 }, new long[] { 1, 1 }, divisor_override: 5) };
        // Weight gradients sum N·H·W products in float in another order than LibTorch's: compared at 1e-4.
        var deconv = new ConvTranspose2d(3, 5, 3, stride: 2, padding: 1, outputPadding: 1);
        yield return Layer("ConvTranspose2d stride 2 output padding 1", [[2, 3, 4, 5]], deconv, deconv.Forward,
            T.nn.ConvTranspose2d(3, 5, 3, stride: 2, padding: 1, output_padding: 1), tolerance: 1e-4);
        var grouped = new ConvTranspose2d(4, 6, (2, 3), groups: 2, dilation: (2, 1), bias: false);
        yield return Layer("ConvTranspose2d groups 2 dilation (2, 1) unbatched", [[4, 3, 3]], grouped, grouped.Forward,
            T.nn.ConvTranspose2d(4, 6, (2L, 3L), groups: 2, dilation: (2L, 1L), bias: false));
        var plain = new ConvTranspose2d(2, 3, 4, stride: 4);
        yield return Layer("ConvTranspose2d kernel = stride 4", [[1, 2, 3, 3]], plain, plain.Forward, T.nn.ConvTranspose2d(2, 3, 4, stride: 4));
    }
}
