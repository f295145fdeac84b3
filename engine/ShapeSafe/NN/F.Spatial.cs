using ShapeSafe.Kernels.Dropout;
using ShapeSafe.Tracing;

namespace ShapeSafe.NN;

// Channel-wise dropout (through Dropout's mask path, F.cs) and pixel shuffle (views and a reshape, so its gradient is
// those ops' gradients).
public static partial class F
{
    /// <summary>
    /// <c>F.dropout2d</c> (ATen's <c>feature_dropout</c>): in training, zeroes whole channels of [N, C, *] with
    /// probability <paramref name="p"/> and scales the rest by <c>1 / (1 - p)</c>. The mask is [N, C, 1, ...],
    /// drawn as LibTorch draws it (<c>bernoulli_(1 - p)</c> then <c>div_(1 - p)</c>, one draw per channel in order),
    /// so a seeded generator drops PyTorch's channels. A 3-D input is read as [N, C, L], as PyTorch 2 does.
    /// Not training, p = 0 or an empty input return <paramref name="input"/> itself.
    /// </summary>
    /// <exception cref="ShapeException">The input has fewer than 2 dims.</exception>
    [ShapeContract("SameShape")]
    public static Tensor Dropout2d(Tensor input, double p = 0.5, bool training = true, Generator? generator = null) =>
        DropoutCore(input, p, training, generator, channels: true, "Dropout2d");

    /// <summary>
    /// <c>F.pixel_shuffle</c>: [*, C·r², H, W] → [*, C, H·r, W·r], each group of r² channels spread over an r × r
    /// block (sub-pixel convolution's upsampling): output[c, h·r + i, w·r + j] = input[c·r² + i·r + j, h, w].
    /// </summary>
    /// <exception cref="ShapeException">The input has fewer than 3 dims, or its channels do not divide by r².</exception>
    [ShapeContract("PixelShuffle")]
    public static Tensor PixelShuffle(Tensor input, int upscaleFactor)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (OpTrace.Recording) return OpTrace.Run("PixelShuffle", [input], () => PixelShuffle(input, upscaleFactor), ("upscaleFactor", upscaleFactor));
        var outShape = Rules.PixelShuffle(input.Sizes, upscaleFactor);
        int lead = input.Rank - 3, r = upscaleFactor;
        int channels = outShape[lead], h = input.Sizes[^2], w = input.Sizes[^1];
        // [*, C, r, r, H, W] → [*, C, H, r, W, r] → [*, C, H·r, W·r].
        var split = new int[lead + 5];
        var order = new int[lead + 5];
        for (int i = 0; i < lead; i++)
        {
            split[i] = input.Sizes[i];
            order[i] = i;
        }
        split[lead] = channels;
        split[lead + 1] = r;
        split[lead + 2] = r;
        split[lead + 3] = h;
        split[lead + 4] = w;
        order[lead] = lead;
        order[lead + 1] = lead + 3;
        order[lead + 2] = lead + 1;
        order[lead + 3] = lead + 4;
        order[lead + 4] = lead + 2;
        return input.Reshape(split).Permute(order).Reshape(outShape);
    }
}
