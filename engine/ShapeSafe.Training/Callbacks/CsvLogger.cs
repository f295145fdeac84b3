using System.Globalization;
using System.Text;

namespace ShapeSafe.Training;

/// <summary>
/// Writes every epoch's metrics to a CSV file after each epoch (atomically, the whole file): a header of
/// <c>epoch,step</c> and the figures' names in first-seen order, then one row per epoch.
/// </summary>
public sealed class CsvLogger(string path) : TrainerCallback
{
    /// <summary>The file written.</summary>
    public string Path { get; } = path;

    /// <inheritdoc/>
    public override void OnEpochEnd(Trainer trainer, EpochMetrics metrics)
    {
        if (trainer.IsMainProcess) Write(Path, trainer.History);
    }

    /// <summary>Writes <paramref name="rows"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<EpochMetrics> rows)
    {
        var inv = CultureInfo.InvariantCulture;
        var columns = rows.SelectMany(r => r.Values.Keys).Distinct().ToList();
        var sb = new StringBuilder("epoch,step");
        foreach (var c in columns) sb.Append(',').Append(c);
        sb.Append('\n');
        foreach (var r in rows)
        {
            sb.Append(r.Epoch.ToString(inv)).Append(',').Append(r.Step.ToString(inv));
            foreach (var c in columns)
            {
                sb.Append(',');
                if (r.Values.TryGetValue(c, out var v))
                    sb.Append(c switch
                    {
                        "seconds" => v.ToString("F2", inv),
                        "samples_per_second" => v.ToString("F0", inv),
                        _ => v.ToString("G6", inv),
                    });
            }
            sb.Append('\n');
        }
        AtomicFile.Write(path, Encoding.UTF8.GetBytes(sb.ToString()));
    }
}

/// <summary>Files replaced in one step: written beside the target, then renamed over it.</summary>
internal static class AtomicFile
{
    public static void Write(string path, byte[] bytes)
    {
        string temp = path + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }
}
