using ShapeSafe.NN;

namespace ShapeSafe.Tests.CompiledGraphs;

public static partial class CompiledModels
{
    /// <summary>A ResNet-style stem and head: a convolution, a group norm, ReLU, the global average pool, a linear head.</summary>
    [Module]
    public sealed partial class ResNetStem : Module
    {
        readonly Conv2d _conv;
        readonly GroupNorm _norm = new(2, 8);
        readonly ReLU _relu = new();
        readonly AdaptiveAvgPool2d _pool = new(1);
        readonly Flatten _flatten = new();
        readonly Linear _head;

        public ResNetStem(Generator generator)
        {
            _conv = new Conv2d(3, 8, 3, padding: 1, generator: generator);
            _head = new Linear(8, 5, generator: generator);
            // Weights other than ones and zeros, so the norm's affine transform is exercised.
            using (ShapeSafe.Autograd.NoGrad())
            {
                _norm.Weight!.CopyFrom(Tensor.Randn(new[] { 8 }, generator));
                _norm.Bias!.CopyFrom(Tensor.Randn(new[] { 8 }, generator));
            }
        }

        public Tensor Forward(Tensor x) => _head.Forward(_flatten.Forward(_pool.Forward(_relu.Forward(_norm.Forward(_conv.Forward(x))))));
    }

    /// <summary>The pools with their options: an average pool with ceil mode and padding left out of the count, one with a divisor, the adaptive pools.</summary>
    [Module]
    public sealed partial class SpatialPools : Module
    {
        readonly AvgPool2d _ceil = new(3, stride: 2, padding: 1, countIncludePad: false, ceilMode: true);
        readonly AvgPool2d _divided = new((2, 2), stride: (1, 1), padding: (1, 0), divisorOverride: 3);
        readonly AdaptiveAvgPool2d _average = new((3, 2));
        readonly AdaptiveMaxPool2d _max = new((3, 2));
        readonly GroupNorm _plain = new(1, 4, eps: 1e-3, affine: false);

        public Tensor Forward(Tensor x)
        {
            var a = _average.Forward(_divided.Forward(_ceil.Forward(x)));
            return _plain.Forward(a) + _max.Forward(x);
        }
    }

    /// <summary>Two 1-D convolutions: "same" padding with dilation, then a strided grouped one without bias that pads by reflection.</summary>
    [Module]
    public sealed partial class Conv1dPair : Module
    {
        readonly Conv1d _same;
        readonly Conv1d _strided;

        public Conv1dPair(Generator generator)
        {
            _same = new Conv1d(4, 6, 3, "same", dilation: 2, generator: generator);
            _strided = new Conv1d(6, 4, 3, stride: 2, padding: 1, groups: 2, bias: false, generator: generator, paddingMode: "reflect");
        }

        public Tensor Forward(Tensor x) => _strided.Forward(F.Relu(_same.Forward(x)));
    }

    /// <summary>A decoder: two transposed convolutions (strided with output padding; grouped and dilated without bias), then bilinear and nearest upsampling.</summary>
    [Module]
    public sealed partial class Decoder : Module
    {
        readonly ConvTranspose2d _up;
        readonly ConvTranspose2d _grouped;
        readonly Upsample _bilinear = new(2.0, mode: "bilinear", alignCorners: true);
        readonly Upsample _nearest = new(size: (7, 9));

        public Decoder(Generator generator)
        {
            _up = new ConvTranspose2d(4, 6, 3, stride: 2, padding: 1, outputPadding: 1, generator: generator);
            _grouped = new ConvTranspose2d(6, 4, (3, 3), groups: 2, bias: false, dilation: (2, 2), generator: generator);
        }

        public Tensor Forward(Tensor x) => _nearest.Forward(_bilinear.Forward(_grouped.Forward(F.Relu(_up.Forward(x)))));
    }

    /// <summary>The padding modes of F.Pad and F.Interpolate: reflect, replicate, circular and constant padding, bilinear and nearest resizing.</summary>
    [Module]
    public sealed partial class Paddings : Module
    {
        readonly Conv2d _conv;

        public Paddings(Generator generator) => _conv = new Conv2d(2, 2, 3, generator: generator);

        public Tensor Forward(Tensor x)
        {
            var a = F.Pad(x, new[] { 1, 2, 2, 1 }, "reflect");
            var b = F.Pad(_conv.Forward(a), new[] { 1, 1, 0, 2 }, mode: "replicate");
            var c = F.Pad(b, new[] { 2, 1, 1, 1 }, "circular");
            var d = F.Pad(c, new[] { 1, -1, 0, 1 }, "constant", 0.5);
            var e = F.Interpolate(d, scaleFactor: 1.5, mode: "bilinear", alignCorners: false);
            return F.Interpolate(e, size: (6, 5));
        }
    }
}
