namespace ShapeSafe;

internal static partial class RandomKernels
{
    // PyTorch stores sampled indices through float in places, so it caps categories at 2^24.
    private const int MaxMultinomialCategories = 1 << 24;

    /// <summary>
    /// <c>torch.multinomial</c> over a row-major [rows, categories] matrix of non-negative weights
    /// (rows need not sum to 1). Returns row-major [rows, numSamples] category indices.
    /// </summary>
    /// <remarks>
    /// As in LibTorch, without replacement or for a single sample it uses the exponential race
    /// (Gumbel top-k): q ~ Exp(1) from one 53-bit uniform per weight, then the largest p / q win.
    /// With replacement and more than one sample it walks each row's float cumulative sum with a
    /// binary search per 53-bit uniform. Ties among equal p / q (only zero-weight categories, in
    /// practice) go to the lower index; LibTorch's order there comes from its sort internals.
    /// </remarks>
    internal static long[] Multinomial(float[] probs, int rows, int categories, int numSamples, bool replacement, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(probs);
        if (rows < 0 || categories < 0 || (long)rows * categories != probs.Length)
        {
            throw new ArgumentException(
                $"Multinomial: {probs.Length} probabilities do not form a [{rows}, {categories}] matrix.");
        }

        if (numSamples <= 0)
        {
            throw new ArgumentException($"Multinomial: cannot sample numSamples <= 0 samples (got {numSamples}).");
        }

        if (!replacement && numSamples > categories)
        {
            throw new ArgumentException(
                $"Multinomial: cannot sample numSamples > number of categories without replacement (numSamples={numSamples}, categories={categories}).");
        }

        if (categories > MaxMultinomialCategories)
        {
            throw new ArgumentException($"Multinomial: number of categories cannot exceed 2^24 (got {categories}).");
        }

        var result = new long[(long)rows * numSamples];
        if (result.Length == 0)
        {
            return result;
        }

        var gen = Resolve(generator);
        if (!replacement || numSamples == 1)
        {
            CheckRaceProbabilities(probs, rows, categories);
            lock (gen.SyncRoot)
            {
                ExponentialRace(probs, rows, categories, numSamples, gen.Engine, result);
            }
        }
        else
        {
            lock (gen.SyncRoot)
            {
                CumulativeSearch(probs, rows, categories, numSamples, gen.Engine, result);
            }
        }

        return result;
    }

    private static void CheckRaceProbabilities(float[] probs, int rows, int categories)
    {
        foreach (float p in probs)
        {
            // `!(p >= 0)` also catches NaN, as PyTorch's `max() < inf & min() >= 0` does.
            if (!(p >= 0) || float.IsPositiveInfinity(p))
            {
                throw new ArgumentException("Multinomial: probability tensor contains either `inf`, `nan` or element < 0.");
            }
        }

        for (int r = 0; r < rows; r++)
        {
            if (!probs.AsSpan(r * categories, categories).ContainsAnyExcept(0f))
            {
                throw new ArgumentException($"Multinomial: invalid multinomial distribution (sum of probabilities <= 0) in row {r}.");
            }
        }
    }

    private static void ExponentialRace(float[] probs, int rows, int categories, int numSamples, Mt19937 engine, long[] result)
    {
        // PyTorch fills the whole q tensor with exponential_(1) first (double sample cast to
        // float), then divides p by it in float.
        var keys = new float[probs.Length];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = (float)(-Math.Log(1.0 - UniformDouble(engine)));
        }

        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = probs[i] / keys[i];
        }

        var order = new int[categories];
        for (int r = 0; r < rows; r++)
        {
            var rowKeys = keys.AsSpan(r * categories, categories);
            var output = result.AsSpan(r * numSamples, numSamples);
            if (numSamples == 1)
            {
                int best = 0;
                for (int c = 1; c < categories; c++)
                {
                    if (RanksBefore(rowKeys[c], rowKeys[best]))
                    {
                        best = c;
                    }
                }

                output[0] = best;
                continue;
            }

            for (int c = 0; c < categories; c++)
            {
                order[c] = c;
            }

            var keysCopy = rowKeys.ToArray();
            Array.Sort(order, (x, y) => RanksBefore(keysCopy[x], keysCopy[y]) ? -1
                : RanksBefore(keysCopy[y], keysCopy[x]) ? 1
                : x.CompareTo(y));
            for (int s = 0; s < numSamples; s++)
            {
                output[s] = order[s];
            }
        }
    }

    // topk/argmax order: larger first, and NaN (0/0 when q underflows to 0) above everything.
    private static bool RanksBefore(float a, float b) => (float.IsNaN(a) && !float.IsNaN(b)) || a > b;

    private static void CumulativeSearch(float[] probs, int rows, int categories, int numSamples, Mt19937 engine, long[] result)
    {
        var cumulative = new float[categories];
        for (int r = 0; r < rows; r++)
        {
            var row = probs.AsSpan(r * categories, categories);
            float sum = 0;
            for (int c = 0; c < categories; c++)
            {
                float p = row[c];
                if (!(p >= 0))
                {
                    throw new ArgumentException(
                        $"Multinomial: invalid multinomial distribution (encountering probability entry < 0) at row {r}, category {c}.");
                }

                if (!float.IsFinite(p))
                {
                    throw new ArgumentException(
                        $"Multinomial: invalid multinomial distribution (encountering probability entry = infinity or NaN) at row {r}, category {c}.");
                }

                sum += p;
                cumulative[c] = sum;
            }

            if (!(sum > 0))
            {
                throw new ArgumentException($"Multinomial: invalid multinomial distribution (sum of probabilities <= 0) in row {r}.");
            }

            for (int c = 0; c < categories; c++)
            {
                cumulative[c] /= sum;
            }

            // The last bucket is pinned to 1 so rounding in the sum cannot leave a gap at the top.
            cumulative[categories - 1] = 1;
            for (int s = 0; s < numSamples; s++)
            {
                double u = UniformDouble(engine);
                int left = 0;
                int right = categories;
                while (right > left)
                {
                    int mid = left + (right - left) / 2;
                    if (cumulative[mid] < u)
                    {
                        left = mid + 1;
                    }
                    else
                    {
                        right = mid;
                    }
                }

                result[(long)r * numSamples + s] = left;
            }
        }
    }
}
