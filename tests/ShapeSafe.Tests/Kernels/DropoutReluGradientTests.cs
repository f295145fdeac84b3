using System.Numerics.Tensors;
using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Dropout;

namespace ShapeSafe.Tests.Kernels;

/// <summary>
/// The one-pass backward of dropout after ReLU (<see cref="DropoutReluGradient"/>) against the two passes it replaces,
/// dropout's product and then ReLU's threshold_backward: bitwise the same floats, zeros, NaN and the tail included.
/// </summary>
public class DropoutReluGradientTests
{
    [Theory]
    [InlineData(512 * 1024)] // a transformer's hidden [512, 1024]
    [InlineData(37)]         // a tail shorter than one vector after a few vectors
    [InlineData(3)]
    public void Matches_dropout_then_relu_backward_bitwise(int n)
    {
        var rng = new System.Random(11);
        var grad = new float[n];
        var mask = new float[n];
        var result = new float[n];
        for (int i = 0; i < n; i++)
        {
            grad[i] = (float)(rng.NextDouble() * 4 - 2);
            mask[i] = rng.NextDouble() < 0.1 ? 0f : 1f / 0.9f;
            // The ReLU's output: zeros (a dead unit), positives, and the odd NaN, which passes the gradient on.
            result[i] = (i % 5) switch { 0 => 0f, 1 => float.NaN, _ => (float)rng.NextDouble() * (i % 3 == 0 ? -1 : 1) };
        }
        if (n > 2) grad[2] = float.PositiveInfinity;

        var expected = new float[n];
        TensorPrimitives.Multiply(grad, mask, expected);
        ElementwiseGradient.ReluBackward(expected, result, expected);

        var separate = new float[n];
        DropoutReluGradient.Backward(grad, mask, result, separate);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), separate.Select(BitConverter.SingleToInt32Bits));

        // In place on the gradient, as the encoder layer's backward runs it.
        var inPlace = (float[])grad.Clone();
        DropoutReluGradient.Backward(inPlace, mask, result, inPlace);
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), inPlace.Select(BitConverter.SingleToInt32Bits));
        Assert.Contains(expected, v => v == 0f);
        Assert.Contains(expected, v => v != 0f);
    }

    [Fact]
    public void Refuses_operands_of_other_lengths()
    {
        var ex = Assert.Throws<ArgumentException>(() => DropoutReluGradient.Backward(new float[8], new float[8], new float[7], new float[8]));
        Assert.Contains("DropoutReluGradient", ex.Message);
        Assert.Contains("ReLU output of 7", ex.Message);
    }
}
