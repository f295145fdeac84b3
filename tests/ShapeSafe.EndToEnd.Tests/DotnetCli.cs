using System.Diagnostics;
using System.Text;

namespace ShapeSafe.EndToEnd.Tests;

/// <summary>Runs the <c>dotnet</c> CLI (and the programs it builds) as a user would, in a folder, and returns the exit code and output.</summary>
public static class DotnetCli
{
    /// <summary>The repository's root: the folder holding ShapeSafe.sln above the test binaries.</summary>
    public static string RepositoryRoot
    {
        get
        {
            var dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "ShapeSafe.sln"))) dir = Path.GetDirectoryName(dir);
            return dir ?? throw new InvalidOperationException("ShapeSafe.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The configuration these tests were built in, so that packing reuses that build.</summary>
    public const string Configuration =
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    /// <summary>The <c>dotnet</c> that runs these tests, so every command uses the same SDK.</summary>
    static string Host =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    public static (int ExitCode, string Output) Run(string workingDirectory, TimeSpan timeout, params string[] arguments) =>
        RunProgram(Host, workingDirectory, timeout, arguments);

    /// <summary>Runs any program (a published binary, the CLI) with the output of both streams in order.</summary>
    public static (int ExitCode, string Output) RunProgram(string fileName, string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // The test host runs under `dotnet test`, whose MSBuild settings would leak into the user's build.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(fileName)} {string.Join(' ', arguments)} did not finish in {timeout}:\n{output}");
        }
        process.WaitForExit(); // drains the output handlers
        lock (output) return (process.ExitCode, output.ToString());
    }

    /// <summary>Runs and fails the test, with the whole output, unless the command succeeds.</summary>
    public static string Succeed(string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        var (code, output) = Run(workingDirectory, timeout, arguments);
        Assert.True(code == 0, $"dotnet {string.Join(' ', arguments)} exited with {code}:\n{output}");
        return output;
    }
}
