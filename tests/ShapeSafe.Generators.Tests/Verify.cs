using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace ShapeSafe.Generators.Tests;

/// <summary>The analyzer and code-fix test frameworks, set up to compile against the engine.</summary>
public static class Verify
{
    public static Task Diagnostics(string source, params DiagnosticResult[] expected)
    {
        var test = new AnalyzerTest { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    public static DiagnosticResult Diagnostic(string id, DiagnosticSeverity severity = DiagnosticSeverity.Error) => new(id, severity);

    public sealed class AnalyzerTest : CSharpAnalyzerTest<ModuleDeclarationAnalyzer, DefaultVerifier>
    {
        public AnalyzerTest()
        {
            ReferenceAssemblies = GeneratorHarness.NoReferencePack;
            TestState.AdditionalReferences.AddRange(GeneratorHarness.References);
        }
    }

    public sealed class CodeFixTest<TFix> : CSharpCodeFixTest<ModuleDeclarationAnalyzer, TFix, DefaultVerifier>
        where TFix : CodeFixProvider, new()
    {
        public CodeFixTest()
        {
            ReferenceAssemblies = GeneratorHarness.NoReferencePack;
            TestState.AdditionalReferences.AddRange(GeneratorHarness.References);
            FixedState.AdditionalReferences.AddRange(GeneratorHarness.References);
        }
    }
}
