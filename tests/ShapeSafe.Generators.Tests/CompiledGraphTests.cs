using Microsoft.CodeAnalysis;
using static ShapeSafe.Generators.Tests.Verify;

namespace ShapeSafe.Generators.Tests;

/// <summary>
/// The compiled graph the generator writes for a <c>[Module]</c> class's <c>Forward</c>: the fused steps and their
/// order, the backward in reverse, that the output compiles without warnings, and the graph-break diagnostics.
/// (The values it computes are tested against eager mode in the engine's tests, ShapeSafe.Tests/CompiledGraphs.)
/// </summary>
public partial class CompiledGraphTests
{
    const string Mlp = """
        using ShapeSafe;
        using ShapeSafe.NN;
        namespace Demo;
        [Module]
        public partial class Mlp : Module
        {
            readonly Linear _fc1 = new(784, 128);
            readonly Linear _fc2 = new(128, 10);
            public Tensor Forward(Tensor x) => _fc2.Forward(F.Relu(_fc1.Forward(x)));
        }
        """;

    static string[] Lines(string text) => text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

    [Fact]
    public void Linear_then_relu_is_one_fused_step_and_the_backward_runs_in_reverse()
    {
        var (files, output) = GeneratorHarness.Run(Mlp);
        var lines = Lines(files["Demo.Mlp.g.cs"]);
        const string Ops = "global::ShapeSafe.CompiledGraphs.GraphOps.";
        string[] kernels = lines.Where(l => l.StartsWith(Ops, StringComparison.Ordinal)).Select(l => l.Substring(Ops.Length)).ToArray();
        Assert.Equal(new[]
        {
            "Linear(xData, _fc1.Weight, _fc1.Bias, global::ShapeSafe.CompiledGraphs.FusedActivation.Relu, b.Fc1);",
            "Linear(b.Fc1, _fc2.Weight, _fc2.Bias, global::ShapeSafe.CompiledGraphs.FusedActivation.None, output);",
            "LinearBackward(g, b.Fc1, _fc2.Weight, b.Fc1Grad, gradFc2Weight, gradFc2Bias);",
            "ReluBackward(b.Fc1Grad, b.Fc1, b.Fc1Grad);",
            "LinearBackward(b.Fc1Grad, xData, _fc1.Weight, gradX, gradFc1Weight, gradFc1Bias);",
        }, kernels);
        Assert.Contains("public Compiled Compile(global::ShapeSafe.NN.CompileOptions? options = null) => new Compiled(this, options);", lines);
        Assert.Contains("_fc1 = Bind<global::ShapeSafe.NN.Linear>(\"fc1\");", lines);
        Assert.Contains("// Model0.cs(9): F.Relu(_fc1.Forward(x))", lines);
        Assert.Contains("return Record(output, \"CompiledFunctionBackward\", new global::ShapeSafe.Tensor?[] { x, _fc1.Weight, _fc1.Bias, _fc2.Weight, _fc2.Bias }, b.Backward, b.Released);", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void Broadcasting_arithmetic_and_scalars_sum_each_gradient_to_its_operands_shape()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Scaled : Module
            {
                const int Two = 2;
                readonly Linear _fc = new(4, 4);
                readonly double _scale = 0.1;
                public Tensor Forward(Tensor x, Tensor y) => -(_fc.Forward(x) / y * _scale - Two) + (1 - x).Mul(y);
            }
            """);
        var lines = Lines(files["Demo.Scaled.g.cs"]);
        const string Ops = "global::ShapeSafe.CompiledGraphs.GraphOps.";
        string[] kernels = lines.Where(l => l.StartsWith(Ops, StringComparison.Ordinal)).Select(l => l.Substring(Ops.Length)).ToArray();
        Assert.Equal(new[]
        {
            "Linear(xData, _fc.Weight, _fc.Bias, global::ShapeSafe.CompiledGraphs.FusedActivation.None, b.Fc);",
            "Div(b.Fc, yData, b.Div);",
            "MulScalar(b.Div, _scaleScalar, b.MulScalar);",
            "SubScalar(b.MulScalar, 2f, b.SubScalar);",
            "Neg(b.SubScalar, b.Neg);",
            "RsubScalar(1f, xData, b.RsubScalar);",
            "Mul(b.RsubScalar, yData, b.Mul);",
            "Add(b.Neg, b.Mul, output);",
            // The backward: a sum's gradient goes to each operand summed to its shape; a product's and a quotient's
            // are formed in the step's scratch (the output's shape) and summed from there.
            "SumToShape(g, b.NegGrad);",
            "SumToShape(g, b.MulGrad);",
            // 1 - x, which the product's backward reads, is recomputed from the argument when the graph recomputes.
            "RsubScalar(1f, xData, b.RsubScalarRecomputed);",
            "MulBackward(b.MulGrad, yData, b.MulScratch, b.RsubScalarGrad);",
            "MulBackward(b.MulGrad, b.RsubScalarRecomputed, b.MulScratch, gradY!);",
            "NegBackward(b.RsubScalarGrad, gradX!);",
            "NegBackward(b.NegGrad, b.SubScalarGrad);",
            "Copy(b.SubScalarGrad, b.MulScalarGrad);",
            "MulScalarBackward(b.MulScalarGrad, _scaleScalar, b.DivGrad);",
            "DivBackward(b.DivGrad, yData, b.DivScratch, b.FcGrad);",
            "DivisorBackward(b.DivGrad, b.Fc, yData, b.DivScratch, gradYPartial1!);",
            "LinearBackward(b.FcGrad, xData, _fc.Weight, gradXPartial0, gradFcWeight, gradFcBias);",
        }, kernels);
        // The readonly field is read once, when the graph is bound, as the float the eager op rounds it to.
        Assert.Contains("readonly float _scaleScalar;", lines);
        Assert.Contains("_scaleScalar = (float)module._scale;", lines);
        Assert.Contains("DivShape = global::ShapeSafe.CompiledGraphs.GraphOps.DivShape(FcShape, YShape);", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void Views_are_planned_over_their_sources_buffer_and_a_transpose_runs_backward_through_its_layout()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Heads : Module
            {
                readonly Linear _fc = new(8, 8);
                public Tensor Forward(Tensor x)
                {
                    var h = _fc.Forward(x).View(x.Size(0), -1, 2, 4).Transpose(1, 2);
                    return (h * x.Reshape(x.Shape[0], 1, -1, 4)).Contiguous().Squeeze(1);
                }
            }
            """);
        var lines = Lines(files["Demo.Heads.g.cs"]);
        const string Ops = "global::ShapeSafe.CompiledGraphs.GraphOps.";
        // The views are aliases made with the buffer set (a transpose by its plan's strides), or per call over an argument.
        Assert.Contains("// View2 is a view of Fc's buffer (made with the buffer set)", lines);
        Assert.Contains("View2 = View(slot0, plan.View2Shape);", lines);
        Assert.Contains("Transpose = " + Ops + "Strided(slot0, plan.TransposeView);", lines);
        Assert.Contains("var view3 = " + Ops + "View(xData, plan.View3Shape);", lines);
        Assert.Contains("/// <summary>Slot 1, steps 5-6: the value of Model0.cs(11): (h * x.Reshape(x.Shape[0], 1, -1, 4)).Contiguous() (a view of Mul).</summary>", lines);
        // Sizes read from the input when the plan is made, and a transpose's layout.
        Assert.Contains("View2Shape = " + Ops + "ViewShape(FcShape, new[] { " + Ops + "SizeOf(XShape, 0), -1, 2, 4 }, \"View\");", lines);
        Assert.Contains("View3Shape = " + Ops + "ViewShape(XShape, new[] { " + Ops + "SizeOf(XShape, 0), 1, -1, 4 }, \"Reshape\");", lines);
        Assert.Contains("TransposeView = " + Ops + "PlanTranspose(View2Shape, 1, 2);", lines);
        Assert.Contains("SqueezeShape = " + Ops + "SqueezeShape(ContiguousShape, 1);", lines);
        // Backward: a view hands its gradient on, a transpose adds it back through its layout; the output view is copied.
        string[] kernels = lines.Where(l => l.StartsWith(Ops, StringComparison.Ordinal)).Select(l => l.Substring(Ops.Length)).ToArray();
        Assert.Equal(new[]
        {
            "Linear(xData, _fc.Weight, _fc.Bias, global::ShapeSafe.CompiledGraphs.FusedActivation.None, b.Fc);",
            "Mul(b.Transpose, view3, b.Mul);",
            "Copy(b.Squeeze, output);",
            "Copy(g, b.ContiguousGrad);",
            "Copy(b.ContiguousGrad, b.MulGrad);",
            "MulBackward(b.MulGrad, view3, b.MulScratch, b.TransposeGrad);",
            "MulBackward(b.MulGrad, b.Transpose, b.MulScratch, b.View3Grad);",
            "Copy(b.View3Grad, gradX!);",
            "PermuteBackward(b.TransposeGrad, plan.TransposeView, b.View2Grad);",
            "Copy(b.View2Grad, b.FcGrad);",
            "LinearBackward(b.FcGrad, xData, _fc.Weight, gradXPartial0, gradFcWeight, gradFcBias);",
        }, kernels);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void A_batch_norm_saves_its_channel_statistics_and_whether_they_were_the_batchs()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Net : Module
            {
                readonly Linear _fc = new(8, 8);
                readonly BatchNorm1d _bn = new(8, affine: false);
                public Tensor Forward(Tensor x) => _bn.Forward(_fc.Forward(x));
            }
            """);
        var lines = Lines(files["Demo.Net.g.cs"]);
        const string Ops = "global::ShapeSafe.CompiledGraphs.GraphOps.";
        Assert.Contains("_bn = Bind<global::ShapeSafe.NN.BatchNorm1d>(\"bn\");", lines);
        Assert.Contains("| (_bn.Weight?.RequiresGrad == true ? 0x8UL : 0UL)", lines);
        Assert.Contains("b.BnBatchStatistics = " + Ops + "BatchNorm(_bn, b.Fc, output, b.BnMean, b.BnInvStd, b.BnBatchMean, b.BnBatchVar);", lines);
        Assert.Contains("BnShape = " + Ops + "BatchNormShape(FcShape, graph._bn);", lines);
        Assert.Contains("gradBnWeight = (needs & 0x8UL) != 0 ? " + Ops + "NewGradient(_bn.Weight!) : null;", lines);
        Assert.Contains(Ops + "BatchNormBackward(_bn, b.BnBatchStatistics, g, b.Fc, b.BnMean, b.BnInvStd, b.FcGrad, gradBnWeight, gradBnBias);", lines);
        Assert.Contains("BnMean = new float[plan.BnShape[1]];", lines);
        Assert.Contains("BnBatchVar = new double[plan.BnShape[1]];", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void An_embeddings_indices_are_guarded_as_int64_and_its_weight_gets_a_dense_gradient()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Tagger : Module
            {
                readonly Embedding _words = new(100, 8, paddingIdx: 0);
                readonly Linear _fc = new(8, 3);
                public Tensor Forward(Tensor ids, Tensor scale) => _fc.Forward(_words.Forward(ids) * scale);
            }
            """);
        var lines = Lines(files["Demo.Tagger.g.cs"]);
        const string Ops = "global::ShapeSafe.CompiledGraphs.GraphOps.";
        Assert.Contains("if (PlanFor<Plan>(ids, global::ShapeSafe.DType.Int64, scale, global::ShapeSafe.DType.Float32) is not { } plan) return Module.Forward(ids, scale);", lines);
        Assert.Contains(Ops + "Embedding(_words, idsData, b.Words);", lines);
        Assert.Contains("WordsShape = " + Ops + "EmbeddingShape(IdsShape, graph._words);", lines);
        Assert.Contains(Ops + "EmbeddingBackward(_words, b.WordsGrad, idsData, gradWordsWeight);", lines);
        // An embedding has a weight and no bias.
        Assert.Contains("return Record(output, \"CompiledFunctionBackward\", new global::ShapeSafe.Tensor?[] { ids, scale, _words.Weight, _fc.Weight, _fc.Bias }, b.Backward, b.Released);", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public Task SS2009_for_indices_that_another_op_reads_as_floats() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Embedding words = new(10, 4);
            public Tensor Forward(Tensor ids) => {|#0:words.Forward(ids) + ids|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 7: ids is an Embedding's indices and is read by Add too (the graph takes indices as Int64 only)"));

    [Fact]
    public void The_module_says_it_compiles_and_a_one_tensor_graph_is_a_tensor_module()
    {
        var (files, output) = GeneratorHarness.Run(Mlp);
        var lines = Lines(files["Demo.Mlp.g.cs"]);
        Assert.Contains("partial class Mlp : global::ShapeSafe.NN.ICompilableModule", lines);
        Assert.Contains("global::ShapeSafe.NN.CompiledModule global::ShapeSafe.NN.ICompilableModule.Compile(global::ShapeSafe.NN.CompileOptions? options) => Compile(options);", lines);
        Assert.Contains("public sealed class Compiled : global::ShapeSafe.NN.CompiledModule<Mlp>, global::ShapeSafe.NN.ITensorModule", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void Values_named_after_the_plans_own_members_get_other_names()
    {
        // A child called output: the plan's OutputShape and the buffers' Output stay theirs.
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Head : Module
            {
                readonly Linear _hidden = new(8, 16);
                readonly Linear _output = new(16, 3);
                public Tensor Forward(Tensor x) => _output.Forward(F.Relu(_hidden.Forward(x)));
            }
            """);
        var lines = Lines(files["Demo.Head.g.cs"]);
        Assert.Contains("public int[] OutputShape => Output2Shape;", lines);
        Assert.Contains("public readonly int[] Output2Shape;", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void Buffers_whose_lifetimes_do_not_overlap_share_a_slot()
    {
        // fc1 -> relu -> fc2 -> relu -> fc3: the first layer's output dies after fc2's backward, the second's gradient
        // is made later and can take its slot.
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Deep : Module
            {
                readonly Linear _fc1 = new(8, 8);
                readonly Linear _fc2 = new(8, 8);
                readonly Linear _fc3 = new(8, 8);
                readonly Linear _fc4 = new(8, 2);
                public Tensor Forward(Tensor x) => _fc4.Forward(_fc3.Forward(_fc2.Forward(_fc1.Forward(x).Relu()).Relu()).Relu());
            }
            """);
        var lines = Lines(files["Demo.Deep.g.cs"]);
        var slots = lines.Where(l => l.StartsWith("var slot", StringComparison.Ordinal)).ToArray();
        var views = lines.Where(l => l.Contains(" = View(slot", StringComparison.Ordinal)).ToArray();
        Assert.Equal(6, views.Length); // three values and three gradients
        Assert.True(slots.Length < views.Length, string.Join("\n", slots));
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void A_value_the_output_does_not_depend_on_is_not_computed()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Net : Module
            {
                readonly Linear _fc = new(4, 4);
                readonly Linear _unused = new(4, 4);
                public Tensor Forward(Tensor x)
                {
                    var y = _fc.Forward(x);
                    var flat = y.Flatten(0, -1);
                    var z = _unused.Forward(x).Relu();
                    return y;
                }
            }
            """);
        var lines = Lines(files["Demo.Net.g.cs"]);
        Assert.Contains("public override bool IsCompiled => true;", lines);
        Assert.Single(lines, l => l.StartsWith("global::ShapeSafe.CompiledGraphs.GraphOps.Linear(", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("_unused.Weight", StringComparison.Ordinal) || l.Contains("FlattenShape", StringComparison.Ordinal));
        // Nor is the child only dead code calls bound: replacing it later cannot make Compile() throw.
        Assert.DoesNotContain(lines, l => l.Contains("Bind<", StringComparison.Ordinal) && l.Contains("\"unused\"", StringComparison.Ordinal));
        Assert.Contains("_fc = Bind<global::ShapeSafe.NN.Linear>(\"fc\");", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void A_class_with_a_graph_break_gets_an_eager_Compile()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Net : Module
            {
                readonly Linear fc = new(4, 4);
                public Tensor Forward(Tensor x) => fc.Forward(x).Sin();
            }
            """);
        var lines = Lines(files["Demo.Net.g.cs"]);
        Assert.Contains("public override bool IsCompiled => false;", lines);
        Assert.Contains("public global::ShapeSafe.Tensor Forward(global::ShapeSafe.Tensor x) => Module.Forward(x);", lines);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public Task SS2013_names_the_line_and_the_reason_of_a_graph_break_where_forward_splits() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Linear fc = new(4, 4);
            public Tensor Forward(Tensor x)
            {
                var y = fc.Forward(x);
                {|#0:if (y.Sum().Item() > 0) y = y.Relu();|}
                return y;
            }
        }
        """,
        Diagnostic("SS2013", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "1 graph", "line 10: an if statement on a tensor's value (Item) (branches compile when their conditions read only Training, "
                + "constants and readonly bool, integer, enum, string, float or double fields, or compare a readonly child module field with null); "
                + "the graph is split there, and line 10 runs eagerly"));

    [Fact]
    public Task SS2009_for_a_call_the_generator_does_not_compile() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Linear fc = new(4, 4);
            public Tensor Forward(Tensor x) => {|#0:fc.Forward(x).Sin()|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 7: a call to Tensor.Sin, which the generator does not compile"));

    [Fact]
    public void Loops_over_a_module_array_are_unrolled_one_step_per_element()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Tower : Module
            {
                readonly Linear[] _layers = { new Linear(8, 8), new Linear(8, 8), new Linear(8, 2) };
                public Tensor Forward(Tensor x)
                {
                    for (int i = 0; i < _layers.Length - 1; i++)
                        x = F.Relu(_layers[i].Forward(x));
                    foreach (var last in new[] { 2 }) { }
                    return _layers[2].Forward(x);
                }
            }
            """);
        // The foreach over a local array is not a module loop: the graph splits there, and it runs eagerly between the two graphs.
        var split = Lines(files["Demo.Tower.g.cs"]);
        Assert.Contains("// Model0.cs(12), eager: line 12: a loop over an expression of kind ArrayCreation (only this module's own module arrays are unrolled)", split);
        Assert.Contains("x = graphs.Layers0Layers1.Forward(x);", split);
        Assert.Contains("foreach (var last in new[] { 2 }) { }", split);
        Assert.Contains("return graphs.Layers2.Forward(x);", split);
        Assert.Empty(GeneratorHarness.Problems(output));

        (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Tower : Module
            {
                readonly Linear[] _layers = { new Linear(8, 8), new Linear(8, 8), new Linear(8, 2) };
                public Tensor Forward(Tensor x)
                {
                    for (int i = 0; i < _layers.Length - 1; i++)
                        x = F.Relu(_layers[i].Forward(x));
                    return _layers[2].Forward(x);
                }
            }
            """);
        var lines = Lines(files["Demo.Tower.g.cs"]);
        Assert.Contains("_layers_0 = Bind<global::ShapeSafe.NN.Linear>(\"layers.0\");", lines);
        Assert.Contains("_layers_2 = Bind<global::ShapeSafe.NN.Linear>(\"layers.2\");", lines);
        Assert.Equal(3, lines.Count(l => l.StartsWith("global::ShapeSafe.CompiledGraphs.GraphOps.Linear(", StringComparison.Ordinal)));
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public Task SS2009_for_a_scalar_the_graph_cannot_read_when_it_is_bound() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Linear fc = new(4, 4);
            double scale = 2;
            public Tensor Forward(Tensor x) => fc.Forward(x) * {|#0:scale|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 8: a scalar operand that is not a constant or a readonly float or double field of Net (the compiled graph reads it once, when it is bound)"));

    [Fact]
    public Task SS2009_for_a_transposed_view_read_by_a_kernel_that_takes_contiguous_buffers() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Linear fc = new(4, 4);
            public Tensor Forward(Tensor x) => {|#0:fc.Forward(x.Transpose(0, 1))|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 7: a transposed or permuted view read by Linear, which the compiled graph takes contiguous (call Contiguous() first)"));

    [Fact]
    public Task SS2009_for_a_module_list_whose_elements_the_constructor_makes() => Diagnostics("""
        using System.Collections.Generic;
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly List<Linear> _layers = new();
            public Net(int depth) { for (int i = 0; i < depth; i++) _layers.Add(new Linear(4, 4)); }
            public Tensor Forward(Tensor x)
            {
                {|#0:foreach (var layer in _layers) x = layer.Forward(x);|}
                return x;
            }
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 11: _layers's elements are not known at build time (unrolling needs a read-only member whose initializer lists them)"));

    [Fact]
    public Task A_branch_on_the_training_mode_compiles() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module(Compile = CompileMode.Required)]
        public partial class Net : Module
        {
            readonly Linear fc = new(4, 4);
            public Tensor Forward(Tensor x)
            {
                if (Training) x = x.Relu();
                return fc.Forward(x);
            }
        }
        """);

    [Fact]
    public Task SS2009_for_a_parameter_named_like_a_local_of_the_compiled_forward() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Linear fc = new(4, 4);
            public Tensor Forward(Tensor {|#0:output|}) => fc.Forward(output);
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "the parameter name 'output' is one of the compiled Forward's own locals (plan, needs, record, b, output); rename the parameter"));

    [Fact]
    public Task SS2010_is_an_error_when_the_class_requires_compilation() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module(Compile = CompileMode.Required)]
        public partial class Net : Module
        {
            readonly Linear fc = new(4, 4);
            int calls;
            public Tensor Forward(Tensor x)
            {
                {|#0:calls = calls + 1|};
                return fc.Forward(x);
            }
        }
        """,
        Diagnostic("SS2010", DiagnosticSeverity.Error).WithLocation(0)
            .WithArguments("Net", "line 10: an assignment to the field calls (a side effect on state)"));

    [Fact]
    public Task A_module_that_compiles_reports_nothing() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module(Compile = CompileMode.Required)]
        public partial class Block : Module
        {
            readonly Linear _fc1 = new(4, 4);
            readonly Linear _fc2 = new(4, 4);
            public Tensor Forward(Tensor x)
            {
                var h = _fc1.Forward(x).Relu();
                return x + _fc2.Forward(h);
            }
        }
        [Module(Compile = CompileMode.Required)]
        public partial class Net : Module
        {
            readonly Block _block = new();
            readonly Flatten _flatten = new();
            public Tensor Forward(Tensor x) => _block.Forward(_flatten.Forward(x));
        }
        """);
}
