extern alias Analyzers;

using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using AnalyzersAlias = Analyzers::ShapeSafe.Analyzers;

namespace ShapeSafe.Analyzers.Tests;

/// <summary>Half-typed code: the sample and test sources with random tokens and lines deleted must never make an analyzer throw (AD0001).</summary>
public class RobustnessTests
{
    static string Root
    {
        get
        {
            var dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "ShapeSafe.sln"))) dir = Path.GetDirectoryName(dir);
            return dir!;
        }
    }

    /// <summary>
    /// Every source the analyzer is shown: each sample's .cs files (not only ShapeErrors), the analyzer corpus, and
    /// every raw-string test source of this project (named by file and position, so a failure says which).
    /// </summary>
    static IEnumerable<(string Name, string Text)> Sources()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "samples"), "*.cs", SearchOption.AllDirectories).Where(NotBuildOutput))
            yield return (Path.GetRelativePath(Root, file), File.ReadAllText(file));
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "tests", "ShapeSafe.Analyzers.Tests", "Corpus"), "*.cs"))
            yield return (Path.GetRelativePath(Root, file), File.ReadAllText(file));
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "tests", "ShapeSafe.Analyzers.Tests"), "*.cs").Order(StringComparer.Ordinal))
        {
            var text = File.ReadAllText(file);
            int index = 0;
            for (int start = text.IndexOf("\"\"\"\n", StringComparison.Ordinal); start >= 0; start = text.IndexOf("\"\"\"\n", start, StringComparison.Ordinal))
            {
                int end = text.IndexOf("\"\"\"", start + 4, StringComparison.Ordinal);
                if (end < 0) break;
                yield return ($"{Path.GetFileName(file)}#{index++}", text.Substring(start + 4, end - start - 4));
                start = end + 3;
            }
        }
    }

    static bool NotBuildOutput(string path) =>
        !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
        && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal);

    /// <summary>Mutants per source: a seeded choice (the seed is derived from the source's name) that keeps the whole test within seconds.</summary>
    const int MutantsPerSource = 4;

    [Fact]
    public async Task Mutated_sources_never_make_the_analyzers_throw()
    {
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new AnalyzersAlias.ShapeAnalyzer(), new AnalyzersAlias.AnnotationAnalyzer());
        var failures = new List<string>();
        var layers = CSharpSyntaxTree.ParseText(Verify.Layers);
        var covered = new List<string>();
        int runs = 0;
        foreach (var (name, source) in Sources())
        {
            covered.Add(name);
            // A stable per-source seed: the same mutants on every run and machine, different ones per source.
            var random = new System.Random(StableHash(name));
            var tokens = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantTokens().ToList();
            if (tokens.Count == 0) continue;
            var lines = source.Split('\n');
            for (int k = 0; k < MutantsPerSource; k++)
            {
                string mutated;
                if (k % 2 == 0)
                {
                    // Delete a few random tokens.
                    var drop = Enumerable.Range(0, 1 + random.Next(4)).Select(_ => tokens[random.Next(tokens.Count)].Span).Distinct().OrderByDescending(s => s.Start).ToList();
                    var text = source;
                    foreach (var span in drop) text = text.Remove(span.Start, span.Length);
                    mutated = text;
                }
                else
                {
                    // Delete one or two random lines.
                    int line = random.Next(lines.Length), count = 1 + random.Next(2);
                    mutated = string.Join('\n', lines.Where((_, i) => i < line || i >= line + count));
                }
                // SS1000 on, so its message path runs too.
                var compilation = CSharpCompilation.Create("mutant", new[] { CSharpSyntaxTree.ParseText(mutated), layers }, Verify.References,
                    new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
                        .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["SS1000"] = ReportDiagnostic.Info }));
                var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
                    (e, analyzer, diagnostic) => failures.Add($"{name}: {analyzer.GetType().Name}: {e}\n--- source ---\n{mutated}"),
                    concurrentAnalysis: false, logAnalyzerExecutionTime: false);
                var diagnostics = await compilation.WithAnalyzers(analyzers, options).GetAnalyzerDiagnosticsAsync();
                failures.AddRange(diagnostics.Where(d => d.Id == "AD0001").Select(d => $"{name}: {d}\n--- source ---\n{mutated}"));
                runs++;
            }
        }
        // Every sample, the whole corpus and every test class's sources are covered, not a subset.
        Assert.Contains(covered, n => n.StartsWith("samples", StringComparison.Ordinal) && n.Contains("ShapeErrors", StringComparison.Ordinal));
        Assert.Contains(covered, n => n.StartsWith("samples", StringComparison.Ordinal) && n.Contains("FashionMnist", StringComparison.Ordinal));
        Assert.Contains(covered, n => n.Contains("Corpus", StringComparison.Ordinal));
        foreach (var testFile in Directory.GetFiles(Path.Combine(Root, "tests", "ShapeSafe.Analyzers.Tests"), "*Tests.cs"))
            if (File.ReadAllText(testFile).Contains("\"\"\"\n", StringComparison.Ordinal))
                Assert.Contains(covered, n => n.StartsWith(Path.GetFileName(testFile) + "#", StringComparison.Ordinal));
        Assert.True(runs > 200, $"only {runs} mutants");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(3)));
    }

    static int StableHash(string text)
    {
        unchecked
        {
            int h = 17;
            foreach (char c in text) h = h * 31 + c;
            return h;
        }
    }
}
