namespace ShapeSafe.Shapes
{
    // Matrix products: PyTorch's matmul dispatch (dot, mv, mm, batched with broadcasting) and the strict forms.
    public static partial class ShapeRules<T, TDomain>
    {
        /// <summary>
        /// <c>Matmul(a, b)</c>: 1-D × 1-D is a dot product; a 1-D first operand gains a leading 1 and a 1-D second
        /// operand a trailing 1, both removed from the result; batch dims (all but the last two) broadcast.
        /// </summary>
        public static T[] Matmul(T[] a, T[] b, string op = "Matmul")
        {
            if (a.Length == 0 || b.Length == 0)
                throw new ShapeException(op, $"{Format(a)} × {Format(b)}: both arguments need at least 1 dimension");

            T k1 = a[a.Length - 1];
            T k2 = b.Length == 1 ? b[0] : b[b.Length - 2];
            if (!Decide(op, D.Equal(k1, k2), "whether the inner dims match"))
                throw new ShapeException(op, $"{Format(a)} × {Format(b)}: inner dims {D.Format(k1)} and {D.Format(k2)} differ");

            if (a.Length == 1 && b.Length == 1) return new T[0];
            if (a.Length <= 2 && b.Length <= 2)
            {
                if (a.Length == 2 && b.Length == 2) return Fits(op, new[] { a[0], b[1] }, a, b);
                return a.Length == 2 ? new[] { a[0] } : new[] { b[1] };
            }

            var batchA = a.Length >= 2 ? Take(a, a.Length - 2) : new T[0];
            var batchB = b.Length >= 2 ? Take(b, b.Length - 2) : new T[0];
            T[] batch;
            try
            {
                batch = Broadcast(batchA, batchB, op);
            }
            catch (ShapeException)
            {
                throw new ShapeException(op, $"{Format(a)} × {Format(b)}: batch dims {Format(batchA)} and {Format(batchB)} do not broadcast");
            }

            int extra = (a.Length >= 2 ? 1 : 0) + (b.Length >= 2 ? 1 : 0);
            var result = new T[batch.Length + extra];
            batch.CopyTo(result, 0);
            int at = batch.Length;
            if (a.Length >= 2) result[at++] = a[a.Length - 2];
            if (b.Length >= 2) result[at] = b[b.Length - 1];
            return Fits(op, result, a, b);
        }

        /// <summary><c>Mm(a, b)</c>: [n, m] × [m, p] → [n, p]; both must be 2-D.</summary>
        public static T[] Mm(T[] a, T[] b, string op = "Mm")
        {
            if (a.Length != 2 || b.Length != 2)
                throw new ShapeException(op, $"{Format(a)} × {Format(b)}: both arguments must be 2-D (got {a.Length}-D and {b.Length}-D)");
            if (!Decide(op, D.Equal(a[1], b[0]), "whether the inner dims match"))
                throw new ShapeException(op, $"{Format(a)} × {Format(b)}: inner dims {D.Format(a[1])} and {D.Format(b[0])} differ");
            return Fits(op, new[] { a[0], b[1] }, a, b);
        }

        /// <summary><c>Bmm(a, b)</c>: [B, n, m] × [B, m, p] → [B, n, p]; no broadcasting.</summary>
        public static T[] Bmm(T[] a, T[] b, string op = "Bmm")
        {
            if (a.Length != 3 || b.Length != 3)
                throw new ShapeException(op, $"{Format(a)} × {Format(b)}: both arguments must be 3-D (got {a.Length}-D and {b.Length}-D)");
            if (!Decide(op, D.Equal(a[0], b[0]), "whether the batch sizes match"))
                throw new ShapeException(op, $"{Format(a)} × {Format(b)}: batch sizes {D.Format(a[0])} and {D.Format(b[0])} differ at dim 0");
            if (!Decide(op, D.Equal(a[2], b[1]), "whether the inner dims match"))
                throw new ShapeException(op, $"{Format(a)} × {Format(b)}: inner dims {D.Format(a[2])} and {D.Format(b[1])} differ");
            return Fits(op, new[] { a[0], a[1], b[2] }, a, b);
        }

        /// <summary><c>Dot(a, b)</c>: two 1-D tensors of the same size → a scalar.</summary>
        public static T[] Dot(T[] a, T[] b, string op = "Dot")
        {
            if (a.Length != 1 || b.Length != 1)
                throw new ShapeException(op, $"{Format(a)} · {Format(b)}: both arguments must be 1-D (got {a.Length}-D and {b.Length}-D)");
            if (!Decide(op, D.Equal(a[0], b[0]), "whether the sizes match"))
                throw new ShapeException(op, $"{Format(a)} · {Format(b)}: sizes {D.Format(a[0])} and {D.Format(b[0])} differ at dim 0");
            return new T[0];
        }

        /// <summary><c>Mv(a, v)</c>: [n, m] × [m] → [n].</summary>
        public static T[] Mv(T[] a, T[] v, string op = "Mv")
        {
            if (a.Length != 2 || v.Length != 1)
                throw new ShapeException(op, $"{Format(a)} × {Format(v)}: expects a 2-D matrix and a 1-D vector (got {a.Length}-D and {v.Length}-D)");
            if (!Decide(op, D.Equal(a[1], v[0]), "whether the inner dims match"))
                throw new ShapeException(op, $"{Format(a)} × {Format(v)}: inner dims {D.Format(a[1])} and {D.Format(v[0])} differ");
            return new[] { a[0] };
        }

        static T[] Take(T[] values, int count)
        {
            var result = new T[count];
            System.Array.Copy(values, result, count);
            return result;
        }
    }
}
