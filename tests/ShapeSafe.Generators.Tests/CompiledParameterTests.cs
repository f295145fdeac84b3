using Assembly = System.Reflection.Assembly;
using ShapeSafe.NN;

namespace ShapeSafe.Generators.Tests;

/// <summary>
/// A module's own <c>Parameter</c> and <c>[Buffer]</c> members read in <c>Forward</c>: the generated graph is built
/// into an assembly of its own, loaded, and run against the same module's eager <c>Forward</c>, bit for bit (outputs,
/// every parameter's gradient, the input's gradient), for two batch sizes in training and eval mode; and the code it
/// writes for them.
/// </summary>
public class CompiledParameterTests
{
    const string Models = """
        using ShapeSafe;
        using ShapeSafe.NN;
        namespace Params;

        // A linear layer written by hand: [In, Out] weight, [Out] bias.
        [Module]
        public partial class HandLinear : Module
        {
            const int In = 8, Out = 5;
            readonly Parameter _w;
            readonly Parameter _b;
            public HandLinear(Generator g)
            {
                _w = new Parameter(Tensor.Randn(new[] { In, Out }, g));
                _b = new Parameter(Tensor.Randn(new[] { Out }, g));
            }
            public Tensor Forward(Tensor x) => x.Matmul(_w) + _b;
        }

        // A learned positional embedding added to the input, then F.Linear on a [Out, In] weight.
        [Module]
        public partial class Positional : Module
        {
            readonly Parameter _positions;
            readonly Parameter _weight;
            readonly Parameter _bias;
            public Positional(Generator g)
            {
                _positions = new Parameter(Tensor.Randn(new[] { 3, 8 }, g).Mul(0.02));
                _weight = new Parameter(Tensor.Randn(new[] { 6, 8 }, g));
                _bias = new Parameter(Tensor.Randn(new[] { 6 }, g));
            }
            public Tensor Forward(Tensor x) => F.Linear(F.Gelu(x + _positions), _weight, _bias);
        }

        // Layer scale: a [D] gamma per channel, inlined into a parent, and a [1, D] shift that broadcasts over the batch.
        [Module]
        public partial class LayerScale : Module
        {
            readonly Parameter _gamma;
            public LayerScale(int dim, Generator g) => _gamma = new Parameter(Tensor.Randn(new[] { dim }, g));
            public Tensor Forward(Tensor x) => x * _gamma;
        }

        [Module]
        public partial class Scaled : Module
        {
            readonly LayerScale _scale;
            readonly Parameter _shift;
            public Scaled(Generator g)
            {
                _scale = new LayerScale(8, g);
                _shift = new Parameter(Tensor.Randn(new[] { 1, 8 }, g));
            }
            public Tensor Forward(Tensor x) => _scale.Forward(x).Tanh() + _shift;
        }

        // One parameter read three times: two products with it and one with its transpose.
        [Module]
        public partial class Tied : Module
        {
            readonly Parameter _w;
            public Tied(Generator g) => _w = new Parameter(Tensor.Randn(new[] { 8, 8 }, g).Mul(0.3));
            public Tensor Forward(Tensor x)
            {
                var h = x.Matmul(_w).Relu();
                return h.Matmul(_w.T) + x.Matmul(_w);
            }
        }

        // A buffer read at each call and replaced between calls, and Mm/Bmm.
        [Module]
        public partial class Shifted : Module
        {
            [Buffer] Tensor _offset;
            readonly Parameter _w;
            public Shifted(Generator g)
            {
                _offset = Tensor.Randn(new[] { 8 }, g);
                _w = new Parameter(Tensor.Randn(new[] { 8, 4 }, g));
            }
            public void SetOffset(Tensor offset) => _offset = offset;
            public Tensor Forward(Tensor x) => Tensor.Mm(x - _offset, _w).Sigmoid();
        }

        // A branch on Training: each mode's graph reads the parameter and the buffer.
        [Module]
        public partial class Moded : Module
        {
            readonly Parameter _gamma;
            [Buffer] readonly Tensor _bias;
            public Moded(Generator g)
            {
                _gamma = new Parameter(Tensor.Randn(new[] { 8 }, g));
                _bias = Tensor.Randn(new[] { 8 }, g);
            }
            public Tensor Forward(Tensor x) => Training ? F.Gelu(x * _gamma) + _bias : (x + _bias) * _gamma;
        }

        [Module]
        public partial class Batched : Module
        {
            readonly Parameter _w;
            public Batched(Generator g) => _w = new Parameter(Tensor.Randn(new[] { 3, 8, 2 }, g));
            public Tensor Forward(Tensor x) => Tensor.Bmm(x, _w);
        }
        """;

