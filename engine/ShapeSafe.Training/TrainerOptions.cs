using ShapeSafe.NN;
using ShapeSafe.Optim;

namespace ShapeSafe.Training;

/// <summary>When the trainer steps the learning-rate scheduler.</summary>
public enum SchedulerInterval
{
    /// <summary>Once after every epoch (PyTorch's usual <c>scheduler.step()</c> after the epoch loop body).</summary>
    Epoch,

    /// <summary>After every optimizer step.</summary>
    Step,
}

/// <summary>How the trainer reports progress on the console.</summary>
public enum ProgressMode
{
    /// <summary>A live bar on an interactive terminal; plain lines when output is redirected or <c>CI</c> is set.</summary>
    Auto,

    /// <summary>Always the live bar.</summary>
    Bar,

    /// <summary>Always plain log lines.</summary>
    Plain,

    /// <summary>Nothing on the console.</summary>
    None,
}

/// <summary>Settings of a <see cref="Trainer"/>. Every one has a default, so <c>new TrainerOptions()</c> trains one epoch quietly in memory.</summary>
public sealed class TrainerOptions
{
    /// <summary>Epochs to train in total (a resumed run continues to this many). Default 1.</summary>
    public int Epochs { get; set; } = 1;

    /// <summary>Stop after this many optimizer steps in total, ending that epoch early; null for no limit.</summary>
    public long? MaxSteps { get; set; }

    /// <summary>
    /// Where checkpoints (<c>last.safetensors</c>, <c>best.safetensors</c>), <c>metrics.csv</c>, the plots and
    /// TensorBoard's <c>runs/</c> go; null writes nothing.
    /// </summary>
    public string? OutputDirectory { get; set; }

    /// <summary>A learning-rate scheduler over the trainer's optimizer, stepped at <see cref="SchedulerInterval"/>; its state is checkpointed.</summary>
    public LRScheduler? Scheduler { get; set; }

    /// <summary>When <see cref="Scheduler"/> steps. Default: after each epoch.</summary>
    public SchedulerInterval SchedulerInterval { get; set; } = SchedulerInterval.Epoch;

    /// <summary>Batches whose gradients add up before each optimizer step (the loss is divided by it). Default 1.</summary>
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>Clip the gradients' total 2-norm to this before each optimizer step (<see cref="Utils.ClipGradNorm"/>); null for none.</summary>
    public double? GradientClipMaxNorm { get; set; }

    /// <summary>Callbacks, called in order after the built-in ones (progress, CSV, plots, TensorBoard).</summary>
    public IList<TrainerCallback> Callbacks { get; set; } = new List<TrainerCallback>();

    /// <summary>Compute accuracy (argmax over dim 1 against class-index targets) for training and validation. Default true.</summary>
    public bool Accuracy { get; set; } = true;

    /// <summary>More metrics, each computed over the whole training epoch and the whole validation set.</summary>
    public IList<Func<Metric>> Metrics { get; set; } = new List<Func<Metric>>();

    /// <summary>
    /// The model's forward: module and input to output. Default: the model's own <c>Forward(Tensor)</c>
    /// (<see cref="ITensorModule"/>). The module passed is the trainer's model or, with data parallelism, a replica.
    /// </summary>
    public Func<Module, Tensor, Tensor>? Forward { get; set; }

    /// <summary>
    /// Train through the model's compiled graph (<c>model.Compile()</c>, written by the <c>[Module]</c> generator) instead
    /// of its eager <c>Forward</c>: the same loop, parameters, checkpoints and results, with the generated forward and
    /// backward code (and each data-parallel replica compiled as well). The model must be a <c>[Module]</c> class with a
    /// <c>Forward(Tensor)</c>; a <c>Forward</c> the generator could not compile runs eagerly (see
    /// <see cref="Trainer.CompiledModel"/>). Not combined with <see cref="Forward"/>. Default false.
    /// </summary>
    public bool Compile { get; set; }

    /// <summary>The options of the compiled graphs when <see cref="Compile"/> is set; default <see cref="NN.CompileOptions.Default"/>.</summary>
    public CompileOptions? CompileOptions { get; set; }

    /// <summary>Applied to each training batch before the step (augmentation); validation batches are used as they come.</summary>
    public Func<Tensor[], Tensor[]>? TrainTransform { get; set; }

    /// <summary>The loss for validation, when it differs from the training loss (label smoothing in training only); default the training loss.</summary>
    public Func<Tensor, Tensor, Tensor>? ValidationLoss { get; set; }

    /// <summary>
    /// Generators whose states go into checkpoints besides the default generator and the training loader's, so a
    /// resumed run draws what the uninterrupted one would (an augmentation's generator, for example).
    /// </summary>
    public IList<Generator> Generators { get; set; } = new List<Generator>();

    /// <summary>The figure that picks the best checkpoint; default <c>valid_loss</c>, or <c>train_loss</c> without validation.</summary>
    public string? Monitor { get; set; }

    /// <summary>Whether a larger <see cref="Monitor"/> is better (accuracy) rather than smaller (loss).</summary>
    public bool MonitorMaximize { get; set; }

    /// <summary>Write <c>last.safetensors</c> and <c>best.safetensors</c> after each epoch (needs <see cref="OutputDirectory"/>). Default true.</summary>
    public bool Checkpoints { get; set; } = true;

    /// <summary>How progress shows on the console. Default <see cref="ProgressMode.Auto"/>.</summary>
    public ProgressMode Progress { get; set; } = ProgressMode.Auto;

    /// <summary>Write <c>metrics.csv</c> and the PNG plots after every epoch (needs <see cref="OutputDirectory"/>). Default true.</summary>
    public bool MetricFiles { get; set; } = true;

    /// <summary>Log scalars (and weight histograms per epoch) to TensorBoard under <c>{OutputDirectory}/runs/</c>. Default false.</summary>
    public bool TensorBoard { get; set; }

    /// <summary>
    /// How a step runs: <see cref="SingleProcessStrategy"/> (the default), <see cref="DataParallelStrategy"/>, or a
    /// distributed one. Set <see cref="Replicas"/> instead for the thread-level data parallel.
    /// </summary>
    public IStepStrategy? Strategy { get; set; }

    /// <summary>Train with this many data-parallel replicas on threads (needs <see cref="CreateReplica"/>); 0 or 1 for none.</summary>
    public int Replicas { get; set; }

    /// <summary>Builds another instance of the model's architecture, for <see cref="Replicas"/>.</summary>
    public Func<Module>? CreateReplica { get; set; }
}
