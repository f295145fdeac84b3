using ShapeSafe.NN;
using ShapeSafe.Shapes;
using static ShapeSafe.Tests.CompiledGraphs.CompiledModels;

namespace ShapeSafe.Tests.CompiledGraphs;

/// <summary>
/// The compiled graphs the <c>[Module]</c> generator writes, against the same module run eagerly: outputs and every
/// gradient, for two batch sizes in one process (the guard path), in training and eval mode.
/// </summary>
public class CompiledGraphTests
{
    /// <summary>Runs forward and backward (a weighted sum of the output, so every element's gradient differs) and returns the output and every gradient.</summary>
    internal static (float[] Output, Dictionary<string, float[]> Grads, float[]? InputGrad) Step(Module model, Func<Tensor, Tensor> forward, Tensor x)
    {
        model.ZeroGrad();
        x.Grad = null;
        var y = forward(x);
        var weights = Tensor.Arange(y.NumEl).Reshape(y.Shape.ToArray()).Mul(0.01f).Sin();
        y.Mul(weights).Sum().Backward();
        var grads = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToFloatArray());
        return (y.Detach().ToFloatArray(), grads, x.RequiresGrad ? x.Grad!.ToFloatArray() : null);
    }

    /// <summary>Asserts bitwise equality, or within <paramref name="tolerance"/> relative to the largest magnitude.</summary>
    internal static void AssertSame(float[] expected, float[] actual, string what, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Select(v => Math.Abs((double)v)).DefaultIfEmpty(0).Max();
        for (int i = 0; i < expected.Length; i++)
        {
            if (tolerance == 0)
            {
                if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                    Assert.Fail($"{what}[{i}]: eager {expected[i]:R}, compiled {actual[i]:R} (expected bitwise equality)");
            }
            else if (Math.Abs(expected[i] - actual[i]) > tolerance * Math.Max(scale, 1e-30))
            {
                Assert.Fail($"{what}[{i}]: eager {expected[i]:R}, compiled {actual[i]:R} (tolerance {tolerance} of {scale:R})");
            }
        }
    }

    static void AssertMatchesEager<TModule>(TModule eager, TModule compiledTwin, Func<TModule, Func<Tensor, Tensor>> compile,
        int[] shapeA, int[] shapeB, double tolerance, bool inputGrad = false) where TModule : Module
    {
        var forward = compile(compiledTwin);
        foreach (var training in new[] { true, false })
        {
            eager.Train(training);
            compiledTwin.Train(training);
            foreach (var shape in new[] { shapeA, shapeB, shapeA })
            {
                var data = Tensor.Randn(shape, new Generator(shape.Sum()));
                var x1 = data.Clone();
                var x2 = data.Clone();
                x1.RequiresGrad = inputGrad;
                x2.RequiresGrad = inputGrad;
                var (y1, g1, dx1) = Step(eager, t => ((dynamic)eager).Forward(t), x1);
                var (y2, g2, dx2) = Step(compiledTwin, forward, x2);
                string where = $"{typeof(TModule).Name} {(training ? "train" : "eval")} [{string.Join(", ", shape)}]";
                AssertSame(y1, y2, where + " output", tolerance);
                Assert.Equal(g1.Keys, g2.Keys);
                foreach (var (name, grad) in g1) AssertSame(grad, g2[name], where + " grad of " + name, tolerance);
                if (inputGrad) AssertSame(dx1!, dx2!, where + " grad of the input", tolerance);
            }
        }
    }

    [Fact]
    public void Mlp_matches_eager_bit_for_bit_for_two_batch_sizes()
    {
        var compiled = new Mlp(128, new Generator(1)).Compile();
        Assert.True(compiled.IsCompiled);
        AssertMatchesEager(new Mlp(128, new Generator(1)), compiled.Module, _ => compiled.Forward, [64, 784], [7, 784], tolerance: 0, inputGrad: true);
        Assert.Equal(4, compiled.PlannedShapes); // two shapes, in training and in eval mode
        Assert.Equal(0, compiled.EagerCalls);
    }

    [Fact]
    public void Cnn_matches_eager_for_two_batch_sizes()
    {
        var compiled = new Cnn(new Generator(2)).Compile();
        Assert.True(compiled.IsCompiled);
        // The fused convolution, ReLU and pool sum the weight gradient in the order of the fused kernel; eager runs
        // the three ops apart.
        AssertMatchesEager(new Cnn(new Generator(2)), compiled.Module, _ => compiled.Forward, [8, 1, 28, 28], [3, 1, 28, 28], tolerance: 1e-5, inputGrad: true);
    }

    [Fact]
    public void Residual_blocks_inlined_into_one_graph_match_eager()
    {
        var compiled = new ResidualNet(new Generator(3)).Compile();
        Assert.True(compiled.IsCompiled);
        AssertMatchesEager(new ResidualNet(new Generator(3)), compiled.Module, _ => compiled.Forward, [16, 20], [5, 20], tolerance: 1e-6, inputGrad: true);
    }

    [Fact]
    public void Loops_over_module_arrays_are_unrolled_and_match_eager()
    {
        var compiled = new Unrolled().Compile();
        Assert.True(compiled.IsCompiled);
        AssertMatchesEager(new Unrolled(), compiled.Module, _ => compiled.Forward, [16, 12], [5, 12], tolerance: 1e-6, inputGrad: true);
        Assert.Equal(0, compiled.EagerCalls);
    }

    [Fact]
    public void Layer_norms_with_and_without_an_affine_transform_match_eager_bit_for_bit()
    {
        var compiled = new PreNorm(new Generator(11)).Compile();
        Assert.True(compiled.IsCompiled);
        // The compiled norm runs the eager op's kernel on the same operands, forward and backward.
        AssertMatchesEager(new PreNorm(new Generator(11)), compiled.Module, _ => compiled.Forward, [4, 3, 24], [2, 3, 24], tolerance: 0, inputGrad: true);
        var error = Assert.Throws<ShapeException>(() => compiled.Forward(Tensor.Randn(new[] { 4, 2, 24 }, null)));
        Assert.Equal("LayerNorm: Given normalized_shape=[3, 24], expected input with shape [*, 3, 24], but got input of size [4, 2, 24]", error.Message);
    }

    [Fact]
    public void Dropout_draws_the_eager_masks_in_training_and_is_the_identity_in_eval_mode()
    {
        var compiled = new Dropped().Compile();
        Assert.True(compiled.IsCompiled);
        // Twins whose dropouts draw from generators of the same seeds: the same masks, call after call.
        AssertMatchesEager(new Dropped(), compiled.Module, _ => compiled.Forward, [16, 10], [5, 10], tolerance: 0, inputGrad: true);
        compiled.Module.Train();
        var x = Tensor.Randn(new[] { 64, 10 }, new Generator(1));
        Assert.NotEqual(compiled.Forward(x).ToFloatArray(), compiled.Forward(x).ToFloatArray());
        compiled.Module.Eval();
        Assert.Equal(compiled.Forward(x).ToFloatArray(), compiled.Forward(x).ToFloatArray());
    }

    [Fact]
    public void Softmax_and_log_softmax_along_any_dim_match_eager()
    {
        var compiled = new Softmaxes().Compile();
        Assert.True(compiled.IsCompiled);
        // The forward runs the eager kernel; the backward sums each row in one loop, where eager composes tensor ops.
        AssertMatchesEager(new Softmaxes(), compiled.Module, _ => compiled.Forward, [5, 4, 6], [2, 4, 6], tolerance: 1e-6, inputGrad: true);
    }

    [Fact]
    public void Data_parallel_replicas_run_their_compiled_graphs_and_give_the_eager_gradients()
    {
        var data = Tensor.Randn(new[] { 48, 784 }, new Generator(30));
        var labels = Tensor.Randint(0, 10, new[] { 48 }, new Generator(31));
        var eager = new ShapeSafe.Parallel.DataParallel<Mlp>(new Mlp(64, new Generator(32)), () => new Mlp(64, new Generator(0)), replicas: 2);
        var compiled = new ShapeSafe.Parallel.DataParallel<Mlp>(new Mlp(64, new Generator(32)), () => new Mlp(64, new Generator(0)), replicas: 2);
        var graphs = new List<Mlp.Compiled>();
        for (int step = 0; step < 2; step++)
        {
            float a = eager.ForwardBackward([data, labels], (m, xs) => F.CrossEntropy(m.Forward(xs[0]), xs[1]));
            float b = compiled.ForwardBackward([data, labels], m =>
            {
                var graph = m.Compile();
                lock (graphs) graphs.Add(graph);
                return graph;
            }, (graph, xs) => F.CrossEntropy(graph.Forward(xs[0]), xs[1]));
            Assert.Equal(a, b);
        }
        foreach (var (p, q) in eager.Module.Parameters().Zip(compiled.Module.Parameters()))
            Assert.Equal(p.Grad!.ToFloatArray(), q.Grad!.ToFloatArray());
        // One graph per replica, made at its first step and reused, each with one plan (a shard of 24) and no eager call.
        Assert.Equal(2, graphs.Count);
        Assert.All(graphs, g => Assert.Equal((1, 0), (g.PlannedShapes, g.EagerCalls)));
    }

    [Fact]
    public void Tanh_sigmoid_gelu_and_a_product_match_eager()
    {
        var compiled = new Gated(new Generator(17)).Compile();
        Assert.True(compiled.IsCompiled);
        AssertMatchesEager(new Gated(new Generator(17)), compiled.Module, _ => compiled.Forward, [9, 12], [4, 12], tolerance: 1e-6, inputGrad: true);
    }

    [Fact]
    public void Broadcasting_arithmetic_and_scalars_match_eager_with_every_gradient_summed_to_its_operands_shape()
    {
        var eager = new Broadcasting(0.3);
        var compiled = new Broadcasting(0.3).Compile();
        Assert.True(compiled.IsCompiled);
        var bias = Tensor.Randn(new[] { 6 }, new Generator(40));
        foreach (var training in new[] { true, false })
        {
            eager.Train(training);
            compiled.Module.Train(training);
            foreach (var batch in new[] { 5, 2, 5 })
            {
                var data = Tensor.Randn(new[] { batch, 4, 6 }, new Generator(batch));
                var (x1, b1, x2, b2) = (data.Clone(), bias.Clone(), data.Clone(), bias.Clone());
                foreach (var t in new[] { x1, b1, x2, b2 }) t.RequiresGrad = true;
                var (y1, g1, _) = Step(eager, _ => eager.Forward(x1, b1), x1);
                var (y2, g2, _) = Step(compiled.Module, _ => compiled.Forward(x2, b2), x2);
                string where = $"{(training ? "train" : "eval")} [{batch}, 4, 6]";
                // The same kernels in the same order, each value's gradients added in the order eager autograd adds them.
                AssertSame(y1, y2, where + " output", 0);
                foreach (var (name, grad) in g1) AssertSame(grad, g2[name], where + " grad of " + name, 0);
                AssertSame(x1.Grad!.ToFloatArray(), x2.Grad!.ToFloatArray(), where + " grad of x", 0);
                AssertSame(b1.Grad!.ToFloatArray(), b2.Grad!.ToFloatArray(), where + " grad of bias", 0);
                Assert.Equal(new[] { 6 }, b2.Grad!.Shape.ToArray());
            }
        }
        Assert.Equal(0, compiled.EagerCalls);
        // A field read when the graph is bound: a twin with another scale gives another output.
        var x = Tensor.Randn(new[] { 2, 4, 6 }, new Generator(41));
        Assert.NotEqual(compiled.Forward(x, bias).ToFloatArray(), new Broadcasting(0.6).Compile().Forward(x, bias).ToFloatArray());
        // Shapes that do not broadcast throw the eager op's error.
        var error = Assert.Throws<ShapeException>(() => compiled.Forward(x, Tensor.Randn(new[] { 5 }, null)));
        Assert.Equal(Assert.Throws<ShapeException>(() => eager.Forward(x, Tensor.Randn(new[] { 5 }, null))).Message, error.Message);
    }

    [Fact]
    public void Views_and_transposes_share_their_sources_storage_and_match_eager()
    {
        var compiled = new Views().Compile();
        Assert.True(compiled.IsCompiled);
        // A view's backward hands the gradient on, a transpose's adds it into zeros through the layout: eager's kernels.
        AssertMatchesEager(new Views(), compiled.Module, _ => compiled.Forward, [5, 4, 6], [2, 4, 6], tolerance: 0, inputGrad: true);
        Assert.Equal(0, compiled.EagerCalls);
        var y = compiled.Forward(Tensor.Randn(new[] { 3, 4, 6 }, new Generator(42)));
        Assert.Equal(new[] { 3, 3, 8 }, y.Shape.ToArray());
        // A size the view cannot take throws the eager op's error.
        var error = Assert.Throws<ShapeException>(() => compiled.Forward(Tensor.Randn(new[] { 2, 4, 5 }, null)));
        Assert.Contains("Linear", error.Message);
    }

    [Fact]
    public void Batch_norms_match_eager_bit_for_bit_and_update_the_running_statistics_as_eager_does()
    {
        var eager = new Normalized();
        var compiled = new Normalized().Compile();
        Assert.True(compiled.IsCompiled);
        // Three training calls (two batch sizes) update the running statistics; the eval calls then read them.
        AssertMatchesEager(eager, compiled.Module, _ => compiled.Forward, [8, 3, 6, 6], [3, 3, 6, 6], tolerance: 0, inputGrad: true);
        Assert.Equal(0, compiled.EagerCalls);
        var buffers = eager.NamedBuffers().ToList();
        Assert.Equal(
            ["bn2.running_mean", "bn2.running_var", "bn2.num_batches_tracked", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked",
             "plain.running_mean", "plain.running_var", "plain.num_batches_tracked"],
            buffers.Select(b => b.Name));
        foreach (var ((name, expected), (_, actual)) in buffers.Zip(compiled.Module.NamedBuffers()))
        {
            if (expected.DType == DType.Int64) Assert.Equal(expected.ItemInt64(), actual.ItemInt64());
            else AssertSame(expected.ToFloatArray(), actual.ToFloatArray(), name, 0);
        }
        Assert.Equal(3, compiled.Module.NamedBuffers().Single(b => b.Name == "bn1.num_batches_tracked").Buffer.ItemInt64());
        // One value per channel in training throws the eager op's error, and a wrong channel count the convolution's.
        compiled.Module.Train();
        eager.Train();
        Assert.Equal(Assert.Throws<ShapeException>(() => eager.Forward(Tensor.Randn(new[] { 1, 3, 6, 6 }, null))).Message,
            Assert.Throws<ShapeException>(() => compiled.Forward(Tensor.Randn(new[] { 1, 3, 6, 6 }, null))).Message);
        Assert.Equal(Assert.Throws<ShapeException>(() => eager.Forward(Tensor.Randn(new[] { 2, 4, 6, 6 }, null))).Message,
            Assert.Throws<ShapeException>(() => compiled.Forward(Tensor.Randn(new[] { 2, 4, 6, 6 }, null))).Message);
    }

    [Fact]
    public void An_embedding_takes_int64_indices_and_gives_the_eager_dense_weight_gradient_without_the_padding_row()
    {
        var eager = new Embedded();
        var compiled = new Embedded().Compile();
        Assert.True(compiled.IsCompiled);
        foreach (var training in new[] { true, false })
        {
            eager.Train(training);
            compiled.Module.Train(training);
            foreach (var batch in new[] { 6, 3, 6 })
            {
                var ids = Tensor.Randint(0, 20, new[] { batch, 7 }, new Generator(batch));
                ids[0, 0] = Tensor.Scalar(0L); // the padding index, at least once
                var (y1, g1, _) = Step(eager, eager.Forward, ids);
                var (y2, g2, _) = Step(compiled.Module, compiled.Forward, ids);
                string where = $"{(training ? "train" : "eval")} [{batch}, 7]";
                AssertSame(y1, y2, where + " output", 0);
                foreach (var (name, grad) in g1) AssertSame(grad, g2[name], where + " grad of " + name, 0);
                Assert.All(g2["tokens.weight"].Take(8), v => Assert.Equal(0f, v));
                Assert.Contains(g2["tokens.weight"].Skip(8), v => v != 0f);
            }
        }
        Assert.Equal(0, compiled.EagerCalls);
        // A Float32 input fails the dtype guard and runs eagerly, which refuses it as eager mode does; so is a bad index refused.
        var floats = Tensor.Zeros(2, 7);
        Assert.Equal(Assert.Throws<ArgumentException>(() => eager.Forward(floats)).Message, Assert.Throws<ArgumentException>(() => compiled.Forward(floats)).Message);
        Assert.Equal(1, compiled.EagerCalls);
        var outside = Tensor.Randint(0, 20, new[] { 6, 7 }, new Generator(6)).Add(20L);
        Assert.Equal(Assert.Throws<ArgumentOutOfRangeException>(() => eager.Forward(outside)).Message,
            Assert.Throws<ArgumentOutOfRangeException>(() => compiled.Forward(outside)).Message);
    }

    [Fact]
    public void A_layer_used_twice_accumulates_its_gradients()
    {
        var compiled = new Shared(new Generator(4)).Compile();
        AssertMatchesEager(new Shared(new Generator(4)), compiled.Module, _ => compiled.Forward, [6, 8], [2, 8], tolerance: 1e-6, inputGrad: true);
    }

    [Fact]
    public void A_graph_break_splits_the_graph_and_runs_eagerly_there_with_the_same_results()
    {
        // The if on a tensor's value runs eagerly; the linear layer before it is a graph of its own (SS2013).
        var compiled = new DataDependent(new Generator(5)).Compile();
        Assert.True(compiled.IsCompiled);
        AssertMatchesEager(new DataDependent(new Generator(5)), compiled.Module, _ => compiled.Forward, [3, 4], [2, 4], tolerance: 0);
    }

    [Fact]
    public void The_output_is_one_node_whose_parameters_are_the_modules_own()
    {
        var model = new Mlp(32, new Generator(6));
        var compiled = model.Compile();
        var y = compiled.Forward(Tensor.Randn([4, 784], new Generator(7)));
        Assert.Equal("CompiledFunctionBackward", y.GradFn);
        Assert.Equal(new[] { 4, 10 }, y.Shape.ToArray());
        Assert.Same(model, compiled.Module);
        y.Sum().Backward();
        Assert.All(model.Parameters(), p => Assert.NotNull(p.Grad));
    }

    [Fact]
    public void Under_no_grad_nothing_is_recorded_and_buffers_are_reused()
    {
        var compiled = new Mlp(32, new Generator(8)).Compile();
        var x = Tensor.Randn([4, 784], new Generator(9));
        using (global::ShapeSafe.Autograd.NoGrad())
        {
            for (int i = 0; i < 3; i++)
            {
                var y = compiled.Forward(x);
                Assert.False(y.RequiresGrad);
                Assert.Null(y.GradFn);
            }
        }
    }

    [Fact]
    public void Two_forwards_before_one_backward_each_keep_their_own_buffers()
    {
        var eager = new Mlp(16, new Generator(10));
        var twin = new Mlp(16, new Generator(10));
        var compiled = twin.Compile();
        var a = Tensor.Randn([3, 784], new Generator(11));
        var b = Tensor.Randn([3, 784], new Generator(12));
        eager.Forward(a).Sum().Add(eager.Forward(b).Mul(2).Sum()).Backward();
        compiled.Forward(a).Sum().Add(compiled.Forward(b).Mul(2).Sum()).Backward();
        foreach (var ((name, p1), (_, p2)) in eager.NamedParameters().Zip(twin.NamedParameters()))
            AssertSame(p1.Grad!.ToFloatArray(), p2.Grad!.ToFloatArray(), name, 1e-6);
    }

    [Fact]
    public void A_shape_the_layers_refuse_throws_the_eager_ops_error()
    {
        var compiled = new Mlp(16, new Generator(13)).Compile();
        var e = Assert.Throws<ShapeException>(() => compiled.Forward(Tensor.Zeros(2, 100)));
        Assert.Contains("Linear", e.Message);
        Assert.Contains("[2, 100]", e.Message);
    }

    [Fact]
    public void Past_the_cache_size_limit_new_shapes_run_eagerly()
    {
        var model = new Mlp(8, new Generator(14));
        var compiled = model.Compile(new CompileOptions { CacheSizeLimit = 2 });
        for (int batch = 1; batch <= 4; batch++)
        {
            var x = Tensor.Randn([batch, 784], new Generator(batch));
            AssertSame(model.Forward(x).ToFloatArray(), compiled.Forward(x).ToFloatArray(), "batch " + batch, 0);
        }
        Assert.Equal(2, compiled.PlannedShapes);
        Assert.Equal(2, compiled.EagerCalls);
    }

    [Fact]
    public void An_optimizer_on_the_eager_parameters_trains_the_compiled_model_like_the_eager_one()
    {
        var eager = new Mlp(32, new Generator(15));
        var twin = new Mlp(32, new Generator(15));
        var compiled = twin.Compile();
        var opt1 = new ShapeSafe.Optim.Sgd(eager.Parameters(), 0.1, momentum: 0.9);
        var opt2 = new ShapeSafe.Optim.Sgd(twin.Parameters(), 0.1, momentum: 0.9);
        var data = new Generator(16);
        for (int step = 0; step < 5; step++)
        {
            var x = Tensor.Randn([16, 784], data);
            var target = Tensor.Randint(0, 10, [16], data);
            opt1.ZeroGrad();
            F.CrossEntropy(eager.Forward(x), target).Backward();
            opt1.Step();
            opt2.ZeroGrad();
            F.CrossEntropy(compiled.Forward(x), target).Backward();
            opt2.Step();
        }
        foreach (var ((name, p1), (_, p2)) in eager.NamedParameters().Zip(twin.NamedParameters()))
            AssertSame(p1.ToFloatArray(), p2.ToFloatArray(), name, 0);
    }
}
