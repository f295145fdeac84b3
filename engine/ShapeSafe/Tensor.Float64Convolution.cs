using ShapeSafe.Kernels.Convolution;
using ShapeSafe.Kernels.Pooling;

namespace ShapeSafe;

// Float64 paths of Conv2d, ConvTranspose2d and MaxPool2d (the layers of a UNet or a ResNet). Each Float32 entry
// point takes these only for a Float64 input, after one dtype compare, so its float kernels stay as they were. The
// arithmetic is ConvolutionFloat64 and MaxPoolFloat64: plain double loops and the double GEMM, for checking float32
// results against (PyTorch's double CPU kernels accumulate in double too).
public partial class Tensor
{
    /// <summary>
    /// Float64 <c>conv2d</c> (and <c>relu(conv2d)</c> for the fused callers): the shapes checked by the same rule as the
    /// Float32 path, the weight and bias required to be Float64 too. Records "ConvolutionBackward"; a fused ReLU is
    /// the recorded Float64 <see cref="Relu"/> on top.
    /// </summary>
    static Tensor Conv2dFloat64(Tensor input, Tensor weight, Tensor? bias,
        (int Height, int Width) stride, (int Height, int Width) padding, (int Height, int Width)? dilation, int groups, bool relu)
    {
        const string op = "Conv2d";
        NN.F.RequireFloat64(op, input, weight, "weight");
        NN.F.RequireFloat64(op, input, bias, "bias");
        var geometry = Conv2dGeometry.Create(input.Sizes, weight.Sizes, stride, padding, dilation ?? (1, 1), groups);
        if (bias is not null && (bias.Rank != 1 || bias.Sizes[0] != geometry.OutChannels))
            throw new ShapeException(op,
                $"bias of shape {Rules.Format(bias.Sizes)} should be [{geometry.OutChannels}], one per output channel of weight {Rules.Format(weight.Sizes)} (input {Rules.Format(input.Sizes)})");
        var x = input.Detach().Contiguous();
        var w = weight.Detach().Contiguous();
        var b = bias?.Detach().Contiguous();
        int[] outShape = input.Rank == 4
            ? new[] { geometry.Batch, geometry.OutChannels, geometry.OutHeight, geometry.OutWidth }
            : new[] { geometry.OutChannels, geometry.OutHeight, geometry.OutWidth };
        var result = Uninitialized(DType.Float64, outShape);
        ConvolutionFloat64.Forward(geometry, x.DoubleData, x.Offset, w.DoubleData, w.Offset, b?.DoubleData, b?.Offset ?? 0, result.DoubleData, 0);

        bool inputGrad = input.RequiresGrad, weightGrad = weight.RequiresGrad, biasGrad = bias?.RequiresGrad == true;
        if ((inputGrad || weightGrad || biasGrad) && Autograd.IsGradEnabled)
        {
            result.Recorded("ConvolutionBackward", new Tensor?[] { input, weight, bias }, g =>
            {
                var gc = g.Contiguous();
                Tensor? gradInput = null, gradWeight = null, gradBias = null;
                if (inputGrad)
                {
                    gradInput = Zeros((int[])x.Sizes.Clone(), DType.Float64);
                    ConvolutionFloat64.BackwardInput(geometry, w.DoubleData, w.Offset, gc.DoubleData, gc.Offset, gradInput.DoubleData, 0);
                }
                if (weightGrad)
                {
                    gradWeight = Uninitialized(DType.Float64, (int[])w.Sizes.Clone());
                    ConvolutionFloat64.BackwardWeight(geometry, x.DoubleData, x.Offset, gc.DoubleData, gc.Offset, gradWeight.DoubleData, 0);
                }
                if (biasGrad)
                    gradBias = FromArray(ConvolutionFloat64.BiasGradient(gc.DoubleData, gc.Offset, geometry.Batch, geometry.OutChannels, geometry.OutPlane), geometry.OutChannels);
                return new[] { gradInput, gradWeight, gradBias };
            });
        }
        return relu ? result.Relu() : result;
    }

