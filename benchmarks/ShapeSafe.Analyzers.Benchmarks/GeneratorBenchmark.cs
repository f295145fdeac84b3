using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using ShapeSafe.Generators;

namespace ShapeSafe.Analyzers.Benchmarks;

/// <summary>
/// Times the [Module] generator on the analyzer benchmark's 5,000-line model project with every block a
/// <c>[Module] partial class</c>: a first run on a fresh compilation (a clean build), and a run after an edit in
/// a file outside the models (an incremental build or a keystroke in the IDE), which must do no work: every
/// tracked step Cached or Unchanged. Targets: under 0.1 s added to a build, zero work after the edit.
/// </summary>
public static class GeneratorBenchmark
{
    const string Program = """
        namespace Models;
        public static class Program
        {
            public static int Count() => 1;
        }
        """;

    public static void Run(string[] args)
    {
        int lines = args.Length > 0 && int.TryParse(args[0], out int n) ? n : 5000;
        var source = AnalyzerBenchmark.Generate(lines, modules: true);
        var parse = new CSharpParseOptions(LanguageVersion.Latest);
        var models = CSharpSyntaxTree.ParseText(source, parse, path: "Models.cs");
        var program = CSharpSyntaxTree.ParseText(Program, parse, path: "Program.cs");
        var references = AnalyzerBenchmark.References();

        var baseline = new List<double>();
        var first = new List<double>();
        var afterEdit = new List<double>();
        int files = 0, notCached = 0, rerun = 0;
        for (int run = 0; run < 7; run++)
        {
            var compilation = CSharpCompilation.Create("Models", new[] { models, program }, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
            var floor = Stopwatch.StartNew();
            CSharpGeneratorDriver.Create(new[] { new BaselineGenerator().AsSourceGenerator() }, parseOptions: parse).RunGenerators(compilation);
            floor.Stop();

            compilation = CSharpCompilation.Create("Models", new[] { models, program }, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
            GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new ModuleGenerator().AsSourceGenerator() }, parseOptions: parse,
                driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

            var watch = Stopwatch.StartNew();
            driver = driver.RunGenerators(compilation);
            watch.Stop();
            var result = driver.GetRunResult();
            files = result.GeneratedTrees.Length;
            if (result.Diagnostics.Length > 0) throw new InvalidOperationException(result.Diagnostics[0].ToString());

            var edited = compilation.ReplaceSyntaxTree(program, CSharpSyntaxTree.ParseText(Program.Replace("=> 1", $"=> {run + 2}"), parse, path: "Program.cs"));
            var again = Stopwatch.StartNew();
            driver = driver.RunGenerators(edited);
            again.Stop();
            var outputs = driver.GetRunResult().Results.Single().TrackedSteps
                .Where(kv => kv.Key is "ParsedModules" or "Modules")
                .SelectMany(kv => kv.Value).SelectMany(s => s.Outputs).ToList();
            notCached = outputs.Count(o => o.Reason is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged));
            rerun = outputs.Count(o => o.Reason == IncrementalStepRunReason.Unchanged);
            if (run < 2) continue;
            baseline.Add(floor.Elapsed.TotalSeconds);
            first.Add(watch.Elapsed.TotalSeconds);
            afterEdit.Add(again.Elapsed.TotalSeconds);
        }
        Console.WriteLine($"Generator benchmark: {source.Split('\n').Length} lines of model code, {files} [Module] classes (median of 5 runs after 2 warm-ups)");
        Console.WriteLine($"  first run on a fresh compilation (what a build adds): {Median(first) * 1000:F1} ms  target < 100 ms");
        Console.WriteLine($"  (a generator that only finds the [Module] classes and writes one line each: {Median(baseline) * 1000:F1} ms)");
        Console.WriteLine($"  after an edit outside the models: {Median(afterEdit) * 1000:F1} ms, {notCached} step outputs not Cached/Unchanged (target 0), {rerun} recomputed to an equal value (Unchanged), no file written again");
    }

    /// <summary>The floor any attribute-driven generator pays: find each [Module] class, write one line for it.</summary>
    [Generator]
    sealed class BaselineGenerator : IIncrementalGenerator
    {
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var names = context.SyntaxProvider.ForAttributeWithMetadataName("ShapeSafe.NN.ModuleAttribute",
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                static (c, _) => c.TargetSymbol.Name);
            context.RegisterSourceOutput(names, static (output, name) => output.AddSource(name + ".g.cs", "// " + name));
        }
    }

    static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
