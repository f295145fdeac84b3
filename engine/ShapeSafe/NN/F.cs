using System.Numerics.Tensors;
using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Dropout;
using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Kernels.Loss;
using ShapeSafe.Kernels.Memory;
using ShapeSafe.Kernels.Normalization;
using ShapeSafe.Tracing;

namespace ShapeSafe.NN;

/// <summary>
/// The functional forms of the layers and losses (<c>torch.nn.functional</c>): stateless functions that take
/// their parameters as arguments. The layer modules call these; these call the engine's ops and kernels.
/// </summary>
/// <remarks>
/// Linear, the normalizations, dropout, embedding and every loss are fused ops: one kernel forward, one
/// recorded node whose backward is a plain static kernel (under <c>Kernels/</c> and <c>Gradients/</c>) that
/// compiled graphs can call too. Activations, softmax, convolution and pooling are the tensor ops themselves.
/// </remarks>
public static partial class F
{
    // ---------------------------------------------------------------- activations

    /// <summary><c>max(x, 0)</c> (<c>F.relu</c>).</summary>
    public static Tensor Relu(Tensor input) => input.Relu();

    /// <summary><c>1 / (1 + e^-x)</c> (<c>F.sigmoid</c>).</summary>
    public static Tensor Sigmoid(Tensor input) => input.Sigmoid();

    /// <summary>Hyperbolic tangent (<c>F.tanh</c>).</summary>
    public static Tensor Tanh(Tensor input) => input.Tanh();

    /// <summary>
    /// GELU (<c>F.gelu</c>): <c>x·Φ(x)</c> with <paramref name="approximate"/> <c>"none"</c> (the default), or
    /// <c>0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³)))</c> with <c>"tanh"</c>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="approximate"/> is neither.</exception>
    public static Tensor Gelu(Tensor input, string approximate = "none")
    {
        ArgumentNullException.ThrowIfNull(input);
        return approximate switch
        {
            "none" => input.Gelu(),
            "tanh" when input.DType == DType.Float64 => GeluTanhFloat64(input),
            "tanh" => input * 0.5f * ((input + input * input * input * 0.044715f) * MathF.Sqrt(2f / MathF.PI)).Tanh().Add(1f),
            _ => throw new ArgumentException($"Gelu: approximate argument must be either none or tanh, got '{approximate}'", nameof(approximate)),
        };
    }

    /// <summary><c>x &gt; 0 ? x : negativeSlope·x</c> (<c>F.leaky_relu</c>).</summary>
    public static Tensor LeakyRelu(Tensor input, double negativeSlope = 0.01) => input.LeakyRelu((float)negativeSlope);

    /// <summary>Softmax along <paramref name="dim"/> (<c>F.softmax</c>).</summary>
    public static Tensor Softmax(Tensor input, int dim) => input.Softmax(dim);

    /// <summary>Log-softmax along <paramref name="dim"/> (<c>F.log_softmax</c>), stable for large values.</summary>
    public static Tensor LogSoftmax(Tensor input, int dim) => input.LogSoftmax(dim);

    /// <summary>Merges dims <paramref name="startDim"/>..<paramref name="endDim"/> (<c>torch.flatten</c>; a view when possible).</summary>
    public static Tensor Flatten(Tensor input, int startDim = 0, int endDim = -1) => input.Flatten(startDim, endDim);

    // ---------------------------------------------------------------- linear

    /// <summary>
    /// <c>y = x·wᵀ + b</c> (<c>F.linear</c>) for input <c>[..., in]</c>, weight <c>[out, in]</c> and bias <c>[out]</c>:
    /// one GEMM that adds the bias in its epilogue, recording "AddmmBackward" ("MmBackward" without a bias).
    /// Inputs with other than 2 dims are folded to <c>[rows, in]</c> (a view when the layout allows) and the
    /// result unfolded to <c>[..., out]</c>, as PyTorch does. Strided inputs are read in place.
    /// </summary>
    /// <exception cref="ShapeException">The input's last dim is not in, or the bias is not [out].</exception>
    [return: Shape("..., Out")]
    public static Tensor Linear([Shape("..., In")] Tensor input, [Shape("Out, In")] Tensor weight, [Shape("Out")] Tensor? bias = null) =>
        LinearCore(input, weight, bias, GemmActivation.None);

    /// <summary><see cref="Linear"/> followed by <paramref name="activation"/> (ReLU or exact GELU), fused into one op for 2-D inputs.</summary>
    internal static Tensor LinearCore(Tensor input, Tensor weight, Tensor? bias, GemmActivation activation) => OpTrace.Active
        ? OpTrace.Run("Linear", [input, weight, bias], () => LinearUntraced(input, weight, bias, activation),
            ("activation", activation switch { GemmActivation.Relu => "relu", GemmActivation.Gelu => "gelu", _ => "none" }))
        : LinearUntraced(input, weight, bias, activation);

    /// <summary>The shape of <c>Linear</c>'s output, after the checks <see cref="Linear"/> makes of its operands' shapes.</summary>
    internal static int[] LinearShape(int[] input, int[] weight, int[]? bias)
    {
        const string op = "Linear";
        if (weight.Length != 2)
            throw new ShapeException(op, $"weight must be 2-D [out_features, in_features], got {Rules.Format(weight)} (input {Rules.Format(input)})");
        int outFeatures = weight[0], inFeatures = weight[1];
        if (input.Length == 0 || input[^1] != inFeatures)
        {
            throw new ShapeException(op, input.Length == 0
                ? $"input must have at least 1 dim, got a 0-dim tensor (weight {Rules.Format(weight)})"
                : $"input {Rules.Format(input)} has {input[^1]} features in its last dim (dim {input.Length - 1}), but weight {Rules.Format(weight)} expects in_features={inFeatures}");
        }
        if (bias is not null && (bias.Length != 1 || bias[0] != outFeatures))
            throw new ShapeException(op, $"bias {Rules.Format(bias)} should be [{outFeatures}], one per output feature of weight {Rules.Format(weight)} (input {Rules.Format(input)})");
        var output = (int[])input.Clone();
        output[^1] = outFeatures;
        return output;
    }

    static Tensor LinearUntraced(Tensor input, Tensor weight, Tensor? bias, GemmActivation activation)
    {
        const string op = "Linear";
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (Autograd.IsAutocastEnabled)
            (input, weight, bias) = (Tensor.AutocastLower(input), Tensor.AutocastLower(weight), Tensor.AutocastLowerOptional(bias));
        if (Tensor.AllBFloat16(input, weight, bias))
            return LinearBFloat16(input, weight, bias, activation);
        if (input.DType == DType.Float64) return LinearFloat64(input, weight, bias, activation);
        RequireFloatOrDouble(op, input, "input");
        RequireFloat(op, weight, "weight");
        if (bias is not null) RequireFloat(op, bias, "bias");
        LinearShape(input.Sizes, weight.Sizes, bias?.Sizes);
        int outFeatures = weight.Sizes[0], inFeatures = weight.Sizes[1];
        if (input.Rank == 2)
        {
            return activation switch
            {
                GemmActivation.Relu => LinearRelu(input, weight, bias),
                GemmActivation.Gelu => LinearGelu(input, weight, bias),
                _ => Addmm(input, weight, bias),
            };
        }

        // Leading dims fold into the rows of one product (a view for a contiguous input), fused as in 2-D.
        int rows = 1;
        for (int d = 0; d < input.Rank - 1; d++) rows *= input.Sizes[d];
        var outShape = (int[])input.Sizes.Clone();
        outShape[^1] = outFeatures;
        return LinearCore(input.Reshape(rows, inFeatures), weight, bias, activation).Reshape(outShape);
    }

