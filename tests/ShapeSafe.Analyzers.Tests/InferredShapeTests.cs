extern alias Analyzers;

using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// SS1000 is off by default; one .editorconfig line (or global config line) shows every tensor local's inferred
/// shape. The testing library switches disabled-by-default rules on by itself, so these tests build the
/// compilation as the compiler does: the config files parsed by Roslyn's own AnalyzerConfigSet.
/// </summary>
public class InferredShapeTests
{
    const string Source = """
        using ShapeSafe;
        class C
        {
            Tensor M([Shape("B, 784")] Tensor x, [Shape("784, 10")] Tensor w)
            {
                var h = x.Matmul(w);
                h = h.Relu();
                int n = 3;
                return h;
            }
        }
        """;

    static Task<string[]> Run(params (string Path, string Text)[] configs) => RunOn(Source, configs);

    static async Task<string[]> RunOn(string source, params (string Path, string Text)[] configs)
    {
        var set = AnalyzerConfigSet.Create(configs.Select(c => AnalyzerConfig.Parse(c.Text, c.Path)).ToList());
        var tree = CSharpSyntaxTree.ParseText(source, path: "/src/Model.cs");
        var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary)
            .WithSyntaxTreeOptionsProvider(new ConfigProvider(set, set.GetOptionsForSourcePath(tree.FilePath)));
        var compilation = CSharpCompilation.Create("M", new[] { tree }, Verify.References, options);
        var diagnostics = await compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new Analyzers::ShapeSafe.Analyzers.ShapeAnalyzer()))
            .GetAnalyzerDiagnosticsAsync();
        return diagnostics.Select(d => $"{d.Id} {d.Severity} {d.Location.GetLineSpan().StartLinePosition.Line + 1}: '{d.Location.SourceTree!.GetText().ToString(d.Location.SourceSpan)}' {d.GetMessage()}").OrderBy(s => s, StringComparer.Ordinal).ToArray();
    }

    static readonly string[] s_shown = { "SS1000 Info 6: 'h = x.Matmul(w)' 'h' has shape [B, 10]", "SS1000 Info 7: 'h = h.Relu()' 'h' has shape [B, 10]" };

    const string On = "root = true\n\n[*.cs]\ndotnet_diagnostic.SS1000.severity = suggestion\n";

    [Fact]
    public async Task Each_return_of_a_Forward_shows_the_shape_it_returns() => Assert.Equal(new[]
        {
            "SS1000 Info 16: 'x.Matmul(w)' 'Forward' returns [B, 10]",
            "SS1000 Info 18: 'x.Matmul(w).Relu()' 'Forward' returns [B, 10]",
            "SS1000 Info 21: 'x[0]' 'Forward' returns [784]",
            "SS1000 Info 7: 'y = x.Matmul(w)' 'y' has shape [B, 10]",
            "SS1000 Info 8: 'y.Relu()' 'Forward' returns [B, 10]",
            "SS1000 Info 9: 'y' 'Forward' returns [B, 10]",
        }, await RunOn("""
            using ShapeSafe;
            using ShapeSafe.NN;
            class Head : Module
            {
                public Tensor Forward([Shape("B, 784")] Tensor x, [Shape("784, 10")] Tensor w, bool relu)
                {
                    var y = x.Matmul(w);
                    if (relu) return y.Relu();
                    return y;
                }
            }
            class Probe : Module
            {
                public Tensor Forward([Shape("B, 784")] Tensor x, [Shape("784, 10")] Tensor w, bool first)
                {
                    if (first) return x.Matmul(w);
                    Tensor Local() => x;
                    return x.Matmul(w).Relu();
                }
                Tensor NotForward([Shape("B, 784")] Tensor x) => x.Relu();
                public Tensor Forward([Shape("B, 784")] Tensor x) => x[0];
                public Tensor Forward(Tensor unknown, int n) => unknown.View(n, -1);
            }
            """, ("/src/.editorconfig", On)));

    [Fact]
    public async Task Off_by_default() => Assert.Empty(await Run());

    [Fact]
    public async Task One_editorconfig_line_turns_it_on() =>
        Assert.Equal(s_shown, await Run(("/src/.editorconfig", "root = true\n\n[*.cs]\ndotnet_diagnostic.SS1000.severity = suggestion\n")));

    [Fact]
    public async Task A_global_config_line_works_too() =>
        Assert.Equal(s_shown, await Run(("/.globalconfig", "is_global = true\ndotnet_diagnostic.SS1000.severity = suggestion\n")));

    [Fact]
    public async Task Severity_none_keeps_it_off() =>
        Assert.Empty(await Run(("/src/.editorconfig", "root = true\n\n[*.cs]\ndotnet_diagnostic.SS1000.severity = none\n")));

    /// <summary>What the compiler derives from .editorconfig files: per-tree and global diagnostic severities.</summary>
    sealed class ConfigProvider(AnalyzerConfigSet set, AnalyzerConfigOptionsResult tree) : SyntaxTreeOptionsProvider
    {
        public override GeneratedKind IsGenerated(SyntaxTree tree, CancellationToken cancellationToken) => GeneratedKind.NotGenerated;

        public override bool TryGetDiagnosticValue(SyntaxTree syntaxTree, string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity) =>
            tree.TreeOptions.TryGetValue(diagnosticId, out severity);

        public override bool TryGetGlobalDiagnosticValue(string diagnosticId, CancellationToken cancellationToken, out ReportDiagnostic severity) =>
            set.GlobalConfigOptions.TreeOptions.TryGetValue(diagnosticId, out severity);
    }
}
