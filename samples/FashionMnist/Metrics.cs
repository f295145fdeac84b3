using System.Globalization;
using System.Text;

namespace ShapeSafe.Samples.FashionMnist;

/// <summary>One epoch's figures.</summary>
internal sealed record EpochMetrics(
    int Epoch, double TrainLoss, double TrainAccuracy, double TestLoss, double TestAccuracy,
    double Seconds, double SamplesPerSecond);

/// <summary>Writes the metrics as CSV and as a PNG plot of loss and accuracy per epoch.</summary>
internal static class MetricsFiles
{
    public static void WriteCsv(string path, IReadOnlyList<EpochMetrics> rows)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds,samples_per_second\n");
        foreach (var m in rows)
            sb.AppendLine(string.Join(",",
                m.Epoch.ToString(inv), m.TrainLoss.ToString("G6", inv), m.TrainAccuracy.ToString("G6", inv),
                m.TestLoss.ToString("G6", inv), m.TestAccuracy.ToString("G6", inv),
                m.Seconds.ToString("F2", inv), m.SamplesPerSecond.ToString("F0", inv)));
        WriteAtomically(path, Encoding.UTF8.GetBytes(sb.ToString()));
    }

    public static void WritePlot(string path, IReadOnlyList<EpochMetrics> rows)
    {
        // One chart: losses on the left axis, accuracies on the right.
        var epochs = rows.Select(r => (double)r.Epoch).ToArray();
        var plot = new ScottPlot.Plot();
        plot.Title("Fashion-MNIST training");
        plot.XLabel("epoch");
        plot.Axes.Left.Label.Text = "loss";
        plot.Axes.Right.Label.Text = "accuracy";
        plot.Add.Scatter(epochs, rows.Select(r => r.TrainLoss).ToArray()).LegendText = "train loss";
        plot.Add.Scatter(epochs, rows.Select(r => r.TestLoss).ToArray()).LegendText = "test loss";
        foreach (var (values, label) in new[]
        {
            (rows.Select(r => r.TrainAccuracy).ToArray(), "train accuracy"),
            (rows.Select(r => r.TestAccuracy).ToArray(), "test accuracy"),
        })
        {
            var line = plot.Add.Scatter(epochs, values);
            line.LegendText = label;
            line.LinePattern = ScottPlot.LinePattern.Dashed;
            line.Axes.YAxis = plot.Axes.Right;
        }
        plot.ShowLegend();
        string temp = path + ".tmp.png";
        plot.SavePng(temp, 900, 600);
        File.Move(temp, path, overwrite: true);
    }

    static void WriteAtomically(string path, byte[] bytes)
    {
        string temp = path + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }
}
