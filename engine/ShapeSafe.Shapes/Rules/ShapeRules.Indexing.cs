namespace ShapeSafe.Shapes
{
    // Ops that index along a dim with an index tensor: gather, scatter, scatter_add, one_hot.
    public static partial class ShapeRules<T, TDomain>
    {
        /// <summary>
        /// <c>Gather(dim, index)</c>: the output has the index's shape. The index has the input's rank and is no larger
        /// than the input in every dim but <paramref name="dim"/>, as ATen's gather_shape_check requires. A 0-dim
        /// tensor counts as one of shape [1]; an empty index passes, as in PyTorch.
        /// </summary>
        public static T[] Gather(T[] input, int dim, T[] index, string op = "Gather")
        {
            int d = NormalizeDim(op, dim, input.Length, input);
            if (RankAtLeastOne(index) != RankAtLeastOne(input))
                throw new ShapeException(op,
                    $"Index tensor must have the same number of dimensions as input tensor: index {Format(index)}, input {Format(input)}");
            if (IsEmpty(index)) return (T[])index.Clone();
            for (int i = 0; i < input.Length; i++)
            {
                if (i == d) continue;
                if (Decide(op, D.Less(input[i], index[i]), "how the index's sizes compare"))
                    throw new ShapeException(op,
                        $"Size does not match at dimension {i} expected index {Format(index)} to be no larger than self {Format(input)} apart from dimension {d}");
            }
            return (T[])index.Clone();
        }

        /// <summary>
        /// <c>Scatter(dim, index, src)</c> and <c>ScatterAdd</c>: the output has the input's shape. The index, the input
        /// and <paramref name="src"/> share one rank; the index is no larger than <paramref name="src"/> in every dim and
        /// no larger than the input in every dim but <paramref name="dim"/> (ATen's scatter_shape_check). A null
        /// <paramref name="src"/> is a scalar value.
        /// </summary>
        public static T[] Scatter(T[] input, int dim, T[] index, T[]? src, string op = "Scatter")
        {
            int d = NormalizeDim(op, dim, input.Length, input);
            if (RankAtLeastOne(index) != RankAtLeastOne(input))
                throw new ShapeException(op,
                    $"Index tensor must have the same number of dimensions as self tensor: index {Format(index)}, self {Format(input)}");
            if (src is not null && RankAtLeastOne(index) != RankAtLeastOne(src))
                throw new ShapeException(op,
                    $"Index tensor must have the same number of dimensions as src tensor: index {Format(index)}, src {Format(src)}");
            if (IsEmpty(index)) return (T[])input.Clone();
            for (int i = 0; i < index.Length; i++)
            {
                bool overSelf = i != d && Decide(op, D.Less(input[i], index[i]), "how the index's sizes compare");
                bool overSrc = src is not null && Decide(op, D.Less(src[i], index[i]), "how the index's sizes compare");
                if (overSelf || overSrc)
                    throw new ShapeException(op,
                        $"Expected index {Format(index)} to be no larger than self {Format(input)} apart from dimension {d}" +
                        (src is null ? "" : $" and to be no larger size than src {Format(src)}") + $" (at dimension {i})");
            }
            return (T[])input.Clone();
        }

        /// <summary><c>F.OneHot(input, numClasses)</c>: the input's shape with a last dim of <paramref name="numClasses"/>.</summary>
        public static T[] OneHot(T[] input, T numClasses, string op = "OneHot")
        {
            if (Decide(op, D.Less(numClasses, D.Constant(1)), "whether the class count is positive")
                && !IsEmpty(input))
                throw new ShapeException(op, $"num_classes should be positive, got {D.Format(numClasses)} (input {Format(input)})");
            var result = new T[input.Length + 1];
            for (int i = 0; i < input.Length; i++) result[i] = input[i];
            result[input.Length] = numClasses;
            return result;
        }

        static int RankAtLeastOne(T[] shape) => shape.Length == 0 ? 1 : shape.Length;

        /// <summary>Whether some size is certainly 0 (a symbolic size is taken as possibly non-empty, so it is checked).</summary>
        static bool IsEmpty(T[] shape)
        {
            foreach (var size in shape)
                if (D.Equal(size, D.Constant(0)) == Truth.True) return true;
            return false;
        }
    }
}
