using System.Collections.Concurrent;
using System.Diagnostics;
using ShapeSafe.Data;
using ShapeSafe.NN;
using ShapeSafe.Optim;
using ShapeSafe.Serialization;

namespace ShapeSafe.Training;

/// <summary>
/// The training loop: epochs of optimizer steps over a training loader, a validation pass after each, metrics over
/// whole passes, checkpoints, and callbacks for everything around it (progress, logs, plots, early stopping). The
/// same loop runs on one thread, on data-parallel replicas or across processes: a <see cref="IStepStrategy"/> says
/// how a batch's gradients are computed and reduced.
/// </summary>
/// <remarks>
/// Batches are <c>Tensor[]</c> of input and target (<c>batch[0]</c>, <c>batch[1]</c>), as a
/// <see cref="TensorDataset"/> of two columns gives them. Each epoch: <c>model.Train()</c>; for every batch, the
/// optional transform, forward, loss, backward, and every <see cref="TrainerOptions.GradientAccumulationSteps"/>
/// batches (and at the epoch's end) gradient clipping, <c>optimizer.Step()</c> and <c>optimizer.ZeroGrad()</c>; then
/// <c>model.Eval()</c> and a validation pass without gradients; the scheduler steps; callbacks see the epoch's metrics;
/// the last (and, if it improved, the best) checkpoint is written.
/// </remarks>
public sealed class Trainer
{
    readonly Func<Tensor, Tensor, Tensor> _loss;
    readonly Func<Module, Tensor, Tensor> _forward;
    readonly List<TrainerCallback> _callbacks;
    // With Compile, the graph of each module a step runs: the model's, and each data-parallel replica's at its first step.
    readonly ConcurrentDictionary<Module, ITensorModule> _graphs = new(ReferenceEqualityComparer.Instance);
    readonly List<EpochMetrics> _history = [];
    readonly object _observeLock = new();
    TrainingCheckpoint? _pendingResume;
    EpochPosition? _resumePosition;
    double _best = double.NaN;
    bool _strategyReady;

    /// <summary>A trainer of <paramref name="model"/> with <paramref name="optimizer"/> (over its parameters) and <paramref name="loss"/> (output, target → scalar).</summary>
    /// <exception cref="ArgumentException">An option is out of range, or the model has no <c>Forward(Tensor)</c> and no <see cref="TrainerOptions.Forward"/> is given.</exception>
    public Trainer(Module model, Optimizer optimizer, Func<Tensor, Tensor, Tensor> loss, TrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(loss);
        Model = model;
        Optimizer = optimizer;
        _loss = loss;
        Options = options ?? new TrainerOptions();
        if (Options.Epochs < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.Epochs, "Trainer: Epochs must be at least 1");
        if (Options.MaxSteps is < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.MaxSteps, "Trainer: MaxSteps must be positive");
        if (Options.GradientAccumulationSteps < 1) throw new ArgumentOutOfRangeException(nameof(options), Options.GradientAccumulationSteps, "Trainer: GradientAccumulationSteps must be at least 1");
        if (Options.Scheduler is { } s && !ReferenceEquals(s.Optimizer, optimizer))
            throw new ArgumentException("Trainer: the scheduler belongs to another optimizer", nameof(options));
        if (Options.Compile)
        {
            if (Options.Forward is not null)
                throw new ArgumentException("Trainer: Compile runs the model's compiled Forward(Tensor) and cannot be combined with TrainerOptions.Forward", nameof(options));
            CompiledModel = (CompiledModule)CompiledGraphOf(model);
            _forward = (m, x) => CompiledGraphOf(m).Forward(x);
        }
        else
        {
            _forward = Options.Forward ?? (model is ITensorModule
                ? static (m, x) => ((ITensorModule)m).Forward(x)
                : throw new ArgumentException($"Trainer: {model.GetType().Name} has no Forward(Tensor) (it is not an ITensorModule); set TrainerOptions.Forward", nameof(model)));
        }
        Strategy = Options.Strategy ?? (Options.Replicas > 1
            ? new DataParallelStrategy(Options.CreateReplica ?? throw new ArgumentException("Trainer: Replicas needs CreateReplica, which builds another instance of the model", nameof(options)), Options.Replicas)
            : new SingleProcessStrategy());
        _callbacks = BuiltInCallbacks().Concat(Options.Callbacks).ToList();
    }

