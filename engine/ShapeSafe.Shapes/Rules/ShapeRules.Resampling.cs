using System;

namespace ShapeSafe.Shapes
{
    // Layers that resize the spatial dims: adaptive pooling, padding, interpolation, pixel shuffle, transposed
    // convolution.
    public static partial class ShapeRules<T, TDomain>
    {
        /// <summary>
        /// <c>AdaptiveAvgPool2d</c>/<c>AdaptiveMaxPool2d</c>: [N, C, H, W] or [C, H, W] → the same with (H, W) replaced
        /// by <paramref name="outputSize"/>; a negative entry (PyTorch's None) keeps the input's size. H and W must be
        /// non-zero.
        /// </summary>
        public static T[] AdaptivePool2d(T[] input, int[] outputSize, string op = "AdaptiveAvgPool2d")
        {
            if (input.Length != 3 && input.Length != 4)
                throw new ShapeException(op, $"Expected 3D or 4D tensor, but got input of shape {Format(input)}");
            var result = (T[])input.Clone();
            for (int i = 0; i < 2; i++)
            {
                int d = input.Length - 2 + i;
                if (Decide(op, D.Equal(input[d], D.Constant(0)), "whether a size is 0"))
                    throw new ShapeException(op, $"Expected input to have non-zero size for non-batch dimensions, but input has shape {Format(input)} (dim {d})");
                if (outputSize[i] >= 0) result[d] = D.Constant(outputSize[i]);
            }
            return result;
        }

        /// <summary>
        /// <c>F.Pad</c>: <paramref name="pad"/> holds (left, right) pairs starting from the last dim. Constant padding
        /// may be negative (it crops); reflect, replicate and circular pad the last 1–3 dims of an input with one or two
        /// more dims, reflect by less than the size, circular by at most the size, replicate a non-empty dim.
        /// </summary>
        public static T[] Pad(T[] input, int[] pad, string mode = "constant", string op = "Pad")
        {
            if (pad.Length % 2 != 0)
                throw new ShapeException(op, $"Padding length must be divisible by 2, got {Format(pad)} for input {Format(input)}");
            int dims = pad.Length / 2;
            if (dims > input.Length)
                throw new ShapeException(op, $"Padding length {pad.Length} is too large for input of shape {Format(input)} (at most {2 * input.Length})");
            if (mode != "constant")
            {
                if (dims < 1 || dims > 3)
                    throw new ShapeException(op, $"{mode} padding pads 1 to 3 trailing dims, got padding {Format(pad)} for input {Format(input)}");
                if (input.Length != dims + 1 && input.Length != dims + 2)
                    throw new ShapeException(op, $"{mode} padding of {dims} dim(s) expects a {dims + 1}D or {dims + 2}D input, got input of shape {Format(input)}");
            }
            var result = (T[])input.Clone();
            for (int i = 0; i < dims; i++)
            {
                int d = input.Length - 1 - i;
                int left = pad[2 * i], right = pad[2 * i + 1];
                T size = input[d];
                T padded = D.Add(size, D.Constant((long)left + right));
                switch (mode)
                {
                    case "constant":
                        if (Decide(op, D.Less(padded, D.Constant(0)), "whether the padded size is negative"))
                            throw new ShapeException(op,
                                $"The input size {D.Format(size)}, plus negative padding {left} and {right} resulted in a negative output size, which is invalid. Check dimension {d} of your input {Format(input)}");
                        break;
                    case "reflect":
                        if (left < 0 || right < 0 || Decide(op, D.Less(D.Constant(Math.Max(left, right)), size), "whether the padding fits") == false)
                            throw new ShapeException(op,
                                $"Padding size should be less than the corresponding input dimension, but got: padding ({left}, {right}) at dimension {d} of input {Format(input)}");
                        break;
                    case "replicate":
                        if (left < 0 || right < 0 || Decide(op, D.Equal(size, D.Constant(0)), "whether a size is 0"))
                            throw new ShapeException(op, $"replicate padding ({left}, {right}) needs a non-empty dimension {d}, input {Format(input)}");
                        break;
                    case "circular":
                        if (left < 0 || right < 0 || Decide(op, D.Less(size, D.Constant(Math.Max(left, right))), "whether the padding wraps"))
                            throw new ShapeException(op,
                                $"Padding value causes wrapping around more than once: padding ({left}, {right}) at dimension {d} of input {Format(input)}");
                        break;
                    default:
                        throw new ShapeException(op, $"Unrecognised padding mode {mode} (expected constant, reflect, replicate or circular)");
                }
                result[d] = padded;
            }
            return result;
        }

