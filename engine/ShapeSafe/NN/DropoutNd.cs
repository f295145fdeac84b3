namespace ShapeSafe.NN;

/// <summary>
/// What <see cref="Dropout"/> and <see cref="Dropout2d"/> share (PyTorch's <c>_DropoutNd</c>): the probability and
/// its check, the generator masks are drawn from, and the printed form. Each subclass's <c>Forward</c> calls its
/// function (<see cref="F.Dropout"/>, <see cref="F.Dropout2d"/>), which share one mask path.
/// </summary>
public abstract class DropoutNd : Module, ITensorModule
{
    /// <summary>Checks <paramref name="p"/> against [0, 1].</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is outside [0, 1].</exception>
    private protected DropoutNd(double p, Generator? generator)
    {
        F.CheckProbability(GetName(), p);
        P = p;
        Generator = generator;
    }

    /// <summary>The probability of zeroing an element (or a channel).</summary>
    public double P { get; }

    /// <summary>The generator masks are drawn from (the default generator when null).</summary>
    internal Generator? Generator { get; }

    /// <summary>Drops out parts of <paramref name="input"/> in training; the identity in eval.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"p={PythonRepr.Float(P)}, inplace=False";
}
