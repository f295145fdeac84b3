using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace ShapeSafe.Generators.Tests;

/// <summary>Every SS2xxx descriptor: id range, category, help link, an entry in the release file and a doc page.</summary>
public class DescriptorTests
{
    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (var d in new ModuleDeclarationAnalyzer().SupportedDiagnostics) data.Add(d.Id);
        return data;
    }

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
        var d = new ModuleDeclarationAnalyzer().SupportedDiagnostics.Single(x => x.Id == id);
        Assert.Matches(new Regex("^SS2[0-9]{3}$"), d.Id);
        Assert.Equal("Module", d.Category);
        Assert.Equal("https://github.com/shapesafe/shapesafe/blob/main/docs/diagnostics/" + id + ".md", d.HelpLinkUri);
        Assert.True(d.IsEnabledByDefault);
        Assert.False(string.IsNullOrWhiteSpace(d.Title.ToString()));
        Assert.True(File.Exists(Path.Combine(Root, "docs", "diagnostics", id + ".md")), $"docs/diagnostics/{id}.md is missing");
        var releases = File.ReadAllText(Path.Combine(Root, "generators", "ShapeSafe.Generators", "AnalyzerReleases.Unshipped.md"))
            + File.ReadAllText(Path.Combine(Root, "generators", "ShapeSafe.Generators", "AnalyzerReleases.Shipped.md"));
        Assert.Matches(new Regex("^" + id + @"\s*\|\s*Module\s*\|\s*" + d.DefaultSeverity + @"\s*\|", RegexOptions.Multiline), releases);
    }

    [Fact]
    public void Every_id_constant_has_a_descriptor()
    {
        var constants = typeof(GeneratorDiagnosticIds).GetFields().Select(f => (string)f.GetValue(null)!).Order().ToArray();
        var supported = new ModuleDeclarationAnalyzer().SupportedDiagnostics.Select(d => d.Id).Order().ToArray();
        Assert.Equal(constants, supported);
        Assert.Equal(DiagnosticSeverity.Warning, new ModuleDeclarationAnalyzer().SupportedDiagnostics.Single(d => d.Id == "SS2001").DefaultSeverity);
    }
}
