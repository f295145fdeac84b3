extern alias Analyzers;

using System.Collections.Immutable;
using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using AnalyzersAlias = Analyzers::ShapeSafe.Analyzers;

namespace ShapeSafe.Analyzers.Tests;

/// <summary>Sources built to be hard on the analyzer: it runs inside the compiler, so it must neither throw, nor overflow the stack, nor take long.</summary>
public class HostileInputTests
{
    /// <summary>
    /// Runs both analyzers over <paramref name="source"/> (beside <see cref="Verify.Layers"/>) and returns their
    /// diagnostics; any exception an analyzer throws (AD0001) fails the test.
    /// </summary>
    internal static ImmutableArray<Diagnostic> Analyze(string source, List<Diagnostic>? compilerErrors = null)
    {
        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new AnalyzersAlias.ShapeAnalyzer(), new AnalyzersAlias.AnnotationAnalyzer());
        var compilation = CSharpCompilation.Create("hostile", new[] { CSharpSyntaxTree.ParseText(source), CSharpSyntaxTree.ParseText(Verify.Layers) }, Verify.References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var failures = new List<string>();
        var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            (e, analyzer, _) => failures.Add($"{analyzer.GetType().Name}: {e}"), concurrentAnalysis: false, logAnalyzerExecutionTime: false);
        // All diagnostics at once: the compiler's own come from the same binding the analyzers use.
        var all = compilation.WithAnalyzers(analyzers, options).GetAllDiagnosticsAsync().GetAwaiter().GetResult();
        var diagnostics = all.Where(d => d.Id.StartsWith("SS", StringComparison.Ordinal) || d.Id.StartsWith("AD", StringComparison.Ordinal)).ToImmutableArray();
        compilerErrors?.AddRange(all.Where(d => d.Id.StartsWith("CS", StringComparison.Ordinal) && d.Severity == DiagnosticSeverity.Error));
        failures.AddRange(diagnostics.Where(d => d.Id == "AD0001").Select(d => d.ToString()));
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(2)));
        return diagnostics;
    }

    /// <summary>Runs <paramref name="body"/> on a thread with a 1 MB stack (the main thread's size on Windows) and rethrows what it threw.</summary>
    static void OnSmallStack(Action body)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { body(); }
            catch (Exception e) { error = e; }
        }, 1024 * 1024);
        thread.Start();
        thread.Join();
        if (error is not null) throw new Xunit.Sdk.XunitException(error.ToString());
    }

    [Fact]
    public void A_chain_of_5000_additions_does_not_overflow_the_stack()
    {
        var chain = string.Join(" + ", Enumerable.Repeat("x", 5000));
        var source = $$"""
            using ShapeSafe;
            class C
            {
                Tensor M([Shape("B, 3")] Tensor x) => {{chain}};
                void N([Shape("B, 3")] Tensor x, [Shape("B, 4")] Tensor y) { var bad = x + y; }
            }
            """;
        ImmutableArray<Diagnostic> diagnostics = default;
        OnSmallStack(() => diagnostics = Analyze(source));
        // The deep method is given up silently; the other method is still checked.
        var broadcast = Assert.Single(diagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Contains("[B, 3]", broadcast.GetMessage());
    }

    [Fact]
    public Task Size_of_a_dim_of_a_scalar_is_SS0006() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            void M([Shape("")] Tensor scalar)
            {
                var a = Tensor.Ones(3).Sum().{|SS0006:Size(0)|};
                var b = scalar.{|SS0006:Size(-1)|};
            }
        }
        """);

    [Theory]
    [InlineData(16)]
    [InlineData(24)]
    [InlineData(40)]
    public void A_product_of_many_sums_is_analyzed_in_milliseconds(int factors)
    {
        Analyze(ProductOfSums(1)); // the compiler's and the analyzer's own warm-up is not what is measured
        var watch = Stopwatch.StartNew();
        Analyze(ProductOfSums(factors));
        // The blow-up this guards against took minutes (24 factors ran past 5 minutes); an idle run takes about 0.2 s,
        // and a run sharing 2 cores with other builds reached 1.3 s.
        Assert.True(watch.ElapsedMilliseconds < 5000, $"{watch.ElapsedMilliseconds} ms");
    }

    static string ProductOfSums(int factors)
    {
        var product = string.Join("*", Enumerable.Range(0, factors).Select(i => $"(A{i}+B{i})"));
        return $$"""
            using ShapeSafe;
            class C
            {
                Tensor M([Shape("{{product}}, 3")] Tensor x, [Shape("{{product}}")] Tensor y)
                {
                    var flat = x.Flatten();
                    var sum = x + x;
                    return y.View(-1, 1) * x.Sum(1, true);
                }
            }
            """;
    }
}
