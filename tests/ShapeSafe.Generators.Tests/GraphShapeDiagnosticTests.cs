extern alias Analyzers;

using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using static ShapeSafe.Generators.Tests.Verify;

namespace ShapeSafe.Generators.Tests;

/// <summary>
/// SS2011 and SS2012, the shape errors the compiled graph's symbolic shapes prove, beside their clean cases, and the
/// shape analyzer's view of the same code: each error is reported once, by one of the two.
/// </summary>
public class GraphShapeDiagnosticTests
{
    /// <summary>The shape analyzer (SS0001–SS0010) on the same source, to show which of the two reports a line.</summary>
    sealed class ShapeAnalyzerTest : CSharpAnalyzerTest<Analyzers::ShapeSafe.Analyzers.ShapeAnalyzer, DefaultVerifier>
    {
        public ShapeAnalyzerTest()
        {
            ReferenceAssemblies = GeneratorHarness.NoReferencePack;
            TestState.AdditionalReferences.AddRange(GeneratorHarness.References);
        }
    }

    static Task ShapeAnalyzer(string source, params DiagnosticResult[] expected)
    {
        var test = new ShapeAnalyzerTest { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>A child whose linear layer takes 784 features, called by a parent whose input has <paramref name="features"/>.</summary>
    static string Inlined(string features) => """
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Block : Module
        {
            readonly Linear _fc = new(784, 128);
            public Tensor Forward(Tensor x) => _fc.Forward(x).Relu();
        }
        [Module]
        public partial class Net : Module
        {
            readonly Block _block = new();
            public Tensor Forward([Shape("B, FEATURES")] Tensor x) => {|#0:_block.Forward(x)|};
        }
        """.Replace("FEATURES", features);

    [Fact]
    public Task SS2011_a_parameters_gradient_of_another_shape_in_an_inlined_child() => Diagnostics(Inlined("100"),
        Diagnostic("SS2011").WithLocation(0).WithArguments("Net",
            "the gradient of 'block.fc.weight' [128, 784] is [128, 100] (the backward of Test0.cs(7): _fc.Forward(x)), which differs at dim 1: 100 is not 784; "
            + "the forward refuses its input too (Linear: [B, 100] × [784, 128]: inner dims 100 and 784 differ)"));

    [Fact]
    public Task SS2011_a_gradient_that_cannot_be_proven_equal_to_its_parameter() => Diagnostics(Inlined("F"),
        Diagnostic("SS2011").WithLocation(0).WithArguments("Net",
            "the gradient of 'block.fc.weight' [128, 784] is [128, F] (the backward of Test0.cs(7): _fc.Forward(x)), which cannot be proven equal to it at dim 1: F and 784; "
            + "the forward refuses its input too (Linear: [B, F] × [784, 128]: inner dims F and 784 differ)"));

    [Fact]
    public Task SS2011_is_reported_once_when_every_variant_of_a_branch_on_training_shows_it() => Diagnostics(
        Inlined("100").Replace("public Tensor Forward([Shape(\"B, 100\")] Tensor x) => {|#0:_block.Forward(x)|};", """
            public Tensor Forward([Shape("B, 100")] Tensor x)
            {
                var h = {|#0:_block.Forward(x)|};
                return Training ? h.Tanh() : h;
            }
            """),
        Diagnostic("SS2011").WithLocation(0).WithArguments("Net",
            "the gradient of 'block.fc.weight' [128, 784] is [128, 100] (the backward of Test0.cs(7): _fc.Forward(x)), which differs at dim 1: 100 is not 784; "
            + "the forward refuses its input too (Linear: [B, 100] × [784, 128]: inner dims 100 and 784 differ)"));

    [Fact]
    public Task SS2011_stays_silent_when_only_some_combinations_of_options_show_it() => Diagnostics(
        Inlined("100").Replace("public Tensor Forward([Shape(\"B, 100\")] Tensor x) => {|#0:_block.Forward(x)|};", """
            readonly bool _wide;
            public Tensor Forward([Shape("B, 100")] Tensor x) => _wide ? _block.Forward(x) : x.Relu();
            """));

    [Fact]
    public Task SS2011_stays_silent_when_the_gradient_has_the_parameters_shape_or_the_input_is_not_annotated() => Diagnostics(
        Inlined("784") + """

        [Module]
        public partial class Unannotated : Module
        {
            readonly Block _block = new();
            public Tensor Forward(Tensor x) => _block.Forward(x);
        }
        """);

    [Fact]
    public Task The_shape_analyzer_does_not_see_into_the_inlined_child_with_the_callers_shapes() =>
        ShapeAnalyzer(Inlined("100").Replace("{|#0:", "").Replace("|}", ""));

    const string OwnLine = """
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Linear _fc = new({|#1:784|}, 128);
            public Tensor Forward([Shape("B, 100")] Tensor x) => _fc.Forward({|#0:x|});
        }
        """;

    [Fact]
    public Task A_shape_error_in_the_compiled_Forwards_own_code_is_left_to_the_shape_analyzer() =>
        Diagnostics(OwnLine.Replace("{|#1:", "").Replace("{|#0:", "").Replace("|}", ""));

    [Fact]
    public Task The_shape_analyzer_reports_that_line() => ShapeAnalyzer(OwnLine,
        new DiagnosticResult("SS0008", DiagnosticSeverity.Error).WithLocation(0).WithLocation(1)
            .WithArguments("Linear.Forward: input [B, 100] does not fit the layer (In = 784): dim 1 is 100, expected In = 784"));

    [Fact]
    public Task SS2012_an_op_of_an_inlined_child_refuses_the_callers_shapes() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Residual : Module
        {
            readonly Linear _fc = new(8, 4);
            public Tensor Forward(Tensor x) => x + _fc.Forward(x);
        }
        [Module]
        public partial class Net : Module
        {
            readonly Residual _block = new();
            readonly Residual _fine = new();
            public Tensor Forward([Shape("B, 8")] Tensor x, [Shape("B, 4")] Tensor y) => {|#0:_block.Forward(x)|} + y;
        }
        """,
        Diagnostic("SS2012").WithLocation(0).WithArguments("Net",
            "Test0.cs(7): x + _fc.Forward(x): Add: [B, 8] and [B, 4] do not broadcast: the size of tensor a (8) must match the size of tensor b (4) at non-singleton dimension 1"));
}