    /// <summary>
    /// <c>relu(x·wᵀ + b)</c> for a 2-D input as one op (Sequential fuses Linear followed by ReLU): the bias and the
    /// ReLU run in the GEMM's epilogue, so the pre-activation is never stored; records "ReluBackward", whose
    /// backward masks the gradient and runs the linear layer's.
    /// </summary>
    static Tensor LinearRelu(Tensor x, Tensor w, Tensor? b)
    {
        var xd = x.Detach();
        var wd = w.Detach();
        var y = LinearGradient.Forward(xd, wd, b?.Detach(), GemmActivation.Relu);
        bool needX = x.RequiresGrad, needW = w.RequiresGrad, needB = b?.RequiresGrad == true;
        if (!(needX || needW || needB) || !Autograd.IsGradEnabled) return y;
        return y.Recorded("ReluBackward", new Tensor?[] { x, w, b }, g =>
        {
            // The mask stays a pass of its own rather than a prologue of the gradient GEMMs' packing: it runs in
            // place on the backward's private gradient, and on mlpbig's 256 x 1024 layers it took 0.02-0.04 ms next to
            // 11 ms for the two GEMMs that follow. Both GEMMs read the masked gradient, so folding would mask twice
            // and read y twice, and products small enough for the unpacked path have no packing step to fold into.
            var masked = ElementwiseGradient.Relu(g, y);
            var grads = LinearGradient.Backward(masked, xd, wd, needX, needW, needB);
            if (!ReferenceEquals(masked, g)) masked.Storage.RecycleIfOwnedBy(StorageOwner.Backward);
            return grads;
        });
    }

    /// <summary>
    /// <c>gelu(x·wᵀ + b)</c> (exact GELU) for a 2-D input as one op (Sequential fuses Linear followed by GELU): the
    /// bias and the GELU run in the GEMM's epilogue, so GELU's costly erfc is spread over the GEMM's threads and the
    /// output is not read back in a second pass. GELU's backward needs its input, so when gradients are recorded the
    /// epilogue also keeps the pre-activation; records "GeluBackward", whose backward runs GELU's gradient on it and
    /// then the linear layer's. Values and gradients are bit for bit those of Linear followed by GELU.
    /// </summary>
    static Tensor LinearGelu(Tensor x, Tensor w, Tensor? b)
    {
        var xd = x.Detach();
        var wd = w.Detach();
        bool needX = x.RequiresGrad, needW = w.RequiresGrad, needB = b?.RequiresGrad == true;
        if (!(needX || needW || needB) || !Autograd.IsGradEnabled)
            return LinearGradient.Forward(xd, wd, b?.Detach(), GemmActivation.Gelu);
        var preActivation = Tensor.Uninitialized(DType.Float32, new[] { x.Sizes[0], w.Sizes[0] });
        var y = LinearGradient.Forward(xd, wd, b?.Detach(), GemmActivation.Gelu, preActivation);
        return y.Recorded("GeluBackward", new Tensor?[] { x, w, b },
            g => LinearGradient.Backward(ElementwiseGradient.Gelu(g, preActivation), xd, wd, needX, needW, needB));
    }

    /// <summary>
    /// <c>x·wᵀ + b</c> for BFloat16 operands, as ATen's CPU addmm: the products summed in float32, the bias added in
    /// float32, one rounding; then the activation in BFloat16 (what Linear followed by it gives). Records
    /// "AddmmBackward" ("MmBackward" without a bias) with BFloat16 gradients.
    /// </summary>
    static Tensor LinearBFloat16(Tensor input, Tensor weight, Tensor? bias, GemmActivation activation)
    {
        LinearShape(input.Sizes, weight.Sizes, bias?.Sizes);
        var x = input.Detach();
        var w = weight.Detach();
        var y = Tensor.BFloat16Matmul(x, w.Transpose(0, 1), bias?.Detach());
        if ((input.RequiresGrad || weight.RequiresGrad || bias?.RequiresGrad == true) && Autograd.IsGradEnabled)
        {
            int rows = (int)(x.NumEl / Math.Max(1, x.Sizes[^1]));
            bool needX = input.RequiresGrad, needW = weight.RequiresGrad, needB = bias?.RequiresGrad == true;
            y = y.Recorded(bias is null ? "MmBackward" : "AddmmBackward", new Tensor?[] { input, weight, bias }, g =>
            {
                // Folded to [rows, in] and [rows, out]: the gradients are the float32-accumulated BFloat16 products.
                var g2 = g.Reshape(rows, w.Sizes[0]);
                var x2 = x.Reshape(rows, w.Sizes[1]);
                return new Tensor?[]
                {
                    needX ? Tensor.BFloat16Matmul(g2, w).Reshape((int[])x.Sizes.Clone()) : null,
                    needW ? Tensor.BFloat16Matmul(g2.Transpose(0, 1), x2) : null,
                    needB ? g2.Sum(0) : null,
                };
            });
        }
        return activation switch
        {
            GemmActivation.Relu => y.Relu(),
            GemmActivation.Gelu => Gelu(y),
            _ => y,
        };
    }

    static Tensor Addmm(Tensor x, Tensor w, Tensor? b)
    {
        var xd = x.Detach();
        var wd = w.Detach();
        var y = LinearGradient.Forward(xd, wd, b?.Detach());
        bool needX = x.RequiresGrad, needW = w.RequiresGrad, needB = b?.RequiresGrad == true;
        if (!(needX || needW || needB) || !Autograd.IsGradEnabled) return y;
        return y.Recorded(b is null ? "MmBackward" : "AddmmBackward", new Tensor?[] { x, w, b },
            g => LinearGradient.Backward(g, xd, wd, needX, needW, needB));
    }

    // ---------------------------------------------------------------- convolution and pooling

    /// <summary><c>F.conv2d</c>: input [N, C, H, W] (or [C, H, W]), weight [O, C/groups, kH, kW], bias [O].</summary>
    [ShapeContract("Conv2d")]
    [return: Shape("N, Out, _, _")]
    public static Tensor Conv2d([Shape("N, In, H, W")] Tensor input, Tensor weight, Tensor? bias = null,
        int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Tensor.Conv2d(input, weight, bias, stride, padding, dilation, groups);

    /// <summary><c>F.conv2d</c> with (height, width) pairs.</summary>
    [ShapeContract("Conv2d")]
    [return: Shape("N, Out, _, _")]
    public static Tensor Conv2d([Shape("N, In, H, W")] Tensor input, Tensor weight, Tensor? bias,
        (int Height, int Width) stride, (int Height, int Width) padding = default, (int Height, int Width)? dilation = null, int groups = 1) =>
        Tensor.Conv2d(input, weight, bias, stride, padding, dilation, groups);

    /// <summary><c>F.max_pool2d</c>: the maximum of each window; stride defaults to the kernel size; <paramref name="ceilMode"/> rounds the output size up.</summary>
    [ShapeContract("Pool2d")]
    public static Tensor MaxPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, int dilation = 1, bool ceilMode = false) =>
        Tensor.MaxPool2d(input, kernelSize, stride, padding, dilation, ceilMode);

