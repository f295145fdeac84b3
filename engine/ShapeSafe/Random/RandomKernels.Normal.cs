namespace ShapeSafe;

internal static partial class RandomKernels
{
    // PyTorch rounds 2*pi to float once (`_mm256_set1_ps(2.0f * c10::pi<double>)`).
    private const float TwoPiFloat = (float)(2.0 * Math.PI);

    /// <summary>
    /// <c>torch.randn</c> / <c>normal_(mean, std)</c> for float, choosing PyTorch's path:
    /// with 16 or more contiguous elements, <c>normal_fill</c> (all uniforms first, then
    /// Box–Muller on blocks of 16, the tail recomputing the last 16 with fresh uniforms);
    /// otherwise one double-precision sample per element, sharing the generator's cached sample.
    /// </summary>
    /// <remarks><paramref name="contiguous"/> is false when the destination tensor is not contiguous: PyTorch then always takes the per-element path.</remarks>
    internal static void FillNormal(Span<float> data, double mean = 0, double std = 1, bool contiguous = true, Generator? generator = null)
    {
        if (!(std >= 0))
        {
            throw new ArgumentException($"Normal: expects std >= 0.0, but found std {std}.");
        }

        var gen = Resolve(generator);
        lock (gen.SyncRoot)
        {
            if (contiguous && data.Length >= 16)
            {
                NormalFill(data, (float)mean, (float)std, gen.Engine);
            }
            else
            {
                for (int i = 0; i < data.Length; i++)
                {
                    data[i] = (float)SampleNormal(gen, mean, std);
                }
            }
        }
    }

    /// <summary>
    /// <c>torch.normal(Tensor mean, Tensor std)</c> once the caller has broadcast both to the output:
    /// a standard normal fill of the output (same path choice as <see cref="FillNormal"/>), then
    /// <c>out * std + mean</c> in two float roundings, as <c>output.mul_(std).add_(mean)</c> does.
    /// </summary>
    internal static void Normal(ReadOnlySpan<float> mean, ReadOnlySpan<float> std, Span<float> output, bool contiguous = true, Generator? generator = null)
    {
        CheckSameLength(mean.Length, output.Length, "Normal (mean)");
        CheckSameLength(std.Length, output.Length, "Normal (std)");
        for (int i = 0; i < std.Length; i++)
        {
            if (!(std[i] >= 0))
            {
                throw new ArgumentException($"Normal: expects all elements of std >= 0.0, but std[{i}] = {std[i]}.");
            }
        }

        FillNormal(output, 0, 1, contiguous, generator);
        for (int i = 0; i < output.Length; i++)
        {
            float scaled = output[i] * std[i];
            output[i] = scaled + mean[i];
        }
    }

    /// <summary>
    /// ATen's <c>normal_distribution&lt;double&gt;</c>: returns the cached sine half if there is one,
    /// else draws u1, u2 (53-bit doubles), caches <c>r*sin(theta)</c> and returns <c>r*cos(theta)</c>.
    /// The caller holds the generator's lock.
    /// </summary>
    internal static double SampleNormal(Generator gen, double mean, double std)
    {
        if (gen.CachedNormal is double cached)
        {
            gen.CachedNormal = null;
            return cached * std + mean;
        }

        var engine = gen.Engine;
        double u1 = UniformDouble(engine);
        double u2 = UniformDouble(engine);

        // PyTorch takes log1p(-u2); 1 - u2 is exact for a 53-bit u2, so this is the same value.
        double radius = Math.Sqrt(-2.0 * Math.Log(1.0 - u2));
        double theta = 2.0 * Math.PI * u1;
        gen.CachedNormal = radius * Math.Sin(theta);
        return radius * Math.Cos(theta) * std + mean;
    }

    private static void NormalFill(Span<float> data, float mean, float std, Mt19937 engine)
    {
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = UniformFloat(engine);
        }

        for (int i = 0; i + 16 <= data.Length; i += 16)
        {
            BoxMuller16(data.Slice(i, 16), mean, std);
        }

        if (data.Length % 16 != 0)
        {
            // PyTorch redraws the last 16 values rather than handling a short block.
            var tail = data[^16..];
            for (int i = 0; i < 16; i++)
            {
                tail[i] = UniformFloat(engine);
            }

            BoxMuller16(tail, mean, std);
        }
    }

    /// <summary>
    /// One <c>normal_fill_16</c> block in float: element j pairs with j + 8, the first getting the
    /// cosine half and the second the sine half, finished with a fused multiply-add as the AVX2
    /// kernel LibTorch runs on x86-64 does.
    /// </summary>
    private static void BoxMuller16(Span<float> block, float mean, float std)
    {
        for (int j = 0; j < 8; j++)
        {
            float u1 = 1f - block[j];
            float u2 = block[j + 8];
            float radius = MathF.Sqrt(-2f * MathF.Log(u1));
            float theta = TwoPiFloat * u2;
            (float sin, float cos) = MathF.SinCos(theta);
            block[j] = MathF.FusedMultiplyAdd(radius * cos, std, mean);
            block[j + 8] = MathF.FusedMultiplyAdd(radius * sin, std, mean);
        }
    }
}
