using System.Diagnostics;
using System.Text;

namespace ShapeSafe.Distributed.Tests;

/// <summary>Runs the test worker under <c>mpirun -np N</c> (or alone) and collects its output.</summary>
internal static class MpiJob
{
    public sealed record Result(int ExitCode, string Output, TimeSpan Elapsed);

    /// <summary>The built program of the project at <paramref name="project"/> (relative to the repository), in this test's configuration.</summary>
    static string ProgramPath(string project, string name)
    {
        // tests/ShapeSafe.Distributed.Tests/bin/<Configuration>/net10.0/ → <project>/bin/<Configuration>/net10.0/
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = here.Name, configuration = here.Parent!.Name;
        var repository = here.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(repository, project, "bin", configuration, framework, name + ".dll");
        if (!File.Exists(path)) throw new FileNotFoundException($"{name} is not built at {path}");
        return path;
    }

    static string? Find(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);

    /// <summary>Runs the worker's <paramref name="scenario"/> on <paramref name="ranks"/> processes; 0 runs it without mpirun.</summary>
    public static Result Run(int ranks, params string[] scenario) => Run(ranks, null, scenario);

    /// <summary>As <see cref="Run(int, string[])"/>, with extra environment variables for the job.</summary>
    public static Result Run(int ranks, IReadOnlyDictionary<string, string>? environment, params string[] scenario) =>
        RunProgram(ProgramPath(Path.Combine("tests", "ShapeSafe.Distributed.Worker"), "ShapeSafe.Distributed.Worker"), ranks, environment, scenario);

    /// <summary>Runs the Fashion-MNIST sample with <paramref name="arguments"/> on <paramref name="ranks"/> processes.</summary>
    public static Result RunSample(int ranks, params string[] arguments) =>
        RunProgram(ProgramPath(Path.Combine("samples", "FashionMnist"), "FashionMnist"), ranks, null, arguments);

    static Result RunProgram(string program, int ranks, IReadOnlyDictionary<string, string>? environment, string[] scenario)
    {
        // The SDK tells test hosts which dotnet runs them; otherwise the one on PATH.
        var dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
            : Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p
            : Find("dotnet") ?? "dotnet";
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (ranks == 0)
        {
            start.FileName = dotnet;
        }
        else
        {
            start.FileName = Find("mpirun") ?? throw new InvalidOperationException(
                "mpirun is not on PATH: the distributed tests need Open MPI (apt-get install openmpi-bin libopenmpi-dev; .ci/run installs it)");
            // Shared memory only (no network), any number of ranks on the machine's cores, allowed as root (CI).
            foreach (var a in new[] { "--oversubscribe", "--allow-run-as-root", "--bind-to", "none", "--mca", "btl", "self,vader", "--mca", "oob_tcp_if_include", "lo", "-np", ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), dotnet })
                start.ArgumentList.Add(a);
        }
        start.ArgumentList.Add(program);
        foreach (var a in scenario) start.ArgumentList.Add(a);
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        // The ranks share two cores with each other: one thread each.
        start.Environment["DOTNET_PROCESSOR_COUNT"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;

        var output = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"the job ({string.Join(" ", scenario)} on {ranks} ranks) did not end within 120 s:\n{output}");
        }
        process.WaitForExit();
        lock (output) return new Result(process.ExitCode, output.ToString(), clock.Elapsed);
    }

    /// <summary>The lines rank <paramref name="rank"/> printed that start with <paramref name="key"/>, without the prefix.</summary>
    public static string[] Lines(this Result result, int rank, string key) =>
        result.Output.Split('\n').Select(l => l.Trim().Replace("\u001b[?1h\u001b=", "", StringComparison.Ordinal))
            .Select(l => { int at = l.IndexOf($"rank {rank}: {key}", StringComparison.Ordinal); return at < 0 ? null : l[(at + $"rank {rank}: {key}".Length)..].Trim(); })
            .OfType<string>().ToArray();

    public static void AssertPassed(this Result result, int ranks, string scenario)
    {
        Assert.True(result.ExitCode == 0, $"exit code {result.ExitCode}:\n{result.Output}");
        for (int r = 0; r < Math.Max(ranks, 1); r++)
            Assert.True(result.Lines(r, "PASS " + scenario).Length == 1, $"rank {r} did not pass {scenario}:\n{result.Output}");
    }
}
