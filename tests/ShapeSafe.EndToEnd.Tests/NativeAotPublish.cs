namespace ShapeSafe.EndToEnd.Tests;

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
        string project = Path.Combine(DotnetCli.RepositoryRoot, "samples", name, name + ".csproj");
        string output = System.IO.Directory.CreateTempSubdirectory($"nativeaot-{name}-").FullName;
        // No build servers or reused nodes: nothing of this publish outlives the test.
        var (exitCode, log) = DotnetCli.Run(DotnetCli.RepositoryRoot, PublishTimeout,
            "publish", project, "-c", "Release", "-o", output, "-nodeReuse:false", "-p:UseSharedCompilation=false");
        if (exitCode != 0)
            Assert.Fail($"dotnet publish {name} exited with {exitCode}:\n{log}");
        string executable = Path.Combine(output, name);
        Assert.True(File.Exists(executable), $"no native binary at {executable}:\n{log}");
        return new NativeAotPublish(output, executable, log);
    }

    /// <summary>Runs the binary in <paramref name="workingDirectory"/> (the publish folder when null); returns its exit code and output.</summary>
    public (int ExitCode, string Output) Execute(string? workingDirectory, params string[] args) =>
        DotnetCli.RunProgram(Executable, workingDirectory ?? Directory, RunTimeout, args);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
