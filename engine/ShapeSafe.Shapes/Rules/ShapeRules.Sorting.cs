namespace ShapeSafe.Shapes
{
    // Ops that keep the input's shape but read along one dim or a matrix: sort, topk, cumsum, tril/triu.
    public static partial class ShapeRules<T, TDomain>
    {
        /// <summary>
        /// <c>Sort(dim)</c>, <c>Argsort(dim)</c>, <c>Cumsum(dim)</c>: the input's shape; the dim must exist (a 0-dim
        /// tensor accepts -1 and 0).
        /// </summary>
        public static T[] AlongDim(T[] input, int dim, string op = "Sort")
        {
            NormalizeDim(op, dim, input.Length, input);
            return (T[])input.Clone();
        }

        /// <summary>
        /// <c>Topk(k, dim)</c>: the input's shape with <paramref name="dim"/> of size <paramref name="k"/>, which must
        /// lie in [0, size] (a 0-dim tensor has one element along its only dim and takes k = 1 only).
        /// </summary>
        public static T[] Topk(T[] input, int k, int dim, string op = "Topk")
        {
            int d = NormalizeDim(op, dim, input.Length, input);
            T size = input.Length == 0 ? D.Constant(1) : input[d];
            // A 0-dim tensor keeps its shape, so only k = 1 has an output to fill.
            if (k < 0 || (input.Length == 0 && k != 1) || Decide(op, D.Less(size, D.Constant(k)), "whether k fits the dim"))
                throw new ShapeException(op,
                    $"selected index k out of range: k = {k}, but dimension {d} of input {Format(input)} has size {D.Format(size)}");
            var result = (T[])input.Clone();
            if (input.Length > 0) result[d] = D.Constant(k);
            return result;
        }

        /// <summary><c>Tril</c>/<c>Triu</c>: the input's shape; the input has at least 2 dims (the matrices are the last two).</summary>
        public static T[] Triangle(T[] input, string op = "Tril")
        {
            if (input.Length < 2)
                throw new ShapeException(op, $"input tensor must have at least 2 dimensions, got shape {Format(input)}");
            return (T[])input.Clone();
        }
    }
}
