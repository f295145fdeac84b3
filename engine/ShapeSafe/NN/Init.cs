namespace ShapeSafe.NN;

/// <summary>
/// Parameter initialization (<c>torch.nn.init</c>). Each function fills the given tensor in place without
/// recording gradients (so it works on parameters that require grad) and returns it. Random fills draw from the
/// generator exactly as PyTorch's <c>uniform_</c> and <c>normal_</c> do, so a seeded generator gives PyTorch's values.
/// </summary>
public static class Init
{
    /// <summary>Fills with samples uniform in [<paramref name="a"/>, <paramref name="b"/>) (<c>uniform_</c>).</summary>
    public static Tensor Uniform(Tensor tensor, double a = 0, double b = 1, Generator? generator = null)
    {
        CheckFloat(tensor, "Uniform");
        FillFloats(tensor, span => RandomKernels.FillUniform(span, a, b, generator));
        return tensor;
    }

    /// <summary>Fills with normal samples of the given mean and standard deviation (<c>normal_</c>).</summary>
    public static Tensor Normal(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
    {
        CheckFloat(tensor, "Normal");
        // PyTorch takes its vectorized path only for contiguous tensors; the temp buffer of a strided tensor
        // gets the per-element path, as the tensor itself would.
        bool contiguous = tensor.IsContiguous;
        FillFloats(tensor, span => RandomKernels.FillNormal(span, mean, std, contiguous, generator));
        return tensor;
    }

    /// <summary>Fills with <paramref name="value"/> (<c>constant_</c>).</summary>
    public static Tensor Constant(Tensor tensor, double value)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.NumEl == 0) return tensor;
        if (tensor.IsContiguous && tensor.DType == DType.Float32)
        {
            tensor.FloatData.AsSpan(tensor.StorageOffset, tensor.Count).Fill((float)value);
            return tensor;
        }
        if (tensor.IsContiguous)
        {
            tensor.LongData.AsSpan(tensor.StorageOffset, tensor.Count).Fill((long)value);
            return tensor;
        }
        var fill = tensor.DType == DType.Float32 ? Tensor.Scalar((float)value) : Tensor.Scalar((long)value);
        using (Autograd.NoGrad())
            tensor.CopyFrom(fill);
        return tensor;
    }

    /// <summary>Fills with zeros (<c>zeros_</c>).</summary>
    public static Tensor Zeros(Tensor tensor) => Constant(tensor, 0);

    /// <summary>Fills with ones (<c>ones_</c>).</summary>
    public static Tensor Ones(Tensor tensor) => Constant(tensor, 1);

    /// <summary>
    /// Glorot uniform (<c>xavier_uniform_</c>): U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)).
    /// </summary>
    public static Tensor XavierUniform(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = CalculateFanInAndFanOut(tensor);
        double std = gain * Math.Sqrt(2.0 / (fanIn + fanOut));
        double a = Math.Sqrt(3.0) * std;
        return Uniform(tensor, -a, a, generator);
    }

    /// <summary>Glorot normal (<c>xavier_normal_</c>): N(0, std²) with std = gain * sqrt(2 / (fan_in + fan_out)).</summary>
    public static Tensor XavierNormal(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = CalculateFanInAndFanOut(tensor);
        double std = gain * Math.Sqrt(2.0 / (fanIn + fanOut));
        return Normal(tensor, 0, std, generator);
    }

    /// <summary>
    /// He uniform (<c>kaiming_uniform_</c>): U(-bound, bound) with bound = gain * sqrt(3 / fan), where fan is
    /// fan_in or fan_out per <paramref name="mode"/> and gain is <see cref="CalculateGain"/>(nonlinearity, a).
    /// A tensor with no elements is left as it is.
    /// </summary>
    /// <param name="tensor">The tensor to fill (at least 2 dims).</param>
    /// <param name="a">The negative slope of the rectifier after this layer (for <c>"leaky_relu"</c>).</param>
    /// <param name="mode"><c>"fan_in"</c> (keeps the forward pass's variance) or <c>"fan_out"</c> (the backward pass's).</param>
    /// <param name="nonlinearity">The function after this layer, as <see cref="CalculateGain"/> names it.</param>
    /// <param name="generator">The generator to draw from (the default one when null).</param>
    public static Tensor KaimingUniform(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu", Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.NumEl == 0) return tensor;
        double std = CalculateGain(nonlinearity, a) / Math.Sqrt(CorrectFan(tensor, mode));
        double bound = Math.Sqrt(3.0) * std;
        return Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>He normal (<c>kaiming_normal_</c>): N(0, std²) with std = gain / sqrt(fan); arguments as for <see cref="KaimingUniform"/>.</summary>
    public static Tensor KaimingNormal(Tensor tensor, double a = 0, string mode = "fan_in", string nonlinearity = "leaky_relu", Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.NumEl == 0) return tensor;
        double std = CalculateGain(nonlinearity, a) / Math.Sqrt(CorrectFan(tensor, mode));
        return Normal(tensor, 0, std, generator);
    }

    /// <summary>
    /// The recommended gain for a nonlinearity (<c>calculate_gain</c>): 1 for linear, convolutions and sigmoid,
    /// 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope²)) for leaky_relu (slope <paramref name="param"/>,
    /// default 0.01), 3/4 for selu.
    /// </summary>
    /// <exception cref="ArgumentException">The nonlinearity is not one of those.</exception>
    public static double CalculateGain(string nonlinearity, double? param = null)
    {
        ArgumentNullException.ThrowIfNull(nonlinearity);
        switch (nonlinearity)
        {
            case "linear" or "conv1d" or "conv2d" or "conv3d" or "conv_transpose1d" or "conv_transpose2d" or "conv_transpose3d" or "sigmoid":
                return 1;
            case "tanh":
                return 5.0 / 3;
            case "relu":
                return Math.Sqrt(2.0);
            case "leaky_relu":
                double slope = param ?? 0.01;
                return Math.Sqrt(2.0 / (1 + slope * slope));
            case "selu":
                return 3.0 / 4;
            default:
                throw new ArgumentException($"Unsupported nonlinearity {nonlinearity}", nameof(nonlinearity));
        }
    }

    /// <summary>
    /// PyTorch's <c>_calculate_fan_in_and_fan_out</c>: fan_in = size(1) * receptive field, fan_out = size(0) *
    /// receptive field, where the receptive field is the product of the sizes after the first two.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor has fewer than 2 dims.</exception>
    public static (long FanIn, long FanOut) CalculateFanInAndFanOut(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Rank < 2)
            throw new ArgumentException($"Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (shape {Rules.Format(tensor.Sizes)})", nameof(tensor));
        long receptiveField = 1;
        for (int d = 2; d < tensor.Rank; d++) receptiveField *= tensor.Sizes[d];
        return (tensor.Sizes[1] * receptiveField, tensor.Sizes[0] * receptiveField);
    }

    /// <summary>
    /// The default <c>reset_parameters()</c> of PyTorch's <c>Linear</c> and <c>_ConvNd</c>: the weight from
    /// <c>kaiming_uniform_(a=sqrt(5))</c>, then the bias (when there is one) from U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    /// </summary>
    /// <param name="weight">The weight; its fan_in sets the bias's bound.</param>
    /// <param name="bias">The bias, or null.</param>
    /// <param name="generator">The generator to draw from (the default one when null).</param>
    /// <param name="skipBiasWhenFanInIsZero">
    /// At fan_in 0 PyTorch's convolutions leave the bias untouched (true), while <c>Linear</c> still fills it from
    /// U(0, 0) and so still draws from the generator (false).
    /// </param>
    internal static void DefaultWeightAndBias(Tensor weight, Tensor? bias, Generator? generator, bool skipBiasWhenFanInIsZero)
    {
        KaimingUniform(weight, a: Math.Sqrt(5), generator: generator);
        if (bias is null) return;
        var (fanIn, _) = CalculateFanInAndFanOut(weight);
        if (fanIn == 0 && skipBiasWhenFanInIsZero) return;
        double bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
        Uniform(bias, -bound, bound, generator);
    }

    static long CorrectFan(Tensor tensor, string mode)
    {
        ArgumentNullException.ThrowIfNull(mode);
        var (fanIn, fanOut) = CalculateFanInAndFanOut(tensor);
        return mode.ToLowerInvariant() switch
        {
            "fan_in" => fanIn,
            "fan_out" => fanOut,
            _ => throw new ArgumentException($"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']", nameof(mode)),
        };
    }

    static void CheckFloat(Tensor tensor, string op)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.DType != DType.Float32)
            throw new ArgumentException($"Init.{op}: expects a Float32 tensor, got {tensor.DType}", nameof(tensor));
    }

    /// <summary>
    /// Runs <paramref name="fill"/> over the tensor's elements: straight into storage when contiguous, else into a
    /// contiguous temp that is then copied in (so a strided tensor gets the values in logical order).
    /// </summary>
    static void FillFloats(Tensor tensor, SpanFill fill)
    {
        if (tensor.NumEl == 0) return;
        if (tensor.IsContiguous)
        {
            fill(tensor.FloatData.AsSpan(tensor.StorageOffset, tensor.Count));
            return;
        }
        var temp = new float[tensor.Count];
        fill(temp);
        using (Autograd.NoGrad())
            tensor.CopyFrom(Tensor.FromArray(temp, tensor.Sizes));
    }

    delegate void SpanFill(Span<float> destination);
}
