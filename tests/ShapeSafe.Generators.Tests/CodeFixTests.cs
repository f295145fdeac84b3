extern alias Analyzers;

using Microsoft.CodeAnalysis;
using Fixes = Analyzers::ShapeSafe.Analyzers.CodeFixes;

namespace ShapeSafe.Generators.Tests;

/// <summary>The SS2001/SS2002 fix makes the class a [Module] partial class, with the using it needs.</summary>
public class CodeFixTests
{
    [Fact]
    public Task SS2001_adds_Module_and_partial_to_the_class_and_its_containing_types() => new Verify.CodeFixTest<Fixes.ModuleCodeFixProvider>
    {
        TestCode = """
            using ShapeSafe;

            namespace Demo
            {
                public static class Models
                {
                    public sealed class {|#0:Net|} : ShapeSafe.NN.Module
                    {
                        readonly ShapeSafe.NN.Linear fc = new(4, 2);
                        public Tensor Forward(Tensor x) => fc.Forward(x);
                    }
                }
            }
            """,
        ExpectedDiagnostics = { Verify.Diagnostic("SS2001", DiagnosticSeverity.Warning).WithLocation(0).WithArguments("Net", "'fc'") },
        FixedCode = """
            using ShapeSafe;
            using ShapeSafe.NN;

            namespace Demo
            {
                public static partial class Models
                {
                    [Module]
                    public sealed partial class Net : ShapeSafe.NN.Module
                    {
                        readonly ShapeSafe.NN.Linear fc = new(4, 2);
                        public Tensor Forward(Tensor x) => fc.Forward(x);
                    }
                }
            }
            """,
        CodeActionEquivalenceKey = "SS2001.MakeModulePartial",
    }.RunAsync();

    [Fact]
    public Task SS2002_adds_partial() => new Verify.CodeFixTest<Fixes.ModuleCodeFixProvider>
    {
        TestCode = """
            using ShapeSafe.NN;

            [Module]
            class {|#0:Net|} : Module
            {
                readonly Linear fc = new(4, 2);
            }
            """,
        ExpectedDiagnostics = { Verify.Diagnostic("SS2002").WithLocation(0).WithArguments("Net") },
        FixedCode = """
            using ShapeSafe.NN;

            [Module]
            partial class Net : Module
            {
                readonly Linear fc = new(4, 2);
            }
            """,
    }.RunAsync();
}
