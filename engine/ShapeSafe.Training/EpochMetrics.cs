using System.Text.Json.Serialization;

namespace ShapeSafe.Training;

/// <summary>
/// One epoch's figures, keyed by name: <c>train_loss</c>, <c>train_accuracy</c>, <c>valid_loss</c>,
/// <c>valid_accuracy</c>, <c>train_{metric}</c> and <c>valid_{metric}</c> for each user metric, <c>lr</c> (the first
/// parameter group's learning rate during the epoch), <c>seconds</c> (the training pass) and <c>samples_per_second</c>.
/// Validation figures are present only when the trainer has a validation loader.
/// </summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Step">Optimizer steps taken since the start of training, at the end of this epoch.</param>
/// <param name="Values">The figures by name.</param>
public sealed record EpochMetrics(int Epoch, long Step, Dictionary<string, double> Values)
{
    /// <summary>The figure named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">This epoch has no such figure.</exception>
    public double this[string name] => Values.TryGetValue(name, out var v)
        ? v
        : throw new KeyNotFoundException($"epoch {Epoch} has no figure '{name}'; it has {string.Join(", ", Values.Keys)}");

    /// <summary>The figure named <paramref name="name"/>, or null.</summary>
    public double? Get(string name) => Values.TryGetValue(name, out var v) ? v : null;

    /// <summary>Equal when epoch, step and every figure are equal.</summary>
    public bool Equals(EpochMetrics? other) =>
        other is not null && Epoch == other.Epoch && Step == other.Step && Values.Count == other.Values.Count &&
        Values.All(kv => other.Values.TryGetValue(kv.Key, out var v) && v.Equals(kv.Value));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Epoch, Step, Values.Count);
}

/// <summary>What a step callback sees after each batch.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Batch">The batch within the epoch, from 1.</param>
/// <param name="Batches">Batches in the epoch (the loader's count).</param>
/// <param name="Step">Optimizer steps since the start of training (with gradient accumulation, fewer than batches).</param>
/// <param name="Loss">This batch's loss.</param>
/// <param name="RunningLoss">The epoch's mean loss so far, weighted by batch size.</param>
/// <param name="LearningRate">The first parameter group's learning rate.</param>
/// <param name="SamplesPerSecond">Training throughput so far in the epoch.</param>
/// <param name="Elapsed">Time since the epoch began.</param>
public readonly record struct StepMetrics(
    int Epoch, int Batch, int Batches, long Step, double Loss, double RunningLoss, double LearningRate,
    double SamplesPerSecond, TimeSpan Elapsed)
{
    /// <summary>The time the rest of the epoch should take at the pace so far.</summary>
    public TimeSpan Remaining => Batch == 0 ? TimeSpan.Zero : Elapsed / Batch * Math.Max(0, Batches - Batch);
}

[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(List<EpochMetrics>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class TrainingJsonContext : JsonSerializerContext;
