using System.Numerics;
using System.Runtime.InteropServices;

namespace ShapeSafe.Kernels.Dropout;

/// <summary>
/// The backward of <c>dropout(relu(x))</c> in one pass: <c>d = y &lt;= 0 ? 0 : g·mask</c>, with y the ReLU's output
/// and mask dropout's (0 or 1 / (1 - p)). The two backwards one after the other (dropout's product, then ReLU's
/// <c>threshold_backward</c>) give the same floats: the one product is the same, and the select only keeps or zeroes it.
/// </summary>
internal static class DropoutReluGradient
{
    /// <summary>destination = relu'(<paramref name="result"/>) · (<paramref name="grad"/> · <paramref name="mask"/>); may run in place on the gradient.</summary>
    public static void Backward(ReadOnlySpan<float> grad, ReadOnlySpan<float> mask, ReadOnlySpan<float> result, Span<float> destination)
    {
        if (grad.Length != destination.Length || mask.Length < destination.Length || result.Length != destination.Length)
            throw new ArgumentException($"DropoutReluGradient: gradient of {grad.Length}, mask of {mask.Length} and ReLU output of {result.Length} elements for a destination of {destination.Length}");
        ref float g = ref MemoryMarshal.GetReference(grad);
        ref float m = ref MemoryMarshal.GetReference(mask);
        ref float y = ref MemoryMarshal.GetReference(result);
        ref float d = ref MemoryMarshal.GetReference(destination);
        int i = 0, n = destination.Length;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= n - Vector<float>.Count; i += Vector<float>.Count)
            {
                var product = Vector.LoadUnsafe(ref g, (nuint)i) * Vector.LoadUnsafe(ref m, (nuint)i);
                var dead = Vector.LessThanOrEqual(Vector.LoadUnsafe(ref y, (nuint)i), Vector<float>.Zero);
                Vector.ConditionalSelect(dead, Vector<float>.Zero, product).StoreUnsafe(ref d, (nuint)i);
            }
        }
        for (; i < n; i++) destination[i] = result[i] <= 0f ? 0f : grad[i] * mask[i];
    }
}