        /// <summary>
        /// <c>F.Interpolate</c> / <c>Upsample</c> over the last two dims of [N, C, H, W]: (H, W) becomes
        /// <paramref name="size"/> when given, else floor(size · scale) for <paramref name="scaleFactor"/>.
        /// </summary>
        public static T[] Interpolate2d(T[] input, int[]? size, double[]? scaleFactor, string op = "Interpolate")
        {
            if (input.Length != 4)
                throw new ShapeException(op, $"bilinear and 2-D nearest interpolation expect a 4D input [N, C, H, W], got input of shape {Format(input)}");
            if ((size is null) == (scaleFactor is null))
                throw new ShapeException(op, $"either size or scale_factor should be defined, not both and not neither (input {Format(input)})");
            var result = (T[])input.Clone();
            for (int i = 0; i < 2; i++)
            {
                int d = 2 + i;
                if (size is not null)
                {
                    if (size[i] <= 0)
                        throw new ShapeException(op, $"output size {Format(size)} must be positive (input {Format(input)})");
                    result[d] = D.Constant(size[i]);
                }
                else
                {
                    if (!D.TryGetConstant(input[d], out long n))
                        throw new UndecidableShapeException(op, "a symbolic size scaled by a factor");
                    double scale = scaleFactor![i];
                    long outSize = (long)Math.Floor(n * scale);
                    if (!(scale > 0) || outSize <= 0)
                        throw new ShapeException(op, $"scale_factor {scale} gives an empty output for input {Format(input)} at dim {d}");
                    result[d] = D.Constant(outSize);
                }
            }
            return result;
        }

        /// <summary>
        /// <c>PixelShuffle(r)</c>: [..., C·r², H, W] → [..., C, H·r, W·r]. The input has at least 3 dims and its
        /// channels divide by r².
        /// </summary>
        public static T[] PixelShuffle(T[] input, int upscaleFactor, string op = "PixelShuffle")
        {
            if (input.Length < 3)
                throw new ShapeException(op, $"pixel_shuffle expects input to have at least 3 dimensions, but got input with shape {Format(input)}");
            if (upscaleFactor <= 0)
                throw new ShapeException(op, $"upscale_factor must be positive, got {upscaleFactor} (input {Format(input)})");
            int c = input.Length - 3;
            T square = D.Constant((long)upscaleFactor * upscaleFactor);
            if (!Decide(op, D.TryDivideExact(input[c], square, out T channels), "whether the channels divide"))
                throw new ShapeException(op,
                    $"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)={D.Format(input[c])} is not divisible by {upscaleFactor * upscaleFactor} (input {Format(input)})");
            var result = (T[])input.Clone();
            result[c] = channels;
            result[c + 1] = D.Multiply(input[c + 1], D.Constant(upscaleFactor));
            result[c + 2] = D.Multiply(input[c + 2], D.Constant(upscaleFactor));
            return result;
        }

        /// <summary>
        /// <c>ConvTranspose2d</c>: input [N, C, H, W] (or [C, H, W]), weight [C, O/groups, kH, kW] → [N, O, H', W'] with
        /// H' = (H − 1)·stride − 2·padding + dilation·(kH − 1) + outputPadding + 1. The output padding must be smaller
        /// than the stride or the dilation.
        /// </summary>
        public static T[] ConvTranspose2d(T[] input, T[] weight, int[] stride, int[] padding, int[] outputPadding, int[] dilation, int groups = 1,
            string op = "ConvTranspose2d")
        {
            if (input.Length != 3 && input.Length != 4)
                throw new ShapeException(op, $"expected 3-D (unbatched) or 4-D (batched) input, but got input of shape {Format(input)} (weight {Format(weight)})");
            if (weight.Length != 4)
                throw new ShapeException(op, $"expected a 4-D weight [in, out/groups, kH, kW], got {Format(weight)}");
            CheckWindowArgs(op, stride, padding, dilation, groups);
            bool batched = input.Length == 4;
            T channels = input[batched ? 1 : 0];
            if (!Decide(op, D.Equal(channels, weight[0]), "whether the channels match"))
                throw new ShapeException(op,
                    $"input {Format(input)} has {D.Format(channels)} channels at dim {(batched ? 1 : 0)}, but weight {Format(weight)} expects {D.Format(weight[0])} (groups = {groups})");
            var outSizes = new T[2];
            for (int i = 0; i < 2; i++)
            {
                if (outputPadding[i] < 0 || (outputPadding[i] >= stride[i] && outputPadding[i] >= dilation[i]))
                    throw new ShapeException(op, $"output padding must be smaller than either stride or dilation, but got output_padding {Format(outputPadding)}, stride {Format(stride)}, dilation {Format(dilation)}");
                if (!D.TryGetConstant(weight[2 + i], out long k))
                    throw new UndecidableShapeException(op, "a symbolic kernel size");
                T inputSize = input[input.Length - 2 + i];
                T size = D.Add(D.Multiply(D.Subtract(inputSize, D.Constant(1)), D.Constant(stride[i])),
                    D.Constant(-2L * padding[i] + (long)dilation[i] * (k - 1) + outputPadding[i] + 1));
                if (Decide(op, D.Less(size, D.Constant(1)), "whether the output is empty"))
                    throw new ShapeException(op,
                        $"output size is too small: input {Format(input)} with weight {Format(weight)}, stride {Format(stride)}, padding {Format(padding)} gives {D.Format(size)} at dim {input.Length - 2 + i}");
                outSizes[i] = size;
            }
            T outChannels = D.Multiply(weight[1], D.Constant(groups));
            return batched
                ? new[] { input[0], outChannels, outSizes[0], outSizes[1] }
                : new[] { outChannels, outSizes[0], outSizes[1] };
        }
    }
}
