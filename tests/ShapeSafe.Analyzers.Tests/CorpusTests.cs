extern alias Analyzers;

using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using AnalyzersAlias = Analyzers::ShapeSafe.Analyzers;

namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// Model code in the style of real networks (Corpus/*.cs: MLPs sized by [Dim], CNNs, attention, residual blocks,
/// autoencoders, layer stacks). Each bug is marked on its line with <c>// BUG: SS0002</c> (several ids separated
/// by commas); every marked bug must be reported on its line with its id, and nothing else anywhere.
/// </summary>
public class CorpusTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static string CorpusDirectory
    {
        get
        {
            var dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "ShapeSafe.sln"))) dir = Path.GetDirectoryName(dir);
            return Path.Combine(dir!, "tests", "ShapeSafe.Analyzers.Tests", "Corpus");
        }
    }

    static readonly Regex s_marker = new(@"//\s*BUG:\s*(?<ids>SS\d{4}(\s*,\s*SS\d{4})*)", RegexOptions.Compiled);

    [Fact]
    public async Task Every_marked_bug_is_caught_on_its_line_and_nothing_else_is_reported()
    {
        var files = Directory.GetFiles(CorpusDirectory, "*.cs").OrderBy(f => f, StringComparer.Ordinal).ToList();
        var trees = files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), path: Path.GetFileName(f))).ToList();
        var compilation = CSharpCompilation.Create("Corpus", trees, Verify.References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "the corpus must compile:\n" + string.Join("\n", errors.Take(10)));

        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new AnalyzersAlias.ShapeAnalyzer(), new AnalyzersAlias.AnnotationAnalyzer());
        var diagnostics = await compilation.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync();
        var reported = diagnostics.Select(d => (File: d.Location.SourceTree!.FilePath, Line: d.Location.GetLineSpan().StartLinePosition.Line + 1, d.Id, Text: d.ToString())).ToList();

        var expected = new List<(string File, int Line, string Id)>();
        foreach (var tree in trees)
        {
            var lines = tree.GetText().Lines;
            foreach (var line in lines)
            {
                var match = s_marker.Match(line.ToString());
                if (!match.Success) continue;
                foreach (var id in match.Groups["ids"].Value.Split(',').Select(s => s.Trim()))
                    expected.Add((tree.FilePath, line.LineNumber + 1, id));
            }
        }

        var missed = expected.Where(e => !reported.Any(r => r.File == e.File && r.Line == e.Line && r.Id == e.Id))
            .Select(e => $"missed {e.Id} at {e.File}:{e.Line}").ToList();
        var spurious = reported.Where(r => !expected.Any(e => e.File == r.File && e.Line == r.Line && e.Id == r.Id))
            .Select(r => $"unexpected {r.Text}").ToList();
        // The measure: recall over the marked bugs (ported public reports among them) and no false positive anywhere.
        double recall = expected.Count == 0 ? 1 : (expected.Count - missed.Count) / (double)expected.Count;
        output.WriteLine($"corpus: {files.Count} files, {expected.Count - missed.Count} of {expected.Count} marked bugs caught (recall {recall:0.000}), {spurious.Count} false positives");
        Assert.True(spurious.Count == 0, string.Join("\n", spurious.Concat(missed)));
        Assert.True(recall >= 0.95, $"recall {recall:0.000} ({expected.Count - missed.Count} of {expected.Count}):\n" + string.Join("\n", missed));

        // The corpus stays what it claims to be: several files, a few clean ones, and every id exercised.
        Assert.True(files.Count >= 8, $"{files.Count} corpus files");
        Assert.True(expected.Count >= 30, $"{expected.Count} marked bugs");
        for (int i = 1; i <= 10; i++) Assert.Contains(expected, e => e.Id == $"SS{i:0000}");
        Assert.True(trees.Count(t => !s_marker.IsMatch(t.ToString())) >= 2, "at least two clean files");

        // The issue's figures: at least 30 marked bugs ported from public reports (a bug counts when the type holding it
        // carries its source, a "// https://" comment, above it) and at least 20 clean models (types in Corpus.Models).
        var reportedBugs = expected.Count(e => SourceOf(trees.First(t => t.FilePath == e.File), e.Line) is not null);
        Assert.True(reportedBugs >= 30, $"{reportedBugs} marked bugs from public reports");
        var models = trees.SelectMany(t => t.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax>()
            .Where(c => c.Parent is Microsoft.CodeAnalysis.CSharp.Syntax.BaseNamespaceDeclarationSyntax { Name: var name } && name.ToString() == "Corpus.Models")
            .Select(c => (Tree: t, Class: c))).ToList();
        var markedModels = models.Where(m => s_marker.IsMatch(m.Class.ToFullString())).Select(m => m.Class.Identifier.Text).ToList();
        Assert.True(markedModels.Count == 0, "Corpus.Models holds clean models only: " + string.Join(", ", markedModels));
        Assert.True(models.Count >= 20, $"{models.Count} clean models");
        output.WriteLine($"corpus: {reportedBugs} marked bugs from public reports, {models.Count} clean models");
    }

    /// <summary>The source address in the comments above the top-level type holding <paramref name="line"/> (1-based), or null.</summary>
    static string? SourceOf(SyntaxTree tree, int line)
    {
        var position = tree.GetText().Lines[line - 1].Start;
        var type = tree.GetRoot().FindToken(position).Parent?.AncestorsAndSelf().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.BaseTypeDeclarationSyntax>().LastOrDefault();
        return type?.GetLeadingTrivia().Where(t => t.IsKind(SyntaxKind.SingleLineCommentTrivia)).Select(t => t.ToString())
            .FirstOrDefault(c => c.StartsWith("// https://", StringComparison.Ordinal));
    }
}
