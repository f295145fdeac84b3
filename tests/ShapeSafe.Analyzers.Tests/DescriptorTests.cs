extern alias Analyzers;

using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using AnalyzersAlias = Analyzers::ShapeSafe.Analyzers;

namespace ShapeSafe.Analyzers.Tests;

/// <summary>Every descriptor: id format, category, help link, an entry in the release file and a doc page.</summary>
public class DescriptorTests
{
    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (var d in AllDescriptors()) data.Add(d.Id);
        return data;
    }

    static IEnumerable<DiagnosticDescriptor> AllDescriptors() =>
        new DiagnosticAnalyzer[] { new AnalyzersAlias.ShapeAnalyzer(), new AnalyzersAlias.AnnotationAnalyzer() }
            .SelectMany(a => a.SupportedDiagnostics).DistinctBy(d => d.Id);

    static string Root
    {
        get
        {
            var dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "ShapeSafe.sln"))) dir = Path.GetDirectoryName(dir);
            return dir!;
        }
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void Descriptor_is_complete(string id)
    {
        var d = AllDescriptors().Single(x => x.Id == id);
        Assert.Matches(new Regex("^SS[0-9]{4}$"), d.Id);
        Assert.Equal("Shape", d.Category);
        Assert.Equal(AnalyzersAlias.DiagnosticDescriptors.HelpLinkBase + id + ".md", d.HelpLinkUri);
        Assert.False(string.IsNullOrWhiteSpace(d.Title.ToString()));
        Assert.True(File.Exists(Path.Combine(Root, "docs", "diagnostics", id + ".md")), $"docs/diagnostics/{id}.md is missing");
        var releases = File.ReadAllText(Path.Combine(Root, "analyzers", "ShapeSafe.Analyzers", "AnalyzerReleases.Unshipped.md"))
            + File.ReadAllText(Path.Combine(Root, "analyzers", "ShapeSafe.Analyzers", "AnalyzerReleases.Shipped.md"));
        Assert.Matches(new Regex("^" + id + @"\s*\|", RegexOptions.Multiline), releases);
    }

    [Fact]
    public void Every_API_md_id_is_supported()
    {
        var ids = AllDescriptors().Select(d => d.Id).ToHashSet();
        for (int i = 1; i <= 10; i++) Assert.Contains($"SS{i:0000}", ids);
        Assert.False(AllDescriptors().Single(d => d.Id == "SS1000").IsEnabledByDefault);
    }
}