    /// <summary>
    /// Float64 <c>conv_transpose2d</c>: the convolution from <paramref name="outShape"/> back to the input (whose
    /// geometry the caller checked) run backwards, as the Float32 path does. Records "ConvolutionBackward": the
    /// input's gradient is that convolution's forward, the weight's its weight gradient with the roles of input and
    /// output gradient exchanged, the bias's the output gradient summed per channel.
    /// </summary>
    static Tensor ConvTranspose2dFloat64(Tensor input, Tensor weight, Tensor? bias, int[] outShape, in Conv2dGeometry geometry)
    {
        var x = input.Detach().Contiguous();
        var w = weight.Detach().Contiguous();
        int channels = outShape[^3], plane = outShape[^1] * outShape[^2];
        int images = channels * plane == 0 ? 0 : (int)(CountOf(outShape, "ConvTranspose2d") / ((long)channels * plane));
        // Zeros: the adjoint accumulates, and with no input channels the output is the bias alone.
        var result = Zeros(outShape, DType.Float64);
        ConvolutionFloat64.BackwardInput(geometry, w.DoubleData, w.Offset, x.DoubleData, x.Offset, result.DoubleData, 0);
        if (bias is not null)
        {
            var b = bias.Detach().Contiguous();
            var data = result.DoubleData;
            for (int n = 0; n < images; n++)
                for (int c = 0; c < channels; c++)
                {
                    double value = b.DoubleData[b.Offset + c];
                    var span = data.AsSpan((n * channels + c) * plane, plane);
                    for (int i = 0; i < span.Length; i++) span[i] += value;
                }
        }
        bool inputGrad = input.RequiresGrad, weightGrad = weight.RequiresGrad, biasGrad = bias?.RequiresGrad == true;
        if (!((inputGrad || weightGrad || biasGrad) && Autograd.IsGradEnabled)) return result;
        var g0 = geometry;
        return result.Recorded("ConvolutionBackward", new Tensor?[] { input, weight, bias }, g =>
        {
            var gc = g.Contiguous();
            Tensor? gradInput = null, gradWeight = null, gradBias = null;
            if (inputGrad)
            {
                gradInput = Uninitialized(DType.Float64, (int[])x.Sizes.Clone());
                ConvolutionFloat64.Forward(g0, gc.DoubleData, gc.Offset, w.DoubleData, w.Offset, null, 0, gradInput.DoubleData, 0);
            }
            if (weightGrad)
            {
                gradWeight = Uninitialized(DType.Float64, (int[])w.Sizes.Clone());
                ConvolutionFloat64.BackwardWeight(g0, gc.DoubleData, gc.Offset, x.DoubleData, x.Offset, gradWeight.DoubleData, 0);
            }
            if (biasGrad)
                gradBias = FromArray(ConvolutionFloat64.BiasGradient(gc.DoubleData, gc.Offset, images, channels, plane), channels);
            return new[] { gradInput, gradWeight, gradBias };
        });
    }

    /// <summary>
    /// Float64 <c>max_pool2d</c> (with or without the public Int64 indices). Records "MaxPool2DWithIndicesBackward",
    /// which adds each output gradient at its argmax.
    /// </summary>
    static (Tensor Values, Tensor? Indices) MaxPool2dFloat64(Tensor input, in Pool2dGeometry geometry, bool publicIndices)
    {
        var x = input.Detach().Contiguous();
        var outShape = PooledShape(input.Sizes, geometry);
        var values = Uninitialized(DType.Float64, outShape);
        var argmax = new int[values.Count];
        MaxPoolFloat64.Forward(geometry, x.DoubleData, x.Offset, values.DoubleData, argmax);
        Tensor? indices = null;
        if (publicIndices)
        {
            indices = Uninitialized(DType.Int64, (int[])outShape.Clone());
            for (int i = 0; i < argmax.Length; i++) indices.LongData[i] = argmax[i];
        }
        if (!MustRecord(input)) return (values, indices);
        var inputSizes = (int[])input.Sizes.Clone();
        var g0 = geometry;
        values.Recorded("MaxPool2DWithIndicesBackward", new Tensor?[] { input }, g =>
        {
            var gc = g.Contiguous();
            var gradInput = Zeros(inputSizes, DType.Float64);
            MaxPoolFloat64.Backward(g0, gc.DoubleData, gc.Offset, argmax, gradInput.DoubleData);
            return new Tensor?[] { gradInput };
        });
        return (values, indices);
    }
}
