using System.Collections.Generic;

namespace ShapeSafe.Shapes
{
    // Joining and splitting: cat, stack, split, chunk.
    public static partial class ShapeRules<T, TDomain>
    {
        /// <summary>
        /// <c>Cat(tensors, dim)</c>: all shapes equal except along <paramref name="dim"/>, whose sizes add up.
        /// As in PyTorch, 1-D empty tensors (shape [0]) are skipped.
        /// </summary>
        public static T[] Cat(IReadOnlyList<T[]> shapes, int dim, string op = "Cat")
        {
            if (shapes.Count == 0)
                throw new ShapeException(op, "expected a non-empty list of tensors");
            int reference = -1;
            for (int i = 0; i < shapes.Count; i++)
            {
                if (shapes[i].Length == 0)
                    throw new ShapeException(op, $"zero-dimensional tensor (at position {i}) cannot be concatenated; shapes {FormatAll(shapes)}");
                if (reference < 0 && !IsLegacyEmpty(shapes[i])) reference = i;
            }
            if (reference < 0) return (T[])shapes[0].Clone();

            var first = shapes[reference];
            int d = NormalizeDim(op, dim, first.Length, first);
            var result = (T[])first.Clone();
            T total = D.Constant(0);
            for (int i = 0; i < shapes.Count; i++)
            {
                var s = shapes[i];
                if (IsLegacyEmpty(s)) continue;
                if (s.Length != first.Length)
                    throw new ShapeException(op, $"tensors must have the same number of dimensions: got {first.Length} and {s.Length} (tensor {i}); shapes {FormatAll(shapes)}");
                for (int j = 0; j < s.Length; j++)
                {
                    if (j == d) continue;
                    if (!Decide(op, D.Equal(s[j], first[j]), "whether sizes match"))
                        throw new ShapeException(op,
                            $"sizes of tensors must match except in dimension {d}. Expected size {D.Format(first[j])} but got size {D.Format(s[j])} for tensor number {i} at dim {j}; shapes {FormatAll(shapes)}");
                }
                try
                {
                    total = D.Add(total, s[d]);
                }
                catch (System.OverflowException)
                {
                    throw new ShapeException(op, $"the sizes along dim {d} add up to more than a tensor can hold ({MaxElements} elements); shapes {FormatAll(shapes)}");
                }
            }
            result[d] = total;
            return Fits(op, result, first);
        }

        /// <summary><c>Stack(tensors, dim)</c>: all shapes equal; a new dim of size count is inserted at <paramref name="dim"/>.</summary>
        public static T[] Stack(IReadOnlyList<T[]> shapes, int dim, string op = "Stack")
        {
            if (shapes.Count == 0)
                throw new ShapeException(op, "expected a non-empty list of tensors");
            var first = shapes[0];
            int d = NormalizeDim(op, dim, first.Length, first, forInsert: true);
            for (int i = 1; i < shapes.Count; i++)
            {
                var s = shapes[i];
                bool same = s.Length == first.Length;
                for (int j = 0; same && j < s.Length; j++)
                    same = Decide(op, D.Equal(s[j], first[j]), "whether sizes match");
                if (!same)
                    throw new ShapeException(op, $"expects each tensor to be equal size, but got {Format(first)} at entry 0 and {Format(s)} at entry {i}");
            }
            return Fits(op, InsertAt(first, d, D.Constant(shapes.Count)), first);
        }

        /// <summary>
        /// <c>Split(size, dim)</c>: the sizes of the pieces along the dim, each <paramref name="splitSize"/> except a smaller last one.
        /// </summary>
        public static int[] SplitSizes(T[] shape, int splitSize, int dim, string op = "Split")
        {
            if (shape.Length == 0)
                throw new ShapeException(op, "cannot split a 0-dim tensor (shape [])");
            int d = NormalizeDim(op, dim, shape.Length, shape);
            int size = ConstantSize(op, shape[d]);
            if (splitSize < 0 || (splitSize == 0 && size != 0))
                throw new ShapeException(op, $"split_size can only be 0 if dimension size is 0, but got split size {splitSize} for dimension {d} of size {size} (shape {Format(shape)})");
            int chunks = splitSize == 0 ? 1 : (size + splitSize - 1) / splitSize;
            if (chunks == 0) chunks = 1;
            var sizes = new int[chunks];
            for (int i = 0; i < chunks; i++) sizes[i] = splitSize;
            sizes[chunks - 1] = splitSize - (splitSize * chunks - size);
            return sizes;
        }

        /// <summary><c>Split(sizes, dim)</c>: checks the sizes add up to the dim's size.</summary>
        public static void CheckSplitWithSizes(T[] shape, int[] sizes, int dim, string op = "Split")
        {
            if (shape.Length == 0)
                throw new ShapeException(op, "cannot split a 0-dim tensor (shape [])");
            int d = NormalizeDim(op, dim, shape.Length, shape);
            long sum = 0;
            foreach (var s in sizes)
            {
                if (s < 0)
                    throw new ShapeException(op, $"split sizes {Format(sizes)} must be non-negative (shape {Format(shape)})");
                sum += s;
            }
            if (sum != ConstantSize(op, shape[d]))
                throw new ShapeException(op, $"split sizes {Format(sizes)} must sum exactly to {D.Format(shape[d])} (the size at dimension {d} of shape {Format(shape)}), but sum to {sum}");
        }

        /// <summary>
        /// <c>Chunk(chunks, dim)</c>: PyTorch splits by size ceil(n / chunks), so it may return fewer pieces:
        /// 10 in 3 chunks gives 4, 4, 2; 6 in 4 chunks gives 2, 2, 2.
        /// </summary>
        public static int[] ChunkSizes(T[] shape, int chunks, int dim, string op = "Chunk")
        {
            if (shape.Length == 0)
                throw new ShapeException(op, "cannot chunk a 0-dim tensor (shape [])");
            if (chunks <= 0)
                throw new ShapeException(op, $"expects `chunks` to be greater than 0, got: {chunks} (shape {Format(shape)})");
            int d = NormalizeDim(op, dim, shape.Length, shape);
            int size = ConstantSize(op, shape[d]);
            int splitSize = (size + chunks - 1) / chunks;
            if (splitSize == 0 && size == 0)
            {
                var sizes = new int[chunks];
                return sizes;
            }
            return SplitSizes(shape, splitSize, d, op);
        }

        static int ConstantSize(string op, T size)
        {
            if (!D.TryGetConstant(size, out long value))
                throw new UndecidableShapeException(op, "how a symbolic dim splits");
            return checked((int)value);
        }

        static bool IsLegacyEmpty(T[] shape) => shape.Length == 1 && IsConst(shape[0], 0);

        static string FormatAll(IReadOnlyList<T[]> shapes)
        {
            var parts = new string[shapes.Count];
            for (int i = 0; i < parts.Length; i++) parts[i] = Format(shapes[i]);
            return string.Join(", ", parts);
        }
    }
}
