using System.Collections;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ShapeSafe.Generators.Tests;

/// <summary>
/// The generator's cache holds: running it again, or after an edit outside every [Module] class, redoes no work
/// (each named step is Cached or Unchanged), and no step's output holds a symbol, syntax node, location or
/// compilation, which would keep old compilations alive and defeat the comparison.
/// </summary>
public class CachingTests
{
    const string Models = """
        using ShapeSafe;
        using ShapeSafe.NN;
        namespace Demo;
        [Module]
        public partial class Net : Module
        {
            readonly Linear fc = new(4, 2);
            readonly Linear[] heads = [new(2, 1)];
            [Buffer] Tensor scale = Tensor.Ones(2);
            public Tensor Forward(Tensor x) => fc.Forward(x) * scale;
        }
        """;

    const string Program = """
        namespace Demo;
        public static class Program
        {
            public static int Main() => new Net().Parameters().Count();
        }
        """;

    static readonly string[] TrackedSteps = [TrackingNames.ParsedModules, TrackingNames.Modules];

    [Fact]
    public void A_second_run_on_the_same_sources_is_cached()
    {
        var compilation = GeneratorHarness.Compile(("Net.cs", Models), ("Program.cs", Program));
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);

        driver = driver.RunGenerators(compilation.Clone());

        AssertNoWork(driver.GetRunResult());
    }

    [Fact]
    public void An_edit_outside_the_modules_is_cached()
    {
        var compilation = GeneratorHarness.Compile(("Net.cs", Models), ("Program.cs", Program));
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var program = compilation.SyntaxTrees.Single(t => t.FilePath == "Program.cs");
        var edited = compilation.ReplaceSyntaxTree(program,
            CSharpSyntaxTree.ParseText(Program.Replace("Count()", "Count() + 1"), GeneratorHarness.ParseOptions, "Program.cs"));

        driver = driver.RunGenerators(edited);

        AssertNoWork(driver.GetRunResult());
    }

    [Fact]
    public void An_edit_inside_a_module_regenerates_it()
    {
        var compilation = GeneratorHarness.Compile(("Net.cs", Models), ("Program.cs", Program));
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);
        var models = compilation.SyntaxTrees.Single(t => t.FilePath == "Net.cs");
        var edited = compilation.ReplaceSyntaxTree(models,
            CSharpSyntaxTree.ParseText(Models.Replace("[Buffer] Tensor scale", "Parameter gain = new(Tensor.Ones(1));\n    [Buffer] Tensor scale"), GeneratorHarness.ParseOptions, "Net.cs"));

        var result = driver.RunGenerators(edited).GetRunResult().Results.Single();

        Assert.Contains(result.TrackedSteps[TrackingNames.Modules].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("AssignParameter(\"gain\", this.gain);", result.GeneratedSources.Single().SourceText.ToString());
    }

    internal static void AssertNoWork(GeneratorDriverRunResult run)
    {
        var result = run.Results.Single();
        foreach (var step in TrackedSteps)
        {
            Assert.True(result.TrackedSteps.ContainsKey(step), $"step {step} did not run");
            foreach (var output in result.TrackedSteps[step].SelectMany(s => s.Outputs))
            {
                Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged,
                    $"step {step} produced a {output.Reason} output");
                AssertPlainValue(output.Value, step);
            }
        }
        foreach (var output in result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs))
            Assert.Equal(IncrementalStepRunReason.Cached, output.Reason);
    }

    /// <summary>Walks a step output's object graph and fails on anything tied to a compilation.</summary>
    static void AssertPlainValue(object? value, string step, HashSet<object>? seen = null)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum) return;
        seen ??= new HashSet<object>(ReferenceEqualityComparer.Instance);
        if (!seen.Add(value)) return;
        Assert.False(value is ISymbol or SyntaxNode or SyntaxTree or Location or Compilation or SemanticModel,
            $"step {step} holds a {value.GetType().Name}, which breaks caching");
        if (value is IEnumerable items)
        {
            foreach (var item in items) AssertPlainValue(item, step, seen);
            return;
        }
        for (var type = value.GetType(); type is not null; type = type.BaseType)
        {
            foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                AssertPlainValue(field.GetValue(value), step, seen);
        }
    }
}
