using System.Globalization;
using Spectre.Console;

namespace ShapeSafe.Training;

/// <summary>
/// Progress on the console: a Spectre.Console bar per epoch with the running loss, throughput and time left on an
/// interactive terminal; plain lines (a few per epoch) when output is redirected, <c>CI</c> is set, or
/// <see cref="ProgressMode.Plain"/> is asked for. Only the main process prints.
/// </summary>
public sealed class ProgressCallback(ProgressMode mode = ProgressMode.Auto) : TrainerCallback
{
    ProgressContext? _context;
    ProgressTask? _task;
    int _batches;

    /// <summary>Whether this run shows the live bar (false: plain lines).</summary>
    public bool UsesBar => mode switch
    {
        ProgressMode.Bar => true,
        ProgressMode.Auto => !Console.IsOutputRedirected && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")) &&
            AnsiConsole.Profile.Capabilities.Interactive,
        _ => false,
    };

    /// <inheritdoc/>
    public override void RunAround(Trainer trainer, Action fit)
    {
        if (!trainer.IsMainProcess || mode == ProgressMode.None || !UsesBar)
        {
            fit();
            return;
        }
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                new RemainingTimeColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                _context = ctx;
                try { fit(); }
                finally { _context = null; }
            });
    }

    /// <inheritdoc/>
    public override void OnEpochBegin(Trainer trainer, int epoch, int batches)
    {
        if (!trainer.IsMainProcess || mode == ProgressMode.None) return;
        _batches = batches;
        if (_context is { } ctx)
            _task = ctx.AddTask($"epoch {epoch}", maxValue: batches);
        else
            Console.WriteLine($"epoch {epoch}: {batches} batches");
    }

    /// <inheritdoc/>
    public override void OnStepEnd(Trainer trainer, StepMetrics m)
    {
        if (!trainer.IsMainProcess || mode == ProgressMode.None) return;
        if (_task is { } task && _context is not null)
        {
            task.Value = m.Batch;
            task.Description = string.Format(CultureInfo.InvariantCulture, "epoch {0} loss {1:F4} {2:F0} samples/s",
                m.Epoch, m.RunningLoss, m.SamplesPerSecond);
            return;
        }
        // A line every quarter epoch keeps redirected logs short.
        int every = Math.Max(1, _batches / 4);
        if (m.Batch % every == 0 && m.Batch < _batches)
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture,
                "  {0}/{1} batches, loss {2:F4}, {3:F0} samples/s, {4:F1} s left", m.Batch, m.Batches, m.RunningLoss,
                m.SamplesPerSecond, m.Remaining.TotalSeconds));
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(Trainer trainer, EpochMetrics metrics)
    {
        if (!trainer.IsMainProcess || mode == ProgressMode.None) return;
        if (_task is { } task && _context is not null)
        {
            task.Value = task.MaxValue;
            task.Description = metrics.Get("valid_accuracy") is double acc
                ? string.Format(CultureInfo.InvariantCulture, "epoch {0} valid acc {1:P2}", metrics.Epoch, acc)
                : string.Format(CultureInfo.InvariantCulture, "epoch {0} loss {1:F4}", metrics.Epoch, metrics["train_loss"]);
            AnsiConsole.MarkupLine(Markup.Escape(Describe(metrics)));
        }
        else
        {
            Console.WriteLine(Describe(metrics));
        }
    }

    /// <summary>One line for an epoch: its losses and accuracies, then time and throughput.</summary>
    public static string Describe(EpochMetrics m)
    {
        var inv = CultureInfo.InvariantCulture;
        var parts = new List<string>();
        foreach (var (name, value) in m.Values)
        {
            if (name is "lr" or "seconds" or "samples_per_second") continue;
            parts.Add(name.EndsWith("accuracy", StringComparison.Ordinal)
                ? $"{name.Replace('_', ' ')} {value.ToString("P2", inv)}"
                : $"{name.Replace('_', ' ')} {value.ToString("F4", inv)}");
        }
        parts.Add(string.Format(inv, "{0:F1} s, {1:F0} samples/s", m["seconds"], m["samples_per_second"]));
        return $"epoch {m.Epoch}: {string.Join(", ", parts)}";
    }
}