    /// <summary><c>F.max_pool2d</c> with (height, width) pairs.</summary>
    [ShapeContract("Pool2d")]
    public static Tensor MaxPool2d(Tensor input, (int Height, int Width) kernelSize, (int Height, int Width)? stride = null,
        (int Height, int Width) padding = default, (int Height, int Width)? dilation = null, bool ceilMode = false) =>
        Tensor.MaxPool2d(input, kernelSize, stride, padding, dilation, ceilMode);

    /// <summary>
    /// <c>F.max_pool2d(..., return_indices=True)</c>: the maxima and their Int64 positions h·W + w within each input
    /// plane (C# gives a method one return type, so the flag is this method).
    /// </summary>
    [ShapeContract("Pool2d")]
    public static (Tensor Values, Tensor Indices) MaxPool2dWithIndices(Tensor input, int kernelSize, int? stride = null, int padding = 0,
        int dilation = 1, bool ceilMode = false) =>
        Tensor.MaxPool2dWithIndices(input, kernelSize, stride, padding, dilation, ceilMode);

    /// <summary><c>F.max_pool2d(..., return_indices=True)</c> with (height, width) pairs.</summary>
    [ShapeContract("Pool2d")]
    public static (Tensor Values, Tensor Indices) MaxPool2dWithIndices(Tensor input, (int Height, int Width) kernelSize,
        (int Height, int Width)? stride = null, (int Height, int Width) padding = default, (int Height, int Width)? dilation = null,
        bool ceilMode = false) =>
        Tensor.MaxPool2dWithIndices(input, kernelSize, stride, padding, dilation, ceilMode);

    /// <summary><c>F.avg_pool2d</c>: the mean of each window; stride defaults to the kernel size; <paramref name="divisorOverride"/> replaces every window's divisor.</summary>
    [ShapeContract("Pool2d")]
    public static Tensor AvgPool2d(Tensor input, int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true,
        bool ceilMode = false, int? divisorOverride = null) =>
        Tensor.AvgPool2d(input, kernelSize, stride, padding, countIncludePad, ceilMode, divisorOverride);

    /// <summary><c>F.avg_pool2d</c> with (height, width) pairs.</summary>
    [ShapeContract("Pool2d")]
    public static Tensor AvgPool2d(Tensor input, (int Height, int Width) kernelSize, (int Height, int Width)? stride = null,
        (int Height, int Width) padding = default, bool countIncludePad = true, bool ceilMode = false, int? divisorOverride = null) =>
        Tensor.AvgPool2d(input, kernelSize, stride, padding, countIncludePad, ceilMode, divisorOverride);

    // ---------------------------------------------------------------- dropout

    /// <summary>
    /// <c>F.dropout</c>: in training, zeroes each element with probability <paramref name="p"/> and scales the
    /// rest by <c>1 / (1 - p)</c>, drawing the mask as LibTorch's CPU kernel does (so a seeded generator gives
    /// PyTorch's mask) and recording "MulBackward" (the gradient is the upstream gradient times the mask). Not
    /// training, p = 0 or an empty input return <paramref name="input"/> itself; p = 1 multiplies by zero.
    /// </summary>
    /// <remarks>The mask is drawn in the input's logical (row-major) order; LibTorch draws a transposed input's in memory order.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public static Tensor Dropout(Tensor input, double p = 0.5, bool training = true, Generator? generator = null) =>
        DropoutCore(input, p, training, generator, channels: false, "Dropout");

    /// <summary>Channel dropout's check of its input's shape: at least 2 dims, [N, C, *].</summary>
    /// <exception cref="ShapeException">The input has fewer than 2 dims.</exception>
    internal static void CheckFeatureDropout(string op, int[] input)
    {
        if (input.Length < 2)
            throw new ShapeException(op, $"Feature dropout requires at least 2 dimensions in the input, got input of shape {Rules.Format(input)}");
    }

    /// <summary>
    /// Dropout and channel dropout (ATen's <c>dropout</c> and <c>feature_dropout</c>): one mask drawn as LibTorch's
    /// <c>bernoulli_(1 - p).div_(1 - p)</c>, of the input's shape, or of [N, C, 1, ...] for <paramref name="channels"/>
    /// (one draw per channel, in order), then multiplied in.
    /// </summary>
    static Tensor DropoutCore(Tensor input, double p, bool training, Generator? generator, bool channels, string op)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckProbability(op, p);
        if (channels) CheckFeatureDropout(op, input.Sizes);
        if (p == 0 || !training || input.NumEl == 0) return input;

        var maskShape = (int[])input.Sizes.Clone();
        if (channels)
            for (int d = 2; d < maskShape.Length; d++) maskShape[d] = 1;
        if (input.DType == DType.Float64) return DropoutFloat64(input, p, generator, maskShape);
        RequireFloatOrDouble(op, input, "input");
        var noise = Tensor.Uninitialized(DType.Float32, maskShape);
        if (p == 1) noise.FloatData.AsSpan().Clear();
        else DropoutKernel.Mask(noise.FloatData, p, generator);
        // A channel mask broadcasts: the recorded multiply is its gradient.
        if (channels) return input * noise;

