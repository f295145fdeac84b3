namespace ShapeSafe.Shapes
{
    // One-dimensional convolution: the 2-D rule's arithmetic over a single spatial dim, with 1-D shapes in messages.
    public static partial class ShapeRules<T, TDomain>
    {
        /// <summary><c>Conv1d</c>: input [N, C, L] (or unbatched [C, L]), weight [O, C/groups, K] → [N, O, L'].</summary>
        public static T[] Conv1d(T[] input, T[] weight, int stride, int padding, int dilation, int groups = 1, string op = "Conv1d")
        {
            if (input.Length != 2 && input.Length != 3)
                throw new ShapeException(op, $"expected 2-D (unbatched) or 3-D (batched) input, but got input of shape {Format(input)} (weight {Format(weight)})");
            if (weight.Length != 3)
                throw new ShapeException(op, $"expected a 3-D weight [out, in/groups, k], got {Format(weight)}");
            CheckWindowArgs(op, new[] { stride, stride }, new[] { padding, padding }, new[] { dilation, dilation }, groups);
            bool batched = input.Length == 3;
            T channels = input[batched ? 1 : 0];
            T expected = D.Multiply(weight[1], D.Constant(groups));
            if (!Decide(op, D.Equal(channels, expected), "whether the channels match"))
                throw new ShapeException(op,
                    $"input {Format(input)} has {D.Format(channels)} channels at dim {(batched ? 1 : 0)}, but weight {Format(weight)} expects {D.Format(expected)} (groups = {groups})");
            if (!D.TryGetConstant(weight[2], out long k))
                throw new UndecidableShapeException(op, "a symbolic kernel size");
            T length = input[input.Length - 1];
            T padded = D.Add(length, D.Constant(2L * padding));
            if (Decide(op, D.Less(padded, D.Constant((long)dilation * (k - 1) + 1)), "whether the kernel fits"))
                throw new ShapeException(op,
                    $"kernel size ({k}) can't be greater than the padded input size at dim {input.Length - 1}: input {Format(input)}, weight {Format(weight)}, padding {padding}, dilation {dilation}");
            T outLength = WindowOutputSize(length, (int)k, stride, padding, dilation);
            return batched ? new[] { input[0], weight[0], outLength } : new[] { weight[0], outLength };
        }
    }
}
