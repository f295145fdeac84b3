using System.Globalization;

namespace ShapeSafe.Training;

/// <summary>
/// Stops training when <paramref name="monitor"/> has not improved by more than <paramref name="minDelta"/> for
/// <paramref name="patience"/> epochs in a row. Its counters are kept in checkpoints, so a resumed run stops where the
/// uninterrupted one would.
/// </summary>
/// <param name="monitor">The figure watched, such as <c>valid_loss</c> or <c>valid_accuracy</c>.</param>
/// <param name="patience">Epochs without improvement before stopping.</param>
/// <param name="minDelta">How much better than the best a value must be to count as an improvement.</param>
/// <param name="maximize">Whether larger is better.</param>
public sealed class EarlyStopping(string monitor = "valid_loss", int patience = 3, double minDelta = 0, bool maximize = false) : TrainerCallback
{
    /// <summary>The best value seen (NaN before the first epoch).</summary>
    public double Best { get; private set; } = double.NaN;

    /// <summary>Epochs in a row without improvement.</summary>
    public int BadEpochs { get; private set; }

    /// <summary>The epoch at which it stopped training, or null.</summary>
    public int? StoppedEpoch { get; private set; }

    /// <inheritdoc/>
    public override void OnEpochEnd(Trainer trainer, EpochMetrics metrics)
    {
        double value = metrics[monitor];
        bool better = double.IsNaN(Best) || (maximize ? value > Best + minDelta : value < Best - minDelta);
        if (better)
        {
            Best = value;
            BadEpochs = 0;
            return;
        }
        if (++BadEpochs >= patience)
        {
            StoppedEpoch = metrics.Epoch;
            trainer.StopRequested = true;
            if (trainer.IsMainProcess && trainer.Options.Progress != ProgressMode.None)
                Console.WriteLine($"early stopping: {monitor} has not improved for {BadEpochs} epochs (best {Best.ToString("G6", CultureInfo.InvariantCulture)})");
        }
    }

    /// <inheritdoc/>
    public override IReadOnlyDictionary<string, string>? StateDict() => new Dictionary<string, string>
    {
        ["best"] = Best.ToString("R", CultureInfo.InvariantCulture),
        ["bad_epochs"] = BadEpochs.ToString(CultureInfo.InvariantCulture),
    };

    /// <inheritdoc/>
    public override void LoadStateDict(IReadOnlyDictionary<string, string> state)
    {
        Best = double.Parse(state["best"], CultureInfo.InvariantCulture);
        BadEpochs = int.Parse(state["bad_epochs"], CultureInfo.InvariantCulture);
    }
}
