using System.Globalization;
using Spectre.Console;

namespace ShapeSafe.Samples.FashionMnist;

/// <summary>Where the training loop reports: a progress bar on a terminal, log lines when redirected.</summary>
internal interface IProgressSink
{
    void StartEpoch(int epoch, int batches);
    void Batch(int done, double runningLoss);
    void EndEpoch(EpochMetrics metrics);
}

internal static class ProgressReporting
{
    /// <summary>Runs <paramref name="train"/> with the reporter that suits the output.</summary>
    public static void Run(bool plain, Action<IProgressSink> train)
    {
        if (plain || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            train(new PlainSink());
            return;
        }
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx => train(new BarSink(ctx)));
    }

    internal static string Describe(EpochMetrics m) => string.Format(CultureInfo.InvariantCulture,
        "epoch {0}: train loss {1:F4}, train accuracy {2:P2}, test loss {3:F4}, test accuracy {4:P2}, {5:F1} s, {6:F0} samples/s",
        m.Epoch, m.TrainLoss, m.TrainAccuracy, m.TestLoss, m.TestAccuracy, m.Seconds, m.SamplesPerSecond);

    sealed class PlainSink : IProgressSink
    {
        int _batches;

        public void StartEpoch(int epoch, int batches)
        {
            _batches = batches;
            Console.WriteLine($"epoch {epoch}: {batches} batches");
        }

        public void Batch(int done, double runningLoss)
        {
            // A line every quarter epoch keeps redirected logs short.
            int step = Math.Max(1, _batches / 4);
            if (done % step == 0 && done < _batches)
                Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "  {0}/{1} batches, loss {2:F4}", done, _batches, runningLoss));
        }

        public void EndEpoch(EpochMetrics metrics) => Console.WriteLine(Describe(metrics));
    }

    sealed class BarSink(ProgressContext context) : IProgressSink
    {
        ProgressTask? _task;
        int _epoch;

        public void StartEpoch(int epoch, int batches)
        {
            _epoch = epoch;
            _task = context.AddTask($"epoch {epoch}", maxValue: batches);
        }

        public void Batch(int done, double runningLoss)
        {
            _task!.Value = done;
            _task.Description = string.Format(CultureInfo.InvariantCulture, "epoch {0} loss {1:F4}", _epoch, runningLoss);
        }

        public void EndEpoch(EpochMetrics metrics)
        {
            _task!.Value = _task.MaxValue;
            _task.Description = string.Format(CultureInfo.InvariantCulture, "epoch {0} test acc {1:P2}", metrics.Epoch, metrics.TestAccuracy);
            AnsiConsole.MarkupLine(Markup.Escape(Describe(metrics)));
        }
    }
}
