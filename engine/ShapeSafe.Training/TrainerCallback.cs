namespace ShapeSafe.Training;

/// <summary>
/// Hooks into <see cref="Trainer.Fit"/>: the progress bar, the CSV, plot and TensorBoard loggers and early stopping
/// are callbacks like any a user writes. Callbacks run on every process; those that print or write files do so only
/// when <see cref="Trainer.IsMainProcess"/>.
/// </summary>
public abstract class TrainerCallback
{
    /// <summary>
    /// Runs <paramref name="fit"/>, the whole training run; a callback that needs a scope around it (a live progress
    /// display) overrides this. The default just calls it.
    /// </summary>
    public virtual void RunAround(Trainer trainer, Action fit) => fit();

    /// <summary>Before the first epoch of this call to <see cref="Trainer.Fit"/> (after any resume).</summary>
    public virtual void OnFitBegin(Trainer trainer) { }

    /// <summary>Before an epoch's first batch; <paramref name="batches"/> is the loader's count.</summary>
    public virtual void OnEpochBegin(Trainer trainer, int epoch, int batches) { }

    /// <summary>Before a training batch runs.</summary>
    public virtual void OnStepBegin(Trainer trainer, int epoch, int batch) { }

    /// <summary>After a training batch ran (and, at the end of an accumulation group, after the optimizer step).</summary>
    public virtual void OnStepEnd(Trainer trainer, StepMetrics metrics) { }

    /// <summary>
    /// After an epoch's training and validation passes, before its checkpoint is written (so a callback's
    /// <see cref="StateDict"/> taken here is the one saved). Set <see cref="Trainer.StopRequested"/> to stop.
    /// </summary>
    public virtual void OnEpochEnd(Trainer trainer, EpochMetrics metrics) { }

    /// <summary>After the last epoch, with every epoch's metrics (resumed ones included).</summary>
    public virtual void OnFitEnd(Trainer trainer, IReadOnlyList<EpochMetrics> history) { }

    /// <summary>State to keep in checkpoints (for example early stopping's counters), or null for none.</summary>
    public virtual IReadOnlyDictionary<string, string>? StateDict() => null;

    /// <summary>Restores what <see cref="StateDict"/> returned, when a run resumes.</summary>
    public virtual void LoadStateDict(IReadOnlyDictionary<string, string> state) { }
}
