using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Perfolizer.Horology;

namespace ShapeSafe.MicroBenchmarks;

/// <summary>
/// The one job every benchmark runs under. By default a short one, so the whole suite takes minutes on a
/// shared two-core machine; <c>--full</c> gives BenchmarkDotNet's default job for figures worth quoting.
/// </summary>
internal static class MicroConfig
{
    /// <summary>The command-line switch that selects the full job.</summary>
    public const string FullSwitch = "--full";

    public static IConfig Create(bool full)
    {
        // One process per benchmark case, 3 warm-up and 7 measured iterations of about 150 ms (BenchmarkDotNet
        // warns below 100 ms): enough for a mean and a rough error bar, about 3 s per case with the process start.
        var job = full
            ? Job.Default.WithId("Full")
            : Job.Default.WithId("Short")
                .WithLaunchCount(1)
                .WithWarmupCount(3)
                .WithIterationCount(7)
                .WithIterationTime(TimeInterval.FromMilliseconds(150));
        return ManualConfig.Create(DefaultConfig.Instance).AddJob(job.AsDefault());
    }
}
