using System.Diagnostics;
using System.Text;

namespace NativeAot.Tests;

/// <summary>Publishes a sample of this repository with NativeAOT into a temporary folder and runs the binary.</summary>
internal sealed class NativeAotPublish : IDisposable
{
    static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(5), RunTimeout = TimeSpan.FromMinutes(2);

    NativeAotPublish(string directory, string executable, string log) =>
        (Directory, Executable, Log) = (directory, executable, log);

    /// <summary>The publish folder (deleted on dispose).</summary>
    public string Directory { get; }

    /// <summary>The native binary.</summary>
    public string Executable { get; }

    /// <summary>What <c>dotnet publish</c> printed.</summary>
    public string Log { get; }

    /// <summary>
    /// Runs <c>dotnet publish samples/NAME -c Release</c> (the project file sets PublishAot) and fails the test
    /// with the publish log unless it succeeds.
    /// </summary>
    public static NativeAotPublish Sample(string name)
    {
        string project = Path.Combine(RepositoryRoot(), "samples", name, name + ".csproj");
        string output = System.IO.Directory.CreateTempSubdirectory($"nativeaot-{name}-").FullName;
        // No build servers or reused nodes: nothing of this publish outlives the test.
        var (exitCode, log) = Run(DotnetHost(), PublishTimeout, null,
            "publish", project, "-c", "Release", "-o", output, "-nodeReuse:false", "-p:UseSharedCompilation=false");
        if (exitCode != 0)
            Assert.Fail($"dotnet publish {name} exited with {exitCode}:\n{log}");
        string executable = Path.Combine(output, name);
        Assert.True(File.Exists(executable), $"no native binary at {executable}:\n{log}");
        return new NativeAotPublish(output, executable, log);
    }

    /// <summary>Runs the binary in <paramref name="workingDirectory"/> (the publish folder when null); returns its exit code and output.</summary>
    public (int ExitCode, string Output) Execute(string? workingDirectory, params string[] args) =>
        Run(Executable, RunTimeout, workingDirectory ?? Directory, args);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    static (int ExitCode, string Output) Run(string fileName, TimeSpan timeout, string? workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        // The test host runs under `dotnet test`, whose MSBuild variables would steer the child's build.
        foreach (var name in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly" })
            start.Environment.Remove(name);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(fileName)} {string.Join(' ', args)} did not finish in {timeout}:\n{output}");
        }
        process.WaitForExit(); // drains the output handlers
        lock (output) return (process.ExitCode, output.ToString());
    }

    /// <summary>The <c>dotnet</c> that runs these tests, so the publish uses the same SDK.</summary>
    static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ShapeSafe.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"no ShapeSafe.sln above {AppContext.BaseDirectory}");
    }
}
