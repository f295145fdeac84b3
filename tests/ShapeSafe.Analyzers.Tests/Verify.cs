extern alias Analyzers;

using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// Test sources compile against the running .NET's own assemblies plus the engine (no reference-pack download),
/// with <see cref="Layers"/> beside them: small modules that declare their contracts as the engine's layers do.
/// </summary>
public static class Verify
{
    static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var runtime = paths.Where(p => Path.GetFileName(p) is var f && (f.StartsWith("System.", StringComparison.Ordinal) || f is "mscorlib.dll" or "netstandard.dll"));
        return runtime.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(typeof(ShapeSafe.Tensor).Assembly.Location))
            .ToImmutableArray();
    });

    public static ImmutableArray<MetadataReference> References => s_references.Value;

    public static readonly ReferenceAssemblies NoReferencePack = new("net10.0");

    /// <summary>Layers with [Dim] constructors and [Shape] Forward methods, as the engine's layers declare them.</summary>
    public const string Layers = """
        using ShapeSafe;
        using ShapeSafe.NN;

        namespace TestLayers
        {
            public sealed class Dense : Module, ITensorModule
            {
                public Dense([Dim("In")] int inFeatures, [Dim("Out")] int outFeatures) { }
                [return: Shape("..., Out")]
                public Tensor Forward([Shape("..., In")] Tensor input) => throw null!;
            }

            public sealed class Act : Module, ITensorModule
            {
                [return: Shape("...")]
                public Tensor Forward([Shape("...")] Tensor input) => input;
            }

            public sealed class Conv : Module, ITensorModule
            {
                public Conv([Dim("InC")] int inChannels, [Dim("OutC")] int outChannels, [Dim("K")] int kernelSize) { }
                [return: Shape("N, OutC, H - K + 1, W - K + 1")]
                public Tensor Forward([Shape("N, InC, H, W")] Tensor input) => throw null!;
            }
        }
        """;

    public static Task Analyzer<TAnalyzer>(string source, params DiagnosticResult[] expected)
        where TAnalyzer : DiagnosticAnalyzer, new()
    {
        var test = new AnalyzerTest<TAnalyzer> { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    public static Task Shapes(string source, params DiagnosticResult[] expected) =>
        Analyzer<Analyzers::ShapeSafe.Analyzers.ShapeAnalyzer>(source, expected);

    public static DiagnosticResult Diagnostic(string id) => new(id, DiagnosticSeverity.Error);

    public sealed class AnalyzerTest<TAnalyzer> : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
        where TAnalyzer : DiagnosticAnalyzer, new()
    {
        public AnalyzerTest()
        {
            ReferenceAssemblies = NoReferencePack;
            TestState.AdditionalReferences.AddRange(References);
            TestState.Sources.Add(("Layers.cs", Layers));
            DisabledDiagnostics.Add("SS1000");
        }
    }

    public sealed class CodeFixTest<TAnalyzer, TFix> : CSharpCodeFixTest<TAnalyzer, TFix, DefaultVerifier>
        where TAnalyzer : DiagnosticAnalyzer, new()
        where TFix : CodeFixProvider, new()
    {
        public CodeFixTest()
        {
            ReferenceAssemblies = NoReferencePack;
            TestState.AdditionalReferences.AddRange(References);
            FixedState.AdditionalReferences.AddRange(References);
            TestState.Sources.Add(("Layers.cs", Layers));
            FixedState.Sources.Add(("Layers.cs", Layers));
            DisabledDiagnostics.Add("SS1000");
        }
    }
}
