namespace ShapeSafe.Shapes
{
    // Convolution and pooling output sizes.
    public static partial class ShapeRules<T, TDomain>
    {
        /// <summary>
        /// The output size of a sliding window along one dim: floor((n + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1.
        /// </summary>
        public static T WindowOutputSize(T inputSize, int kernel, int stride, int padding, int dilation)
        {
            T span = D.Add(inputSize, D.Constant(2L * padding - (long)dilation * (kernel - 1) - 1));
            return D.Add(D.FloorDivide(span, D.Constant(stride)), D.Constant(1));
        }

        /// <summary>
        /// <c>Conv2d</c>: input [N, C, H, W] (or unbatched [C, H, W]), weight [O, C/groups, kH, kW] → [N, O, H', W'].
        /// </summary>
        public static T[] Conv2d(T[] input, T[] weight, int[] stride, int[] padding, int[] dilation, int groups = 1, string op = "Conv2d")
        {
            try
            {
                return Fits(op, Conv2dSizes(input, weight, stride, padding, dilation, groups, op), input, weight);
            }
            catch (System.OverflowException)
            {
                throw new ShapeException(op, $"the sizes computed from stride {Format(stride)}, padding {Format(padding)}, dilation {Format(dilation)} and groups {groups} do not fit in 32-bit integers; input {Format(input)}, weight {Format(weight)}");
            }
        }

        static T[] Conv2dSizes(T[] input, T[] weight, int[] stride, int[] padding, int[] dilation, int groups, string op)
        {
            if (input.Length != 3 && input.Length != 4)
                throw new ShapeException(op, $"expected 3-D (unbatched) or 4-D (batched) input, but got input of shape {Format(input)} (weight {Format(weight)})");
            if (weight.Length != 4)
                throw new ShapeException(op, $"expected a 4-D weight [out, in/groups, kH, kW], got {Format(weight)}");
            CheckWindowArgs(op, stride, padding, dilation, groups);
            bool batched = input.Length == 4;
            T channels = input[batched ? 1 : 0];
            T expected = D.Multiply(weight[1], D.Constant(groups));
            if (!Decide(op, D.Equal(channels, expected), "whether the channels match"))
                throw new ShapeException(op,
                    $"input {Format(input)} has {D.Format(channels)} channels at dim {(batched ? 1 : 0)}, but weight {Format(weight)} expects {D.Format(expected)} (groups = {groups})");
            if (groups > 1 && Decide(op, D.TryDivideExact(weight[0], D.Constant(groups), out _), "whether out channels divide") == false)
                throw new ShapeException(op, $"out channels {D.Format(weight[0])} of weight {Format(weight)} must be divisible by groups ({groups})");

            var kernel = new T[] { weight[2], weight[3] };
            var outSizes = new T[2];
            for (int i = 0; i < 2; i++)
            {
                if (!D.TryGetConstant(kernel[i], out long k))
                    throw new UndecidableShapeException(op, "a symbolic kernel size");
                T inputSize = input[input.Length - 2 + i];
                T padded = D.Add(inputSize, D.Constant(2L * padding[i]));
                T effective = D.Constant((long)dilation[i] * (k - 1) + 1);
                if (Decide(op, D.Less(padded, effective), "whether the kernel fits"))
                    throw new ShapeException(op,
                        $"kernel size ({D.Format(kernel[0])}x{D.Format(kernel[1])}) can't be greater than the padded input size at dim {input.Length - 2 + i}: input {Format(input)}, weight {Format(weight)}, padding {Format(padding)}, dilation {Format(dilation)}");
                outSizes[i] = WindowOutputSize(inputSize, (int)k, stride[i], padding[i], dilation[i]);
                CheckReach(inputSize, outSizes[i], k, stride[i], padding[i], dilation[i]);
            }
            return batched
                ? new[] { input[0], weight[0], outSizes[0], outSizes[1] }
                : new[] { weight[0], outSizes[0], outSizes[1] };
        }

