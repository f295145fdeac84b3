namespace ShapeSafe.Shapes
{
    // Broadcasting: align shapes at their last dims; each pair must be equal or contain a 1.
    public static partial class ShapeRules<T, TDomain>
    {
        /// <summary>The broadcast shape of two operands (PyTorch's infer_size).</summary>
        public static T[] Broadcast(T[] a, T[] b, string op = "Broadcast")
        {
            int rank = a.Length > b.Length ? a.Length : b.Length;
            var result = new T[rank];
            for (int i = rank - 1; i >= 0; i--)
            {
                int offset = rank - 1 - i;
                int da = a.Length - 1 - offset;
                int db = b.Length - 1 - offset;
                T sa = da >= 0 ? a[da] : D.Constant(1);
                T sb = db >= 0 ? b[db] : D.Constant(1);
                result[i] = BroadcastDim(op, sa, sb, i, a, b);
            }
            return Fits(op, result, a, b);
        }

        /// <summary>Broadcasts any number of shapes, left to right.</summary>
        public static T[] Broadcast(string op, params T[][] shapes)
        {
            var result = shapes.Length == 0 ? new T[0] : shapes[0];
            for (int i = 1; i < shapes.Length; i++) result = Broadcast(result, shapes[i], op);
            return result;
        }

        static T BroadcastDim(string op, T sa, T sb, int dim, T[] a, T[] b)
        {
            var same = D.Equal(sa, sb);
            if (same == Truth.True) return sa;
            var aIsOne = D.Equal(sa, D.Constant(1));
            if (aIsOne == Truth.True) return sb;
            var bIsOne = D.Equal(sb, D.Constant(1));
            if (bIsOne == Truth.True) return sa;
            if (same == Truth.False && aIsOne == Truth.False && bIsOne == Truth.False)
                throw new ShapeException(op,
                    $"{Format(a)} and {Format(b)} do not broadcast: the size of tensor a ({D.Format(sa)}) must match the size of tensor b ({D.Format(sb)}) at non-singleton dimension {dim}");
            throw new UndecidableShapeException(op, "whether sizes broadcast");
        }
    }
}