    // The compiled graph of a module with one-tensor Forward, made once per module (Compile only binds buffers).
    ITensorModule CompiledGraphOf(Module module) => _graphs.GetOrAdd(module, m =>
    {
        if (m is not ICompilableModule compilable)
            throw new ArgumentException($"Trainer: Compile needs a [Module] partial class with a Forward(Tensor) for the generator to compile; {m.GetType().Name} is not one", "options");
        var graph = compilable.Compile(Options.CompileOptions);
        return graph as ITensorModule
            ?? throw new ArgumentException($"Trainer: {m.GetType().Name}'s Forward takes more than one tensor; the trainer runs a Forward(Tensor)", "options");
    });

    /// <summary>The model being trained.</summary>
    public Module Model { get; }

    /// <summary>
    /// The model's compiled graph when <see cref="TrainerOptions.Compile"/> is set (its <see cref="CompiledModule.IsCompiled"/>
    /// says whether the generator compiled the <c>Forward</c> or it runs eagerly); null otherwise. Data-parallel replicas
    /// get graphs of their own.
    /// </summary>
    public CompiledModule? CompiledModel { get; }

    /// <summary>The optimizer that updates <see cref="Model"/>'s parameters.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The settings.</summary>
    public TrainerOptions Options { get; }

    /// <summary>How steps run (and how many processes take part).</summary>
    public IStepStrategy Strategy { get; }

    /// <summary>Whether this process prints and writes files (rank 0).</summary>
    public bool IsMainProcess => Strategy.Rank == 0;

    /// <summary>Every callback in the order they run: the built-in ones the options turn on, then <see cref="TrainerOptions.Callbacks"/>.</summary>
    public IReadOnlyList<TrainerCallback> Callbacks => _callbacks;

    /// <summary>Completed epochs.</summary>
    public int Epoch { get; private set; }

    /// <summary>Optimizer steps taken.</summary>
    public long Step { get; private set; }

    /// <summary>Set by a callback (early stopping) to end training after the current epoch.</summary>
    public bool StopRequested { get; set; }

    /// <summary>Every epoch's metrics so far, resumed ones included.</summary>
    public IReadOnlyList<EpochMetrics> History => _history;

    /// <summary>The path of the last checkpoint (<c>{OutputDirectory}/last.safetensors</c>), or null without an output directory.</summary>
    public string? LastCheckpointPath => Options.OutputDirectory is { } d ? Path.Combine(d, "last.safetensors") : null;

    /// <summary>The path of the best checkpoint (<c>{OutputDirectory}/best.safetensors</c>), or null without an output directory.</summary>
    public string? BestCheckpointPath => Options.OutputDirectory is { } d ? Path.Combine(d, "best.safetensors") : null;

    /// <summary>The learning rate of the optimizer's first parameter group.</summary>
    public double LearningRate => Optimizer.ParamGroups[0].Lr;

