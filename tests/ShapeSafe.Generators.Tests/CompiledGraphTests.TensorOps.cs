using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using ShapeSafe.NN;
using static ShapeSafe.Generators.Tests.Verify;
using Assembly = System.Reflection.Assembly;

namespace ShapeSafe.Generators.Tests;

// The tensor methods: reductions (whole, over a dim and over dims, keepDim, Max(dim).Values), the element-wise math
// (Exp, Log, Sqrt, Rsqrt, Abs, Square, Pow, Clamp), Tril and Triu, and Expand. Their emitted steps and shapes are
// pinned here, and the generated code is compiled, loaded and run against the same model run eagerly: outputs and
// every gradient bit for bit, in training and eval mode, for two batch sizes, with and without recomputation.
public partial class CompiledGraphTests
{
    const string TensorOpModels = """
        using ShapeSafe;
        using ShapeSafe.NN;
        namespace Ops;

        [Module]
        public partial class Statistics : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(31));
            readonly Linear _fc2 = new(8, 4, generator: new Generator(32));
            public Tensor Forward([Shape("B, 6")] Tensor x)
            {
                var h = _fc1.Forward(x);
                var centered = h - h.Mean(1, keepDim: true);
                var normed = centered * (h.Var(1, unbiased: false, keepDim: true) + 1e-5f).Rsqrt();
                var spread = h.Max(1, keepDim: true).Values - h.Min(1, keepDim: true).Values;
                var y = _fc2.Forward(normed + spread + h.Std(1, keepDim: true));
                return y * h.Mean() + y.Sum(1, keepDim: true) + h.Sum() + h.Max(dim: 1).Values.Unsqueeze(1);
            }
        }

        [Module]
        public partial class Elementwise : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(33));
            readonly Linear _fc2 = new(8, 4, generator: new Generator(34));
            public Tensor Forward([Shape("B, 6")] Tensor x)
            {
                var h = _fc1.Forward(x);
                var p = h.Abs() + 1;
                var a = p.Log() + p.Sqrt() + h.Square() + h.Pow(3) + p.Pow(0.5f) + p.Pow(-1.5f);
                var b = h.Clamp(-0.5f, 0.5f) + h.Clamp(min: 0) + (h * 0.1f).Exp() + p.Rsqrt();
                return _fc2.Forward(a * b);
            }
        }

        [Module]
        public partial class Triangles : Module
        {
            readonly Linear _fc1 = new(6, 4, generator: new Generator(35));
            readonly Linear _fc2 = new(4, 3, generator: new Generator(36));
            public Tensor Forward([Shape("B, 4, 6")] Tensor x)
            {
                var h = _fc1.Forward(x);
                var masked = h.Tril() + h.Triu(1) * 2 + h.Tril(diagonal: -1);
                var rows = masked.Sum(2, keepDim: true).Expand(-1, -1, 4);
                var total = masked.Mean(new[] { 1, 2 }, keepDim: true);
                return _fc2.Forward(masked * rows + total.Expand(-1, 4, 4) + masked.Sum(new[] { 0, 2 }).Expand(4, 4));
            }
        }
        """;

    static readonly Lazy<(IReadOnlyDictionary<string, string> Files, Compilation Output, Assembly Assembly)> BuiltTensorOps = new(() =>
    {
        var (files, output) = GeneratorHarness.Run(TensorOpModels);
        using var stream = new MemoryStream();
        var emitted = output.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        stream.Position = 0;
        var assembly = new AssemblyLoadContext("CompiledTensorOpTests", isCollectible: true).LoadFromStream(stream);
        return (files, output, assembly);
    });

    static string[] TensorOpLines(string model) => Lines(BuiltTensorOps.Value.Files["Ops." + model + ".g.cs"]);

    [Fact]
    public void The_tensor_op_models_generated_code_compiles_without_warnings()
    {
        Assert.Empty(GeneratorHarness.Problems(BuiltTensorOps.Value.Output));
    }

