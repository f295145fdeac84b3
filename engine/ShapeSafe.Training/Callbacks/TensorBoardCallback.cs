using System.Globalization;
using ShapeSafe.Tensorboard;

namespace ShapeSafe.Training;

/// <summary>
/// Logs training to TensorBoard: the loss and learning rate every <paramref name="logEverySteps"/> optimizer steps
/// (<c>train/loss_step</c>, <c>train/lr</c>), every epoch figure per epoch (<c>epoch/{name}</c>), and with
/// <paramref name="histograms"/> each parameter's values per epoch. One run folder
/// <c>{runsDirectory}/{time}_{hostname}</c> per fit; flushed after every epoch so TensorBoard follows along.
/// </summary>
public sealed class TensorBoardCallback(string runsDirectory, int logEverySteps = 10, bool histograms = true) : TrainerCallback
{
    SummaryWriter? _writer;
    long _lastLogged = -1;

    /// <summary>The writer of the current fit (null outside one, and on processes other than rank 0).</summary>
    public SummaryWriter? Writer => _writer;

    /// <inheritdoc/>
    public override void RunAround(Trainer trainer, Action fit)
    {
        // The file is closed even when training throws (OnFitEnd is not reached then).
        try
        {
            fit();
        }
        finally
        {
            _writer?.Dispose();
            _writer = null;
        }
    }

    /// <inheritdoc/>
    public override void OnFitBegin(Trainer trainer)
    {
        if (!trainer.IsMainProcess) return;
        string run = DateTime.Now.ToString("MMMdd_HH-mm-ss", CultureInfo.InvariantCulture) + "_" + Environment.MachineName;
        _writer = new SummaryWriter(Path.Combine(runsDirectory, run), flushSeconds: 30);
    }

    /// <inheritdoc/>
    public override void OnStepEnd(Trainer trainer, StepMetrics metrics)
    {
        if (_writer is null || metrics.Step == _lastLogged || metrics.Step % logEverySteps != 0) return;
        _lastLogged = metrics.Step;
        _writer.AddScalar("train/loss_step", metrics.Loss, metrics.Step);
        _writer.AddScalar("train/lr", metrics.LearningRate, metrics.Step);
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(Trainer trainer, EpochMetrics metrics)
    {
        if (_writer is null) return;
        foreach (var (name, value) in metrics.Values)
            _writer.AddScalar("epoch/" + name, value, metrics.Epoch);
        if (histograms)
            foreach (var (name, p) in trainer.Model.NamedParameters())
                _writer.AddHistogram(name, p.Detach(), metrics.Epoch);
        _writer.Flush();
    }

    /// <inheritdoc/>
    public override void OnFitEnd(Trainer trainer, IReadOnlyList<EpochMetrics> history)
    {
        _writer?.Dispose();
        _writer = null;
    }
}