        /// <summary>
        /// <c>MaxPool2d</c>/<c>AvgPool2d</c>: input [N, C, H, W] or [C, H, W] → the same with pooled H and W.
        /// Padding may be at most half the kernel, as in PyTorch. With <paramref name="ceilMode"/> the division by the
        /// stride rounds up, except that the last window must start inside the input or its left padding (ATen's
        /// pooling_output_shape).
        /// </summary>
        public static T[] Pool2d(T[] input, int[] kernel, int[] stride, int[] padding, int[] dilation, string op = "MaxPool2d", bool ceilMode = false)
        {
            try
            {
                return Pool2dSizes(input, kernel, stride, padding, dilation, op, ceilMode);
            }
            catch (System.OverflowException)
            {
                throw new ShapeException(op, $"the sizes computed from kernel {Format(kernel)}, stride {Format(stride)}, padding {Format(padding)} and dilation {Format(dilation)} do not fit in 32-bit integers; input {Format(input)}");
            }
        }

        static T[] Pool2dSizes(T[] input, int[] kernel, int[] stride, int[] padding, int[] dilation, string op, bool ceilMode)
        {
            if (input.Length != 3 && input.Length != 4)
                throw new ShapeException(op, $"expected 3-D or 4-D input, got shape {Format(input)}");
            CheckWindowArgs(op, stride, padding, dilation, 1);
            var result = (T[])input.Clone();
            for (int i = 0; i < 2; i++)
            {
                if (kernel[i] <= 0)
                    throw new ShapeException(op, $"kernel size {Format(kernel)} must be positive (input {Format(input)})");
                if (padding[i] * 2L > kernel[i])
                    throw new ShapeException(op, $"pad {Format(padding)} should be at most half of the kernel size {Format(kernel)} (input {Format(input)})");
                int d = input.Length - 2 + i;
                T size = ceilMode
                    ? CeilWindowOutputSize(input[d], kernel[i], stride[i], padding[i], dilation[i], op)
                    : WindowOutputSize(input[d], kernel[i], stride[i], padding[i], dilation[i]);
                CheckReach(input[d], size, kernel[i], stride[i], padding[i], dilation[i]);
                if (Decide(op, D.Less(size, D.Constant(1)), "whether the output is empty"))
                    throw new ShapeException(op,
                        $"output size is too small: input {Format(input)} with kernel {Format(kernel)}, stride {Format(stride)}, padding {Format(padding)} gives {D.Format(size)} at dim {d}");
                result[d] = size;
            }
            return result;
        }

        /// <summary>
        /// Ceil mode's output size: ceil((n + 2·padding − dilation·(kernel − 1) − 1) / stride) + 1, less one when the
        /// last window would start at or past n + padding (it would cover only right padding).
        /// </summary>
        static T CeilWindowOutputSize(T inputSize, int kernel, int stride, int padding, int dilation, string op)
        {
            T span = D.Add(inputSize, D.Constant(2L * padding - (long)dilation * (kernel - 1) - 1 + (stride - 1)));
            T size = D.Add(D.FloorDivide(span, D.Constant(stride)), D.Constant(1));
            T lastStart = D.Multiply(D.Add(size, D.Constant(-1)), D.Constant(stride));
            bool outside = !Decide(op, D.Less(lastStart, D.Add(inputSize, D.Constant(padding))), "whether the last window starts inside the input");
            return outside ? D.Add(size, D.Constant(-1)) : size;
        }

        /// <summary>
        /// The kernels index the padded input with ints: the padded size and the farthest tap a window reaches,
        /// (out − 1)·stride + dilation·(kernel − 1), must fit, or the sizes count as not fitting (an overflow).
        /// </summary>
        static void CheckReach(T inputSize, T outSize, long kernel, int stride, int padding, int dilation)
        {
            if (!D.TryGetConstant(inputSize, out long n) || !D.TryGetConstant(outSize, out long o) || o <= 0) return;
            if (n + 2L * padding > int.MaxValue || (o - 1) * stride + dilation * (kernel - 1) > int.MaxValue)
                throw new System.OverflowException();
        }

        static void CheckWindowArgs(string op, int[] stride, int[] padding, int[] dilation, int groups)
        {
            for (int i = 0; i < 2; i++)
            {
                if (stride[i] <= 0) throw new ShapeException(op, $"stride {Format(stride)} must be positive");
                if (padding[i] < 0) throw new ShapeException(op, $"padding {Format(padding)} must be non-negative");
                if (dilation[i] <= 0) throw new ShapeException(op, $"dilation {Format(dilation)} must be positive");
            }
            if (groups <= 0) throw new ShapeException(op, $"groups ({groups}) must be positive");
        }
    }
}
