using ShapeSafe.NN;
using static ShapeSafe.Tests.CompiledGraphs.CompiledModels;

namespace ShapeSafe.Tests.CompiledGraphs;

/// <summary>
/// <see cref="CompileOptions.Recompute"/>: a graph that recomputes element-wise values in its backward gives the
/// outputs and gradients of the same graph saving them, bit for bit, and of eager mode; and the memory report's
/// exact bytes, counted by hand for a small model.
/// </summary>
public partial class RecomputationTests
{
    static readonly CompileOptions Recompute = new() { Recompute = RecomputeMode.MinCut };

    /// <summary>Forward and backward of a weighted sum of the output: the output, every parameter's gradient, the input's.</summary>
    static List<(string What, float[] Values)> Step(Module model, Func<Tensor, Tensor> forward, Tensor data)
    {
        model.ZeroGrad();
        var x = data.Clone();
        x.RequiresGrad = true;
        var y = forward(x);
        var weights = Tensor.Arange(y.NumEl).Reshape(y.Shape.ToArray()).Mul(0.01f).Sin();
        y.Mul(weights).Sum().Backward();
        var results = new List<(string, float[])> { ("output", y.Detach().ToFloatArray()), ("grad of the input", x.Grad!.ToFloatArray()) };
        results.AddRange(model.NamedParameters().Select(p => ("grad of " + p.Name, p.Parameter.Grad!.ToFloatArray())));
        return results;
    }

    static void AssertSame(List<(string What, float[] Values)> expected, List<(string What, float[] Values)> actual, string where, double tolerance)
    {
        Assert.Equal(expected.Select(e => e.What), actual.Select(a => a.What));
        for (int k = 0; k < expected.Count; k++)
        {
            var (what, e) = expected[k];
            var a = actual[k].Values;
            Assert.Equal(e.Length, a.Length);
            double scale = e.Select(v => Math.Abs((double)v)).DefaultIfEmpty(0).Max();
            for (int i = 0; i < e.Length; i++)
            {
                bool same = tolerance == 0
                    ? BitConverter.SingleToInt32Bits(e[i]) == BitConverter.SingleToInt32Bits(a[i])
                    : Math.Abs(e[i] - a[i]) <= tolerance * Math.Max(scale, 1e-30);
                if (!same) Assert.Fail($"{where} {what}[{i}]: expected {e[i]:R}, got {a[i]:R} (tolerance {tolerance})");
            }
        }
    }

    /// <summary>
    /// Three twins (eager, compiled saving, compiled recomputing) over two batch sizes in training and eval mode: the
    /// recomputing graph bit for bit the saving one, both within <paramref name="eagerTolerance"/> of eager mode.
    /// </summary>
    static void AssertRecomputingMatches<TModule>(Func<TModule> create, Func<TModule, CompileOptions, CompiledModule> compile,
        Func<CompiledModule, Func<Tensor, Tensor>> forward, int[] shapeA, int[] shapeB, double eagerTolerance) where TModule : Module
    {
        var eager = create();
        var saving = compile(create(), CompileOptions.Default);
        var recomputing = compile(create(), Recompute);
        Assert.True(recomputing.IsCompiled);
        foreach (var training in new[] { true, false })
        {
            foreach (var m in new Module[] { eager, saving.Module, recomputing.Module }) m.Train(training);
            foreach (var shape in new[] { shapeA, shapeB, shapeA })
            {
                var data = Tensor.Randn(shape, new Generator(shape.Sum()));
                var expected = Step(eager, t => ((dynamic)eager).Forward(t), data);
                var saved = Step(saving.Module, forward(saving), data);
                var recomputed = Step(recomputing.Module, forward(recomputing), data);
                string where = $"{typeof(TModule).Name} {(training ? "train" : "eval")} [{string.Join(", ", shape)}]";
                AssertSame(saved, recomputed, where + " recomputing against saving", 0);
                AssertSame(expected, recomputed, where + " recomputing against eager", eagerTolerance);
            }
        }
        Assert.Equal(0, recomputing.EagerCalls);
    }

    [Fact]
    public void Gelu_layers_recomputed_match_the_saving_graph_bit_for_bit_and_eager_mode()
    {
        AssertRecomputingMatches(() => new TwoGelu(), (m, o) => m.Compile(o), c => ((TwoGelu.Compiled)c).Forward, [6, 4], [3, 4], eagerTolerance: 0);
    }

    [Fact]
    public void Chains_of_gelu_sigmoid_relu_and_arithmetic_recomputed_match_bit_for_bit()
    {
        AssertRecomputingMatches(() => new Chains(), (m, o) => m.Compile(o), c => ((Chains.Compiled)c).Forward, [9, 12], [4, 12], eagerTolerance: 0);
    }

    [Fact]
    public void Residual_blocks_recomputing_their_gelu_match_bit_for_bit()
    {
        // Within 1e-6 of eager, as the other residual graphs: the input's gradient adds its two paths in another order.
        AssertRecomputingMatches(() => new GeluResidualNet(), (m, o) => m.Compile(o), c => ((GeluResidualNet.Compiled)c).Forward, [8, 10], [3, 10], eagerTolerance: 1e-6);
    }

    [Fact]
    public void A_cnn_recomputing_the_gelu_between_its_convolutions_matches_bit_for_bit()
    {
        // Within 1e-5 of eager, as the other CNN: the fused convolution, ReLU and pool sum the weight gradient in their own order.
        AssertRecomputingMatches(() => new GeluCnn(), (m, o) => m.Compile(o), c => ((GeluCnn.Compiled)c).Forward, [4, 1, 12, 12], [2, 1, 12, 12], eagerTolerance: 1e-5);
    }