    [Fact]
    public void A_reduction_is_a_function_step_over_the_eager_method_with_its_arguments_and_shape()
    {
        var lines = TensorOpLines("Statistics");
        Assert.Contains("// Mean: [B, 1]", lines);
        Assert.Contains("global::ShapeSafe.CompiledGraphs.GraphOps.Function(plan.MeanPlan, static x => x.Mean(dim: 1, keepDim: true), b.Fc1, b.Mean, b.MeanState, record);", lines);
        Assert.Contains("global::ShapeSafe.CompiledGraphs.GraphOps.Function(plan.VarPlan, static x => x.Var(dim: 1, unbiased: false, keepDim: true), b.Fc1, b.Var, b.VarState, record);", lines);
        Assert.Contains("global::ShapeSafe.CompiledGraphs.GraphOps.Function(plan.MaxPlan, static x => x.Max(dim: 1, keepDim: true).Values, b.Fc1, b.Max, b.MaxState, record);", lines);
        // The whole tensor's reduction is 0-dim; a dim without keepDim is removed.
        Assert.Contains("// Mean2: []", lines);
        Assert.Contains("global::ShapeSafe.CompiledGraphs.GraphOps.Function(plan.Mean2Plan, static x => x.Mean(), b.Fc1, b.Mean2, b.Mean2State, record);", lines);
        Assert.Contains("// Max2: [B]", lines);
        // The backward runs the step's tape; the second gradient into Fc1 is added.
        Assert.Contains("global::ShapeSafe.CompiledGraphs.GraphOps.FunctionBackward(b.Max2State, b.Max2Grad, b.Fc1Grad, accumulateInput: false);", lines);
        Assert.Contains("global::ShapeSafe.CompiledGraphs.GraphOps.FunctionBackward(b.Sum2State, b.Sum2Grad, b.Fc1Grad, accumulateInput: true);", lines);
    }

    [Fact]
    public void Element_wise_math_writes_its_scalar_arguments_as_literals_of_their_own_type()
    {
        var text = BuiltTensorOps.Value.Files["Ops.Elementwise.g.cs"];
        Assert.Contains("static x => x.Pow(exponent: 3)", text);
        Assert.Contains("static x => x.Pow(exponent: 0.5f)", text);
        Assert.Contains("static x => x.Pow(exponent: -1.5f)", text);
        Assert.Contains("static x => x.Clamp(min: -0.5f, max: 0.5f)", text);
        Assert.Contains("static x => x.Clamp(min: 0)", text);
        Assert.Contains("static x => x.Exp()", text);
        Assert.Contains("static x => x.Rsqrt()", text);
    }

    [Fact]
    public void Triangles_and_expands_take_their_shapes_from_the_shared_rules()
    {
        var lines = TensorOpLines("Triangles");
        Assert.Contains("// Tril: [B, 4, 4]", lines);
        Assert.Contains("// Sum: [B, 4, 1]", lines);
        Assert.Contains("// Expand: [B, 4, 4]", lines);
        Assert.Contains("// Mean: [B, 1, 1]", lines);
        Assert.Contains("// Sum2: [4]", lines);
        Assert.Contains("// Expand3: [4, 4]", lines);
        var text = BuiltTensorOps.Value.Files["Ops.Triangles.g.cs"];
        Assert.Contains("static x => x.Expand(shape: new int[] { -1, -1, 4 })", text);
        Assert.Contains("static x => x.Mean(dims: new int[] { 1, 2 }, keepDim: true)", text);
        Assert.Contains("static x => x.Tril(diagonal: -1)", text);
    }

    [Fact]
    public Task SS2009_for_a_reduction_dim_that_is_not_a_constant() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            int _dim = 1;
            readonly Linear fc = new(4, 4);
            public Tensor Forward(Tensor x) => {|#0:fc.Forward(x).Sum(_dim, keepDim: true)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 8: Tensor.Sum's dim is not a constant (the graph writes the call's arguments into its code)"));

    [Fact]
    public Task SS2009_for_an_exponent_that_is_not_a_constant() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            float _exponent = 2f;
            readonly Linear fc = new(4, 4);
            public Tensor Forward(Tensor x) => {|#0:fc.Forward(x).Pow(_exponent)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 8: Tensor.Pow's exponent is not a constant (the graph writes the call's arguments into its code)"));
}
