using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Convolution;
using ShapeSafe.Tracing;

namespace ShapeSafe;

// Transposed convolution: the input gradient of a convolution, run forward. With the convolution that maps the
// transposed output [N, O, H', W'] to the input [N, C, H, W] through the same weight [C, O/groups, kH, kW], the
// forward is that convolution's BackwardInput, the input's gradient is its Forward and the weight's gradient its
// BackwardWeight, so the chunked kernels serve both layers and no second convolution exists.
public partial class Tensor
{
    /// <summary>
    /// PyTorch's <c>conv_transpose2d</c>: input [N, C, H, W] (or [C, H, W]), weight [C, O/groups, kH, kW], bias [O];
    /// the output is [N, O, H', W'] with H' = (H − 1)·stride − 2·padding + dilation·(kH − 1) + outputPadding + 1.
    /// Records "ConvolutionBackward".
    /// </summary>
    /// <exception cref="ShapeException">The channels do not match the weight, or the output padding is too large.</exception>
    [ShapeContract("ConvTranspose2d")]
    public static Tensor ConvTranspose2d(Tensor input, Tensor weight, Tensor? bias = null,
        (int Height, int Width)? stride = null, (int Height, int Width) padding = default, (int Height, int Width) outputPadding = default,
        int groups = 1, (int Height, int Width)? dilation = null)
    {
        const string op = "ConvTranspose2d";
        if (OpTrace.Recording)
            return OpTrace.Run(op, [input, weight, bias], () => ConvTranspose2d(input, weight, bias, stride, padding, outputPadding, groups, dilation),
                ("stride", new[] { (stride ?? (1, 1)).Height, (stride ?? (1, 1)).Width }), ("padding", new[] { padding.Height, padding.Width }),
                ("outputPadding", new[] { outputPadding.Height, outputPadding.Width }), ("groups", groups),
                ("dilation", new[] { (dilation ?? (1, 1)).Height, (dilation ?? (1, 1)).Width }));
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (Autograd.IsAutocastEnabled)
            (input, weight, bias) = (AutocastLower(input), AutocastLower(weight), AutocastLowerOptional(bias));
        bool bfloat16 = AllBFloat16(input, weight, bias);
        bool wide = !bfloat16 && input.DType == DType.Float64;
        if (wide)
        {
            NN.F.RequireFloat64(op, input, weight, "weight");
            NN.F.RequireFloat64(op, input, bias, "bias");
        }
        else if (!bfloat16)
            CheckFloat(op, input, weight);
        var s = stride ?? (1, 1);
        var d = dilation ?? (1, 1);
        var outShape = Rules.ConvTranspose2d(input.Sizes, weight.Sizes, new[] { s.Height, s.Width }, new[] { padding.Height, padding.Width },
            new[] { outputPadding.Height, outputPadding.Width }, new[] { d.Height, d.Width }, groups);
        int outChannels = outShape[^3];
        var biasDType = bfloat16 ? DType.BFloat16 : wide ? DType.Float64 : DType.Float32;
        if (bias is not null && (bias.DType != biasDType || bias.Rank != 1 || bias.Sizes[0] != outChannels))
            throw new ShapeException(op, $"bias of shape {Rules.Format(bias.Sizes)} should be a {biasDType} [{outChannels}], one per output channel of weight {Rules.Format(weight.Sizes)}");
        // The convolution from the output's shape back to the input's (the weight is read as [C, O/groups, kH, kW]).
        var geometry = Conv2dGeometry.Create(outShape, weight.Sizes, s, padding, d, groups);
        if (geometry.OutHeight != input.Sizes[^2] || geometry.OutWidth != input.Sizes[^1])
            throw new ShapeException(op, $"output padding {Rules.Format(new[] { outputPadding.Height, outputPadding.Width })} gives an output {Rules.Format(outShape)} that does not convolve back to input {Rules.Format(input.Sizes)}");
        if (bfloat16)
            return ConvTranspose2dBFloat16(input, weight, bias, geometry, outShape,
                () => ThroughFloat32(input, weight, bias, (x, w, b) => ConvTranspose2d(x, w!, b, stride, padding, outputPadding, groups, dilation)));
        if (wide) return ConvTranspose2dFloat64(input, weight, bias, outShape, geometry);
        var x = input.Detach().Contiguous();
        var w = weight.Detach().Contiguous();
        // Zeros, not uninitialized: with no input channels the kernel writes nothing and the output is the bias alone.
        var result = Zeros(outShape);
        ConvolutionKernel.BackwardInput(geometry, w.FloatData, w.Offset, x.FloatData, x.Offset, result.FloatData, 0);
        if (bias is not null) AddPerChannel(result, bias.Detach().Contiguous());
        bool inputGrad = input.RequiresGrad, weightGrad = weight.RequiresGrad, biasGrad = bias?.RequiresGrad == true;
        if (!((inputGrad || weightGrad || biasGrad) && Autograd.IsGradEnabled)) return result;
        return result.Recorded("ConvolutionBackward", new Tensor?[] { input, weight, bias },
            g => ConvTransposeGradient.Compute(g, x, w, geometry, inputGrad, weightGrad, biasGrad));
    }

    // BFloat16 operands: the float32 kernel's sums (the bias added in float32) rounded once, the operands widened where
    // the kernels pack them (see Conv2dBFloat16); geometries that need bands go through float32 tensors (throughFloat32).
    static Tensor ConvTranspose2dBFloat16(Tensor input, Tensor weight, Tensor? bias, Conv2dGeometry geometry, int[] outShape,
        Func<Tensor> throughFloat32)
    {
        if (ConvolutionKernel.NeedsBands(geometry))
            return throughFloat32();
        var x = input.Detach().Contiguous();
        var w = weight.Detach().Contiguous();
        var b = bias?.Detach().Contiguous();
        var result = Uninitialized(DType.BFloat16, outShape);
        ConvolutionKernel.BackwardBFloat16(geometry, [], 0, w.BFloat16Data, w.Offset, x.BFloat16Data, x.Offset,
            result.BFloat16Data, 0, null, 0, null, 0, gradInputBias: b?.BFloat16Data, gradInputBiasOffset: b?.Offset ?? 0);
        bool inputGrad = input.RequiresGrad, weightGrad = weight.RequiresGrad, biasGrad = bias?.RequiresGrad == true;
        if (!((inputGrad || weightGrad || biasGrad) && Autograd.IsGradEnabled)) return result;
        return result.Recorded("ConvolutionBackward", new Tensor?[] { input, weight, bias },
            g => ConvTransposeGradient.ComputeBFloat16(g, x, w, geometry, inputGrad, weightGrad, biasGrad));
    }

    /// <summary>output[n, c, ...] += bias[c] for a contiguous [N, C, *] (or [C, *]) tensor.</summary>
    static void AddPerChannel(Tensor output, Tensor bias)
    {
        int channels = bias.Sizes[0];
        int plane = output.Sizes[^1] * output.Sizes[^2];
        int images = channels * plane == 0 ? 0 : output.Count / (channels * plane);
        var data = output.FloatData;
        var b = bias.FloatData;
        for (int n = 0; n < images; n++)
            for (int c = 0; c < channels; c++)
            {
                float value = b[bias.Offset + c];
                var span = data.AsSpan((n * channels + c) * plane, plane);
                for (int i = 0; i < span.Length; i++) span[i] += value;
            }
    }
}
