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

    static IEnumerable<string> Sources()
    {
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "samples", "ShapeErrors"), "*.cs"))
            yield return File.ReadAllText(file);
        // The raw-string test sources of this project.
        foreach (var file in Directory.GetFiles(Path.Combine(Root, "tests", "ShapeSafe.Analyzers.Tests"), "*Tests.cs"))
        {
            var text = File.ReadAllText(file);
            for (int start = text.IndexOf("\"\"\"\n", StringComparison.Ordinal); start >= 0; start = text.IndexOf("\"\"\"\n", start, StringComparison.Ordinal))
            {
                int end = text.IndexOf("\"\"\"", start + 4, StringComparison.Ordinal);
                if (end < 0) break;
                yield return text.Substring(start + 4, end - start - 4);
                start = end + 3;
            }
        }
    }

    [Fact]
    public async Task Mutated_sources_never_make_the_analyzers_throw()
    {
        var random = new System.Random(20240601);
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new AnalyzersAlias.ShapeAnalyzer(), new AnalyzersAlias.AnnotationAnalyzer());
        var failures = new List<string>();
        var layers = CSharpSyntaxTree.ParseText(Verify.Layers);
        int runs = 0;
        foreach (var source in Sources())
        {
            var tokens = CSharpSyntaxTree.ParseText(source).GetRoot().DescendantTokens().ToList();
            var lines = source.Split('\n');
            for (int k = 0; k < 6; k++)
            {
                string mutated;
                if (k % 2 == 0)
                {
                    // Delete a few random tokens.
                    var drop = Enumerable.Range(0, 3).Select(_ => tokens[random.Next(tokens.Count)].Span).OrderByDescending(s => s.Start).ToList();
                    var text = source;
                    foreach (var span in drop.Distinct()) text = text.Remove(span.Start, span.Length);
                    mutated = text;
                }
                else
                {
                    int line = random.Next(lines.Length);
                    mutated = string.Join('\n', lines.Where((_, i) => i != line));
                }
                var compilation = CSharpCompilation.Create("mutant", new[] { CSharpSyntaxTree.ParseText(mutated), layers }, Verify.References,
                    new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
                var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
                    (e, analyzer, diagnostic) => failures.Add($"{analyzer.GetType().Name}: {e}\n--- source ---\n{mutated}"),
                    concurrentAnalysis: false, logAnalyzerExecutionTime: false);
                var diagnostics = await compilation.WithAnalyzers(analyzers, options).GetAnalyzerDiagnosticsAsync();
                failures.AddRange(diagnostics.Where(d => d.Id == "AD0001").Select(d => d.ToString() + "\n--- source ---\n" + mutated));
                runs++;
            }
        }
        Assert.True(runs > 50, $"only {runs} mutants");
        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(3)));
    }
}
