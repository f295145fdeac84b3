namespace ShapeSafe.Shapes
{
    // Shape ops that compute a new shape (and may copy): repeat, flatten, index_select, reductions.
    public static partial class ShapeRules<T, TDomain>
    {
        /// <summary><c>Repeat(repeats)</c>: the shape, padded with leading 1s to the repeat count, times the repeats.</summary>
        public static T[] Repeat(T[] shape, int[] repeats, string op = "Repeat")
        {
            if (repeats.Length < shape.Length)
                throw new ShapeException(op, $"number of repeat dims {Format(repeats)} can not be smaller than the number of dimensions of the tensor (shape {Format(shape)})");
            var result = new T[repeats.Length];
            int pad = repeats.Length - shape.Length;
            for (int i = 0; i < repeats.Length; i++)
            {
                if (repeats[i] < 0)
                    throw new ShapeException(op, $"repeats {Format(repeats)} must be non-negative (shape {Format(shape)})");
                T size = i < pad ? D.Constant(1) : shape[i - pad];
                try
                {
                    result[i] = D.Multiply(size, D.Constant(repeats[i]));
                }
                catch (System.OverflowException)
                {
                    throw new ShapeException(op, $"repeats {Format(repeats)} make dim {i} larger than a tensor can hold ({MaxElements} elements); input shape {Format(shape)}");
                }
            }
            return Fits(op, result, shape);
        }

        /// <summary><c>Flatten(startDim, endDim)</c>: the dims from start to end merged into one; a scalar becomes [1].</summary>
        public static T[] Flatten(T[] shape, int startDim = 0, int endDim = -1, string op = "Flatten")
        {
            if (shape.Length == 0) 
            {
                NormalizeDim(op, startDim, 0);
                NormalizeDim(op, endDim, 0);
                return new[] { D.Constant(1) };
            }
            int s = NormalizeDim(op, startDim, shape.Length, shape);
            int e = NormalizeDim(op, endDim, shape.Length, shape);
            if (s > e)
                throw new ShapeException(op, $"flatten() has invalid args: start_dim ({startDim}) cannot come after end_dim ({endDim}) for shape {Format(shape)}");
            var result = new T[shape.Length - (e - s)];
            for (int i = 0; i < s; i++) result[i] = shape[i];
            T merged = D.Constant(1);
            try
            {
                for (int i = s; i <= e; i++) merged = D.Multiply(merged, shape[i]);
            }
            catch (System.OverflowException)
            {
                throw TooLarge(op, null, shape);
            }
            result[s] = merged;
            for (int i = e + 1; i < shape.Length; i++) result[i - (e - s)] = shape[i];
            return result;
        }

        /// <summary><c>IndexSelect(dim, index)</c>: the dim's size becomes the index's length; the index must be 0-D or 1-D.</summary>
        public static T[] IndexSelect(T[] shape, int dim, T[] indexShape, string op = "IndexSelect")
        {
            if (indexShape.Length > 1)
                throw new ShapeException(op, $"index must be 0-D or 1-D, got shape {Format(indexShape)} (input shape {Format(shape)})");
            if (shape.Length == 0)
            {
                NormalizeDim(op, dim, 0);
                return new T[0];
            }
            int d = NormalizeDim(op, dim, shape.Length, shape);
            var result = (T[])shape.Clone();
            result[d] = indexShape.Length == 0 ? D.Constant(1) : indexShape[0];
            return Fits(op, result, shape, indexShape);
        }

        /// <summary>
        /// A reduction over <paramref name="dims"/> (all dims when null): those dims are removed, or kept with size 1
        /// when <paramref name="keepDim"/>. Repeated dims are an error, as in PyTorch.
        /// </summary>
        public static T[] Reduce(T[] shape, int[]? dims, bool keepDim, string op = "Sum")
        {
            var reduced = ReducedDims(shape, dims, op);
            int kept = 0;
            foreach (var r in reduced) if (!r) kept++;
            var result = new T[keepDim ? shape.Length : kept];
            for (int i = 0, j = 0; i < shape.Length; i++)
            {
                if (!reduced[i]) result[j++] = shape[i];
                else if (keepDim) result[j++] = D.Constant(1);
            }
            return Fits(op, result, shape);
        }

        /// <summary>Which dims a reduction covers: a flag per dim, after wrapping negative dims.</summary>
        public static bool[] ReducedDims(T[] shape, int[]? dims, string op = "Sum")
        {
            var reduced = new bool[shape.Length];
            if (dims is null || dims.Length == 0)
            {
                for (int i = 0; i < reduced.Length; i++) reduced[i] = true;
                return reduced;
            }
            foreach (int dim in dims)
            {
                if (shape.Length == 0)
                {
                    NormalizeDim(op, dim, 0, shape);
                    continue;
                }
                int d = NormalizeDim(op, dim, shape.Length, shape);
                if (reduced[d])
                    throw new ShapeException(op, $"dim {d} appears multiple times in the list of dims {Format(dims)} (shape {Format(shape)})");
                reduced[d] = true;
            }
            return reduced;
        }
    }
}
