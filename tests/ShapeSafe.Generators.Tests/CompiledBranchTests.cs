using Microsoft.CodeAnalysis;
using static ShapeSafe.Generators.Tests.Verify;

namespace ShapeSafe.Generators.Tests;

/// <summary>
/// Branches on values known when the graph is bound (Training and readonly options): one graph per combination of
/// their outcomes, the decision tree that picks one when the module is compiled, the guards, and the reasons of the
/// branches that stay graph breaks. (The values are tested against eager mode in ShapeSafe.Tests/CompiledGraphs.)
/// </summary>
public class CompiledBranchTests
{
    const string Ops = "global::ShapeSafe.CompiledGraphs.GraphOps.";

    const string Rule = "branches compile when their conditions read only Training, constants and readonly bool, integer, enum, string, "
        + "float or double fields, or compare a readonly child module field with null";

    static string[] Lines(string text) => text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

    /// <summary>The kernel calls of one variant class of a generated file (from its declaration to the next one's).</summary>
    static string[] Kernels(string file, int variant)
    {
        var lines = Lines(file);
        int start = Array.IndexOf(lines, "sealed class Variant" + variant + " : Variant");
        int end = Array.IndexOf(lines, "sealed class Variant" + (variant + 1) + " : Variant");
        Assert.True(start >= 0, "no Variant" + variant);
        return lines.Skip(start).Take((end < 0 ? lines.Length : end) - start)
            .Where(l => l.StartsWith(Ops, StringComparison.Ordinal) || l.StartsWith("b.", StringComparison.Ordinal) && l.Contains(" = " + Ops, StringComparison.Ordinal))
            .Select(l => l.Substring(l.IndexOf(Ops, StringComparison.Ordinal) + Ops.Length)).ToArray();
    }

