namespace ShapeSafe.Optim;

/// <summary>
/// Multiplies each group's learning rate by <see cref="Gamma"/> every <see cref="StepSize"/> epochs
/// (<c>torch.optim.lr_scheduler.StepLR</c>), chainably: at a non-zero multiple of the step size the current
/// learning rate is multiplied, at other epochs it is kept.
/// </summary>
public sealed class StepLR : LRScheduler
{
    /// <summary>Attaches to <paramref name="optimizer"/> and takes the initial step (epoch 0, learning rates unchanged).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stepSize"/> is not positive (PyTorch fails later, dividing by zero).</exception>
    public StepLR(Optimizer optimizer, int stepSize, double gamma = 0.1)
        : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(stepSize, 1);
        StepSize = stepSize;
        Gamma = gamma;
        InitialStep();
    }

    /// <summary>The period of decay in epochs (<c>step_size</c>).</summary>
    public int StepSize { get; private set; }

    /// <summary>The multiplicative factor of decay (<c>gamma</c>).</summary>
    public double Gamma { get; private set; }

    private protected override double[] GetLr()
    {
        var lrs = CurrentLrs();
        if (LastEpoch == 0 || LastEpoch % StepSize != 0) return lrs;
        for (int i = 0; i < lrs.Length; i++) lrs[i] *= Gamma;
        return lrs;
    }

    private protected override void WriteSettings(Dictionary<string, string> state)
    {
        state["step_size"] = StepSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        state["gamma"] = FormatDouble(Gamma);
    }

    private protected override Action ReadSettings(IReadOnlyDictionary<string, string> state, List<string> errors)
    {
        int? stepSize = ReadInt(state, "step_size", errors);
        double gamma = ReadDouble(state, "gamma", errors);
        if (stepSize < 1) errors.Add($"'step_size' must be positive, got {stepSize}.");
        return () => (StepSize, Gamma) = (stepSize!.Value, gamma);
    }
}
