using ShapeSafe.NN;
using static ShapeSafe.Tests.NN.FiniteDifferences;

namespace ShapeSafe.Tests.NN.Losses;

/// <summary>nn.CrossEntropyLoss and nn.NLLLoss against double references and LibTorch, every reduction and option.</summary>
public class CrossEntropyLossTests
{
    // sin(arange(20)·1.3)·4 as [4, 5], the logits LibTorch's answers below were computed on.
    static Tensor Logits() => Tensor.FromArray(Enumerable.Range(0, 20).Select(i => MathF.Sin(i * 1.3f) * 4f).ToArray(), 4, 5);

    static Tensor Targets() => Tensor.FromArray(new long[] { 1, 4, -100, 0 });

    [Fact]
    public void An_unbatched_input_with_no_reduction_gives_a_0_dim_loss()
    {
        // torch.nn.functional.cross_entropy(torch.tensor([1., 2., 3.]), torch.tensor(2), reduction='none') has shape [].
        var loss = F.CrossEntropy(Tensor.FromArray(new[] { 1f, 2f, 3f }), Tensor.FromArray(new long[] { 2 }, 1).Squeeze(), reduction: Reduction.None);
        Assert.Equal(System.Array.Empty<int>(), loss.Sizes);
        Assert.Equal(-MathF.Log(MathF.Exp(3f) / (MathF.Exp(1f) + MathF.Exp(2f) + MathF.Exp(3f))), loss.Item(), 6);
    }

    [Fact]
    public void Prints_and_registers_the_weight_buffer()
    {
        Assert.Equal("CrossEntropyLoss()", new CrossEntropyLoss().ToString());
        Assert.Equal("NLLLoss()", new NLLLoss().ToString());
        Assert.Empty(new CrossEntropyLoss().StateDict());
        Assert.Equal(new[] { "weight" }, new CrossEntropyLoss(Tensor.Ones(3)).StateDict().Keys);
    }

