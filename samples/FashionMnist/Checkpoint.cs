using System.Text.Json;
using System.Text.Json.Serialization;
using ShapeSafe.NN;
using ShapeSafe.Optim;

namespace ShapeSafe.Samples.FashionMnist;

/// <summary>
/// A training checkpoint: the model's weights (<c>checkpoint.safetensors</c>), the optimizer's state
/// (<c>checkpoint.optim.safetensors</c>) and the epoch with the metrics so far (<c>checkpoint.json</c>).
/// Each file is written atomically; loading checks all three before changing the model.
/// </summary>
internal static class Checkpoint
{
    public sealed record Progress(int Epoch, List<EpochMetrics> History);

    public static void Save(string modelPath, Module model, Optimizer optimizer, int epoch, IReadOnlyList<EpochMetrics> history)
    {
        var (optimizerPath, progressPath) = Siblings(modelPath);
        model.Save(modelPath);
        optimizer.Save(optimizerPath);
        string temp = progressPath + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(new Progress(epoch, history.ToList()), CheckpointJson.Default.Progress));
        File.Move(temp, progressPath, overwrite: true);
    }

    public static Progress Load(string modelPath, Module model, Optimizer optimizer)
    {
        var (optimizerPath, progressPath) = Siblings(modelPath);
        foreach (var path in new[] { modelPath, optimizerPath, progressPath })
            if (!File.Exists(path))
                throw new FileNotFoundException($"checkpoint file {path} is missing: --resume needs checkpoint.safetensors, checkpoint.optim.safetensors and checkpoint.json from one run", path);
        var progress = JsonSerializer.Deserialize(File.ReadAllText(progressPath), CheckpointJson.Default.Progress)
            ?? throw new InvalidDataException($"{progressPath} is empty");

        // The model refuses a bad file before changing anything; restore its weights if the optimizer's file is bad.
        var before = model.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        model.Load(modelPath);
        try
        {
            optimizer.Load(optimizerPath);
        }
        catch
        {
            model.LoadStateDict(before);
            throw;
        }
        return progress;
    }

    static (string Optimizer, string Progress) Siblings(string modelPath)
    {
        string stem = modelPath.EndsWith(".safetensors", StringComparison.Ordinal)
            ? modelPath[..^".safetensors".Length]
            : modelPath;
        return (stem + ".optim.safetensors", stem + ".json");
    }
}

/// <summary>
/// The JSON contract of <c>checkpoint.json</c>, generated at compile time: reflection-based serialization
/// is not available in a NativeAOT binary (and warns under trimming).
/// </summary>
[JsonSerializable(typeof(Checkpoint.Progress))]
internal sealed partial class CheckpointJson : JsonSerializerContext;
