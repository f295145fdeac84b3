using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;
using ShapeSafe.TestSupport;

namespace ShapeSafe.Generators.Tests;

/// <summary>
/// Compiles test sources against the running .NET's assemblies and the engine, and runs the generator over them
/// with <see cref="CSharpGeneratorDriver"/>, keeping its step tracking for the caching tests.
/// </summary>
public static class GeneratorHarness
{
    public static ImmutableArray<MetadataReference> References => CompilationReferences.All;

    /// <summary>The test frameworks' reference set: no reference pack, the references above added per test.</summary>
    public static readonly ReferenceAssemblies NoReferencePack = new("net10.0");

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static CSharpCompilation Compile(params (string Path, string Text)[] sources) =>
        CSharpCompilation.Create("Models",
            sources.Select(s => CSharpSyntaxTree.ParseText(s.Text, ParseOptions, path: s.Path)),
            References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver() =>
        CSharpGeneratorDriver.Create(
            new[] { new ModuleGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>Runs the generator once; returns the generated files by hint name and the compilation with them.</summary>
    public static (IReadOnlyDictionary<string, string> Files, Compilation Output) Run(params string[] sources)
    {
        var input = Compile(sources.Select((s, i) => ($"Model{i}.cs", s)).ToArray());
        Driver().RunGeneratorsAndUpdateCompilation(input, out var output, out var diagnostics);
        Assert.Empty(diagnostics);
        var files = output.SyntaxTrees.Skip(input.SyntaxTrees.Count())
            .ToDictionary(t => Path.GetFileName(t.FilePath), t => t.GetText().ToString());
        return (files, output);
    }

    /// <summary>The compilation's errors and warnings (the generated code must add none).</summary>
    public static IReadOnlyList<Diagnostic> Problems(Compilation compilation) =>
        compilation.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToList();
}
