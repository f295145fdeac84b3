using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Padding;
using ShapeSafe.Tracing;

namespace ShapeSafe.NN;

// Padding in PyTorch's four modes.
public static partial class F
{
    /// <summary>
    /// <c>F.pad</c>: pads the trailing dims by <paramref name="pad"/>, (left, right) pairs starting from the last dim,
    /// so <c>[1, 2]</c> pads the last dim and <c>[1, 1, 2, 2]</c> the last two. Modes: <c>"constant"</c> (fill with
    /// <paramref name="value"/>; negative padding crops), <c>"reflect"</c> (mirror without repeating the edge),
    /// <c>"replicate"</c> (repeat the edge) and <c>"circular"</c> (wrap around). The non-constant modes pad 1 to 3
    /// trailing dims of an input with one or two more dims, as PyTorch requires.
    /// </summary>
    /// <exception cref="ShapeException">The padding does not fit the input (see the Pad rule).</exception>
    [ShapeContract("Pad")]
    public static Tensor Pad(Tensor input, int[] pad, string mode = "constant", double value = 0)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(pad);
        if (OpTrace.Recording) return OpTrace.Run("Pad", [input], () => Pad(input, pad, mode, value), ("pad", pad), ("mode", mode), ("value", value));
        var outShape = Rules.Pad(input.Sizes, pad, mode);
        if (mode != "constant" && value != 0)
            throw new ArgumentException($"Pad: Padding mode \"{mode}\" doesn't take in value argument (input {Rules.Format(input.Sizes)})", nameof(value));
        var kernel = PadKernel.Create(input.Sizes, outShape, pad, mode);
        var x = input.Detach().Contiguous();
        var result = Tensor.Uninitialized(input.DType, outShape);
        if (input.DType == DType.Float32) kernel.Forward(x.FloatData, x.Offset, (float)value, result.FloatData);
        else if (input.DType == DType.Float64) kernel.Forward(x.DoubleData, x.Offset, value, result.DoubleData);
        else kernel.Forward(x.LongData, x.Offset, (long)value, result.LongData);
        if (!Tensor.MustRecord(input)) return result;
        var sizes = (int[])input.Sizes.Clone();
        // PyTorch's node names: ReflectionPad2DBackward for two padded dims, and so on.
        int dims = pad.Length / 2;
        string name = mode switch
        {
            "reflect" => $"ReflectionPad{dims}DBackward",
            "replicate" => $"ReplicationPad{dims}DBackward",
            "circular" => "CircularPadBackward",
            _ => "ConstantPadNdBackward",
        };
        if (input.DType == DType.Float64)
            return result.Recorded(name, new Tensor?[] { input }, g => new Tensor?[] { PadGradientFloat64(g, sizes, kernel) });
        return result.Recorded(name, new Tensor?[] { input }, g => new Tensor?[] { PaddingGradient.Pad(g, sizes, kernel) });
    }
}