    [Fact]
    public void Every_reduction_matches_a_double_reference()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, -1, 0, 5, 0.5f, 0.5f, 0.5f }, 3, 3);
        var t = Tensor.FromArray(new long[] { 2, 0, 1 });
        var rows = Reference(x.ToFloatArray(), 3, new[] { 2, 0, 1 });

        Close(rows.Select(v => (float)v).ToArray(), new CrossEntropyLoss(reduction: Reduction.None).Forward(x, t).ToFloatArray(), 1e-6);
        Assert.Equal(rows.Sum(), new CrossEntropyLoss(reduction: Reduction.Sum).Forward(x, t).Item(), 5);
        Assert.Equal(rows.Average(), new CrossEntropyLoss().Forward(x, t).Item(), 5);
        Assert.Equal(0, new CrossEntropyLoss().Forward(x, t).Rank);
    }

    [Fact]
    public void Weights_ignore_index_and_label_smoothing_match_libtorch()
    {
        var x = Logits();
        x.RequiresGrad = true;
        var weight = Tensor.FromArray(new[] { 0.2f, 1f, 2f, 0.5f, 1.5f });

        var loss = F.CrossEntropy(x, Targets(), weight, ignoreIndex: -100, labelSmoothing: 0.1);
        loss.Backward(Tensor.Scalar(3f));

        Assert.Equal(4.1965327f, loss.Item(), 5);
        Assert.Equal("NllLossBackward", loss.GradFn);
        Close(new[] { 0.015423981f, -0.08458378f, 0.11175556f, -0.009842316f, -0.032753307f, 0.05888616f, 1.4317605f, 0.051549412f, -0.010134255f, -1.5320619f,
            0f, 0f, 0f, 0f, 0f, -0.13758284f, 0.221407f, -0.040602706f, -0.010996613f, -0.03222482f }, x.Grad!.ToFloatArray(), 1e-5);
        Close(new[] { 0.9593358f, 6.5470214f, 0f, 2.0330343f }, F.CrossEntropy(Logits(), Targets(), reduction: Reduction.None, labelSmoothing: 0.2).ToFloatArray(), 1e-5);
        Assert.Equal(8.872933f, F.CrossEntropy(Logits(), Targets(), reduction: Reduction.Sum).Item(), 4);
    }

    [Fact]
    public void Stable_on_extreme_logits()
    {
        var x = Tensor.FromArray(new float[] { 1e4f, 0, -1e4f, 0, 1e4f, 1e4f }, 2, 3);
        x.RequiresGrad = true;

        var loss = F.CrossEntropy(x, Tensor.FromArray(new long[] { 1, 1 }), reduction: Reduction.None);
        loss.Backward(Tensor.Ones(2));

        // Row 0: log-sum-exp is 1e4, so the loss of class 1 is 1e4. Row 1: class 1 is one of two equal maxima, -log(1/2).
        Close(new[] { 1e4f, MathF.Log(2) }, loss.ToFloatArray(), 1e-6);
        Close(new float[] { 1, -1, 0, 0, -0.5f, 0.5f }, x.Grad!.ToFloatArray(), 1e-6);
    }

    [Fact]
    public void Gradients_match_finite_differences_for_every_option()
    {
        var t = Tensor.FromArray(new long[] { 2, 0, 1, 2 });
        var w = Tensor.FromArray(new[] { 0.5f, 2f, 1f });
        Check(a => F.CrossEntropy(a[0], t), new[] { Leaf(1, -2, 2, 4, 3) });
        Check(a => F.CrossEntropy(a[0], t, w, reduction: Reduction.Sum, labelSmoothing: 0.3), new[] { Leaf(2, -2, 2, 4, 3) });
        Check(a => F.CrossEntropy(a[0], Tensor.FromArray(new long[] { 2, -100, 1, 2 }), reduction: Reduction.None, labelSmoothing: 0.1), new[] { Leaf(3, -2, 2, 4, 3) });
        Check(a => F.NllLoss(a[0], t, w), new[] { Leaf(4, -2, 0, 4, 3) });
    }

    [Fact]
    public void Unbatched_and_spatial_inputs_work()
    {
        var x = Tensor.FromArray(new float[] { 0.5f, 1.5f, -1 });
        Assert.Equal(Reference(x.ToFloatArray(), 3, new[] { 1 })[0], F.CrossEntropy(x, Tensor.Scalar(1L)).Item(), 5);

        // [N, C, L]: every position is a sample.
        var spatial = Leaf(5, -2, 2, 2, 3, 4);
        var target = Tensor.FromArray(new long[] { 0, 1, 2, 1, 2, 2, 0, 0 }, 2, 4);
        var perPosition = F.CrossEntropy(spatial, target, reduction: Reduction.None);
        Assert.Equal(new[] { 2, 4 }, perPosition.Shape);
        var rows = spatial.Permute(0, 2, 1).Reshape(8, 3);
        Close(F.CrossEntropy(rows, target.Reshape(8), reduction: Reduction.None).ToFloatArray(), perPosition.ToFloatArray(), 1e-6);
    }

    [Fact]
    public void Wrong_targets_throw_naming_the_loss_and_both_shapes()
    {
        var loss = new CrossEntropyLoss();
        var x = Tensor.Zeros(4, 3);

        var e = Assert.Throws<ShapeException>(() => loss.Forward(x, Tensor.Zeros(new[] { 4, 1 }, DType.Int64)));
        Assert.Contains("CrossEntropyLoss: Expected target size [4], got [4, 1]", e.Message);
        Assert.Contains("[4, 3]", e.Message);
        Assert.Contains("dtype Int64", Assert.Throws<ArgumentException>(() => loss.Forward(x, Tensor.Zeros(4))).Message);
        Assert.Contains("Target 3 is out of bounds", Assert.Throws<ArgumentException>(() => loss.Forward(x, Tensor.FromArray(new long[] { 0, 1, 2, 3 }))).Message);
        Assert.Contains("NLLLoss: Expected target size [4]", Assert.Throws<ShapeException>(() => new NLLLoss().Forward(x, Tensor.Zeros(new[] { 5 }, DType.Int64))).Message);
    }

    [Fact]
    public void All_targets_ignored_give_nan_mean_and_zero_gradient()
    {
        var x = Leaf(1, -1, 1, 2, 3);

        var loss = F.CrossEntropy(x, Tensor.FromArray(new long[] { -100, -100 }));
        loss.Backward();

        Assert.True(float.IsNaN(loss.Item()));
        Assert.All(x.Grad!.ToFloatArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Nll_loss_picks_the_target_log_probability()
    {
        var logProbs = Logits().LogSoftmax(1);
        var t = Tensor.FromArray(new long[] { 1, 4, 2, 0 });

        var picked = new[] { 1, 4, 2, 0 }.Select((c, i) => -logProbs.ToFloatArray()[i * 5 + c]).ToArray();
        Close(picked, new NLLLoss(reduction: Reduction.None).Forward(logProbs, t).ToFloatArray(), 1e-6);
        Assert.Equal(picked.Average(), new NLLLoss().Forward(logProbs, t).Item(), 5);
        Assert.Equal(F.CrossEntropy(Logits(), t).Item(), new NLLLoss().Forward(logProbs, t).Item(), 5);
    }

    static double[] Reference(float[] logits, int classes, int[] targets)
    {
        var result = new double[targets.Length];
        for (int i = 0; i < targets.Length; i++)
        {
            var row = logits.Skip(i * classes).Take(classes).Select(v => (double)v).ToArray();
            double max = row.Max();
            double lse = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
            result[i] = lse - row[targets[i]];
        }
        return result;
    }
}

/// <summary>
/// Cross entropy runs every training step: a gross slowdown should fail a test. Timed alone (no other test
/// runs beside it) and on one thread, so neither other tests nor waking workers on a loaded machine blur it.
/// </summary>
[CollectionDefinition("Timing", DisableParallelization = true)]
public class TimingCollection;

[Collection("Timing")]
public class CrossEntropySpeedTests
{
    [Fact]
    public void Forward_and_backward_stay_fast()
    {
        var x = Leaf(1, -3, 3, 256, 1000);
        var t = Tensor.Randint(0, 1000, new[] { 256 }, new Generator(1));
        int threads = Tensor.GetNumThreads();
        Tensor.SetNumThreads(1);
        try
        {
            double best = double.MaxValue;
            for (int i = 0; i < 40; i++)
            {
                x.Grad = null;
                var watch = System.Diagnostics.Stopwatch.StartNew();
                F.CrossEntropy(x, t).Backward();
                best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
            }
            // About 0.5 ms once the JIT has optimized the kernels; in a full test run they may still be at tier 0
            // (several ms, tens on a loaded machine). The bound only catches a kernel gone quadratic in the
            // classes (hundreds of ms), never a slow machine.
            Assert.True(best < 150, $"cross entropy forward and backward: {best} ms");
        }
        finally
        {
            Tensor.SetNumThreads(threads);
        }
    }
}
