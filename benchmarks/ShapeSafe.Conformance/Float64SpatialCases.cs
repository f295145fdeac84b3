using ShapeSafe.NN;
using TorchSharp;
using S = ShapeSafe;
using T = TorchSharp.torch;
using TF = TorchSharp.torch.nn.functional;

namespace ShapeSafe.Conformance;

/// <summary>
/// The Float64 paths of the UNet's layers one op at a time against LibTorch's Float64 kernels, at the geometries
/// the Float32 paths support beyond the UNet's own (stride, dilation, groups, output padding, ceil mode, the
/// interpolation modes): inputs and weights widened to double on both sides, the outputs narrowed back for the
/// harness. What is left is the formula (a float32 difference would show at 1e-7), not float32 rounding.
/// </summary>
static class Float64SpatialCases
{
    const double Tolerance = 1e-6;

    public static IEnumerable<Case> All()
    {
        yield return InDouble("Conv2d padding 1 bias", [[2, 3, 6, 5], [4, 3, 3, 3], [4]],
            x => S.Tensor.Conv2d(x[0], x[1], x[2], padding: 1),
            x => TF.conv2d(x[0], x[1], x[2], new long[] { 1, 1 }, new long[] { 1, 1 }));
        yield return InDouble("Conv2d stride 2 padding (2, 1) dilation 2 groups 2", [[2, 4, 9, 8], [6, 2, 3, 2], [6]],
            x => S.Tensor.Conv2d(x[0], x[1], x[2], (2, 2), (2, 1), (2, 2), groups: 2),
            x => TF.conv2d(x[0], x[1], x[2], new long[] { 2, 2 }, new long[] { 2, 1 }, new long[] { 2, 2 }, 2));
        yield return InDouble("ConvTranspose2d k2 s2", [[1, 8, 4, 4], [8, 4, 2, 2], [4]],
            x => S.Tensor.ConvTranspose2d(x[0], x[1], x[2], (2, 2)),
            x => TF.conv_transpose2d(x[0], x[1], x[2], new long[] { 2, 2 }));
        yield return InDouble("ConvTranspose2d s2 p1 output padding 1 groups 2 dilation 2", [[2, 4, 3, 4], [4, 3, 3, 3], [6]],
            x => S.Tensor.ConvTranspose2d(x[0], x[1], x[2], (2, 2), (1, 1), (1, 1), groups: 2, dilation: (2, 2)),
            x => TF.conv_transpose2d(x[0], x[1], x[2], new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 1, 1 }, new long[] { 2, 2 }, 2));
        foreach (var training in new[] { true, false })
            yield return InDouble($"BatchNorm {(training ? "train" : "eval")} [2, 3, 4, 5]", [[2, 3, 4, 5], [3], [3]],
                x => F.BatchNorm(x[0], S.Tensor.FromArray(new[] { 0.1, -0.2, 0.3 }, 3), S.Tensor.FromArray(new[] { 1.5, 0.7, 1.1 }, 3), x[1], x[2], training),
                x => TF.batch_norm(x[0], T.tensor(new[] { 0.1, -0.2, 0.3 }), T.tensor(new[] { 1.5, 0.7, 1.1 }), x[1], x[2], training));
        yield return InDouble("MaxPool2d 2", [[2, 3, 8, 7]], x => S.Tensor.MaxPool2d(x[0], 2), x => TF.max_pool2d(x[0], new long[] { 2, 2 }));
        yield return InDouble("MaxPool2d k3 s2 p1 dilation 2 ceil", [[2, 3, 9, 8]], x => S.Tensor.MaxPool2d(x[0], 3, 2, 1, 2, ceilMode: true),
            x => TF.max_pool2d(x[0], new long[] { 3, 3 }, new long[] { 2, 2 }, new long[] { 1, 1 }, new long[] { 2, 2 }, ceil_mode: true));
        yield return InDouble("Interpolate bilinear scale 1.7", [[1, 2, 5, 4]], x => F.Interpolate(x[0], 1.7, "bilinear"),
            x => TF.interpolate(x[0], scale_factor: new[] { 1.7, 1.7 }, mode: T.InterpolationMode.Bilinear));
        yield return InDouble("Interpolate bilinear size align corners", [[2, 3, 4, 5]], x => F.Interpolate(x[0], size: (7, 9), mode: "bilinear", alignCorners: true),
            x => TF.interpolate(x[0], size: new long[] { 7, 9 }, mode: T.InterpolationMode.Bilinear, align_corners: true));
        yield return InDouble("Upsample bilinear align corners scale 2", [[1, 4, 3, 5]], x => new Upsample(2.0, "bilinear", alignCorners: true).Forward(x[0]),
            x => TF.interpolate(x[0], scale_factor: new[] { 2.0, 2.0 }, mode: T.InterpolationMode.Bilinear, align_corners: true));
        yield return InDouble("Interpolate nearest scale 1.5", [[1, 2, 5, 6]], x => F.Interpolate(x[0], 1.5), x => TF.interpolate(x[0], scale_factor: new[] { 1.5, 1.5 }));
        yield return InDouble("Interpolate nearest size (7, 3)", [[2, 3, 4, 5]], x => F.Interpolate(x[0], size: (7, 3)), x => TF.interpolate(x[0], size: new long[] { 7, 3 }));
        yield return InDouble("Pad reflect and crop", [[2, 2, 4, 5]], x => F.Pad(F.Pad(x[0], [2, 3, 3, 1], "reflect"), [-1, 0, 1, -2]),
            x => TF.pad(TF.pad(x[0], new long[] { 2, 3, 3, 1 }, PaddingModes.Reflect), new long[] { -1, 0, 1, -2 }));
    }

    static Case InDouble(string name, int[][] shapes, Func<S.Tensor[], S.Tensor> ours, Func<T.Tensor[], T.Tensor> theirs) => new()
    {
        Name = name + " (Float64)",
        Shapes = shapes,
        Tolerance = Tolerance,
        Ours = x => ours(x.Select(t => t.ToDType(S.DType.Float64)).ToArray()).ToDType(S.DType.Float32),
        Theirs = x => theirs(x.Select(t => t.to_type(T.ScalarType.Float64)).ToArray()).to_type(T.ScalarType.Float32),
    };
}