    /// <summary>
    /// Continues from a checkpoint written by a trainer built the same way: the model, optimizer, scheduler, callback
    /// states, epoch, step and history now; the generators' states at the start of the next <see cref="Fit"/> (when
    /// the training loader is known). The next <see cref="Fit"/> then trains as the uninterrupted run would have, bit
    /// for bit. Everything is checked first: on error the model and optimizer are unchanged.
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="CheckpointException">The file is not a trainer checkpoint or does not fit this model, optimizer or scheduler.</exception>
    public TrainingCheckpoint Resume(string path)
    {
        var checkpoint = TrainingCheckpoint.Read(path);
        if (checkpoint.SchedulerState is null != Options.Scheduler is null)
            throw new CheckpointException(path, checkpoint.SchedulerState is null ? "the checkpoint has no scheduler state but this trainer has a scheduler" : "the checkpoint has a scheduler state but this trainer has no scheduler");
        var before = Model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        var optimizerBefore = Optimizer.StateDict();
        optimizerBefore = new OptimizerStateDict(optimizerBefore.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.Clone()), optimizerBefore.Metadata);
        try
        {
            Model.LoadStateDict(checkpoint.ModelState);
            Optimizer.LoadStateDict(checkpoint.OptimizerState!);
            if (checkpoint.SchedulerState is { } sched) Options.Scheduler!.LoadStateDict(sched);
        }
        catch (ArgumentException e)
        {
            Model.LoadStateDict(before);
            Optimizer.LoadStateDict(optimizerBefore);
            throw new CheckpointException(path, e.Message, e);
        }
        for (int i = 0; i < checkpoint.CallbackStates.Count && i < _callbacks.Count; i++)
            if (checkpoint.CallbackStates[i] is { } state) _callbacks[i].LoadStateDict(state);
        Epoch = checkpoint.Epoch;
        Step = checkpoint.Step;
        _best = checkpoint.Best;
        StopRequested = checkpoint.Stopped;
        _history.Clear();
        _history.AddRange(checkpoint.History);
        _pendingResume = checkpoint;
        return checkpoint;
    }

    /// <summary>
    /// Trains to <see cref="TrainerOptions.Epochs"/> (or <see cref="TrainerOptions.MaxSteps"/>, or until a callback
    /// stops it), validating on <paramref name="valid"/> after each epoch when given.
    /// </summary>
    /// <returns>Every epoch's metrics (<see cref="History"/>).</returns>
    public IReadOnlyList<EpochMetrics> Fit(DataLoader train, DataLoader? valid = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (!_strategyReady)
        {
            Strategy.Setup(Model);
            _strategyReady = true;
        }
        var generators = Generators(train);
        if (_pendingResume is { } resumed)
        {
            if (resumed.GeneratorStates.Count != generators.Count)
                throw new InvalidOperationException($"Trainer: the checkpoint holds {resumed.GeneratorStates.Count} generator states but this run has {generators.Count} (the default generator, the training loader's, and TrainerOptions.Generators)");
            for (int i = 0; i < generators.Count; i++) generators[i].SetState(resumed.GeneratorStates[i]);
            _resumePosition = resumed.Position;
            if (_resumePosition is { } p && p.MetricSums.Count != CreateMetrics().Length)
                throw new InvalidOperationException($"Trainer: the checkpoint holds the sums of {p.MetricSums.Count} training metrics but this run has {CreateMetrics().Length}");
            _pendingResume = null;
        }
        if (IsMainProcess && Options.OutputDirectory is { } dir) Directory.CreateDirectory(dir);

        Action fit = () => FitCore(train, valid, generators);
        for (int i = _callbacks.Count - 1; i >= 0; i--)
        {
            var (callback, inner) = (_callbacks[i], fit);
            fit = () => callback.RunAround(this, inner);
        }
        fit();
        return _history;
    }

    void FitCore(DataLoader train, DataLoader? valid, IReadOnlyList<Generator> generators)
    {
        foreach (var c in _callbacks) c.OnFitBegin(this);
        var trainMetrics = CreateMetrics();
        var validMetrics = CreateMetrics();
        string monitor = Options.Monitor ?? (valid is null ? "train_loss" : "valid_loss");
        while (Epoch < Options.Epochs && !StopRequested && !StepLimitReached)
        {
            int epoch = Epoch + 1;
            var (trainLoss, samples, seconds, position) = TrainEpoch(epoch, train, trainMetrics, generators);
            if (position is not null)
            {
                // Stopped by MaxSteps inside the epoch: not validated or counted; the checkpoint holds the position.
                WriteCheckpoints(generators, improved: false, position);
                break;
            }
            double lr = LearningRate;
            var values = new Dictionary<string, double>(StringComparer.Ordinal) { ["train_loss"] = trainLoss };
            foreach (var m in trainMetrics) values["train_" + m.Name] = m.Compute();
            if (valid is not null)
            {
                values["valid_loss"] = Validate(valid, validMetrics);
                foreach (var m in validMetrics) values["valid_" + m.Name] = m.Compute();
            }
            values["lr"] = lr;
            values["seconds"] = seconds;
            values["samples_per_second"] = seconds > 0 ? samples / seconds : 0;
            if (Options.SchedulerInterval == SchedulerInterval.Epoch) Options.Scheduler?.Step();
            Epoch = epoch;
            var metrics = new EpochMetrics(epoch, Step, values);
            _history.Add(metrics);
            foreach (var c in _callbacks) c.OnEpochEnd(this, metrics);
            bool improved = metrics.Get(monitor) is double score && !double.IsNaN(score) &&
                (double.IsNaN(_best) || (Options.MonitorMaximize ? score > _best : score < _best));
            if (improved) _best = metrics[monitor];
            WriteCheckpoints(generators, improved);
        }
        foreach (var c in _callbacks) c.OnFitEnd(this, _history);
    }

    bool StepLimitReached => Options.MaxSteps is long max && Step >= max;

    (double Loss, long Samples, double Seconds, EpochPosition? Stopped) TrainEpoch(int epoch, DataLoader train, Metric[] metrics,
        IReadOnlyList<Generator> generators)
    {
        int batches = train.Count;
        foreach (var c in _callbacks) c.OnEpochBegin(this, epoch, batches);
        foreach (var m in metrics) m.Reset();
        Model.Train();
        // A distributed sampler reshuffles its shards per epoch, as PyTorch's set_epoch does.
        (train.Sampler as ShapeSafe.Distributed.DistributedSampler)?.SetEpoch(epoch);
        var step = new TrainingStep(_forward, _loss, (output, target) =>
        {
            if (metrics.Length == 0) return;
            lock (_observeLock)
                foreach (var m in metrics) m.Update(output, target);
        })
        { LossScale = 1.0 / Options.GradientAccumulationSteps };
        var clock = Stopwatch.StartNew();
        // sums[0]: loss × samples, sums[1]: samples; reduced over processes with the metrics' sums.
        double lossSum = 0;
        long seen = 0;
        int accumulated = 0, batch = 0;
        Optimizer.ZeroGrad();
        // The generators as the epoch's batches are drawn: a run stopped inside the epoch is resumed by drawing them again.
        var epochStart = _resumePosition?.EpochStartStates ?? generators.Select(g => g.GetState()).ToArray();
        if (_resumePosition is not null)
            for (int i = 0; i < generators.Count; i++) generators[i].SetState(epochStart[i]);
        using (var enumerator = train.GetEnumerator())
        {
            if (_resumePosition is { } resume)
            {
                while (batch < resume.Batch && enumerator.MoveNext()) batch++;
                if (batch < resume.Batch)
                    throw new InvalidOperationException($"Trainer: the checkpoint stopped after batch {resume.Batch} of epoch {epoch}, but the training loader has only {batch} batches");
                // Then every generator as it was when the run stopped (the skipped batches' augmentation and dropout drew from them).
                for (int i = 0; i < generators.Count; i++) generators[i].SetState(resume.StopStates[i]);
                (lossSum, seen) = (resume.LossSum, resume.Seen);
                for (int m = 0; m < metrics.Length; m++) Array.Copy(resume.MetricSums[m], metrics[m].Sums, metrics[m].Sums.Length);
                _resumePosition = null;
            }
            while (!StepLimitReached && enumerator.MoveNext())
            {
                var data = enumerator.Current;
                batch++;
                foreach (var c in _callbacks) c.OnStepBegin(this, epoch, batch);
                if (Options.TrainTransform is { } transform) data = transform(data);
                double loss = Strategy.ForwardBackward(data, step);
                int n = data[0].Size(0);
                lossSum += loss * n;
                seen += n;
                if (++accumulated == Options.GradientAccumulationSteps || batch == batches)
                {
                    OptimizerStep();
                    accumulated = 0;
                }
                var elapsed = clock.Elapsed;
                var stepMetrics = new StepMetrics(epoch, batch, batches, Step, loss, lossSum / seen, LearningRate,
                    seen / Math.Max(elapsed.TotalSeconds, 1e-9), elapsed);
                foreach (var c in _callbacks) c.OnStepEnd(this, stepMetrics);
            }
        }
        double seconds = clock.Elapsed.TotalSeconds;
        // The step limit ends the epoch only right after an optimizer step, so no accumulated gradient is pending.
        if (batch < batches)
            return (double.NaN, seen, seconds, new EpochPosition(batch, lossSum, seen, metrics.Select(m => (double[])m.Sums.Clone()).ToArray(), epochStart,
                generators.Select(g => g.GetState()).ToArray()));
        var sums = Reduce([lossSum, seen], metrics);
        return (sums[1] == 0 ? double.NaN : sums[0] / sums[1], (long)sums[1], seconds, null);
    }

    void OptimizerStep()
    {
        if (Options.GradientClipMaxNorm is double maxNorm) Utils.ClipGradNorm(Model.Parameters(), maxNorm);
        Optimizer.Step();
        Optimizer.ZeroGrad();
        Step++;
        if (Options.SchedulerInterval == SchedulerInterval.Step) Options.Scheduler?.Step();
    }

    double Validate(DataLoader valid, Metric[] metrics)
    {
        var loss = Options.ValidationLoss ?? _loss;
        foreach (var m in metrics) m.Reset();
        Model.Eval();
        double lossSum = 0;
        long seen = 0;
        using (Autograd.NoGrad())
        {
            foreach (var batch in valid)
            {
                var output = _forward(Model, batch[0]);
                int n = batch[0].Size(0);
                lossSum += loss(output, batch[1]).Item() * n;
                seen += n;
                foreach (var m in metrics) m.Update(output, batch[1]);
            }
        }
        var sums = Reduce([lossSum, seen], metrics);
        return sums[1] == 0 ? double.NaN : sums[0] / sums[1];
    }

    /// <summary>Adds the loss sums and every metric's sums over processes, in one call; the metrics get theirs back.</summary>
    double[] Reduce(double[] head, Metric[] metrics)
    {
        if (Strategy.WorldSize == 1) return head;
        var all = head.Concat(metrics.SelectMany(m => m.Sums)).ToArray();
        Strategy.AllReduce(all);
        int at = head.Length;
        foreach (var m in metrics)
        {
            Array.Copy(all, at, m.Sums, 0, m.Sums.Length);
            at += m.Sums.Length;
        }
        return all[..head.Length];
    }

    Metric[] CreateMetrics()
    {
        var metrics = new List<Metric>();
        if (Options.Accuracy) metrics.Add(new Accuracy());
        foreach (var create in Options.Metrics) metrics.Add(create());
        return metrics.ToArray();
    }

    List<Generator> Generators(DataLoader train)
    {
        var list = new List<Generator> { Generator.Default };
        foreach (var g in new[] { train.Generator }.Concat(Options.Generators))
            if (g is not null && !list.Any(x => ReferenceEquals(x, g))) list.Add(g);
        return list;
    }

    void WriteCheckpoints(IReadOnlyList<Generator> generators, bool improved, EpochPosition? position = null)
    {
        if (!IsMainProcess || !Options.Checkpoints || LastCheckpointPath is not { } last) return;
        TrainingCheckpoint.Save(last, Model, Optimizer, Options.Scheduler, generators, _callbacks, Epoch, Step, _best, StopRequested, _history, position);
        if (!improved) return;
        // A copy, then a rename: the best checkpoint is replaced in one step too.
        string temp = BestCheckpointPath + ".tmp";
        File.Copy(last, temp, overwrite: true);
        File.Move(temp, BestCheckpointPath!, overwrite: true);
    }

    IEnumerable<TrainerCallback> BuiltInCallbacks()
    {
        if (Options.Progress != ProgressMode.None) yield return new ProgressCallback(Options.Progress);
        if (Options.OutputDirectory is { } dir)
        {
            if (Options.MetricFiles)
            {
                yield return new CsvLogger(Path.Combine(dir, "metrics.csv"));
                yield return new PlotCallback(dir);
            }
            if (Options.TensorBoard) yield return new TensorBoardCallback(Path.Combine(dir, "runs"));
        }
    }
}
