using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ShapeSafe.Analyzers.Benchmarks;

/// <summary>
/// An analyzer run through a clock: every callback it registers is timed in its thread's CPU time
/// (<c>CLOCK_THREAD_CPUTIME_ID</c>, Linux) and the bytes its thread allocates, summed over all callbacks since
/// <see cref="Reset"/>. Unlike Roslyn's ExecutionTime (wall time), this does not count the time a callback's thread
/// waits for a core on a loaded machine; a collection the callback's allocations trigger is counted.
/// </summary>
// A wrapper, not an analyzer of its own: the wrapped analyzer configures generated code and concurrency and registers
// its actions through the forwarding contexts, and the benchmark hands it to WithAnalyzers directly.
#pragma warning disable RS1001, RS1012, RS1025, RS1026
public sealed class Clocked : DiagnosticAnalyzer
{
    readonly DiagnosticAnalyzer _inner;

    public Clocked(DiagnosticAnalyzer inner) => _inner = inner;

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => _inner.SupportedDiagnostics;

    public override void Initialize(AnalysisContext context) => _inner.Initialize(new Context(context));

    static long s_nanoseconds;
    static long s_bytes;

    public static bool Available => OperatingSystem.IsLinux();
    public static double CpuSeconds => Interlocked.Read(ref s_nanoseconds) / 1e9;
    public static long AllocatedBytes => Interlocked.Read(ref s_bytes);

    public static void Reset()
    {
        Interlocked.Exchange(ref s_nanoseconds, 0);
        Interlocked.Exchange(ref s_bytes, 0);
    }

    [StructLayout(LayoutKind.Sequential)]
    struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    static extern int ClockGetTime(int clock, out Timespec time);

    const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID on Linux

    static long ThreadNanoseconds()
    {
        if (!Available || ClockGetTime(ThreadCpuClock, out var t) != 0) return 0;
        return t.Seconds * 1_000_000_000 + t.Nanoseconds;
    }

    static Action<T> Timed<T>(Action<T> action) => argument =>
    {
        long start = ThreadNanoseconds();
        long bytes = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            action(argument);
        }
        finally
        {
            Interlocked.Add(ref s_nanoseconds, ThreadNanoseconds() - start);
            Interlocked.Add(ref s_bytes, GC.GetAllocatedBytesForCurrentThread() - bytes);
        }
    };

    sealed class Context(AnalysisContext c) : AnalysisContext
    {
        public override void EnableConcurrentExecution() => c.EnableConcurrentExecution();
        public override void ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags analysisMode) => c.ConfigureGeneratedCodeAnalysis(analysisMode);
        public override void RegisterCompilationStartAction(Action<CompilationStartAnalysisContext> action) =>
            c.RegisterCompilationStartAction(Timed<CompilationStartAnalysisContext>(start => action(new StartContext(start))));
        public override void RegisterCompilationAction(Action<CompilationAnalysisContext> action) => c.RegisterCompilationAction(Timed(action));
        public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action) => c.RegisterSemanticModelAction(Timed(action));
        public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, ImmutableArray<SymbolKind> symbolKinds) => c.RegisterSymbolAction(Timed(action), symbolKinds);
        public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) => c.RegisterCodeBlockStartAction(Timed(action));
        public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) => c.RegisterCodeBlockAction(Timed(action));
        public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action) => c.RegisterSyntaxTreeAction(Timed(action));
        public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds) =>
            c.RegisterSyntaxNodeAction(Timed(action), syntaxKinds);
        public override void RegisterOperationBlockAction(Action<OperationBlockAnalysisContext> action) => c.RegisterOperationBlockAction(Timed(action));
        public override void RegisterOperationAction(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> operationKinds) => c.RegisterOperationAction(Timed(action), operationKinds);
    }

    sealed class StartContext(CompilationStartAnalysisContext c) : CompilationStartAnalysisContext(c.Compilation, c.Options, c.CancellationToken)
    {
        public override void RegisterCompilationEndAction(Action<CompilationAnalysisContext> action) => c.RegisterCompilationEndAction(Timed(action));
        public override void RegisterSemanticModelAction(Action<SemanticModelAnalysisContext> action) => c.RegisterSemanticModelAction(Timed(action));
        public override void RegisterSymbolAction(Action<SymbolAnalysisContext> action, ImmutableArray<SymbolKind> symbolKinds) => c.RegisterSymbolAction(Timed(action), symbolKinds);
        public override void RegisterCodeBlockStartAction<TLanguageKindEnum>(Action<CodeBlockStartAnalysisContext<TLanguageKindEnum>> action) => c.RegisterCodeBlockStartAction(Timed(action));
        public override void RegisterCodeBlockAction(Action<CodeBlockAnalysisContext> action) => c.RegisterCodeBlockAction(Timed(action));
        public override void RegisterSyntaxTreeAction(Action<SyntaxTreeAnalysisContext> action) => c.RegisterSyntaxTreeAction(Timed(action));
        public override void RegisterSyntaxNodeAction<TLanguageKindEnum>(Action<SyntaxNodeAnalysisContext> action, ImmutableArray<TLanguageKindEnum> syntaxKinds) =>
            c.RegisterSyntaxNodeAction(Timed(action), syntaxKinds);
        public override void RegisterOperationBlockAction(Action<OperationBlockAnalysisContext> action) => c.RegisterOperationBlockAction(Timed(action));
        public override void RegisterOperationAction(Action<OperationAnalysisContext> action, ImmutableArray<OperationKind> operationKinds) => c.RegisterOperationAction(Timed(action), operationKinds);
    }
}
#pragma warning restore RS1001, RS1012, RS1025, RS1026
