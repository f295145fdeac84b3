using System.IO.Compression;

namespace ShapeSafe.EndToEnd.Tests;

/// <summary>
/// <c>dotnet add package ShapeSafe</c>, as a new user does it: pack the package into a folder, create a console
/// app with <c>dotnet new console</c>, add the package from that folder, write a <c>[Module]</c> model with one
/// deliberate shape bug, and check that the build reports it, then that the fixed app runs with the registration
/// the generator wrote. The app restores from its own package folder, so no earlier run's copy is reused.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class PackageTests : IDisposable
{
    static readonly TimeSpan Step = TimeSpan.FromMinutes(3);
    readonly string _dir = Directory.CreateTempSubdirectory("shapesafe-package-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    const string Model = """
        using ShapeSafe;
        using ShapeSafe.NN;

        var net = new Net();
        Console.WriteLine(string.Join(",", net.NamedParameters().Select(p => p.Name)));
        Console.WriteLine(string.Join(",", net.StateDict().Keys));
        Console.WriteLine(net.Forward(Tensor.Ones(2, 784)).Shape.Count == 2 ? "forward ok" : "forward wrong");
        Console.WriteLine($"large-object threshold {GC.GetConfigurationVariables()["LOHThreshold"]}");

        [Module]
        public partial class Net : Module
        {
            readonly Linear fc1 = new(784, 128);
            readonly Linear fc2 = new(HIDDEN, 10);
            readonly Linear[] heads = [new(10, 2), new(10, 3)];
            [Buffer] Tensor scale = Tensor.Ones(10);

            [return: Shape("B, 10")]
            public Tensor Forward([Shape("B, 784")] Tensor x) => fc2.Forward(fc1.Forward(x).Relu()) * scale;
        }

        public class Forgotten : Module
        {
            readonly Linear fc = new(4, 2);
            public Tensor Forward(Tensor x) => fc.Forward(x);
        }
        """;

    [Fact]
    public void A_new_console_app_gets_the_analyzer_and_the_generator_from_the_one_package()
    {
        var root = DotnetCli.RepositoryRoot;
        var feed = Path.Combine(_dir, "feed");
        DotnetCli.Succeed(root, Step, "pack", Path.Combine(root, "engine", "ShapeSafe", "ShapeSafe.csproj"),
            "-c", DotnetCli.Configuration, "--no-build", "-o", feed);
        var package = Directory.GetFiles(feed, "ShapeSafe.*.nupkg").Single(p => !p.EndsWith(".snupkg", StringComparison.Ordinal));
        using (var zip = ZipFile.OpenRead(package))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
            foreach (var expected in new[]
            {
                "lib/net10.0/ShapeSafe.dll", "lib/net10.0/ShapeSafe.xml", "lib/net10.0/ShapeSafe.Shapes.dll",
                "analyzers/dotnet/roslyn4.8/cs/ShapeSafe.Analyzers.dll", "analyzers/dotnet/roslyn4.8/cs/ShapeSafe.Analyzers.CodeFixes.dll",
                "analyzers/dotnet/roslyn4.8/cs/ShapeSafe.Generators.dll", "README.md",
                "build/ShapeSafe.props", "buildTransitive/ShapeSafe.props",
            })
                Assert.Contains(expected, entries);
        }

        var app = Path.Combine(_dir, "app");
        DotnetCli.Succeed(_dir, Step, "new", "console", "-o", app, "--no-restore");
        // The packages the machine already has are a fallback folder; ShapeSafe itself comes from the feed into a
        // package folder of this run's own.
        File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{Path.Combine(_dir, "packages")}" />
              </config>
              <fallbackPackageFolders>
                <add key="machine" value="{GlobalPackagesFolder(root)}" />
              </fallbackPackageFolders>
              <packageSources>
                <add key="shapesafe" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        DotnetCli.Succeed(app, Step, "add", "package", "ShapeSafe", "--version", PackageVersion(package));

        File.WriteAllText(Path.Combine(app, "Program.cs"), Model.Replace("HIDDEN", "256"));
        var (code, buggy) = DotnetCli.Run(app, Step, "build");
        Assert.NotEqual(0, code);
        Assert.Contains("error SS0008", buggy);
        Assert.Contains("Linear", buggy[buggy.IndexOf("error SS0008", StringComparison.Ordinal)..]);
        Assert.Contains("warning SS2001", buggy);
        Assert.Contains("'Forgotten' derives from Module and holds 'fc'", buggy);

        File.WriteAllText(Path.Combine(app, "Program.cs"), Model.Replace("HIDDEN", "128"));
        var output = DotnetCli.Succeed(app, Step, "run");
        var lines = output.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("fc1.weight,fc1.bias,fc2.weight,fc2.bias,heads.0.weight,heads.0.bias,heads.1.weight,heads.1.bias", lines);
        Assert.Contains("scale,fc1.weight,fc1.bias,fc2.weight,fc2.bias,heads.0.weight,heads.0.bias,heads.1.weight,heads.1.bias", lines);
        Assert.Contains("forward ok", lines);
        // The package's props raise the runtime's large-object threshold (85,000 bytes by default) so tensor results
        // of a few hundred KB stay in gen 0; the runtime caps it below its region size.
        var threshold = long.Parse(lines.Single(l => l.StartsWith("large-object threshold ", StringComparison.Ordinal))["large-object threshold ".Length..]);
        Assert.InRange(threshold, 1L << 20, 16L << 20);
    }

    static string PackageVersion(string package)
    {
        var name = Path.GetFileNameWithoutExtension(package);
        return name["ShapeSafe.".Length..];
    }

    static string GlobalPackagesFolder(string root)
    {
        var output = DotnetCli.Succeed(root, Step, "nuget", "locals", "global-packages", "--list");
        return output.Split(':', 2)[1].Trim();
    }
}
