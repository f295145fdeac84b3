namespace ShapeSafe.NN;

/// <summary>
/// Dropout (<c>nn.Dropout</c>): in training, zeroes each element with probability p and scales the others by
/// <c>1 / (1 - p)</c>; in eval, returns its input unchanged. The mask is drawn as LibTorch's CPU kernel draws it,
/// so a seeded generator reproduces PyTorch's mask. The computation is <see cref="F.Dropout"/>.
/// </summary>
public class Dropout : DropoutNd
{
    /// <summary>Creates the layer.</summary>
    /// <param name="p">The probability of zeroing an element, in [0, 1].</param>
    /// <param name="generator">The generator masks are drawn from (the default generator when null).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    public Dropout(double p = 0.5, Generator? generator = null)
        : base(p, generator)
    {
    }

    /// <summary>Drops out elements of <paramref name="input"/> in training; the identity in eval.</summary>
    [ShapeContract("SameShape")]
    public override Tensor Forward(Tensor input) => F.Dropout(input, P, Training, Generator);
}
