using System.Runtime.CompilerServices;
using System.Text;

namespace ShapeSafe.Shapes
{
    /// <summary>
    /// The shape rules of every tensor op, written once over a dim domain: the engine runs them with
    /// <see cref="ConcreteDims"/> on every call, the analyzers with symbolic dims. Each rule returns the
    /// output shape (or layout, for views) or throws <see cref="ShapeException"/> naming the operation,
    /// every input shape and the offending dim. Over symbolic dims a question the rule cannot decide
    /// raises <see cref="UndecidableShapeException"/>.
    /// </summary>
    /// <remarks>The file is split by family: views, broadcasting, matrix products, joins, reductions, convolution.</remarks>
    public static partial class ShapeRules<T, TDomain>
        where TDomain : struct, IDimDomain<T>
    {
        static TDomain D
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            get => default;
        }

        /// <summary>Prints a shape as PyTorch users read it: <c>[2, 3]</c>.</summary>
        public static string Format(T[] shape)
        {
            var sb = new StringBuilder("[");
            for (int i = 0; i < shape.Length; i++)
            {
                if (i > 0) sb.Append(", ");
                sb.Append(D.Format(shape[i]));
            }
            return sb.Append(']').ToString();
        }

        /// <summary>Prints a list of integer arguments: <c>[2, -1]</c>.</summary>
        public static string Format(int[] values) => "[" + string.Join(", ", values) + "]";

        /// <summary>
        /// Maps a possibly negative dim index onto 0..rank-1 (rank+1 positions when
        /// <paramref name="forInsert"/>, as for Unsqueeze and Stack). Scalars accept dims -1 and 0, as in PyTorch.
        /// </summary>
        public static int NormalizeDim(string op, int dim, int rank, T[]? shape = null, bool forInsert = false)
        {
            int span = forInsert ? rank + 1 : rank;
            if (span <= 0) span = 1;
            if (dim < -span || dim >= span)
            {
                string on = shape is null ? "" : " for a tensor of shape " + Format(shape);
                throw new ShapeException(op,
                    $"dimension out of range (expected to be in range of [{-span}, {span - 1}], but got {dim}){on}");
            }
            return dim < 0 ? dim + span : dim;
        }

        /// <summary>
        /// The index of the dim that <c>Size(dim)</c> or <c>Stride(dim)</c> reads. Unlike <see cref="NormalizeDim"/>, a
        /// scalar has no dim to read, as in PyTorch ("dimension specified as 0 but tensor has no dimensions").
        /// </summary>
        public static int ExistingDim(string op, int dim, T[] shape)
        {
            if (shape.Length == 0)
                throw new ShapeException(op, $"dimension specified as {dim} but tensor has no dimensions (shape {Format(shape)})");
            return NormalizeDim(op, dim, shape.Length, shape);
        }

        /// <summary>The number of elements of a shape.</summary>
        public static T NumEl(T[] shape)
        {
            T n = D.Constant(1);
            for (int i = 0; i < shape.Length; i++) n = D.Multiply(n, shape[i]);
            return n;
        }

        /// <summary>Contiguous (row-major) strides for a shape, as PyTorch gives them: size-1 and size-0 dims count as 1.</summary>
        public static T[] ContiguousStrides(T[] shape)
        {
            var strides = new T[shape.Length];
            T s = D.Constant(1);
            for (int i = shape.Length - 1; i >= 0; i--)
            {
                strides[i] = s;
                s = D.Multiply(s, MaxOne(shape[i]));
            }
            return strides;
        }

        /// <summary>
        /// PyTorch's is_contiguous: strides equal the row-major ones, ignoring dims of size 1; any tensor with no elements is contiguous.
        /// </summary>
        public static Truth IsContiguous(T[] sizes, T[] strides)
        {
            foreach (var size in sizes) if (D.Equal(size, D.Constant(0)) == Truth.True) return Truth.True;
            T expected = D.Constant(1);
            var answer = Truth.True;
            for (int i = sizes.Length - 1; i >= 0; i--)
            {
                var isOne = D.Equal(sizes[i], D.Constant(1));
                if (isOne == Truth.True) continue;
                var isZero = D.Equal(sizes[i], D.Constant(0));
                if (isZero == Truth.True) return Truth.True;
                var same = D.Equal(strides[i], expected);
                if (same == Truth.False)
                {
                    if (isOne == Truth.Unknown || isZero == Truth.Unknown) answer = Truth.Unknown;
                    else return Truth.False;
                }
                else if (same == Truth.Unknown)
                {
                    answer = Truth.Unknown;
                }
                expected = D.Multiply(expected, sizes[i]);
            }
            return answer;
        }

        static T MaxOne(T size) => D.Equal(size, D.Constant(0)) == Truth.True ? D.Constant(1) : size;

        /// <summary>Asks the domain a question the rule needs answered; Unknown cannot be acted on.</summary>
        static bool Decide(string op, Truth t, string question)
        {
            if (t == Truth.Unknown) throw new UndecidableShapeException(op, question);
            return t == Truth.True;
        }

        static bool IsConst(T dim, long value) => D.TryGetConstant(dim, out long v) && v == value;
    }
}
