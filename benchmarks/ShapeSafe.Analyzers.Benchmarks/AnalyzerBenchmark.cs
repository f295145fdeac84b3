extern alias Analyzers;

using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ShapeSafe.Analyzers.Benchmarks;

/// <summary>
/// Times both analyzers over a generated 5,000-line file of model code (MLPs sized by [Dim], attention blocks with
/// views and transposes, convolutional stems, loops and branches), after a warm-up, and prints the median.
/// The acceptance target is under 0.5 s.
/// </summary>
public static class AnalyzerBenchmark
{
    public static void Run(string[] args)
    {
        int lines = args.Length > 0 && int.TryParse(args[0], out int n) ? n : 5000;
        var source = Generate(lines);
        var tree = CSharpSyntaxTree.ParseText(source, path: "Models.cs");
        var references = References();
        // Each wrapped in a clock of its callbacks' thread CPU time: ExecutionTime is wall time, which on a loaded machine
        // counts the time the callback's thread waits for a core.
        var shapes = new Clocked(new Analyzers::ShapeSafe.Analyzers.ShapeAnalyzer());
        var annotations = new Clocked(new Analyzers::ShapeSafe.Analyzers.AnnotationAnalyzer());
        var baselineAnalyzer = new BaselineAnalyzer();

        var baseline = Measure(tree, references, ImmutableArray.Create<DiagnosticAnalyzer>(baselineAnalyzer), out _);
        var total = Measure(tree, references, ImmutableArray.Create<DiagnosticAnalyzer>(shapes, annotations), out int reported);
        int lineCount = source.Split('\n').Length;
        Console.WriteLine($"Analyzer benchmark: {lineCount} lines of model code, {reported} diagnostics (median of 5 runs, fresh compilation each)");
        Console.WriteLine($"  ShapeSafe analyzers' own time, as Roslyn attributes it (ExecutionTime): {Own(total):F3} s "
            + $"(ShapeAnalyzer {total.Own[shapes]:F3} s, AnnotationAnalyzer {total.Own[annotations]:F3} s)  target < 0.5 s");
        Console.WriteLine(total.Cpu is { } cpu
            ? $"  their thread CPU time inside the callbacks (what they compute, whatever the load): {cpu:F3} s, allocating {total.Allocated / 1e6:F1} MB"
            : "  (thread CPU time of the callbacks: measured on Linux only)");
        Console.WriteLine($"  with the compiler's own binding: {total.Wall:F3} s wall for GetAnalyzerDiagnostics "
            + $"(an analyzer that only builds control-flow graphs: {baseline.Wall:F3} s wall, {baseline.Own[baselineAnalyzer]:F3} s own)");
    }