    [Fact]
    public void A_branch_on_training_is_a_graph_per_mode_and_each_call_runs_its_modes()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Net : Module
            {
                readonly Linear _fc = new(8, 8);
                readonly Dropout _drop = new(0.5);
                public Tensor Forward(Tensor x)
                {
                    var h = _fc.Forward(x);
                    if (Training) h = _drop.Forward(h);
                    else h = h * 0.5;
                    return h.Tanh();
                }
            }
            """);
        var file = files["Demo.Net.g.cs"];
        var lines = Lines(file);
        Assert.Contains("public sealed class Compiled : global::ShapeSafe.NN.CompiledModule<Net>, global::ShapeSafe.NN.ITensorModule", lines);
        Assert.Contains("int training = Select(training: true);", lines);
        Assert.Contains("int eval = Select(training: false);", lines);
        Assert.Contains("_evalVariant = eval == training ? _trainingVariant : Create(eval, module, options);", lines);
        Assert.Contains("if (training) return 0;", lines);
        Assert.Contains("public global::ShapeSafe.Tensor Forward(global::ShapeSafe.Tensor x) => (Module.Training ? _trainingVariant : _evalVariant).Forward(x);", lines);
        Assert.Contains("public override int PlannedShapes => _trainingVariant.PlannedShapes + (_evalVariant == _trainingVariant ? 0 : _evalVariant.PlannedShapes);", lines);
        Assert.Contains("/// <summary>The graph of <c>Training</c>.</summary>", lines);
        Assert.Contains("/// <summary>The graph of <c>!Training</c>.</summary>", lines);
        Assert.Equal(new[]
        {
            "Linear(xData, _fc.Weight, _fc.Bias, global::ShapeSafe.CompiledGraphs.FusedActivation.None, b.Fc);",
            "Dropout(_drop, b.Fc, b.Drop, b.DropMask);",
            "Tanh(b.Drop, output);",
            "TanhBackward(g, output, b.DropGrad);",
            "DropoutBackward(b.DropMasked, b.DropGrad, b.DropMask, b.FcGrad);",
            "LinearBackward(b.FcGrad, xData, _fc.Weight, gradX, gradFcWeight, gradFcBias);",
        }, Kernels(file, 0));
        Assert.Equal(new[]
        {
            "Linear(xData, _fc.Weight, _fc.Bias, global::ShapeSafe.CompiledGraphs.FusedActivation.None, b.Fc);",
            "MulScalar(b.Fc, 0.5f, b.MulScalar);",
            "Tanh(b.MulScalar, output);",
            "TanhBackward(g, output, b.MulScalarGrad);",
            "MulScalarBackward(b.MulScalarGrad, 0.5f, b.FcGrad);",
            "LinearBackward(b.FcGrad, xData, _fc.Weight, gradX, gradFcWeight, gradFcBias);",
        }, Kernels(file, 1));
        // The eval graph neither binds nor calls the dropout.
        Assert.Single(lines, l => l == "_drop = Bind<global::ShapeSafe.NN.Dropout>(\"drop\");");
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void A_switch_on_an_enum_option_tests_its_labels_in_order_and_a_throwing_default_runs_eagerly()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            public enum Activation { Relu, Tanh, Sigmoid }
            [Module]
            public partial class Net : Module
            {
                readonly Linear _fc = new(8, 8);
                readonly Activation _activation;
                public Net(Activation activation) => _activation = activation;
                public Tensor Forward(Tensor x)
                {
                    var h = _fc.Forward(x);
                    switch (_activation)
                    {
                        case Activation.Relu:
                            h = h.Relu();
                            break;
                        case Activation.Tanh:
                            return h.Tanh();
                        default:
                            throw new System.ArgumentOutOfRangeException();
                    }
                    return Training ? h * 2 : h;
                }
            }
            """);
        var file = files["Demo.Net.g.cs"];
        var lines = Lines(file);
        // Relu reads Training after the switch; Tanh returns before it; the default throws.
        Assert.Equal(new[]
        {
            "if (Module._activation == global::Demo.Activation.Relu)",
            "{",
            "if (training) return 0;",
            "return 1;",
            "}",
            "if (Module._activation == global::Demo.Activation.Tanh) return 2;",
            "return -1; // line 22: throw new System.ArgumentOutOfRangeException();",
        }, lines.SkipWhile(l => l != "int Select(bool training)").Skip(2).Take(7).ToArray());
        Assert.Contains("default: return null;", lines);
        Assert.Contains("if (variant is null)", lines);
        Assert.Contains("public override bool IsCompiled => _trainingVariant is not null || _evalVariant is not null;", lines);
        Assert.Contains("/// <summary>The graph of <c>!(_activation is Activation.Relu), _activation is Activation.Tanh</c>.</summary>", lines);
        // ReLU fuses into the linear layer's epilogue; the training graph doubles the result.
        const string Relu = "Linear(xData, _fc.Weight, _fc.Bias, global::ShapeSafe.CompiledGraphs.FusedActivation.Relu, ";
        Assert.Equal(new[] { Relu + "b.Fc);", "MulScalar(b.Fc, 2f, output);" }, Kernels(file, 0).Take(2));
        Assert.Equal(Relu + "output);", Kernels(file, 1)[0]);
        Assert.Equal(3, Kernels(file, 1).Length); // the linear layer, the ReLU's mask, the linear layer's backward
        Assert.Equal("Tanh(b.Fc, output);", Kernels(file, 2)[1]);
        Assert.DoesNotContain(lines, l => l.StartsWith("sealed class Variant3", StringComparison.Ordinal));
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void A_null_check_on_a_child_and_an_inlined_childs_private_option_are_read_when_the_graph_binds()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Block : Module
            {
                readonly Linear _fc = new(8, 8);
                readonly bool _gated;
                public Block(bool gated) => _gated = gated;
                public Tensor Forward(Tensor x) => _gated ? x * _fc.Forward(x).Sigmoid() : _fc.Forward(x);
            }
            [Module]
            public partial class Res : Module
            {
                readonly Linear? _project;
                readonly Block _block = new(true);
                public Res(bool project) { if (project) _project = new Linear(8, 8); }
                public Tensor Forward(Tensor x)
                {
                    var identity = x;
                    if (_project is not null) identity = _project.Forward(x);
                    return _block.Forward(x) + identity;
                }
            }
            """);
        var lines = Lines(files["Demo.Res.g.cs"]);
        Assert.Contains("readonly global::Demo.Block _block;", lines);
        Assert.Contains("_block = Bind<global::Demo.Block>(\"block\");", lines);
        Assert.Contains("_variant = Create(Select(), module, options);", lines);
        Assert.Equal(new[]
        {
            "if (Module._project is not null)",
            "{",
            "if (BlockGated(_block)) return 0;",
            "return 1;",
            "}",
            "if (BlockGated(_block)) return 2;",
            "return 3;",
        }, lines.SkipWhile(l => l != "int Select()").Skip(2).Take(7).ToArray());
        // The private field of the child is read through an accessor, not reflection.
        Assert.Contains("[global::System.Runtime.CompilerServices.UnsafeAccessor(global::System.Runtime.CompilerServices.UnsafeAccessorKind.Field, Name = \"_gated\")]", lines);
        Assert.Contains("static extern ref readonly bool BlockGated(global::Demo.Block module);", lines);
        Assert.Contains("public global::ShapeSafe.Tensor Forward(global::ShapeSafe.Tensor x) => _variant.Forward(x);", lines);
        Assert.Contains("/// <summary>The graph of <c>!(_project is not null), !_gated (in block)</c>.</summary>", lines);
        // Only the graphs with a projection bind it.
        Assert.Equal(2, lines.Count(l => l == "_project = Bind<global::ShapeSafe.NN.Linear>(\"project\");"));
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void Conditions_keep_their_operands_types_and_a_repeated_condition_is_one_branch()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            public enum Kind { A, B, C }
            [Module]
            public partial class Net : Module
            {
                readonly Linear _fc = new(8, 8);
                readonly float _p = 0.1f;
                readonly string _mode = "fast";
                readonly Kind _kind = Kind.B;
                readonly int _depth = 2;
                public Tensor Forward(Tensor x)
                {
                    var h = _fc.Forward(x);
                    if (_p > 0.1 && _mode == "fast") h = h.Relu();
                    h = _kind switch { Kind.A or Kind.B => h.Tanh(), _ => h };
                    if (!(_depth % 2 == 0)) h = -h;
                    if (_p > 0.1 && _mode == "fast") h = h * 2;
                    return h;
                }
            }
            """);
        var lines = Lines(files["Demo.Net.g.cs"]);
        // A float compared with a double constant stays so; the repeated if takes the same side in every path.
        Assert.Contains("if (Module._p > 0.1d && Module._mode == \"fast\")", lines);
        Assert.Contains("if (Module._kind is (global::Demo.Kind.A or global::Demo.Kind.B))", lines);
        Assert.Contains("if (Module._depth % 2 == 0) return 0;", lines);
        Assert.Equal(8, lines.Count(l => l.StartsWith("sealed class Variant", StringComparison.Ordinal)));
        Assert.Contains("/// <summary>The graph of <c>_p &gt; 0.1 &amp;&amp; _mode == \"fast\", _kind is Kind.A or Kind.B, _depth % 2 == 0</c>.</summary>", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public Task SS2013_for_a_branch_on_a_field_that_is_not_readonly() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Linear fc = new(4, 4);
            bool _active = true;
            public void Toggle() => _active = !_active;
            public Tensor Forward(Tensor x)
            {
                {|#0:if (_active) x = x.Relu();|}
                return fc.Forward(x);
            }
        }
        """,
        // The branch runs eagerly and the rest of Forward compiles (the graph splits there).
        Diagnostic("SS2013", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "1 graph", "line 11: an if statement on the field _active, which is not readonly (" + Rule + "); the graph is split there, and line 11 runs eagerly"));

    [Fact]
    public Task SS2009_for_a_conditional_expression_on_a_property() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Linear fc = new(4, 4);
            public bool Gated { get; init; }
            public Tensor Forward(Tensor x) => {|#0:Gated ? fc.Forward(x).Relu() : fc.Forward(x)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 8: a conditional expression on the property Gated (" + Rule + ")"));

    [Fact]
    public Task SS2009_for_a_switch_on_a_child_module() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Linear fc = new(4, 4);
            public Tensor Forward(Tensor x)
            {
                {|#0:switch (fc)
                {
                    case Linear: return fc.Forward(x);
                }|}
                return x;
            }
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 9: a switch statement on the child module fc compared with something other than null (" + Rule + ")"));

    [Fact]
    public Task SS2009_past_eight_combinations_of_outcomes() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly bool _a, _b, _c, _d; public Net(bool on) => _a = _b = _c = _d = on;
            public Tensor Forward(Tensor x)
            {
                if (_a) x = x.Relu();
                if (_b) x = x.Tanh();
                if (_c) x = x.Sigmoid();
                {|#0:if (_d) x = -x;|}
                return x;
            }
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 12: the branches on Training and readonly options have more than 8 combinations of outcomes (each combination is a graph of its own; at most 8 are compiled)"));

    [Fact]
    public Task SS2009_for_a_throw_no_branch_leads_to() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            public Tensor Forward(Tensor x) => {|#0:throw new System.NotSupportedException()|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 6: throw new System.NotSupportedException(), which compiles only behind a branch on Training or a readonly option (that combination runs eagerly)"));

    [Fact]
    public void A_second_run_on_a_module_with_branches_is_cached()
    {
        const string Source = """
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Net : Module
            {
                readonly Linear _fc = new(4, 4);
                readonly Linear? _project;
                public Tensor Forward(Tensor x) => Training && _project != null ? _project.Forward(_fc.Forward(x)) : _fc.Forward(x);
            }
            """;
        var compilation = GeneratorHarness.Compile(("Net.cs", Source));
        var driver = GeneratorHarness.Driver().RunGenerators(compilation);

        driver = driver.RunGenerators(compilation.Clone());

        CachingTests.AssertNoWork(driver.GetRunResult());
    }
}
