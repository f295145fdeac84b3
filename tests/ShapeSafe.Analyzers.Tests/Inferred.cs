extern alias Analyzers;

using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// The shapes the analyzer infers, read from SS1000 switched on in the compilation options: each tensor local's
/// shape ("y [2, 8, 5]"), so a test states the exact result of an op rather than only that nothing was reported.
/// </summary>
public static class Inferred
{
    /// <summary>Compiles <paramref name="source"/> (with the test layers) and returns every diagnostic as "SS0006 line: message", SS1000 as "name [shape]".</summary>
    public static async Task<List<string>> Run(string source)
    {
        var trees = new[] { CSharpSyntaxTree.ParseText(source, path: "Test.cs"), CSharpSyntaxTree.ParseText(Verify.Layers, path: "Layers.cs") };
        var options = new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable)
            .WithSpecificDiagnosticOptions(new Dictionary<string, ReportDiagnostic> { ["SS1000"] = ReportDiagnostic.Info });
        var compilation = CSharpCompilation.Create("Probe", trees, Verify.References, options);
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "the probe must compile:\n" + string.Join("\n", errors.Take(10)));
        var crashes = new List<string>();
        var withAnalyzers = compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new Analyzers::ShapeSafe.Analyzers.ShapeAnalyzer()),
            new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), (e, _, _) => crashes.Add(e.ToString()),
                concurrentAnalysis: false, logAnalyzerExecutionTime: false));
        var diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync();
        Assert.True(crashes.Count == 0, "the analyzer threw:\n" + string.Join("\n", crashes));
        return diagnostics
            .Where(d => d.Id != "SS1000" || d.Location.SourceTree?.FilePath == "Test.cs") // the test layers' own Forward returns
            .OrderBy(d => d.Location.SourceSpan.Start)
            .Select(d => d.Id == "SS1000" ? Shown(d.GetMessage()) : $"{d.Id} {d.Location.GetLineSpan().StartLinePosition.Line + 1}: {d.GetMessage()}")
            .ToList();
    }

    /// <summary>"'y' has shape [2, 8]" as "y [2, 8]"; a Forward's return as "return [2, 8]".</summary>
    static string Shown(string message)
    {
        const string has = " has shape ", returns = "'Forward' returns ";
        if (message.StartsWith(returns, StringComparison.Ordinal)) return "return " + message.Substring(returns.Length);
        int at = message.IndexOf(has, StringComparison.Ordinal);
        return message.Substring(0, at).Trim('\'') + " " + message.Substring(at + has.Length);
    }

    /// <summary>The body of a method with the given parameters, in a class that may hold fields.</summary>
    public static Task<List<string>> In(string parameters, string body, string members = "") => Run($$"""
        using ShapeSafe;
        using ShapeSafe.NN;
        using System.Collections.Generic;
        class Probe : Module
        {
            {{members}}
            void M({{parameters}})
            {
                {{body}}
            }
        }
        """);
}