        var x = input.Detach().Contiguous();
        var y = Tensor.Uninitialized(DType.Float32, (int[])input.Sizes.Clone());
        TensorPrimitives.Multiply(x.FloatData.AsSpan(x.Offset, y.Count), noise.FloatData, y.FloatData);
        if (!Tensor.MustRecord(input)) return y;
        return y.Recorded("MulBackward", new Tensor?[] { input }, g =>
        {
            var gc = g.Contiguous();
            var grad = Tensor.Uninitialized(DType.Float32, (int[])noise.Sizes.Clone());
            TensorPrimitives.Multiply(gc.FloatData.AsSpan(gc.Offset, grad.Count), noise.FloatData, grad.FloatData);
            return new Tensor?[] { grad };
        });
    }

    // ---------------------------------------------------------------- normalization

    /// <summary>
    /// <c>F.batch_norm</c> over input [N, C, *]: per channel, <c>(x - mean) / sqrt(var + eps)·weight + bias</c>.
    /// In training the batch's statistics are used (biased variance) and, when given, the running statistics are
    /// updated in place without recording: <c>running = (1 - momentum)·running + momentum·batch</c>, with the
    /// unbiased variance. Otherwise the running statistics are used. One fused kernel each way; records
    /// "NativeBatchNormBackward".
    /// </summary>
    /// <remarks>
    /// The input carries no <c>[Shape]</c>: [N, C, *] has trailing free dims, which the annotation grammar cannot say
    /// ('...' stands only for leading dims, see SS0009). The analyzer gives the result the input's shape.
    /// </remarks>
    /// <exception cref="ShapeException">A statistic or parameter is not [C], or training sees one value per channel.</exception>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight = null, Tensor? bias = null,
        bool training = false, double momentum = 0.1, double eps = 1e-5)
    {
        const string op = "BatchNorm";
        if (OpTrace.Recording)
            return OpTrace.Run(op, [input, runningMean, runningVar, weight, bias], () => BatchNorm(input, runningMean, runningVar, weight, bias, training, momentum, eps),
                ("training", training), ("eps", eps));
        ArgumentNullException.ThrowIfNull(input);
        bool wide = input.DType == DType.Float64;
        if (!wide) RequireFloat(op, input, "input");
        if (input.Rank < 2)
            throw new ShapeException(op, $"expected an input of at least 2 dims [N, C, *], got {Rules.Format(input.Sizes)}");
        int n = input.Sizes[0], c = input.Sizes[1], s = 1;
        for (int d = 2; d < input.Rank; d++) s *= input.Sizes[d];
        foreach (var (t, name) in new[] { (runningMean, "running_mean"), (runningVar, "running_var"), (weight, "weight"), (bias, "bias") })
        {
            if (t is null) continue;
            if (wide) RequireFloat64(op, input, t, name);
            else RequireFloat(op, t, name);
            if (t.Rank != 1 || t.Sizes[0] != c)
                throw new ShapeException(op, $"{name} should contain {c} elements (one per channel of input {Rules.Format(input.Sizes)}, dim 1), got shape {Rules.Format(t.Sizes)}");
        }
        if (wide) return BatchNormFloat64(input, runningMean, runningVar, weight, bias, training, momentum, eps, n, c, s);

        var x = input.Detach().Contiguous();
        var mean = new float[c];
        var invStd = new float[c];
        var w = weight?.Detach().Contiguous().ToFloatArray();
        var y = Tensor.Uninitialized(DType.Float32, (int[])input.Sizes.Clone());
        BatchNormInto(x, runningMean, runningVar, w, bias?.Detach().ToFloatArray(), training, momentum, eps, mean, invStd,
            training ? new double[c] : null, training ? new double[c] : null, y);

        bool needX = input.RequiresGrad, needW = weight?.RequiresGrad == true, needB = bias?.RequiresGrad == true;
        if (!(needX || needW || needB) || !Autograd.IsGradEnabled) return y;
        return y.Recorded("NativeBatchNormBackward", new Tensor?[] { input, weight, bias }, g =>
        {
            var gc = g.Contiguous();
            var gradInput = needX ? Tensor.Uninitialized(DType.Float32, (int[])x.Sizes.Clone()) : null;
            var gradWeight = needW ? Tensor.Uninitialized(DType.Float32, new[] { c }) : null;
            var gradBias = needB ? Tensor.Uninitialized(DType.Float32, new[] { c }) : null;
            BatchNormKernel.Backward(n, c, s, x.FloatData, x.Offset, gc.FloatData, gc.Offset, mean, invStd, w, training,
                gradInput?.FloatData, gradWeight?.FloatData, gradBias?.FloatData);
            return new[] { gradInput, gradWeight, gradBias };
        });
    }

    /// <summary>
    /// <see cref="BatchNorm"/>'s forward on checked operands into buffers the caller owns (eager mode's new ones, a
    /// compiled graph's planned ones): the statistics (the batch's in training, updating the running ones; else
    /// the running ones) into <paramref name="mean"/> and <paramref name="invStd"/> for the backward, then the
    /// normalized <paramref name="x"/> (contiguous [N, C, *]) into <paramref name="y"/>. <paramref name="weight"/> and
    /// <paramref name="bias"/> are read from index 0; <paramref name="batchMean"/> and <paramref name="batchVar"/>
    /// are the double-precision scratch of training mode.
    /// </summary>
    internal static void BatchNormInto(Tensor x, Tensor? runningMean, Tensor? runningVar, float[]? weight, float[]? bias,
        bool training, double momentum, double eps, float[] mean, float[] invStd, double[]? batchMean, double[]? batchVar, Tensor y)
    {
        const string op = "BatchNorm";
        int n = x.Sizes[0], c = x.Sizes[1], s = 1;
        for (int d = 2; d < x.Rank; d++) s *= x.Sizes[d];
        if (training)
        {
            long count = (long)n * s;
            if (count <= 1)
                throw new ShapeException(op, $"Expected more than 1 value per channel when training, got input size {Rules.Format(x.Sizes)}");
            var bm = batchMean ?? throw new ArgumentNullException(nameof(batchMean));
            var bv = batchVar ?? throw new ArgumentNullException(nameof(batchVar));
            BatchNormKernel.Statistics(n, c, s, x.FloatData, x.Offset, bm, bv);
            for (int ch = 0; ch < c; ch++)
            {
                mean[ch] = (float)bm[ch];
                invStd[ch] = (float)(1 / Math.Sqrt(bv[ch] + eps));
            }
            UpdateRunning(runningMean, runningVar, bm, bv, count, momentum);
        }
        else
        {
            if (runningMean is null || runningVar is null)
                throw new ArgumentException($"{op}: running_mean and running_var must be given when not training (input {Rules.Format(x.Sizes)})");
            ReadOnlySpan<float> rm = runningMean is { DType: DType.Float32, IsContiguous: true }
                ? runningMean.FloatData.AsSpan(runningMean.Offset, runningMean.Count) : runningMean.ToFloatArray();
            ReadOnlySpan<float> rv = runningVar is { DType: DType.Float32, IsContiguous: true }
                ? runningVar.FloatData.AsSpan(runningVar.Offset, runningVar.Count) : runningVar.ToFloatArray();
            float epsF = (float)eps;
            for (int ch = 0; ch < c; ch++)
            {
                mean[ch] = rm[ch];
                invStd[ch] = 1f / MathF.Sqrt(rv[ch] + epsF);
            }
        }
        BatchNormKernel.Normalize(n, c, s, x.FloatData, x.Offset, mean, invStd, weight, bias, y.FloatData, y.Offset);
    }

    // PyTorch's update, in double as ATen's accumulate type: running = momentum·batch + (1 - momentum)·running.
    static void UpdateRunning(Tensor? runningMean, Tensor? runningVar, double[] mean, double[] variance, long count, double momentum)
    {
        // The layers' own statistics are contiguous Float32 buffers: updated where they are, with nothing allocated
        // (a compiled graph runs this every training step).
        if (runningMean is { DType: DType.Float32, IsContiguous: true } && runningVar is { DType: DType.Float32, IsContiguous: true })
        {
            var rm = runningMean.FloatData.AsSpan(runningMean.Offset, runningMean.Count);
            var rv = runningVar.FloatData.AsSpan(runningVar.Offset, runningVar.Count);
            for (int ch = 0; ch < rm.Length; ch++) rm[ch] = (float)(momentum * mean[ch] + (1 - momentum) * rm[ch]);
            for (int ch = 0; ch < rv.Length; ch++) rv[ch] = (float)(momentum * (variance[ch] * count / (count - 1)) + (1 - momentum) * rv[ch]);
            return;
        }
        using var _ = Autograd.NoGrad();
        if (runningMean is not null)
        {
            var rm = runningMean.ToFloatArray();
            for (int ch = 0; ch < rm.Length; ch++) rm[ch] = (float)(momentum * mean[ch] + (1 - momentum) * rm[ch]);
            runningMean.CopyFrom(Tensor.FromArray(rm));
        }
        if (runningVar is not null)
        {
            var rv = runningVar.ToFloatArray();
            for (int ch = 0; ch < rv.Length; ch++)
                rv[ch] = (float)(momentum * (variance[ch] * count / (count - 1)) + (1 - momentum) * rv[ch]);
            runningVar.CopyFrom(Tensor.FromArray(rv));
        }
    }

    /// <summary>
    /// <c>F.layer_norm</c>: normalizes over the trailing dims given by <paramref name="normalizedShape"/> (biased
    /// variance), then scales by <paramref name="weight"/> and shifts by <paramref name="bias"/> (both of that
    /// shape). One fused kernel each way; records "NativeLayerNormBackward".
    /// </summary>
    /// <exception cref="ShapeException">The input's trailing dims, the weight or the bias do not match <paramref name="normalizedShape"/>.</exception>
    public static Tensor LayerNorm(Tensor input, int[] normalizedShape, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        const string op = "LayerNorm";
        if (OpTrace.Recording)
            return OpTrace.Run(op, [input, weight, bias], () => LayerNorm(input, normalizedShape, weight, bias, eps), ("normalizedShape", normalizedShape), ("eps", eps));
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(normalizedShape);
        RequireFloatOrDouble(op, input, "input");
        int rows = LayerNormRows(input.Sizes, normalizedShape, weight, bias, input.DType);
        int d = 1;
        foreach (var size in normalizedShape) d *= size;
        if (input.DType == DType.Float64) return LayerNormFloat64(input, normalizedShape, weight, bias, eps, rows, d);

        var x = input.Detach().Contiguous();
        var w = weight?.Detach().ToFloatArray();
        var b = bias?.Detach().ToFloatArray();
        var mean = new float[rows];
        var invStd = new float[rows];
        var y = Tensor.Uninitialized(DType.Float32, (int[])input.Sizes.Clone());
        LayerNormKernel.Forward(rows, d, x.FloatData, x.Offset, eps, w, b, y.FloatData, mean, invStd);

        bool needX = input.RequiresGrad, needW = weight?.RequiresGrad == true, needB = bias?.RequiresGrad == true;
        if (!(needX || needW || needB) || !Autograd.IsGradEnabled) return y;
        return y.Recorded("NativeLayerNormBackward", new Tensor?[] { input, weight, bias }, g =>
        {
            var gc = g.Contiguous();
            var gradInput = needX ? Tensor.Uninitialized(DType.Float32, (int[])x.Sizes.Clone()) : null;
            var gradWeight = needW ? Tensor.Uninitialized(DType.Float32, (int[])normalizedShape.Clone()) : null;
            var gradBias = needB ? Tensor.Uninitialized(DType.Float32, (int[])normalizedShape.Clone()) : null;
            LayerNormKernel.Backward(rows, d, x.FloatData, x.Offset, gc.FloatData, gc.Offset, mean, invStd, w,
                gradInput?.FloatData, gradWeight?.FloatData, gradBias?.FloatData);
            return new[] { gradInput, gradWeight, gradBias };
        });
    }

    /// <summary>
    /// Checks <see cref="LayerNorm"/>'s operands (the input's trailing dims, the weight's and the bias's shapes against
    /// <paramref name="normalizedShape"/>) and returns the number of rows it normalizes.
    /// </summary>
    internal static int LayerNormRows(int[] input, int[] normalizedShape, Tensor? weight, Tensor? bias, DType dtype = DType.Float32)
    {
        const string op = "LayerNorm";
        int k = normalizedShape.Length;
        bool fits = k > 0 && input.Length >= k;
        for (int i = 0; fits && i < k; i++) fits = input[input.Length - k + i] == normalizedShape[i];
        if (!fits)
            throw new ShapeException(op, $"Given normalized_shape={Rules.Format(normalizedShape)}, expected input with shape [*, {string.Join(", ", normalizedShape)}], but got input of size {Rules.Format(input)}");
        foreach (var (t, name) in new[] { (weight, "weight"), (bias, "bias") })
        {
            if (t is null) continue;
            if (dtype == DType.Float32) RequireFloat(op, t, name);
            else if (t.DType != dtype)
                throw new ArgumentException($"{op}: expected {name} to have the input's dtype {dtype}, got {t.DType} {Rules.Format(t.Sizes)} (input {Rules.Format(input)})", name);
            if (!t.Sizes.AsSpan().SequenceEqual(normalizedShape))
                throw new ShapeException(op, $"{name} of shape {Rules.Format(t.Sizes)} should have normalized_shape {Rules.Format(normalizedShape)} (input {Rules.Format(input)})");
        }
        long d = 1, count = 1;
        foreach (var size in normalizedShape) d *= size;
        foreach (var size in input) count *= size;
        return d == 0 ? 0 : (int)(count / d);
    }

    // ---------------------------------------------------------------- embedding

    /// <summary>
    /// <c>F.embedding</c>: row <c>input[...]</c> of <paramref name="weight"/> [num, dim] for every Int64 index, giving
    /// [..., dim]. Records "EmbeddingBackward" (a scatter-add of the gradient rows; the padding row gets none).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, num).</exception>
    [return: Shape("..., Dim")]
    public static Tensor Embedding([Shape("...")] Tensor input, [Shape("Num, Dim")] Tensor weight, long? paddingIdx = null)
    {
        const string op = "Embedding";
        if (OpTrace.Recording) return OpTrace.Run(op, [input, weight], () => Embedding(input, weight, paddingIdx));
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.DType != DType.Int64)
            throw new ArgumentException($"{op}: expected Int64 indices, got {input.DType} (shape {Rules.Format(input.Sizes)}); convert with ToDType(DType.Int64)", nameof(input));
        RequireFloatOrDouble(op, weight, "weight");
        if (weight.Rank != 2)
            throw new ShapeException(op, $"weight must be 2-D [num_embeddings, embedding_dim], got {Rules.Format(weight.Sizes)}");
        int num = weight.Sizes[0], dim = weight.Sizes[1];
        var index = input.ToInt64Array();
        CheckEmbeddingIndices(index, input.Sizes, weight.Sizes);
        var outShape = new int[input.Rank + 1];
        input.Sizes.CopyTo(outShape, 0);
        outShape[^1] = dim;
        if (weight.DType == DType.Float64) return EmbeddingFloat64(index, outShape, weight, paddingIdx);
        var w = weight.Detach().Contiguous();
        var y = Tensor.Uninitialized(DType.Float32, outShape);
        EmbeddingGradient.Gather(index, w.FloatData, w.Offset, dim, y.FloatData);
        if (!Tensor.MustRecord(weight)) return y;
        return y.Recorded("EmbeddingBackward", new Tensor?[] { weight },
            g => new Tensor?[] { EmbeddingGradient.Backward(g, index, num, dim, paddingIdx) });
    }

    /// <summary>
    /// Refuses an index outside [0, num_embeddings) with <see cref="Embedding"/>'s error; allocates nothing while the
    /// indices are in range (a compiled graph checks every call's indices with it).
    /// </summary>
    internal static void CheckEmbeddingIndices(ReadOnlySpan<long> index, int[] inputSizes, int[] weightSizes)
    {
        foreach (long i in index)
            if ((ulong)i >= (ulong)weightSizes[0])
            {
                RefuseEmbeddingIndices(index, inputSizes, weightSizes);
                return;
            }
    }

    static void RefuseEmbeddingIndices(ReadOnlySpan<long> index, int[] inputSizes, int[] weightSizes) =>
        Tensor.CheckIndices("Embedding", index, weightSizes[0], "input",
            () => $"{weightSizes[0]} embeddings: weight {Rules.Format(weightSizes)}, indices of shape {Rules.Format(inputSizes)}");

    // ---------------------------------------------------------------- losses

    /// <summary>
    /// <c>F.mse_loss</c>: <c>(input - target)²</c> reduced by <paramref name="reduction"/>. Shapes that differ are
    /// broadcast, as PyTorch does after warning that this likely computes the wrong loss ([N, 1] against [N] gives an
    /// [N, N] loss); ShapeSafe prints no warning at run time, and its analyzer reports the mismatch at compile time.
    /// Records "MseLossBackward" (and the expands' backward when broadcasting).
    /// </summary>
    /// <exception cref="ShapeException">The shapes do not broadcast.</exception>
    public static Tensor MseLoss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean)
    {
        const string op = "MSELoss";
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (Autograd.IsAutocastEnabled)
            (input, target) = (Tensor.AutocastFloat32(input), Tensor.AutocastFloat32(target));
        if (!target.Sizes.AsSpan().SequenceEqual(input.Sizes))
        {
            // PyTorch broadcasts the two (torch.broadcast_tensors) after warning that the result is likely wrong; the
            // expands are recorded views, so each gradient sums back over its broadcast dims. The analyzer reports the
            // mismatch at compile time where the shapes are known (docs/layers.md).
            var shape = Rules.Broadcast(input.Sizes, target.Sizes, op);
            return MseLoss(input.Expand(shape), target.Expand(shape), reduction);
        }
        CheckSameShape(op, input, target);
        var x = input.Detach().Contiguous();
        var y = target.Detach().Contiguous();
        int count = x.Count;
        var xs = x.FloatData.AsSpan(x.Offset, count);
        var ys = y.FloatData.AsSpan(y.Offset, count);
        Tensor loss;
        if (reduction == Reduction.None)
        {
            loss = Tensor.Uninitialized(DType.Float32, (int[])input.Sizes.Clone());
            MseLossKernel.Elementwise(xs, ys, loss.FloatData);
        }
        else
        {
            double sum = MseLossKernel.Sum(xs, ys);
            loss = Tensor.Scalar((float)(reduction == Reduction.Mean ? sum / count : sum));
        }

        bool needX = input.RequiresGrad, needY = target.RequiresGrad;
        if (!(needX || needY) || !Autograd.IsGradEnabled) return loss;
        return loss.Recorded("MseLossBackward", new Tensor?[] { input, target }, g =>
        {
            var (scales, scale) = Scales(g, reduction, count);
            var grad = Tensor.Uninitialized(DType.Float32, (int[])x.Sizes.Clone());
            MseLossKernel.Backward(x.FloatData.AsSpan(x.Offset, count), y.FloatData.AsSpan(y.Offset, count), scales, scale, grad.FloatData);
            return new[] { needX ? grad : null, needY ? grad.Neg() : null };
        });
    }

    /// <summary>
    /// <c>F.cross_entropy</c> on logits [N, C] (or [C], or [N, C, d1, ...]) and Int64 class indices [N] ([], [N, d1, ...]),
    /// or class probabilities (a Float32 target of the input's shape, see below):
    /// log-softmax and negative log-likelihood fused into one stable kernel whose backward is
    /// <c>softmax(x) - onehot</c> scaled for the reduction (records "NllLossBackward", as PyTorch's composite does).
    /// Targets equal to <paramref name="ignoreIndex"/> count for nothing; <paramref name="weight"/> weights each
    /// class (the mean divides by the total weight of the counted targets); <paramref name="labelSmoothing"/> mixes
    /// the one-hot target with the uniform distribution. A Float32 target of the input's own shape holds class
    /// probabilities: the loss is <c>-Σ_c w_c·p_c·log_softmax(x)_c</c> (p smoothed the same way), its mean divides by
    /// the number of samples, and it records the composite's ops (the target gets a gradient too).
    /// </summary>
    /// <exception cref="ShapeException">The target's shape does not fit the input's.</exception>
    /// <exception cref="ArgumentException">The target is neither Int64 nor probabilities of the input's shape, a class index is out of range, or ignoreIndex is set with probabilities.</exception>
    public static Tensor CrossEntropy(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100,
        Reduction reduction = Reduction.Mean, double labelSmoothing = 0.0)
    {
        const string op = "CrossEntropyLoss";
        if (labelSmoothing < 0 || labelSmoothing > 1 || double.IsNaN(labelSmoothing))
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, $"{op}: label_smoothing must be between 0.0 and 1.0, got {labelSmoothing}");
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (target.DType == DType.Float32 && target.Sizes.AsSpan().SequenceEqual(input.Sizes))
            return CrossEntropyWithProbabilities(op, input, target, weight, ignoreIndex, reduction, labelSmoothing);
        return ClassLoss(op, input, target, weight, ignoreIndex, reduction, labelSmoothing, logits: true);
    }

    /// <summary>
    /// Cross entropy against class probabilities (a Float32 target of the input's shape), as ATen's
    /// <c>cross_entropy_loss_prob_target</c>: <c>-Σ_c w_c·target_c·log_softmax(input)_c</c> per sample, the target first
    /// smoothed to <c>(1-ε)·target + ε/C</c>; the mean divides by the number of samples (not by weights). Composed of
    /// recorded ops, so the input and the target both get gradients.
    /// </summary>
    static Tensor CrossEntropyWithProbabilities(string op, Tensor input, Tensor target, Tensor? weight, long ignoreIndex,
        Reduction reduction, double labelSmoothing)
    {
        RequireFloat(op, input, "input");
        if (input.Rank == 0)
            throw new ShapeException(op, $"input must be [C], [N, C] or [N, C, d1, ...], got a 0-dim tensor (target {Rules.Format(target.Sizes)})");
        if (ignoreIndex >= 0)
            throw new ArgumentException($"{op}: ignore_index is not supported for floating point target (ignore_index {ignoreIndex}, target {Rules.Format(target.Sizes)})", nameof(ignoreIndex));
        int classDim = input.Rank == 1 ? 0 : 1;
        int classes = input.Sizes[classDim];
        var logProbabilities = input.LogSoftmax(classDim);
        var probabilities = labelSmoothing > 0 ? target * (float)(1 - labelSmoothing) + (float)(labelSmoothing / classes) : target;
        var terms = logProbabilities * probabilities;
        if (weight is not null)
        {
            RequireFloat(op, weight, "weight");
            if (weight.Rank != 1 || weight.Sizes[0] != classes)
                throw new ShapeException(op, $"weight should have one element per class ([{classes}]), got {Rules.Format(weight.Sizes)} (input {Rules.Format(input.Sizes)})");
            var along = new int[input.Rank];
            Array.Fill(along, 1);
            along[classDim] = classes;
            terms = terms * weight.Reshape(along);
        }
        return reduction switch
        {
            Reduction.None => terms.Sum(classDim).Neg(),
            Reduction.Sum => terms.Sum().Neg(),
            _ => terms.Sum().Neg() / (float)(input.NumEl / Math.Max(classes, 1)),
        };
    }

    /// <summary>
    /// <c>F.nll_loss</c> on log-probabilities [N, C] (or [C], or [N, C, d1, ...]) and Int64 class indices: <c>-w[t]·input[t]</c> per
    /// sample, reduced by <paramref name="reduction"/>. Records "NllLossBackward".
    /// </summary>
    /// <exception cref="ShapeException">The target's shape does not fit the input's.</exception>
    /// <exception cref="ArgumentException">The target is not Int64, or a class index is out of range.</exception>
    public static Tensor NllLoss(Tensor input, Tensor target, Tensor? weight = null, long ignoreIndex = -100, Reduction reduction = Reduction.Mean) =>
        ClassLoss("NLLLoss", input, target, weight, ignoreIndex, reduction, 0.0, logits: false);

    static Tensor ClassLoss(string op, Tensor input, Tensor target, Tensor? weight, long ignoreIndex, Reduction reduction, double labelSmoothing, bool logits)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (Autograd.IsAutocastEnabled)
            (input, target) = (Tensor.AutocastFloat32(input), Tensor.AutocastFloat32(target));
        if (Autograd.IsAutocastEnabled && weight is not null) weight = Tensor.AutocastFloat32(weight);
        RequireFloatOrDouble(op, input, "input");
        if (input.Rank == 0)
            throw new ShapeException(op, $"input must be [C], [N, C] or [N, C, d1, ...], got a 0-dim tensor (target {Rules.Format(target.Sizes)})");
        int classDim = input.Rank == 1 ? 0 : 1;
        int classes = input.Sizes[classDim];
        var expected = input.Sizes.Where((_, i) => i != classDim).ToArray();
        if (!target.Sizes.AsSpan().SequenceEqual(expected))
            throw new ShapeException(op, $"Expected target size {Rules.Format(expected)}, got {Rules.Format(target.Sizes)} (input {Rules.Format(input.Sizes)}, classes in dim {classDim})");
        if (target.DType != DType.Int64)
            throw new ArgumentException($"{op}: expected target of dtype Int64 (class indices) for input {Rules.Format(input.Sizes)}, got {target.DType} {Rules.Format(target.Sizes)}", nameof(target));
        if (weight is not null)
        {
            if (input.DType == DType.Float32) RequireFloat(op, weight, "weight");
            if (weight.Rank != 1 || weight.Sizes[0] != classes)
                throw new ShapeException(op, $"weight should have one element per class ([{classes}]), got {Rules.Format(weight.Sizes)} (input {Rules.Format(input.Sizes)})");
        }

        // [N, C, d1, ...]: move the classes last and treat every position as a sample (views and one copy, recorded).
        if (input.Rank > 2)
        {
            var order = new int[input.Rank];
            order[0] = 0;
            for (int i = 2; i < input.Rank; i++) order[i - 1] = i;
            order[^1] = 1;
            var rows = input.Permute(order).Reshape(-1, classes);
            var loss = ClassLoss(op, rows, target.Reshape(-1), weight, ignoreIndex, reduction, labelSmoothing, logits);
            return reduction == Reduction.None ? loss.Reshape(expected) : loss;
        }

        if (input.DType == DType.Float64)
            return ClassLossFloat64(op, input, target, weight, ignoreIndex, reduction, labelSmoothing, logits, expected);
        int n = input.Rank == 1 ? 1 : input.Sizes[0];
        var x = input.Detach().Contiguous();
        var t = target.Contiguous();
        var w = weight?.Detach().ToFloatArray();
        var rowLoss = new float[n];
        var rowMax = logits ? new float[n] : null;
        var rowLogSum = logits ? new float[n] : null;
        double divisor = logits
            ? CrossEntropyKernel.Forward(n, classes, x.FloatData, x.Offset, t.LongData, t.Offset, w, ignoreIndex, (float)labelSmoothing, rowLoss, rowMax!, rowLogSum!, op)
            : NllLossKernel.Forward(n, classes, x.FloatData, x.Offset, t.LongData, t.Offset, w, ignoreIndex, rowLoss, op);

        Tensor result = reduction switch
        {
            // Reshape, not FromArray's shape: an unbatched [C] input gives a 0-dim loss, which FromArray would make [1].
            Reduction.None => Tensor.FromArray(rowLoss).Reshape(expected),
            Reduction.Sum => Tensor.Scalar((float)SumInOrder(rowLoss)),
            _ => Tensor.Scalar((float)(SumInOrder(rowLoss) / divisor)),
        };
        if (!Tensor.MustRecord(input)) return result;
        return result.Recorded("NllLossBackward", new Tensor?[] { input }, g =>
        {
            var gc = g.Contiguous();
            float[]? scales = reduction == Reduction.None ? gc.FloatData : null;
            float scale = reduction == Reduction.None ? 0f : reduction == Reduction.Sum ? gc.Item() : (float)(gc.Item() / divisor);
            var grad = Tensor.BackwardGradient((int[])x.Sizes.Clone());
            if (logits)
                CrossEntropyKernel.Backward(n, classes, x.FloatData, x.Offset, t.LongData, t.Offset, w, ignoreIndex, (float)labelSmoothing, rowMax!, rowLogSum!,
                    scales, gc.Offset, scale, grad.FloatData, 0);
            else
                NllLossKernel.Backward(n, classes, t.LongData, t.Offset, w, ignoreIndex, scales, gc.Offset, scale, grad.FloatData, 0);
            return new Tensor?[] { grad };
        });
    }

    /// <summary>
    /// <c>F.binary_cross_entropy</c> on probabilities in [0, 1]: <c>-w·(y·log p + (1-y)·log(1-p))</c>, each log
    /// clamped at -100 as PyTorch does. <paramref name="weight"/> broadcasts to the input. Records "BinaryCrossEntropyBackward".
    /// </summary>
    /// <exception cref="ShapeException">The target's shape differs from the input's, or the weight does not broadcast to it.</exception>
    /// <exception cref="ArgumentException">Some input is outside [0, 1].</exception>
    public static Tensor BinaryCrossEntropy(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean) =>
        BinaryLoss("BCELoss", input, target, weight, null, reduction, logits: false);

    /// <summary>
    /// <c>F.binary_cross_entropy_with_logits</c>: sigmoid and binary cross entropy fused, stable for any logit
    /// (<c>max(x, 0) - x·y + log(1 + e^-|x|)</c>). <paramref name="posWeight"/> (broadcast to the input, typically
    /// [C]) weights the positive term; <paramref name="weight"/> each element. Records "BinaryCrossEntropyWithLogitsBackward".
    /// </summary>
    /// <exception cref="ShapeException">The target's shape differs from the input's, or a weight does not broadcast to it.</exception>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor input, Tensor target, Tensor? weight = null, Reduction reduction = Reduction.Mean,
        Tensor? posWeight = null) =>
        BinaryLoss("BCEWithLogitsLoss", input, target, weight, posWeight, reduction, logits: true);

    static Tensor BinaryLoss(string op, Tensor input, Tensor target, Tensor? weight, Tensor? posWeight, Reduction reduction, bool logits)
    {
        if (Autograd.IsAutocastEnabled)
        {
            (input, target) = (Tensor.AutocastFloat32(input), Tensor.AutocastFloat32(target));
            if (weight is not null) weight = Tensor.AutocastFloat32(weight);
            if (posWeight is not null) posWeight = Tensor.AutocastFloat32(posWeight);
        }
        CheckSameShape(op, input, target);
        var x = input.Detach().Contiguous();
        var y = target.Detach().Contiguous();
        var w = Broadcast(op, weight, "weight", input);
        var pw = Broadcast(op, posWeight, "pos_weight", input);
        int count = x.Count;
        var perElement = new float[count];
        if (logits)
            BinaryCrossEntropyKernel.ForwardWithLogits(x.FloatData.AsSpan(x.Offset, count), y.FloatData.AsSpan(y.Offset, count), w, pw, perElement);
        else
            BinaryCrossEntropyKernel.Forward(x.FloatData.AsSpan(x.Offset, count), y.FloatData.AsSpan(y.Offset, count), w, perElement, op);
        var result = Reduce(perElement, input.Sizes, reduction);

        bool needX = input.RequiresGrad, needY = target.RequiresGrad;
        if (!(needX || needY) || !Autograd.IsGradEnabled) return result;
        return result.Recorded(logits ? "BinaryCrossEntropyWithLogitsBackward" : "BinaryCrossEntropyBackward", new Tensor?[] { input, target }, g =>
        {
            var (scales, scale) = Scales(g, reduction, count);
            var gradX = needX ? Tensor.Uninitialized(DType.Float32, (int[])x.Sizes.Clone()) : null;
            var gradY = needY ? Tensor.Uninitialized(DType.Float32, (int[])x.Sizes.Clone()) : null;
            var xs = x.FloatData.AsSpan(x.Offset, count);
            var ys = y.FloatData.AsSpan(y.Offset, count);
            var gx = gradX is null ? Span<float>.Empty : gradX.FloatData.AsSpan();
            var gy = gradY is null ? Span<float>.Empty : gradY.FloatData.AsSpan();
            if (logits) BinaryCrossEntropyKernel.BackwardWithLogits(xs, ys, w, pw, scales, scale, gx, gy);
            else BinaryCrossEntropyKernel.Backward(xs, ys, w, scales, scale, gx, gy);
            return new[] { gradX, gradY };
        });
    }

    // ---------------------------------------------------------------- helpers

    static Tensor Reduce(float[] perElement, int[] shape, Reduction reduction) => reduction switch
    {
        Reduction.None => Tensor.FromArray(perElement).Reshape(shape), // a 0-dim input keeps its 0-dim loss
        Reduction.Sum => Tensor.Scalar((float)SumInOrder(perElement)),
        _ => Tensor.Scalar((float)(SumInOrder(perElement) / perElement.Length)),
    };

    // A double sum in index order: reproducible, and exact enough that float rounding happens once.
    static double SumInOrder(float[] values)
    {
        double sum = 0;
        foreach (var v in values) sum += v;
        return sum;
    }

    /// <summary>The backward's scaling: the upstream gradient per element for "none", else one scale (1/count for the mean).</summary>
    static (float[] Scales, float Scale) Scales(Tensor g, Reduction reduction, int count)
    {
        var gc = g.Contiguous();
        if (reduction == Reduction.None)
            return (gc.Offset == 0 && gc.FloatData.Length == count ? gc.FloatData : gc.ToFloatArray(), 0f);
        float upstream = gc.Item();
        return (Array.Empty<float>(), reduction == Reduction.Sum ? upstream : (float)(upstream / (double)count));
    }

    /// <summary>An optional per-element weight broadcast to the input's shape, as a contiguous array (empty when absent).</summary>
    static float[] Broadcast(string op, Tensor? weight, string name, Tensor input)
    {
        if (weight is null) return Array.Empty<float>();
        RequireFloat(op, weight, name);
        int[]? shape;
        try
        {
            shape = Rules.Broadcast(weight.Sizes, input.Sizes, op);
        }
        catch (ShapeException)
        {
            shape = null;
        }
        if (shape is null || !shape.AsSpan().SequenceEqual(input.Sizes))
            throw new ShapeException(op, $"{name} of shape {Rules.Format(weight.Sizes)} must broadcast to the input's shape {Rules.Format(input.Sizes)}");
        return weight.Detach().BroadcastTo((int[])input.Sizes.Clone()).ToFloatArray();
    }

    static void CheckSameShape(string op, Tensor input, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(target);
        if (!target.Sizes.AsSpan().SequenceEqual(input.Sizes))
            throw new ShapeException(op, $"Expected target size {Rules.Format(input.Sizes)} (the input's size), got {Rules.Format(target.Sizes)}; broadcasting them would compute a different loss");
        RequireFloat(op, input, "input");
        RequireFloat(op, target, "target");
    }

    /// <summary>For the ops with a Float64 path as well (the GPT's layers): refuses any other dtype, naming both.</summary>
    static void RequireFloatOrDouble(string op, Tensor t, string name)
    {
        if (t.DType is not (DType.Float32 or DType.Float64))
            throw new ArgumentException($"{op}: expected a Float32 or Float64 {name}, got {t.DType} {Rules.Format(t.Sizes)}; convert with ToDType(DType.Float32) or ToDType(DType.Float64)", name);
    }

    static void RequireFloat(string op, Tensor t, string name)
    {
        if (t.DType != DType.Float32)
            throw new ArgumentException($"{op}: expected a Float32 {name}, got {t.DType} {Rules.Format(t.Sizes)}; convert with ToDType(DType.Float32)", name);
    }

    internal static void CheckProbability(string op, double p)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"{op}: dropout probability has to be between 0 and 1, but got {p}");
    }
}
