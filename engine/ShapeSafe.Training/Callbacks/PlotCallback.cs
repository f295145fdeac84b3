namespace ShapeSafe.Training;

/// <summary>
/// ScottPlot PNGs written after every epoch in <paramref name="directory"/>: <c>loss.png</c> (train and validation
/// loss per epoch), <c>accuracy.png</c> (when accuracy is computed) and <c>lr.png</c> (the learning rate per epoch).
/// </summary>
public sealed class PlotCallback(string directory) : TrainerCallback
{
    /// <inheritdoc/>
    public override void OnEpochEnd(Trainer trainer, EpochMetrics metrics)
    {
        if (trainer.IsMainProcess) Write(directory, trainer.History);
    }

    /// <summary>Writes the plots of <paramref name="rows"/> into <paramref name="directory"/>.</summary>
    public static void Write(string directory, IReadOnlyList<EpochMetrics> rows)
    {
        Plot(Path.Combine(directory, "loss.png"), "loss", rows, ("train_loss", "train"), ("valid_loss", "validation"));
        if (rows.Any(r => r.Values.ContainsKey("train_accuracy")))
            Plot(Path.Combine(directory, "accuracy.png"), "accuracy", rows, ("train_accuracy", "train"), ("valid_accuracy", "validation"));
        Plot(Path.Combine(directory, "lr.png"), "learning rate", rows, ("lr", "learning rate"));
    }

    static void Plot(string path, string title, IReadOnlyList<EpochMetrics> rows, params (string Key, string Label)[] series)
    {
        var plot = new ScottPlot.Plot();
        plot.Title(title);
        plot.XLabel("epoch");
        plot.YLabel(title);
        foreach (var (key, label) in series)
        {
            var points = rows.Where(r => r.Values.ContainsKey(key)).ToArray();
            if (points.Length == 0) continue;
            var line = plot.Add.Scatter(points.Select(r => (double)r.Epoch).ToArray(), points.Select(r => r.Values[key]).ToArray());
            line.LegendText = label;
        }
        if (series.Length > 1) plot.ShowLegend();
        // SavePng picks the format from the extension, so the temporary name ends in .png too.
        string temp = path + ".tmp.png";
        plot.SavePng(temp, 900, 600);
        File.Move(temp, path, overwrite: true);
    }
}
