using ShapeSafe.NN;

namespace ShapeSafe.Tests.NN.Sequence;

/// <summary>
/// Hand-written double references of the recurrences and of attention, over flat row-major arrays, and helpers to
/// give layers small hand-set weights.
/// </summary>
internal static class SequenceReference
{
    /// <summary>Small deterministic values in [-0.5, 0.5]: a hand-set pattern, different per <paramref name="salt"/>.</summary>
    public static float[] Pattern(int count, int salt) =>
        Enumerable.Range(0, count).Select(i => ((i * 7 + salt * 5) % 11 - 5) * 0.1f).ToArray();

    /// <summary>Overwrites every parameter of <paramref name="module"/> with <see cref="Pattern"/> values, salted by position.</summary>
    public static void SetPatternWeights(Module module)
    {
        int salt = 1;
        using (global::ShapeSafe.Autograd.NoGrad())
        {
            foreach (var p in module.Parameters())
                p.CopyFrom(Tensor.FromArray(Pattern((int)p.NumEl, salt++), p.Shape.ToArray()));
        }
    }

    public static void Close(double[] expected, Tensor actual, double tolerance = 1e-5)
    {
        var values = actual.ToFloatArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - values[i]) <= tolerance, $"element {i}: expected {expected[i]}, got {values[i]}");
    }

    static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>
    /// The stacked recurrence of PyTorch's docs for <paramref name="kind"/> ("rnn_tanh", "rnn_relu", "lstm", "gru") on
    /// x [T, N, in] with states h [D·L, N, out] and c [D·L, N, H] (c only for LSTM; out is the LSTM's projection size
    /// when it has one, each new h being weight_hr times o·tanh(c), else H); weights read from <paramref name="module"/>'s
    /// parameters by name. Returns output [T, N, D·out], h_n and c_n, flat.
    /// </summary>
    public static (double[] Output, double[] H, double[] C) Recurrence(string kind, RNNBase module, float[] x, int steps, int batch,
        float[]? h0 = null, float[]? c0 = null)
    {
        int hidden = module.HiddenSize, directions = module.Directions, layers = module.NumLayers, outSize = module.OutputSize;
        int stacks = layers * directions;
        var h = new double[stacks * batch * outSize];
        var c = new double[stacks * batch * hidden];
        if (h0 is not null) for (int i = 0; i < h.Length; i++) h[i] = h0[i];
        if (c0 is not null) for (int i = 0; i < c.Length; i++) c[i] = c0[i];

        int inSize = module.InputSize;
        var layerInput = x.Select(v => (double)v).ToArray();
        for (int layer = 0; layer < layers; layer++)
        {
            var layerOutput = new double[steps * batch * directions * outSize];
            for (int direction = 0; direction < directions; direction++)
            {
                string suffix = $"_l{layer}" + (direction == 1 ? "_reverse" : "");
                var wih = module.GetParameter("weight_ih" + suffix).ToFloatArray();
                var whh = module.GetParameter("weight_hh" + suffix).ToFloatArray();
                int rows = module.Gates * hidden;
                var bih = module.Bias ? module.GetParameter("bias_ih" + suffix).ToFloatArray() : new float[rows];
                var bhh = module.Bias ? module.GetParameter("bias_hh" + suffix).ToFloatArray() : new float[rows];
                var whr = module.ProjSize > 0 ? module.GetParameter("weight_hr" + suffix).ToFloatArray() : null;
                int stack = layer * directions + direction;
                for (int n = 0; n < batch; n++)
                {
                    var hn = new double[outSize];
                    var cn = new double[hidden];
                    for (int j = 0; j < outSize; j++) hn[j] = h[(stack * batch + n) * outSize + j];
                    for (int j = 0; j < hidden; j++) cn[j] = c[(stack * batch + n) * hidden + j];
                    for (int i = 0; i < steps; i++)
                    {
                        int t = direction == 0 ? i : steps - 1 - i;
                        var gi = new double[rows];
                        var gh = new double[rows];
                        for (int r = 0; r < rows; r++)
                        {
                            gi[r] = bih[r];
                            for (int k = 0; k < inSize; k++) gi[r] += wih[r * inSize + k] * layerInput[(t * batch + n) * inSize + k];
                            gh[r] = bhh[r];
                            for (int k = 0; k < outSize; k++) gh[r] += whh[r * outSize + k] * hn[k];
                        }
                        var next = new double[hidden];
                        for (int j = 0; j < hidden; j++)
                        {
                            switch (kind)
                            {
                                case "rnn_tanh": next[j] = Math.Tanh(gi[j] + gh[j]); break;
                                case "rnn_relu": next[j] = Math.Max(0, gi[j] + gh[j]); break;
                                case "lstm":
                                {
                                    double ig = Sigmoid(gi[j] + gh[j]);
                                    double fg = Sigmoid(gi[hidden + j] + gh[hidden + j]);
                                    double gg = Math.Tanh(gi[2 * hidden + j] + gh[2 * hidden + j]);
                                    double og = Sigmoid(gi[3 * hidden + j] + gh[3 * hidden + j]);
                                    cn[j] = fg * cn[j] + ig * gg;
                                    next[j] = og * Math.Tanh(cn[j]);
                                    break;
                                }
                                case "gru":
                                {
                                    double r = Sigmoid(gi[j] + gh[j]);
                                    double z = Sigmoid(gi[hidden + j] + gh[hidden + j]);
                                    double nn = Math.Tanh(gi[2 * hidden + j] + r * gh[2 * hidden + j]);
                                    next[j] = (1 - z) * nn + z * hn[j];
                                    break;
                                }
                                default: throw new ArgumentException(kind);
                            }
                        }
                        hn = next;
                        if (whr is not null)
                        {
                            hn = new double[outSize];
                            for (int j = 0; j < outSize; j++)
                                for (int k = 0; k < hidden; k++) hn[j] += whr[j * hidden + k] * next[k];
                        }
                        for (int j = 0; j < outSize; j++)
                            layerOutput[((t * batch + n) * directions + direction) * outSize + j] = hn[j];
                    }
                    for (int j = 0; j < outSize; j++) h[(stack * batch + n) * outSize + j] = hn[j];
                    for (int j = 0; j < hidden; j++) c[(stack * batch + n) * hidden + j] = cn[j];
                }
            }
            layerInput = layerOutput;
            inSize = directions * outSize;
        }
        return (layerInput, h, c);
    }

    /// <summary>
    /// Multi-head attention as PyTorch's docs define it, on q [L, N, E] and k, v [S, N, E], with optional additive
    /// masks attn [L, S] and key padding [N, S]; weights from <paramref name="mha"/>'s parameters. Returns the output
    /// [L, N, E] and the per-head weights [N, H, L, S], flat.
    /// </summary>
    public static (double[] Output, double[] Weights) Attention(MultiheadAttention mha, float[] q, float[] k, float[] v,
        int targetLength, int sourceLength, int batch, float[]? attnMask = null, float[]? keyPaddingMask = null)
    {
        int e = mha.EmbedDim, heads = mha.NumHeads, d = mha.HeadDim;
        var inB = mha.InProjBias?.ToFloatArray() ?? new float[3 * e];
        var outW = mha.OutProj.Weight.ToFloatArray();
        var outB = mha.OutProj.Bias?.ToFloatArray() ?? new float[e];
        // Block 0, 1, 2 of the packed weight, or the separate q/k/v weights [E, features].
        float[] Weight(int block) => mha.InProjWeight is { } packed
            ? packed.ToFloatArray()[(block * e * e)..((block + 1) * e * e)]
            : (block == 0 ? mha.QProjWeight! : block == 1 ? mha.KProjWeight! : mha.VProjWeight!).ToFloatArray();

        double[] Project(float[] x, int length, int block, int features)
        {
            var w = Weight(block);
            var y = new double[length * batch * e];
            for (int row = 0; row < length * batch; row++)
                for (int o = 0; o < e; o++)
                {
                    double s = inB[block * e + o];
                    for (int i = 0; i < features; i++) s += w[o * features + i] * x[row * features + i];
                    y[row * e + o] = s;
                }
            return y;
        }
        var qp = Project(q, targetLength, 0, e);
        var kp = Project(k, sourceLength, 1, mha.KDim);
        var vp = Project(v, sourceLength, 2, mha.VDim);

        var weights = new double[batch * heads * targetLength * sourceLength];
        var concat = new double[targetLength * batch * e];
        for (int n = 0; n < batch; n++)
            for (int hd = 0; hd < heads; hd++)
                for (int l = 0; l < targetLength; l++)
                {
                    var scores = new double[sourceLength];
                    for (int s = 0; s < sourceLength; s++)
                    {
                        double dot = 0;
                        for (int j = 0; j < d; j++)
                            dot += qp[(l * batch + n) * e + hd * d + j] * kp[(s * batch + n) * e + hd * d + j];
                        scores[s] = dot / Math.Sqrt(d)
                            + (attnMask?[l * sourceLength + s] ?? 0)
                            + (keyPaddingMask?[n * sourceLength + s] ?? 0);
                    }
                    double max = scores.Max();
                    var exp = scores.Select(x => Math.Exp(x - max)).ToArray();
                    double total = exp.Sum();
                    for (int s = 0; s < sourceLength; s++)
                    {
                        double w = exp[s] / total;
                        weights[((n * heads + hd) * targetLength + l) * sourceLength + s] = w;
                        for (int j = 0; j < d; j++)
                            concat[(l * batch + n) * e + hd * d + j] += w * vp[(s * batch + n) * e + hd * d + j];
                    }
                }

        var output = new double[targetLength * batch * e];
        for (int row = 0; row < targetLength * batch; row++)
            for (int o = 0; o < e; o++)
            {
                double s = outB[o];
                for (int i = 0; i < e; i++) s += outW[o * e + i] * concat[row * e + i];
                output[row * e + o] = s;
            }
        return (output, weights);
    }
}