    static readonly Lazy<(IReadOnlyDictionary<string, string> Files, Assembly Assembly)> Built = new(() =>
    {
        var (files, output) = GeneratorHarness.Run(Models);
        Assert.Empty(GeneratorHarness.Problems(output));
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        return (files, Assembly.Load(image.ToArray()));
    });

    static Module Create(string type, int seed) =>
        (Module)Activator.CreateInstance(Built.Value.Assembly.GetType("Params." + type, throwOnError: true)!, new Generator(seed))!;

    static CompiledModule Compile(Module module, CompileOptions? options = null) => ((ICompilableModule)module).Compile(options);

    static Tensor Run(CompiledModule compiled, Tensor x) => ((ITensorModule)compiled).Forward(x);

    /// <summary>Forward and backward of a weighted sum of the output: the output, every parameter's gradient (null where there is none) and the input's.</summary>
    static (float[] Output, Dictionary<string, float[]?> Grads, float[] InputGrad) Step(Module model, Func<Tensor, Tensor> forward, Tensor x)
    {
        model.ZeroGrad();
        x.Grad = null;
        var y = forward(x);
        var weights = Tensor.Arange(y.NumEl).Reshape(y.Shape.ToArray()).Mul(0.01f).Sin();
        y.Mul(weights).Sum().Backward();
        var grads = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad?.ToFloatArray());
        return (y.Detach().ToFloatArray(), grads, x.Grad!.ToFloatArray());
    }

    static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}[{i}]: eager {expected[i]:R}, compiled {actual[i]:R}");
    }

    /// <summary>The compiled twin against the eager module, in training and eval mode, for each shape (the first again, from the cache).</summary>
    static CompiledModule AssertMatchesEager(string type, params int[][] shapes) => AssertMatchesEager(type, null, shapes);

    static CompiledModule AssertMatchesEager(string type, CompileOptions? options, params int[][] shapes)
    {
        var eager = Create(type, 7);
        var twin = Create(type, 7);
        var compiled = Compile(twin, options);
        Assert.True(compiled.IsCompiled);
        foreach (var training in new[] { true, false })
        {
            eager.Train(training);
            twin.Train(training);
            foreach (var shape in shapes.Append(shapes[0]))
            {
                var data = Tensor.Randn(shape, new Generator(shape.Sum()));
                var x1 = data.Clone();
                var x2 = data.Clone();
                x1.RequiresGrad = true;
                x2.RequiresGrad = true;
                var (y1, g1, dx1) = Step(eager, x => ((dynamic)eager).Forward(x), x1);
                var (y2, g2, dx2) = Step(twin, x => Run(compiled, x), x2);
                var where = $"{type} {(training ? "train" : "eval")} [{string.Join(", ", shape)}]";
                AssertBitwise(y1, y2, where + " output");
                Assert.Equal(g1.Keys, g2.Keys);
                foreach (var (name, grad) in g1)
                {
                    Assert.Equal(grad is null, g2[name] is null);
                    if (grad is not null) AssertBitwise(grad, g2[name]!, where + " grad of " + name);
                }
                AssertBitwise(dx1, dx2, where + " grad of the input");
            }
        }
        Assert.Equal(0, compiled.EagerCalls);
        return compiled;
    }

    [Fact]
    public void A_hand_written_linear_layer_matches_eager_bit_for_bit() =>
        Assert.Equal(4, AssertMatchesEager("HandLinear", [4, 3, 8], [2, 8]).PlannedShapes);

    [Fact]
    public void A_learned_positional_embedding_and_F_Linear_match_eager_bit_for_bit() =>
        AssertMatchesEager("Positional", [4, 3, 8], [1, 3, 8]);

    [Fact]
    public void A_layer_scale_of_an_inlined_child_and_a_broadcast_shift_match_eager_bit_for_bit() =>
        AssertMatchesEager("Scaled", [5, 8], [2, 7, 8]);

    [Fact]
    public void Recomputing_from_a_parameter_in_the_backward_matches_eager_bit_for_bit() =>
        AssertMatchesEager("Scaled", new CompileOptions { Recompute = RecomputeMode.MinCut }, [5, 8], [2, 7, 8]);

    [Fact]
    public void Both_variants_of_a_branch_on_Training_read_the_parameter_and_the_buffer() =>
        AssertMatchesEager("Moded", [4, 8], [2, 3, 8]);

    [Fact]
    public void A_parameter_read_three_times_gets_the_sum_of_its_gradients_bit_for_bit() =>
        AssertMatchesEager("Tied", [6, 8], [3, 4, 8]);

    [Fact]
    public void Mm_and_Bmm_on_parameters_match_eager_bit_for_bit()
    {
        AssertMatchesEager("Shifted", [6, 8], [2, 8]);
        AssertMatchesEager("Batched", [3, 5, 8], [3, 1, 8]);
    }

    [Fact]
    public void A_frozen_parameter_gets_no_gradient_and_the_others_still_do()
    {
        var eager = Create("HandLinear", 3);
        var twin = Create("HandLinear", 3);
        eager.GetParameter("w").RequiresGrad = false;
        twin.GetParameter("w").RequiresGrad = false;
        var compiled = Compile(twin);
        var data = Tensor.Randn([4, 8], new Generator(5));
        var (x1, x2) = (data.Clone(), data.Clone());
        x1.RequiresGrad = x2.RequiresGrad = true;
        var (y1, g1, dx1) = Step(eager, x => ((dynamic)eager).Forward(x), x1);
        var (y2, g2, dx2) = Step(twin, x => Run(compiled, x), x2);
        AssertBitwise(y1, y2, "output");
        Assert.Null(g1["w"]);
        Assert.Null(g2["w"]);
        AssertBitwise(g1["b"]!, g2["b"]!, "grad of b");
        AssertBitwise(dx1, dx2, "grad of the input");

        // Nothing needs a gradient: no node is recorded.
        twin.GetParameter("b").RequiresGrad = false;
        var y = Run(compiled, data);
        Assert.False(y.RequiresGrad);
        Assert.True(y.IsLeaf);
    }

    [Fact]
    public void The_compiled_graph_trains_the_modules_own_parameter_objects()
    {
        var module = Create("HandLinear", 1);
        var compiled = Compile(module);
        var x = Tensor.Randn([2, 8], new Generator(2));
        Run(compiled, x).Sum().Backward();
        var first = module.GetParameter("w").Grad!.ToFloatArray();
        // A second backward without ZeroGrad accumulates into the same Grad, as eager autograd does.
        Run(compiled, x).Sum().Backward();
        var second = module.GetParameter("w").Grad!.ToFloatArray();
        AssertBitwise(first.Select(v => v + v).ToArray(), second, "accumulated grad of w");
    }

    [Fact]
    public void A_buffer_is_read_again_at_every_call_and_a_buffer_of_another_shape_runs_eagerly()
    {
        var eager = Create("Shifted", 4);
        var twin = Create("Shifted", 4);
        var compiled = Compile(twin);
        var x = Tensor.Randn([3, 8], new Generator(9));
        foreach (var offset in new[] { Tensor.Zeros(8), Tensor.Full([8], 0.5f), Tensor.Randn([8], new Generator(1)) })
        {
            ((dynamic)eager).SetOffset(offset.Clone());
            ((dynamic)twin).SetOffset(offset.Clone());
            AssertBitwise(((Tensor)((dynamic)eager).Forward(x)).ToFloatArray(), Run(compiled, x).ToFloatArray(), "output");
        }
        Assert.Equal(0, compiled.EagerCalls);
        // An in-place update of the buffer is seen too.
        twin.GetBuffer("offset").AddInPlace(Tensor.Ones(8));
        eager.GetBuffer("offset").AddInPlace(Tensor.Ones(8));
        AssertBitwise(((Tensor)((dynamic)eager).Forward(x)).ToFloatArray(), Run(compiled, x).ToFloatArray(), "output after an in-place update");
        // A [1, 8] offset broadcasts in eager mode too, but the plan was made for [8]: the call runs eagerly.
        ((dynamic)eager).SetOffset(Tensor.Ones(1, 8));
        ((dynamic)twin).SetOffset(Tensor.Ones(1, 8));
        AssertBitwise(((Tensor)((dynamic)eager).Forward(x)).ToFloatArray(), Run(compiled, x).ToFloatArray(), "output with a [1, 8] offset");
        Assert.Equal(1, compiled.EagerCalls);
    }

    [Fact]
    public void A_parameter_of_the_wrong_orientation_throws_the_eager_ops_error_when_the_plan_is_made()
    {
        var module = Create("HandLinear", 1);
        var compiled = Compile(module);
        // (The test compiles the shape core in twice, through the generator, so the exception is matched by name.)
        var eager = Assert.ThrowsAny<ArgumentException>(() => ((dynamic)module).Forward(Tensor.Randn(2, 5)));
        var planned = Assert.ThrowsAny<ArgumentException>(() => Run(compiled, Tensor.Randn(2, 5)));
        Assert.Equal("ShapeException", planned.GetType().Name);
        Assert.Equal(eager.GetType(), planned.GetType());
        Assert.Equal("Matmul: [2, 5] × [8, 5]: inner dims 5 and 8 differ", planned.Message);
    }

    static string[] Lines(string text) => text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

    [Fact]
    public void Each_parameter_is_bound_once_and_each_buffer_read_at_every_call()
    {
        var files = Built.Value.Files;
        var linear = Lines(files["Params.HandLinear.g.cs"]);
        Assert.Contains("readonly global::ShapeSafe.NN.Parameter _w;", linear);
        Assert.Contains("_w = module.GetParameter(\"w\");", linear);
        Assert.Contains("// w: [8, 5]", linear);
        Assert.Contains("// Model0.cs(17): x.Matmul(_w)", linear);
        Assert.Contains("// Matmul: [..., 5]", linear);
        Assert.Contains("global::ShapeSafe.CompiledGraphs.GraphOps.Matmul(\"Matmul\", xData, wData, b.Matmul);", linear);
        Assert.Contains("global::ShapeSafe.CompiledGraphs.GraphOps.MatmulBackward(b.MatmulGrad, xData, wData, gradX, gradW);", linear);
        Assert.Contains("return Record(output, \"CompiledFunctionBackward\", new global::ShapeSafe.Tensor?[] { x, _w, _b }, b.Backward, b.Released);", linear);

        var shifted = Lines(files["Params.Shifted.g.cs"]);
        Assert.Contains("var offsetData = global::ShapeSafe.CompiledGraphs.GraphOps.Contiguous(Module.GetBuffer(\"offset\"));", shifted);
        Assert.Contains("if (!Holds(offsetData, plan.OffsetShape)) return Module.Forward(x);", shifted);
        // The buffer takes no gradient: it is not among the node's inputs.
        Assert.Contains("return Record(output, \"CompiledFunctionBackward\", new global::ShapeSafe.Tensor?[] { x, _w }, b.Backward, b.Released);", shifted);

        var scaled = Lines(files["Params.Scaled.g.cs"]);
        Assert.Contains("_scale_gamma = module.GetParameter(\"scale.gamma\");", scaled);
        Assert.Contains("// scale.gamma: [8]", scaled);
        // The tanh's input is recomputed in the backward from the argument and the bound gamma.
        Assert.Contains("if (plan.Recomputes)", scaled);

        var tied = Lines(files["Params.Tied.g.cs"]);
        Assert.Single(tied, l => l.StartsWith("_w = module.GetParameter", StringComparison.Ordinal));
        Assert.Contains("TransposeView = global::ShapeSafe.CompiledGraphs.GraphOps.PlanReversed(WShape);", tied);
    }
}
