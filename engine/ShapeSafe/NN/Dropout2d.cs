namespace ShapeSafe.NN;

/// <summary>
/// Channel-wise dropout (<c>nn.Dropout2d</c>): in training, zeroes entire channels of [N, C, H, W] with probability
/// p and scales the others by <c>1 / (1 - p)</c>; in eval, the identity. The computation is <see cref="F.Dropout2d"/>.
/// </summary>
public class Dropout2d : DropoutNd
{
    /// <summary>Creates the layer.</summary>
    /// <param name="p">The probability of zeroing a channel, in [0, 1].</param>
    /// <param name="generator">The generator masks are drawn from (the default generator when null).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public Dropout2d(double p = 0.5, Generator? generator = null)
        : base(p, generator)
    {
    }

    /// <summary>Drops out channels of <paramref name="input"/> in training; the identity in eval.</summary>
    [ShapeContract("SameShape")]
    public override Tensor Forward(Tensor input) => F.Dropout2d(input, P, Training, Generator);
}
