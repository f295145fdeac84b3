using ShapeSafe.Kernels.Gemm;

namespace ShapeSafe.NN;

// Float64 paths of the layers a GPT uses: Linear, LayerNorm, GELU, embedding, dropout and the class losses. Each
// Float32 entry point takes these only for Float64 operands, after one dtype compare, so its fused float kernels stay
// as they were. Most are composed of Float64 ops that record their own backward (matmul, add, log-softmax,
// multiply, sum): the gradient math then exists once, in those ops, and double precision makes the longer
// composition's extra roundings immaterial. LayerNorm and the embedding gather are double loops of their own.
public static partial class F
{
    /// <summary>Refuses an operand of another dtype than the input's Float64 (PyTorch: "expected ... to have the same dtype").</summary>
    internal static void RequireFloat64(string op, Tensor input, Tensor? operand, string name)
    {
        if (operand is not null && operand.DType != DType.Float64)
            throw new ArgumentException($"{op}: expected {name} to have the input's dtype Float64, got {operand.DType} {Rules.Format(operand.Sizes)} (input {Rules.Format(input.Sizes)}); convert with ToDType(DType.Float64)", name);
    }

    /// <summary>
    /// Float64 <c>x·wᵀ + b</c>: the double GEMM (<see cref="Tensor.Matmul(Tensor)"/>, which folds leading dims and records
    /// its own backward) and a broadcast add, then the activation a fused caller asked for.
    /// </summary>
    static Tensor LinearFloat64(Tensor input, Tensor weight, Tensor? bias, GemmActivation activation)
    {
        const string op = "Linear";
        RequireFloat64(op, input, weight, "weight");
        RequireFloat64(op, input, bias, "bias");
        LinearShape(input.Sizes, weight.Sizes, bias?.Sizes);
        var y = input.Matmul(weight.Transpose(0, 1));
        if (bias is not null) y = y + bias;
        return activation switch
        {
            GemmActivation.Relu => y.Relu(),
            GemmActivation.Gelu => y.Gelu(),
            _ => y,
        };
    }

    /// <summary>GELU's tanh form in double, with the constants in double (the Float32 form rounds them to float).</summary>
    static Tensor GeluTanhFloat64(Tensor x) =>
        x * 0.5 * (((x + x * x * x * 0.044715) * Math.Sqrt(2.0 / Math.PI)).Tanh() + 1.0);

    /// <summary>
    /// Float64 layer norm over rows of <paramref name="d"/> elements, as ATen's CPU kernel for double: the mean, the
    /// biased variance <c>Σ(x - mean)² / d</c> and <c>1 / sqrt(var + eps)</c> per row in double. Records
    /// "NativeLayerNormBackward"; its backward is the closed form <c>invStd·(ĝ - mean(ĝ) - x̂·mean(ĝ·x̂))</c> with
    /// <c>ĝ = g·w</c>, and the weight and bias gradients summed over the rows.
    /// </summary>
    static Tensor LayerNormFloat64(Tensor input, int[] normalizedShape, Tensor? weight, Tensor? bias, double eps, int rows, int d)
    {
        const string op = "LayerNorm";
        RequireFloat64(op, input, weight, "weight");
        RequireFloat64(op, input, bias, "bias");
        var x = input.Detach().Contiguous();
        var w = weight?.Detach().Contiguous();
        var b = bias?.Detach().Contiguous();
        var mean = new double[rows];
        var invStd = new double[rows];
        var y = Tensor.Uninitialized(DType.Float64, (int[])input.Sizes.Clone());
        var xs = x.DoubleData;
        var ys = y.DoubleData;
        for (int r = 0; r < rows; r++)
        {
            int start = x.Offset + r * d;
            double sum = 0;
            for (int i = 0; i < d; i++) sum += xs[start + i];
            double m = sum / d, squares = 0;
            for (int i = 0; i < d; i++)
            {
                double centered = xs[start + i] - m;
                squares += centered * centered;
            }
            double s = 1.0 / Math.Sqrt(squares / d + eps);
            mean[r] = m;
            invStd[r] = s;
            for (int i = 0; i < d; i++)
            {
                double v = (xs[start + i] - m) * s;
                if (w is not null) v *= w.DoubleData[w.Offset + i];
                if (b is not null) v += b.DoubleData[b.Offset + i];
                ys[r * d + i] = v;
            }
        }

        bool needX = input.RequiresGrad, needW = weight?.RequiresGrad == true, needB = bias?.RequiresGrad == true;
        if (!(needX || needW || needB) || !Autograd.IsGradEnabled) return y;
        return y.Recorded("NativeLayerNormBackward", new Tensor?[] { input, weight, bias }, g =>
        {
            var gc = g.Contiguous();
            var gs = gc.DoubleData;
            var gradInput = needX ? Tensor.Uninitialized(DType.Float64, (int[])x.Sizes.Clone()) : null;
            var gradWeight = needW ? new double[d] : null;
            var gradBias = needB ? new double[d] : null;
            var scaled = new double[d];
            for (int r = 0; r < rows; r++)
            {
                int start = x.Offset + r * d, gStart = gc.Offset + r * d;
                double m = mean[r], s = invStd[r], scaledMean = 0, projection = 0;
                for (int i = 0; i < d; i++)
                {
                    double normalized = (xs[start + i] - m) * s, gi = gs[gStart + i];
                    if (gradWeight is not null) gradWeight[i] += gi * normalized;
                    if (gradBias is not null) gradBias[i] += gi;
                    double gw = w is null ? gi : gi * w.DoubleData[w.Offset + i];
                    scaled[i] = gw;
                    scaledMean += gw;
                    projection += gw * normalized;
                }
                if (gradInput is null) continue;
                scaledMean /= d;
                projection /= d;
                var gx = gradInput.DoubleData;
                for (int i = 0; i < d; i++)
                    gx[r * d + i] = s * (scaled[i] - scaledMean - (xs[start + i] - m) * s * projection);
            }
            return new[]
            {
                gradInput,
                gradWeight is null ? null : Tensor.FromArray(gradWeight, (int[])normalizedShape.Clone()),
                gradBias is null ? null : Tensor.FromArray(gradBias, (int[])normalizedShape.Clone()),
            };
        });
    }

