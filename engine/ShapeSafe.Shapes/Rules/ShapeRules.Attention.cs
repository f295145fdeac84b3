namespace ShapeSafe.Shapes
{
    // Attention: scaled dot-product attention over the last two dims, batch dims broadcasting as in matmul.
    public static partial class ShapeRules<T, TDomain>
    {
        /// <summary>
        /// <c>ScaledDotProductAttention(query, key, value, mask)</c>: query [..., L, E], key [..., S, E], value
        /// [..., S, Ev] give [..., L, Ev], the batch dims of all three broadcasting together; a mask (when given) must
        /// broadcast to the scores' shape [..., L, S] without enlarging it.
        /// </summary>
        public static T[] ScaledDotProductAttention(T[] query, T[] key, T[] value, T[]? mask = null, string op = "ScaledDotProductAttention")
        {
            string shapes = $"query {Format(query)}, key {Format(key)}, value {Format(value)}" + (mask is null ? "" : $", attn_mask {Format(mask)}");
            if (query.Length < 2 || key.Length < 2 || value.Length < 2)
                throw new ShapeException(op, $"Expected query, key, and value to all be at least 2 dimensional, but got query.dim: {query.Length} key.dim: {key.Length} and value.dim: {value.Length} instead ({shapes})");
            T e = query[query.Length - 1], l = query[query.Length - 2];
            T s = key[key.Length - 2];
            if (!Decide(op, D.Equal(e, key[key.Length - 1]), "whether query and key have the same embedding size"))
                throw new ShapeException(op, $"query's embedding size {D.Format(e)} differs from key's {D.Format(key[key.Length - 1])} (the last dims; {shapes})");
            if (!Decide(op, D.Equal(s, value[value.Length - 2]), "whether key and value have the same sequence length"))
                throw new ShapeException(op, $"key's sequence length {D.Format(s)} differs from value's {D.Format(value[value.Length - 2])} (the second-to-last dims; {shapes})");

            T[] batch;
            try
            {
                batch = Broadcast(op, Take(query, query.Length - 2), Take(key, key.Length - 2), Take(value, value.Length - 2));
            }
            catch (ShapeException)
            {
                throw new ShapeException(op, $"the batch dims of query, key and value do not broadcast ({shapes})");
            }

            if (mask is not null)
            {
                var scores = new T[batch.Length + 2];
                batch.CopyTo(scores, 0);
                scores[batch.Length] = l;
                scores[batch.Length + 1] = s;
                string problem = $"attn_mask {Format(mask)} does not broadcast to the attention scores' shape {Format(scores)} ({shapes})";
                if (mask.Length > scores.Length) throw new ShapeException(op, problem);
                T[] joined;
                try
                {
                    joined = Broadcast(scores, mask, op);
                }
                catch (ShapeException)
                {
                    throw new ShapeException(op, problem);
                }
                for (int i = 0; i < scores.Length; i++)
                {
                    if (!Decide(op, D.Equal(joined[i], scores[i]), "whether the mask enlarges the scores"))
                        throw new ShapeException(op, problem);
                }
            }

            var result = new T[batch.Length + 2];
            batch.CopyTo(result, 0);
            result[batch.Length] = l;
            result[batch.Length + 1] = value[value.Length - 1];
            return Fits(op, result, query, value);
        }
    }
}
