using ShapeSafe.NN;
using ShapeSafe.Parallel;

namespace ShapeSafe.Training;

/// <summary>
/// How the trainer runs one batch's forward and backward and gets the gradients to the model's parameters: on this
/// thread (<see cref="SingleProcessStrategy"/>), over replicas on threads (<see cref="DataParallelStrategy"/>), or
/// across processes (a distributed strategy that all-reduces gradients and metric sums). The trainer's loop, metrics,
/// checkpoints and callbacks are the same for all of them; only rank 0 prints and writes files.
/// </summary>
public interface IStepStrategy
{
    /// <summary>This process's rank (0 for a single process): only rank 0 prints and writes.</summary>
    int Rank { get; }

    /// <summary>The number of processes training together.</summary>
    int WorldSize { get; }

    /// <summary>Called once by the trainer before training, with its model.</summary>
    void Setup(Module model);

    /// <summary>
    /// Runs <paramref name="step"/>'s forward and backward on <paramref name="batch"/> and leaves the gradients of
    /// the whole batch (over every process) added to the model's parameters' <c>Grad</c>.
    /// </summary>
    /// <returns>The batch's loss (before <see cref="TrainingStep.LossScale"/>), weighted by sample count as the gradients are.</returns>
    double ForwardBackward(Tensor[] batch, TrainingStep step);

    /// <summary>Adds <paramref name="sums"/> element-wise over every process, in place (a no-op for one process).</summary>
    void AllReduce(double[] sums);
}

/// <summary>What a strategy runs for one batch: the model's forward, the loss and the observer of outputs.</summary>
public sealed class TrainingStep
{
    internal TrainingStep(Func<Module, Tensor, Tensor> forward, Func<Tensor, Tensor, Tensor> loss, Action<Tensor, Tensor> observe)
    {
        Forward = forward;
        Loss = loss;
        Observe = observe;
    }

    /// <summary>The model's forward on an input (a replica's, for data-parallel strategies).</summary>
    public Func<Module, Tensor, Tensor> Forward { get; }

    /// <summary>The loss of an output and a target.</summary>
    public Func<Tensor, Tensor, Tensor> Loss { get; }

    /// <summary>Call with each (shard's) detached output and target, so training metrics see them; calls may come from several threads.</summary>
    public Action<Tensor, Tensor> Observe { get; }

    /// <summary>The factor to multiply the loss by before backward (1 / gradient accumulation steps).</summary>
    public double LossScale { get; internal set; } = 1;

    /// <summary>Forward, loss, observe and backward of <paramref name="model"/> on one (shard of a) batch; returns the unscaled loss tensor.</summary>
    public Tensor Run(Module model, Tensor input, Tensor target)
    {
        var output = Forward(model, input);
        var loss = Loss(output, target);
        Observe(output.Detach(), target);
        var scaled = LossScale == 1 ? loss : loss * (float)LossScale;
        scaled.Backward();
        return loss;
    }
}

/// <summary>The plain step: forward and backward on this thread (intra-op parallelism as <c>Tensor.SetNumThreads</c> sets it).</summary>
public sealed class SingleProcessStrategy : IStepStrategy
{
    Module? _model;

    /// <inheritdoc/>
    public int Rank => 0;

    /// <inheritdoc/>
    public int WorldSize => 1;

    /// <inheritdoc/>
    public void Setup(Module model) => _model = model;

    /// <inheritdoc/>
    public double ForwardBackward(Tensor[] batch, TrainingStep step)
    {
        var model = _model ?? throw new InvalidOperationException("SingleProcessStrategy: Setup was not called");
        return step.Run(model, batch[0], batch[1]).Item();
    }

    /// <inheritdoc/>
    public void AllReduce(double[] sums) { }
}

/// <summary>
/// Data parallel on this process's threads with <see cref="DataParallel{TModule}"/>: each batch is cut into one shard
/// per replica and the shard gradients are averaged, weighted by size, into the model.
/// </summary>
/// <param name="createReplica">Builds one more instance of the model's architecture.</param>
/// <param name="replicas">Replicas (threads); 0 means <see cref="Tensor.GetNumThreads"/>.</param>
public sealed class DataParallelStrategy(Func<Module> createReplica, int replicas = 0) : IStepStrategy
{
    DataParallel<Module>? _parallel;

    /// <inheritdoc/>
    public int Rank => 0;

    /// <inheritdoc/>
    public int WorldSize => 1;

    /// <summary>The replicas in use, once set up.</summary>
    public int Replicas => _parallel?.Replicas ?? replicas;

    /// <inheritdoc/>
    public void Setup(Module model) => _parallel = new DataParallel<Module>(model, createReplica, replicas);

    /// <inheritdoc/>
    public double ForwardBackward(Tensor[] batch, TrainingStep step)
    {
        var parallel = _parallel ?? throw new InvalidOperationException("DataParallelStrategy: Setup was not called");
        var scale = (float)step.LossScale;
        // DataParallel backpropagates the returned loss; the trainer wants the unscaled one back.
        float scaled = parallel.ForwardBackward(batch, (replica, shard) =>
        {
            var output = step.Forward(replica, shard[0]);
            var loss = step.Loss(output, shard[1]);
            step.Observe(output.Detach(), shard[1]);
            return scale == 1 ? loss : loss * scale;
        });
        return scale == 1 ? scaled : scaled / scale;
    }

    /// <inheritdoc/>
    public void AllReduce(double[] sums) { }
}

/// <summary>
/// Data parallel across processes with <see cref="ShapeSafe.Distributed.DistributedDataParallel{TModule}"/>: every
/// rank runs the step on its own batch (a <see cref="ShapeSafe.Distributed.DistributedSampler"/> shard), and the
/// backward averages the gradients over the ranks into each parameter's <c>Grad</c>. Launched by <c>mpirun</c>;
/// with a world of one it is the single-process step.
/// </summary>
/// <param name="group">The processes training together (<see cref="ShapeSafe.Distributed.ProcessGroup.Init"/>).</param>
public sealed class DistributedStrategy(ShapeSafe.Distributed.ProcessGroup group) : IStepStrategy
{
    ShapeSafe.Distributed.DistributedDataParallel<Module>? _ddp;

    /// <inheritdoc/>
    public int Rank => group.Rank;

    /// <inheritdoc/>
    public int WorldSize => group.WorldSize;

    /// <summary>Wraps the model: rank 0's parameters and buffers are broadcast to every rank.</summary>
    public void Setup(Module model) => _ddp = new ShapeSafe.Distributed.DistributedDataParallel<Module>(model, group);

    /// <inheritdoc/>
    public double ForwardBackward(Tensor[] batch, TrainingStep step)
    {
        var ddp = _ddp ?? throw new InvalidOperationException("DistributedStrategy: Setup was not called");
        // The per-step preparation (buffers follow rank 0), then the step; the backward all-reduces bucket by bucket.
        return ddp.Forward(module => step.Run(module, batch[0], batch[1])).Item();
    }

    /// <summary>Adds the metric sums over every rank (as float32: counts stay exact below 2^24 samples per epoch).</summary>
    public void AllReduce(double[] sums)
    {
        var values = Tensor.FromArray(sums.Select(s => (float)s).ToArray(), sums.Length);
        group.AllReduce(values);
        var reduced = values.ToFloatArray();
        for (int i = 0; i < sums.Length; i++) sums[i] = reduced[i];
    }
}
