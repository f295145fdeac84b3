using System.Globalization;
using System.Text.Json;
using ShapeSafe.NN;
using ShapeSafe.Optim;
using ShapeSafe.Serialization;

namespace ShapeSafe.Training;

/// <summary>
/// A trainer checkpoint: one safetensors file, so writing it is one atomic replace. Tensors are the model's state
/// dict under <c>model.</c> and the optimizer's under <c>optimizer.</c>; metadata holds the optimizer's metadata
/// under <c>optimizer.</c>, the scheduler's state under <c>scheduler.</c>, each generator's state (base64) under
/// <c>generator.{i}</c>, the callbacks' state under <c>callback.{i}.</c>, and <c>epoch</c>, <c>step</c>,
/// <c>best</c>, <c>stopped</c> and <c>history</c> (every epoch's metrics as JSON). A run that <c>MaxSteps</c> stopped
/// inside an epoch also has its position there under <c>position.</c>: the batches done, the epoch's loss and metric
/// sums so far, and the generators' states when the epoch's batches were drawn.
/// </summary>
public sealed class TrainingCheckpoint
{
    const string FormatName = "shapesafe.trainer", FormatVersion = "1";

    /// <summary>Completed epochs.</summary>
    public int Epoch { get; init; }

    /// <summary>Optimizer steps taken.</summary>
    public long Step { get; init; }

    /// <summary>The best monitored value so far (NaN before any).</summary>
    public double Best { get; init; } = double.NaN;

    /// <summary>The batches done of the epoch after <see cref="Epoch"/> when the run stopped inside it (MaxSteps); 0 at an epoch's end.</summary>
    public int BatchInEpoch => Position?.Batch ?? 0;

    internal EpochPosition? Position { get; init; }

    /// <summary>Whether a callback stopped training (early stopping), so a resumed run does not continue.</summary>
    public bool Stopped { get; init; }

    /// <summary>Every epoch's metrics.</summary>
    public IReadOnlyList<EpochMetrics> History { get; init; } = [];

    internal IReadOnlyList<byte[]> GeneratorStates { get; init; } = [];

    internal IReadOnlyDictionary<string, Tensor> ModelState { get; init; } = new Dictionary<string, Tensor>();

    internal OptimizerStateDict? OptimizerState { get; init; }

    internal IReadOnlyDictionary<string, string>? SchedulerState { get; init; }

    internal IReadOnlyList<IReadOnlyDictionary<string, string>?> CallbackStates { get; init; } = [];

