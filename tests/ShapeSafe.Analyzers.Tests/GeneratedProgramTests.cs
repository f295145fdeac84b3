using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// Random well-typed programs over the engine's API (<see cref="ProgramGenerator"/>), beside the mutation test of
/// <see cref="RobustnessTests"/>: the analyzers must never throw (AD0001), never overflow the stack (the test host
/// would die) and stay quick on every file.
/// </summary>
public class GeneratedProgramTests(Xunit.Abstractions.ITestOutputHelper output)
{
    // 60 files of 5 methods: 300 programs a run, in a few seconds. SHAPESAFE_PROGRAM_SEED and SHAPESAFE_PROGRAM_FILES
    // run other and more programs (the seed is in every failure message, so a failure can be replayed).
    const int Files = 60;
    const int MethodsPerFile = 5;
    // A stall is what this guards against (the dims blow-up once took minutes on one file); a file takes well under
    // a second on an idle machine, and reached 3.1 s while the suite shared 2 cores with other builds.
    const long MillisecondsPerFile = 10_000;

    [Fact]
    public void Generated_programs_compile_and_never_make_the_analyzers_throw_or_stall()
    {
        int baseSeed = int.TryParse(Environment.GetEnvironmentVariable("SHAPESAFE_PROGRAM_SEED"), out int s) ? s : 14;
        int files = int.TryParse(Environment.GetEnvironmentVariable("SHAPESAFE_PROGRAM_FILES"), out int f) ? f : Files;
        HostileInputTests.Analyze(ProgramGenerator.File(baseSeed, 1)); // warm-up: the first compilation is not what is timed
        var failures = new List<string>();
        int diagnostics = 0, filesWithDiagnostics = 0;
        for (int i = 0; i < files; i++)
        {
            int seed = baseSeed * 100_003 + i;
            var source = ProgramGenerator.File(seed, MethodsPerFile);
            var errors = CSharpSyntaxTree.ParseText(source).GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            var watch = Stopwatch.StartNew();
            try
            {
                var found = HostileInputTests.Analyze(source, compilerErrors: errors);
                int shapeDiagnostics = found.Count(d => d.Id.StartsWith("SS", StringComparison.Ordinal));
                diagnostics += shapeDiagnostics;
                if (shapeDiagnostics > 0) filesWithDiagnostics++;
            }
            catch (Exception e)
            {
                failures.Add($"seed {seed}: {e.Message}\n--- source ---\n{source}");
                continue;
            }
            if (errors.Count > 0)
                failures.Add($"seed {seed}: the generator wrote code that does not compile: {errors[0]}\n--- source ---\n{source}");
            if (watch.ElapsedMilliseconds > MillisecondsPerFile)
                failures.Add($"seed {seed}: {watch.ElapsedMilliseconds} ms for one file of {MethodsPerFile} methods\n--- source ---\n{source}");
        }
        output.WriteLine($"seed {baseSeed}: {files} files of {MethodsPerFile} programs; {filesWithDiagnostics} files with shape diagnostics ({diagnostics} in all); {failures.Count} files failed");
        Assert.True(failures.Count == 0, $"{failures.Count} of {files} files failed; the first:\n" + failures.FirstOrDefault());
        // The generator is meant to reach the refusals too, not only clean code.
        Assert.True(diagnostics > files, $"only {diagnostics} shape diagnostics in {files * MethodsPerFile} programs");
    }
}
