using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Elementwise;
using ShapeSafe.Tracing;

namespace ShapeSafe.NN;

// Activations of newer architectures (EfficientNet, YOLO, MobileNetV3): one element-wise kernel forward, one node
// whose backward is in Gradients/ActivationGradient.cs.
public static partial class F
{
    /// <summary>SiLU (swish), <c>x·σ(x)</c> (<c>F.silu</c>); records "SiluBackward".</summary>
    [ShapeContract("SameShape")]
    public static Tensor Silu(Tensor input) => OpTrace.Recording ? OpTrace.Run("Silu", [input], () => Silu(input)) :
        Activation(input, "Silu", ElementwiseKernel.Unary<float, SiluOp>(FloatInput(input, "Silu"), default), ActivationGradient.Silu);

    /// <summary>Mish, <c>x·tanh(softplus(x))</c> (<c>F.mish</c>); records "MishBackward".</summary>
    [ShapeContract("SameShape")]
    public static Tensor Mish(Tensor input) => OpTrace.Recording ? OpTrace.Run("Mish", [input], () => Mish(input)) :
        Activation(input, "Mish", ElementwiseKernel.Unary<float, MishOp>(FloatInput(input, "Mish"), default), ActivationGradient.Mish);

    /// <summary>
    /// Softplus, <c>log(1 + e^(βx)) / β</c> (<c>F.softplus</c>), reverting to x where <c>βx &gt; threshold</c>;
    /// records "SoftplusBackward".
    /// </summary>
    [ShapeContract("SameShape")]
    public static Tensor Softplus(Tensor input, double beta = 1.0, double threshold = 20.0)
    {
        if (OpTrace.Recording) return OpTrace.Run("Softplus", [input], () => Softplus(input, beta, threshold), ("beta", beta), ("threshold", threshold));
        float b = (float)beta, t = (float)threshold;
        var result = ElementwiseKernel.Unary<float, SoftplusOp>(FloatInput(input, "Softplus"), new SoftplusOp(b, t));
        return Activation(input, "Softplus", result, (g, x) => ActivationGradient.Softplus(g, x, b, t));
    }

    /// <summary>Hardswish, <c>x·relu6(x + 3) / 6</c> (<c>F.hardswish</c>); records "HardswishBackward".</summary>
    [ShapeContract("SameShape")]
    public static Tensor Hardswish(Tensor input) => OpTrace.Recording ? OpTrace.Run("Hardswish", [input], () => Hardswish(input)) :
        Activation(input, "Hardswish", ElementwiseKernel.Unary<float, HardswishOp>(FloatInput(input, "Hardswish"), default), ActivationGradient.Hardswish);

    static Tensor FloatInput(Tensor input, string op)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.DType == DType.Int64)
            throw new ArgumentException($"{op}: not implemented for Int64 (PyTorch raises \"not implemented for 'Long'\") (shape {Rules.Format(input.Sizes)})", nameof(input));
        if (input.DType != DType.Float32)
            throw new ArgumentException($"{op}: not implemented for {input.DType} here (only Float32); convert with ToDType(DType.Float32) first (shape {Rules.Format(input.Sizes)})", nameof(input));
        return input.RequiresGrad ? input.Detach() : input;
    }

    static Tensor Activation(Tensor input, string op, Tensor result, Func<Tensor, Tensor, Tensor> gradient)
    {
        if (!Tensor.MustRecord(input)) return result;
        var saved = input.Detach();
        return result.Recorded(op + "Backward", new Tensor?[] { input }, g => new Tensor?[] { gradient(g, saved) });
    }
}
