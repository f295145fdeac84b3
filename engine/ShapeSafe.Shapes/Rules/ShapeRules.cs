using System;
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

        /// <summary>The number of elements of a shape (0 when a size is 0, however large the others).</summary>
        public static T NumEl(T[] shape)
        {
            if (HasZero(shape)) return D.Constant(0);
            T n = D.Constant(1);
            for (int i = 0; i < shape.Length; i++) n = D.Multiply(n, shape[i]);
            return n;
        }

        /// <summary>
        /// The most elements a tensor holds: its sizes, strides and offsets are ints and its storage is one managed
        /// array (<c>Array.MaxLength</c>). Expanded views count too, so <c>NumEl</c> and every loop over a tensor fit.
        /// </summary>
        public const long MaxElements = 0x7FFFFFC7;

        /// <summary>
        /// <paramref name="result"/>, after checking that a tensor of that shape can exist (see <see cref="MaxElements"/>);
        /// symbolic shapes always can. The error names the op, the result shape and the input shapes.
        /// </summary>
        public static T[] Fits(string op, T[] result, T[] input, T[]? other = null)
        {
            long count = 1;
            bool tooLarge = false;
            for (int i = 0; i < result.Length; i++)
            {
                if (!D.TryGetConstant(result[i], out long size)) return result;
                if (size == 0) return result;
                // count ≤ MaxElements < 2^31 and size < 2^63 / 2^31 keep the product exact; larger sizes are too large alone.
                if (tooLarge || size > MaxElements || (count *= size) > MaxElements) tooLarge = true;
            }
            if (tooLarge)
                throw TooLarge(op, result, input, other);
            return result;
        }

        /// <summary>The error for a result (or a size computed on the way) that no tensor can hold.</summary>
        public static ShapeException TooLarge(string op, T[]? result, T[] input, T[]? other = null)
        {
            string inputs = other is null ? $"input shape {Format(input)}" : $"input shapes {Format(input)} and {Format(other)}";
            string what = result is null ? "the sizes it computes do not fit in 32-bit integers" : $"the result shape {Format(result)} has {ElementCount(result)} elements";
            return new ShapeException(op, $"{what}, more than a tensor can hold ({MaxElements} elements); {inputs}");
        }

        static string ElementCount(T[] shape)
        {
            double n = 1; // only printed: a double holds any product of int sizes to print its magnitude
            foreach (var d in shape) n *= D.TryGetConstant(d, out long v) ? v : double.NaN;
            return n < 1e18 ? ((long)n).ToString(System.Globalization.CultureInfo.InvariantCulture) : n.ToString("G4", System.Globalization.CultureInfo.InvariantCulture);
        }

        static bool HasZero(T[] shape)
        {
            for (int i = 0; i < shape.Length; i++)
                if (D.TryGetConstant(shape[i], out long v) && v == 0) return true;
            return false;
        }

        /// <summary>
        /// Contiguous (row-major) strides for a shape, as PyTorch gives them: size-1 and size-0 dims count as 1.
        /// Only a tensor with no elements can have a stride past <c>int.MaxValue</c> (its elements never need one);
        /// over concrete dims such a stride reads as <c>int.MaxValue</c>.
        /// </summary>
        public static T[] ContiguousStrides(T[] shape)
        {
            try
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
            catch (OverflowException) when (HasZero(shape))
            {
                return SaturatedStrides(shape);
            }
        }

        static T[] SaturatedStrides(T[] shape)
        {
            var strides = new T[shape.Length];
            long s = 1;
            for (int i = shape.Length - 1; i >= 0; i--)
            {
                strides[i] = D.Constant(s);
                long size = D.TryGetConstant(shape[i], out long v) ? Math.Max(v, 1) : 1;
                s = s > int.MaxValue / size ? int.MaxValue : Math.Min(s * size, int.MaxValue);
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