    /// <summary>The running .NET's assemblies and the engine: what the generated model code compiles against.</summary>
    public static List<MetadataReference> References() =>
        ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(typeof(ShapeSafe.Tensor).Assembly.Location))
            .ToList();

    static double Own(Result r) => r.Own.Where(kv => kv.Key is not BaselineAnalyzer).Sum(kv => kv.Value);

    sealed class Result
    {
        public double Wall;
        public Dictionary<DiagnosticAnalyzer, double> Own = new();
        public double? Cpu;
        public long Allocated;
    }

    /// <summary>
    /// Runs the analyzers over a fresh compilation 7 times (the first two warm up) and returns the medians of the
    /// wall time of GetAnalyzerDiagnosticsAsync (which includes binding the code) and of each analyzer's own
    /// execution time as Roslyn's telemetry attributes it (callbacks only, binding excluded).
    /// </summary>
    static Result Measure(SyntaxTree tree, IEnumerable<MetadataReference> references, ImmutableArray<DiagnosticAnalyzer> analyzers, out int reported)
    {
        var walls = new List<double>();
        var cpus = new List<double>();
        long allocated = 0;
        var own = analyzers.ToDictionary(a => a, _ => new List<double>());
        reported = 0;
        for (int run = 0; run < 7; run++)
        {
            // A fresh compilation each run: nothing is cached between runs, as after an edit in the IDE.
            var compilation = CSharpCompilation.Create("Models", new[] { tree }, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
            var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count > 0) throw new InvalidOperationException("generated code does not compile: " + errors[0]);
            // GetDiagnostics above bound method bodies once; a fresh compilation again so the analyzers pay for binding.
            compilation = CSharpCompilation.Create("Models", new[] { tree }, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
            var options = new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: false, logAnalyzerExecutionTime: true);
            var withAnalyzers = compilation.WithAnalyzers(analyzers, options);
            Clocked.Reset();
            var watch = Stopwatch.StartNew();
            var diagnostics = withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
            watch.Stop();
            if (diagnostics.Any(d => d.Id == "AD0001")) throw new InvalidOperationException(diagnostics.First(d => d.Id == "AD0001").ToString());
            reported = diagnostics.Length;
            if (run < 2) continue;
            walls.Add(watch.Elapsed.TotalSeconds);
            cpus.Add(Clocked.CpuSeconds);
            allocated = Clocked.AllocatedBytes;
            foreach (var analyzer in analyzers)
                own[analyzer].Add(withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None).GetAwaiter().GetResult().ExecutionTime.TotalSeconds);
        }
        return new Result
        {
            Wall = Median(walls),
            Own = own.ToDictionary(kv => kv.Key, kv => Median(kv.Value)),
            Cpu = analyzers.Any(a => a is Clocked) && Clocked.Available ? Median(cpus) : null,
            Allocated = allocated,
        };
    }

    static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    /// <summary>Builds every method's control-flow graph and nothing else: the cost any flow analyzer pays.</summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    sealed class BaselineAnalyzer : DiagnosticAnalyzer
    {
        static readonly DiagnosticDescriptor s_never = new("BL0001", "never", "never", "Baseline", DiagnosticSeverity.Hidden, true);
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(s_never);
        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterOperationBlockAction(c =>
            {
                // As ShapeAnalyzer: one graph per method, from the first block under its body.
                var roots = new HashSet<IOperation>();
                foreach (var block in c.OperationBlocks)
                {
                    var root = block;
                    while (root.Parent is not null) root = root.Parent;
                    if (root.Kind is OperationKind.MethodBody or OperationKind.ConstructorBody && roots.Add(root)) c.GetControlFlowGraph(block);
                }
            });
        }
    }

    /// <summary>
    /// Model code in the style of real networks, with one deliberate shape bug per block; with
    /// <paramref name="modules"/>, each block is a <c>[Module] partial class</c> for the generator.
    /// </summary>
    public static string Generate(int lines, bool modules = false)
    {
        var sb = new StringBuilder();
        sb.AppendLine("using ShapeSafe;");
        sb.AppendLine("using ShapeSafe.NN;");
        sb.AppendLine("namespace Models;");
        sb.AppendLine("""
            public sealed class Dense : Module, ITensorModule
            {
                public Dense([Dim("In")] int inFeatures, [Dim("Out")] int outFeatures) { }
                [return: Shape("..., Out")]
                public Tensor Forward([Shape("..., In")] Tensor input) => throw null!;
            }
            """);
        for (int i = 0; sb.Length == 0 || CountLines(sb) < lines; i++)
        {
            sb.AppendLine($$"""
                {{(modules ? "[Module] public sealed partial class" : "public sealed class")}} Block{{i}} : Module
                {
                    readonly Dense _up;
                    readonly Dense _down;
                    readonly Dense _head = new Dense(64, 10);

                    public Block{{i}}([Dim("H")] int hidden)
                    {
                        _up = new Dense(64, hidden);
                        _down = new Dense(hidden, 64);
                    }

                    [return: Shape("B, T, 64")]
                    public Tensor Attention([Shape("B, T, 64")] Tensor x, [Shape("64, 64")] Tensor wq, [Shape("64, 64")] Tensor wk)
                    {
                        var q = x.Matmul(wq).View(x.Size(0), x.Size(1), 8, 8).Transpose(1, 2);
                        var k = x.Matmul(wk).View(x.Size(0), x.Size(1), 8, 8).Transpose(1, 2);
                        var scores = q.Matmul(k.Transpose(-2, -1)).Softmax(-1);
                        var context = scores.Matmul(q);
                        var merged = context.Transpose(1, 2).Reshape(x.Size(0), x.Size(1), 64);
                        return merged + x;
                    }

                    [return: Shape("B, 10")]
                    public Tensor Forward([Shape("B, 64")] Tensor x, bool train)
                    {
                        var h = _up.Forward(x).Relu();
                        if (train) h = h * 0.5f; else h = h + 1f;
                        for (int step = 0; step < 3; step++)
                            h = h.Relu();
                        var y = _down.Forward(h) + x;
                        var parts = y.Chunk(2, 1);
                        var joined = Tensor.Cat(new[] { parts[0], parts[1] }, 1);
                        return _head.Forward(joined);
                    }

                    public Tensor Stem()
                    {
                        var image = Tensor.Randn(8, 3, 32, 32);
                        var flat = image.Permute(0, 2, 3, 1).Reshape(8, -1);
                        var wrong = image.Transpose(1, 3).View(8, -1);
                        var w = Tensor.Randn(3 * 32 * 32, 128);
                        return flat.Matmul(w).Sum(1, true).Expand(8, 128);
                    }

                    public Tensor Bug([Shape("B, 64")] Tensor x) => x.Matmul(Tensor.Randn(32, 10));
                }

                """);
        }
        return sb.ToString();
    }

    static int CountLines(StringBuilder sb)
    {
        int count = 0;
        for (int i = 0; i < sb.Length; i++) if (sb[i] == '\n') count++;
        return count;
    }
}