    /// <summary>
    /// Float64 embedding: the rows of <paramref name="weight"/> copied out in double; records "EmbeddingBackward",
    /// whose backward adds each gradient row into its index's row (the padding row gets none), in index order.
    /// </summary>
    static Tensor EmbeddingFloat64(long[] index, int[] outShape, Tensor weight, long? paddingIdx)
    {
        int num = weight.Sizes[0], dim = weight.Sizes[1];
        var w = weight.Detach().Contiguous();
        var y = Tensor.Uninitialized(DType.Float64, outShape);
        for (int k = 0; k < index.Length; k++)
            Array.Copy(w.DoubleData, w.Offset + (int)index[k] * dim, y.DoubleData, k * dim, dim);
        if (!Tensor.MustRecord(weight)) return y;
        long padding = paddingIdx is { } p && p < 0 ? p + num : paddingIdx ?? -1;
        return y.Recorded("EmbeddingBackward", new Tensor?[] { weight }, g =>
        {
            var gc = g.Contiguous();
            var grad = new double[(long)num * dim];
            for (int k = 0; k < index.Length; k++)
            {
                if (index[k] == padding) continue;
                int row = (int)index[k] * dim, from = gc.Offset + k * dim;
                for (int j = 0; j < dim; j++) grad[row + j] += gc.DoubleData[from + j];
            }
            return new Tensor?[] { Tensor.FromArray(grad, num, dim) };
        });
    }

    /// <summary>
    /// Float64 dropout: the mask drawn as the Float32 path draws it (the same elements are dropped for the same
    /// generator state), its kept elements scaled by <c>1 / (1 - p)</c> in double, then multiplied in by a recorded
    /// Float64 multiply (a channel mask broadcasts).
    /// </summary>
    static Tensor DropoutFloat64(Tensor input, double p, Generator? generator, int[] maskShape)
    {
        var noise = new float[Tensor.CountOf(maskShape, "Dropout")];
        if (p < 1) Kernels.Dropout.DropoutKernel.Mask(noise, p, generator);
        var mask = new double[noise.Length];
        double scale = p < 1 ? 1.0 / (1.0 - p) : 0;
        for (int i = 0; i < mask.Length; i++) mask[i] = noise[i] == 0 ? 0 : scale;
        return input * Tensor.FromArray(mask, maskShape);
    }

    /// <summary>
    /// Cross entropy (<paramref name="logits"/>) or NLL of Float64 rows [n, C] (or [C]): one constant matrix M holds
    /// each row's weighting, <c>(1-ε)·w[t]</c> at the target's class plus <c>ε/C·w_c</c> everywhere (zero for an
    /// ignored row), so the loss per row is <c>-Σ_c M·log_softmax(x)</c> and ATen's label-smoothed, weighted means
    /// (both divided by <c>Σ w[t]</c> over the rows not ignored) fall out of one recorded multiply and sum.
    /// </summary>
    static Tensor ClassLossFloat64(string op, Tensor input, Tensor target, Tensor? weight, long ignoreIndex, Reduction reduction,
        double labelSmoothing, bool logits, int[] expected)
    {
        RequireFloat64(op, input, weight, "weight");
        var rows = input.Rank == 1 ? input.Unsqueeze(0) : input;
        int n = rows.Sizes[0], classes = rows.Sizes[1];
        var t = target.ToInt64Array();
        var w = weight?.ToDoubleArray();
        var m = new double[(long)n * classes];
        double divisor = 0;
        for (int i = 0; i < n; i++)
        {
            if (t[i] == ignoreIndex) continue;
            if (t[i] < 0 || t[i] >= classes)
                throw new ArgumentException($"{op}: Target {t[i]} is out of bounds: {classes} classes (input {Rules.Format(input.Sizes)}, target {Rules.Format(target.Sizes)})", nameof(target));
            double targetWeight = w?[t[i]] ?? 1.0;
            divisor += targetWeight;
            m[(long)i * classes + t[i]] = (1 - labelSmoothing) * targetWeight;
            if (labelSmoothing > 0)
                for (int c = 0; c < classes; c++) m[(long)i * classes + c] += labelSmoothing / classes * (w?[c] ?? 1.0);
        }
        var logProbabilities = logits ? rows.LogSoftmax(1) : rows;
        var perRow = (logProbabilities * Tensor.FromArray(m, n, classes)).Sum(1).Neg();
        return reduction switch
        {
            Reduction.None => perRow.Reshape(expected),
            Reduction.Sum => perRow.Sum(),
            _ => perRow.Sum() / divisor,
        };
    }
}