    internal static void Save(string path, Module model, Optimizer optimizer, LRScheduler? scheduler,
        IReadOnlyList<Generator> generators, IReadOnlyList<TrainerCallback> callbacks,
        int epoch, long step, double best, bool stopped, IReadOnlyList<EpochMetrics> history, EpochPosition? position = null)
    {
        var inv = CultureInfo.InvariantCulture;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in model.StateDict()) tensors["model." + name] = t;
        var optimizerState = optimizer.StateDict();
        foreach (var (name, t) in optimizerState.Tensors) tensors["optimizer." + name] = t;
        var meta = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = FormatName,
            ["version"] = FormatVersion,
            ["epoch"] = epoch.ToString(inv),
            ["step"] = step.ToString(inv),
            ["best"] = best.ToString("R", inv),
            ["stopped"] = stopped ? "true" : "false",
            ["generators"] = generators.Count.ToString(inv),
            ["history"] = JsonSerializer.Serialize(history.ToList(), TrainingJsonContext.Default.ListEpochMetrics),
        };
        foreach (var (key, value) in optimizerState.Metadata) meta["optimizer." + key] = value;
        if (scheduler is not null)
            foreach (var (key, value) in scheduler.StateDict()) meta["scheduler." + key] = value;
        for (int i = 0; i < generators.Count; i++)
            meta[$"generator.{i}"] = Convert.ToBase64String(generators[i].GetState());
        for (int i = 0; i < callbacks.Count; i++)
            if (callbacks[i].StateDict() is { } state)
                foreach (var (key, value) in state) meta[$"callback.{i}.{key}"] = value;
        if (position is not null)
        {
            meta["position.batch"] = position.Batch.ToString(inv);
            meta["position.loss_sum"] = position.LossSum.ToString("R", inv);
            meta["position.seen"] = position.Seen.ToString(inv);
            meta["position.metrics"] = position.MetricSums.Count.ToString(inv);
            for (int m = 0; m < position.MetricSums.Count; m++)
                meta[$"position.metric.{m}"] = string.Join(",", position.MetricSums[m].Select(v => v.ToString("R", inv)));
            for (int i = 0; i < position.EpochStartStates.Count; i++)
                meta[$"position.generator.{i}"] = Convert.ToBase64String(position.EpochStartStates[i]);
        }
        Safetensors.Save(path, tensors, meta);
    }

    /// <summary>Reads a checkpoint written by a <see cref="Trainer"/> (without applying it to anything).</summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="CheckpointException">The file is not a trainer checkpoint or is malformed.</exception>
    public static TrainingCheckpoint Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"checkpoint {path} does not exist; the trainer writes last.safetensors and best.safetensors in its output directory", path);
        var tensors = Safetensors.Load(path, out var meta);
        string Get(string key) => meta.TryGetValue(key, out var v)
            ? v
            : throw new CheckpointException(path, $"the checkpoint has no '{key}' entry: it was not written by ShapeSafe.Training's Trainer");
        if (Get("format") != FormatName || Get("version") != FormatVersion)
            throw new CheckpointException(path, $"the checkpoint's format is {Get("format")} version {Get("version")}, expected {FormatName} version {FormatVersion}");
        try
        {
            var inv = CultureInfo.InvariantCulture;
            var model = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            var optimizerTensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (name, t) in tensors)
            {
                if (name.StartsWith("model.", StringComparison.Ordinal)) model[name["model.".Length..]] = t;
                else if (name.StartsWith("optimizer.", StringComparison.Ordinal)) optimizerTensors[name["optimizer.".Length..]] = t;
            }
            Dictionary<string, string> Prefixed(string prefix) => meta
                .Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);
            var scheduler = Prefixed("scheduler.");
            int generators = int.Parse(Get("generators"), inv);
            int callbacks = meta.Keys.Where(k => k.StartsWith("callback.", StringComparison.Ordinal))
                .Select(k => int.Parse(k.Split('.')[1], inv) + 1).DefaultIfEmpty(0).Max();
            var generatorStates = Enumerable.Range(0, generators).Select(i => Convert.FromBase64String(Get($"generator.{i}"))).ToArray();
            EpochPosition? position = null;
            if (meta.ContainsKey("position.batch"))
            {
                position = new EpochPosition(
                    int.Parse(Get("position.batch"), inv),
                    double.Parse(Get("position.loss_sum"), inv),
                    long.Parse(Get("position.seen"), inv),
                    Enumerable.Range(0, int.Parse(Get("position.metrics"), inv))
                        .Select(m => Get($"position.metric.{m}").Split(',').Select(v => double.Parse(v, inv)).ToArray()).ToArray(),
                    Enumerable.Range(0, generators).Select(i => Convert.FromBase64String(Get($"position.generator.{i}"))).ToArray(),
                    generatorStates);
            }
            return new TrainingCheckpoint
            {
                Position = position,
                Epoch = int.Parse(Get("epoch"), inv),
                Step = long.Parse(Get("step"), inv),
                Best = double.Parse(Get("best"), inv),
                Stopped = Get("stopped") == "true",
                History = JsonSerializer.Deserialize(Get("history"), TrainingJsonContext.Default.ListEpochMetrics) ?? [],
                ModelState = model,
                OptimizerState = new OptimizerStateDict(optimizerTensors, Prefixed("optimizer.")),
                SchedulerState = scheduler.Count == 0 ? null : scheduler,
                GeneratorStates = generatorStates,
                CallbackStates = Enumerable.Range(0, callbacks).Select(i =>
                {
                    var state = Prefixed($"callback.{i}.");
                    return state.Count == 0 ? null : (IReadOnlyDictionary<string, string>)state;
                }).ToArray(),
            };
        }
        catch (Exception e) when (e is FormatException or JsonException or OverflowException)
        {
            throw new CheckpointException(path, "a metadata entry is malformed: " + e.Message, e);
        }
    }
}

/// <summary>
/// Where a run stopped inside an epoch: <paramref name="Batch"/> batches done, the epoch's loss sum and sample count
/// and each training metric's sums so far, the generators' states before the epoch's batches were drawn, and their
/// states at the stop (the checkpoint's generator states).
/// </summary>
internal sealed record EpochPosition(int Batch, double LossSum, long Seen, IReadOnlyList<double[]> MetricSums,
    IReadOnlyList<byte[]> EpochStartStates, IReadOnlyList<byte[]> StopStates);