    [Fact]
    public void Dropout_outputs_are_recomputed_with_the_masks_the_forward_drew()
    {
        // Twins whose dropouts draw from generators of the same seeds: the same masks, call after call, and the
        // recomputing backward multiplies by them again rather than drawing.
        AssertRecomputingMatches(() => new Dropped(), (m, o) => m.Compile(o), c => ((Dropped.Compiled)c).Forward, [16, 10], [5, 10], eagerTolerance: 0);
        // Saving: the fused linear and ReLU's output, both dropouts' and the tanh's, [16, 32] each; recomputing drops
        // the dropouts' outputs, made again from the two saved ones.
        Assert.Equal(4 * 16 * 32 * 4, new Dropped().Compile().MemoryReport([16, 10]).SavedBytes);
        Assert.Equal(2 * 16 * 32 * 4, new Dropped().Compile(Recompute).MemoryReport([16, 10]).SavedBytes);
    }

    [Fact]
    public void Graphs_with_nothing_to_recompute_are_the_same_with_the_option()
    {
        AssertRecomputingMatches(() => new Cnn(new Generator(2)), (m, o) => m.Compile(o), c => ((Cnn.Compiled)c).Forward, [3, 1, 28, 28], [2, 1, 28, 28], eagerTolerance: 1e-5);
        AssertRecomputingMatches(() => new ResidualNet(new Generator(3)), (m, o) => m.Compile(o), c => ((ResidualNet.Compiled)c).Forward, [6, 20], [2, 20], eagerTolerance: 1e-6);
        // The fused linear and ReLU saves its output; nothing else is saved.
        var saving = new Mlp(128, new Generator(1)).Compile().MemoryReport([64, 784]);
        var recomputing = new Mlp(128, new Generator(1)).Compile(Recompute).MemoryReport([64, 784]);
        Assert.Equal(new CompiledMemoryReport(SavedBytes: 64 * 128 * 4, PeakBytes: 2 * 64 * 128 * 4, ArenaBytes: 2 * 64 * 128 * 4), saving);
        Assert.Equal(saving, recomputing);
    }

    [Fact]
    public void The_memory_report_counts_the_saved_live_and_arena_bytes()
    {
        // fc1 → A, GELU → G1, fc2 → B, GELU → G2, fc3 → the output: forward steps 0-4, backward 5-9. Every buffer is
        // [N, 8] floats, 32·N bytes. Saving: A, G1, B and G2 all live into the backward; at step 5 (fc3's backward)
        // they and G2's gradient are live, in five slots.
        var saving = new TwoGelu().Compile();
        Assert.Equal(new CompiledMemoryReport(SavedBytes: 4 * 96, PeakBytes: 5 * 96, ArenaBytes: 5 * 96), saving.MemoryReport([3, 4]));
        Assert.Equal(new CompiledMemoryReport(SavedBytes: 4 * 160, PeakBytes: 5 * 160, ArenaBytes: 5 * 160), saving.MemoryReport([5, 4]));
        // Recomputing: only A and B are saved; G2 is recomputed at step 5 from B, G1 at step 7 from A, and at most four
        // buffers are live at once (A, B, G2's gradient and G2 again at step 5), in four slots.
        var recomputing = new TwoGelu().Compile(Recompute);
        Assert.Equal(new CompiledMemoryReport(SavedBytes: 2 * 96, PeakBytes: 4 * 96, ArenaBytes: 4 * 96), recomputing.MemoryReport([3, 4]));
        Assert.Equal(new CompiledMemoryReport(SavedBytes: 2 * 160, PeakBytes: 4 * 160, ArenaBytes: 4 * 160), recomputing.MemoryReport([5, 4]));
        // A report makes a plan of its own: the graph's cache is untouched.
        Assert.Equal(0, recomputing.PlannedShapes);
    }

    [Fact]
    public void The_memory_report_checks_the_shape_as_the_layers_do()
    {
        var e = Assert.Throws<ShapeException>(() => new TwoGelu().Compile(Recompute).MemoryReport([3, 5]));
        Assert.Contains("[3, 5]", e.Message);
    }

    [Fact]
    public void An_unknown_recompute_mode_is_refused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new TwoGelu().Compile(new CompileOptions { Recompute = (RecomputeMode)2 }));
        Assert.StartsWith("Compile: Recompute must be RecomputeMode.None or RecomputeMode.MinCut", e.Message);
    }

    [Fact]
    public void Five_sgd_steps_recomputing_train_the_weights_the_saving_graph_trains()
    {
        var saving = new Chains();
        var recomputing = new Chains();
        var c1 = saving.Compile();
        var c2 = recomputing.Compile(Recompute);
        var opt1 = new ShapeSafe.Optim.Sgd(saving.Parameters(), 0.1, momentum: 0.9);
        var opt2 = new ShapeSafe.Optim.Sgd(recomputing.Parameters(), 0.1, momentum: 0.9);
        var data = new Generator(45);
        for (int step = 0; step < 5; step++)
        {
            var x = Tensor.Randn([16, 12], data);
            var target = Tensor.Randint(0, 3, [16], data);
            opt1.ZeroGrad();
            F.CrossEntropy(c1.Forward(x), target).Backward();
            opt1.Step();
            opt2.ZeroGrad();
            F.CrossEntropy(c2.Forward(x), target).Backward();
            opt2.Step();
        }
        foreach (var ((name, p1), (_, p2)) in saving.NamedParameters().Zip(recomputing.NamedParameters()))
            Assert.True(p1.ToFloatArray().AsSpan().SequenceEqual(p2.ToFloatArray()), name + " differs");
    }
}
