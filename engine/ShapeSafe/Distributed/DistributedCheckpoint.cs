using ShapeSafe.NN;
using ShapeSafe.Optim;
using ShapeSafe.Serialization;

namespace ShapeSafe.Distributed;

/// <summary>
/// Checkpoints of a distributed job: one safetensors file with the model's state dict (<c>model.{name}</c>) and the
/// whole optimizer state (<c>optimizer.state.{i}.{name}</c>, its metadata under <c>optimizer.</c>), written by rank 0
/// atomically (a temporary file moved over the target) and read by every rank, so a job resumes with any number of
/// processes.
/// </summary>
public static class DistributedCheckpoint
{
    const string ModelPrefix = "model.";
    const string OptimizerPrefix = "optimizer.";

    /// <summary>
    /// Consolidates <paramref name="optimizer"/>'s shards on rank 0, which writes the checkpoint; returns on every rank
    /// once the file is complete (a collective).
    /// </summary>
    public static void Save(string path, Module model, ZeroRedundancyOptimizer optimizer, ProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(group);
        optimizer.ConsolidateStateDict(0);
        Write(path, model, group.Rank == 0 ? optimizer.StateDict() : null, group);
    }

    /// <summary>
    /// Rank 0 writes <paramref name="model"/> and <paramref name="optimizer"/> (which is the same on every rank, as with
    /// <see cref="DistributedDataParallel{TModule}"/>); returns on every rank once the file is complete (a collective).
    /// </summary>
    public static void Save(string path, Module model, Optimizer optimizer, ProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(group);
        Write(path, model, group.Rank == 0 ? optimizer.StateDict() : null, group);
    }

    /// <summary>Loads the model and this rank's shard of the optimizer state from a checkpoint written by <c>Save</c>.</summary>
    public static void Load(string path, Module model, ZeroRedundancyOptimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        optimizer.LoadStateDict(Read(path, model));
    }

    /// <summary>Loads the model and the whole optimizer state from a checkpoint written by <c>Save</c>.</summary>
    public static void Load(string path, Module model, Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        optimizer.LoadStateDict(Read(path, model));
    }

    static void Write(string path, Module model, OptimizerStateDict? optimizer, ProcessGroup group)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        if (group.Rank == 0)
        {
            var tensors = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (name, value) in model.StateDict()) tensors[ModelPrefix + name] = value;
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["format"] = "shapesafe.checkpoint", ["world_size"] = group.WorldSize.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            foreach (var (name, value) in optimizer!.Tensors) tensors[OptimizerPrefix + name] = value;
            foreach (var (name, value) in optimizer.Metadata) metadata[OptimizerPrefix + name] = value;
            Safetensors.Save(path, tensors, metadata);
        }
        // Nobody reads the file before it is whole.
        group.Barrier();
    }

    static OptimizerStateDict Read(string path, Module model)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        var tensors = Safetensors.Load(path, out var metadata);
        var modelState = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var optimizerState = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, value) in tensors)
        {
            if (name.StartsWith(ModelPrefix, StringComparison.Ordinal)) modelState[name[ModelPrefix.Length..]] = value;
            else if (name.StartsWith(OptimizerPrefix, StringComparison.Ordinal)) optimizerState[name[OptimizerPrefix.Length..]] = value;
        }
        var optimizerMetadata = metadata.Where(kv => kv.Key.StartsWith(OptimizerPrefix, StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key[OptimizerPrefix.Length..], kv => kv.Value, StringComparer.Ordinal);
        model.LoadStateDict(modelState);
        return new OptimizerStateDict(optimizerState, optimizerMetadata);
    }
}
