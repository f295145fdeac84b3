namespace ShapeSafe.Tests.Autograd;

// This namespace hides the engine's Autograd class; name it once here.
using Autograd = ShapeSafe.Autograd;

/// <summary>
/// Eager autograd through element-wise ops and reductions: exact gradients of small expressions, PyTorch's grad_fn
/// names, leaves and detaching, the tie rules of max/min, and which in-place ops autograd refuses.
/// </summary>
public class BackwardTests
{
    static Tensor Leaf(params float[] values)
    {
        var t = Tensor.FromArray(values);
        t.RequiresGrad = true;
        return t;
    }

    static void Near(float[] expected, Tensor? actual, float tolerance = 1e-6f)
    {
        Assert.NotNull(actual);
        var values = actual!.ToFloatArray();
        Assert.Equal(expected.Length, values.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - values[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]}, got {values[i]}");
    }

    [Fact]
    public void Backward_through_a_chain_fills_every_leaf()
    {
        var a = Leaf(1f, 2f, 3f);
        var b = Leaf(4f, 5f, 6f);
        var loss = (a * b).Sum() + a.Exp().Mean();
        Assert.Equal("AddBackward", loss.GradFn);
        loss.Backward();
        // d/da = b + exp(a) / 3, d/db = a
        Near(new[] { 4f + MathF.Exp(1) / 3, 5f + MathF.Exp(2) / 3, 6f + MathF.Exp(3) / 3 }, a.Grad);
        Near(new[] { 1f, 2f, 3f }, b.Grad);
    }

    [Fact]
    public void A_tensor_used_twice_accumulates_both_gradients()
    {
        var x = Leaf(1f, -2f, 3f);
        (x * x).Sum().Backward();
        Assert.Equal(new[] { 2f, -4f, 6f }, x.Grad!.ToFloatArray());

        var y = Leaf(2f);
        (y * y * y + y).Backward();    // 3y² + 1
        Assert.Equal(new[] { 13f }, y.Grad!.ToFloatArray());
    }

    [Fact]
    public void Autograd_grad_returns_the_gradients_of_two_inputs_without_touching_grad()
    {
        var x = Leaf(1f, 2f);
        var w = Leaf(3f, -1f);
        var loss = (x * w).Sum() + (w * w).Sum();
        var grads = Autograd.Grad(new[] { loss }, new[] { x, w });
        Assert.Equal(new[] { 3f, -1f }, grads[0]!.ToFloatArray());
        Assert.Equal(new[] { 7f, 0f }, grads[1]!.ToFloatArray());    // x + 2w
        Assert.Null(x.Grad);
        Assert.Null(w.Grad);
    }

    [Fact]
    public void Broadcast_gradients_are_summed_back_to_each_input()
    {
        var a = Tensor.Ones(2, 3);
        a.RequiresGrad = true;
        var bias = Leaf(1f, 2f, 3f);
        var column = Tensor.FromArray(new float[] { 2f, 3f }, 2, 1);
        column.RequiresGrad = true;
        ((a + bias) * column).Sum().Backward();
        Assert.Equal(new[] { 5f, 5f, 5f }, bias.Grad!.ToFloatArray());
        Assert.Equal([2, 1], column.Grad!.Shape);
        Assert.Equal(new[] { 9f, 9f }, column.Grad.ToFloatArray());    // Σ (1 + bias) = 2 + 3 + 4
        Assert.Equal(new[] { 2f, 2f, 2f, 3f, 3f, 3f }, a.Grad!.ToFloatArray());
    }

    [Fact]
    public void Results_name_the_op_that_made_them()
    {
        var x = Leaf(0.5f, 1.5f);
        var y = Leaf(2f, 3f);
        var expected = new (Tensor Result, string Name)[]
        {
            (x + y, "AddBackward"), (x + 1f, "AddBackward"), (x - y, "SubBackward"), (2f - x, "RsubBackward"),
            (x * y, "MulBackward"), (x * 2f, "MulBackward"), (x / y, "DivBackward"), (-x, "NegBackward"),
            (x.Pow(2f), "PowBackward"), (x.Pow(y), "PowBackward"), (x.Square(), "PowBackward"),
            (Tensor.Maximum(x, y), "MaximumBackward"), (Tensor.Minimum(x, y), "MinimumBackward"),
            (x.Exp(), "ExpBackward"), (x.Log(), "LogBackward"), (x.Relu(), "ReluBackward"),
            (x.Sigmoid(), "SigmoidBackward"), (x.Tanh(), "TanhBackward"), (x.Sqrt(), "SqrtBackward"),
            (x.Rsqrt(), "RsqrtBackward"), (x.Sin(), "SinBackward"), (x.Cos(), "CosBackward"), (x.Abs(), "AbsBackward"),
            (x.Clamp(0f, 1f), "ClampBackward"), (x.Gelu(), "GeluBackward"), (x.LeakyRelu(), "LeakyReluBackward"),
            (x.Sum(), "SumBackward"), (x.Sum(0), "SumBackward"), (x.Mean(), "MeanBackward"), (x.Var(), "VarBackward"),
            (x.Std(), "StdBackward"), (x.Max(), "MaxBackward"), (x.Max(0).Values, "MaxBackward"), (x.Min(), "MinBackward"),
            (x.Softmax(0), "SoftmaxBackward"), (x.LogSoftmax(0), "LogSoftmaxBackward"),
        };
        foreach (var (result, name) in expected)
        {
            Assert.Equal(name, result.GradFn);
            Assert.True(result.RequiresGrad);
            Assert.False(result.IsLeaf);
        }
    }

    [Fact]
    public void Leaves_and_untracked_results_have_no_grad_fn()
    {
        var x = Leaf(1f, 2f);
        var plain = Tensor.FromArray(new float[] { 3f, 4f });
        Assert.True(x.IsLeaf);
        Assert.Null(x.GradFn);
        Assert.True(plain.IsLeaf);
        Assert.False((plain * 2f).RequiresGrad);
        Assert.True((plain * 2f).IsLeaf);
        Assert.True((plain + x).RequiresGrad);
    }

    [Fact]
    public void Detach_breaks_the_graph()
    {
        var x = Leaf(1f, 2f);
        var d = (x * 3f).Detach();
        Assert.False(d.RequiresGrad);
        Assert.True(d.IsLeaf);
        Assert.Null(d.GradFn);

        var loss = (x * x.Detach()).Sum();     // only the first factor carries a gradient
        loss.Backward();
        Assert.Equal(new[] { 1f, 2f }, x.Grad!.ToFloatArray());
    }

    [Fact]
    public void Int64_results_never_require_grad()
    {
        var x = Leaf(3f, 1f, 2f);
        Assert.False(x.Argmax().RequiresGrad);
        var (values, indices) = x.Max(0);
        Assert.True(values.RequiresGrad);
        Assert.False(indices.RequiresGrad);
        Assert.Equal(DType.Int64, indices.DType);

        // An Int64 operand gets no gradient; the float one does.
        var counts = Tensor.FromArray(new long[] { 1, 2, 3 });
        (x * counts).Sum().Backward();
        Assert.Equal(new[] { 1f, 2f, 3f }, x.Grad!.ToFloatArray());
        Assert.Null(counts.Grad);
    }

    [Fact]
    public void Maximum_and_minimum_split_ties_half_and_half()
    {
        // PyTorch: where(a == b, g / 2, g).masked_fill_(a < b, 0) for a, the mirror image for b.
        var a = Leaf(1f, 2f, 5f);
        var b = Leaf(1f, 3f, 4f);
        Tensor.Maximum(a, b).Sum().Backward();
        Assert.Equal(new[] { 0.5f, 0f, 1f }, a.Grad!.ToFloatArray());
        Assert.Equal(new[] { 0.5f, 1f, 0f }, b.Grad!.ToFloatArray());

        var c = Leaf(1f, 2f, 5f);
        var d = Leaf(1f, 3f, 4f);
        Tensor.Minimum(c, d).Sum().Backward();
        Assert.Equal(new[] { 0.5f, 1f, 0f }, c.Grad!.ToFloatArray());
        Assert.Equal(new[] { 0.5f, 0f, 1f }, d.Grad!.ToFloatArray());
    }

    [Fact]
    public void Max_of_everything_shares_the_gradient_among_ties_and_max_along_a_dim_picks_the_index()
    {
        var x = Leaf(1f, 3f, 3f, 2f);
        x.Max().Backward();
        Assert.Equal(new[] { 0f, 0.5f, 0.5f, 0f }, x.Grad!.ToFloatArray());

        var y = Tensor.FromArray(new float[] { 3f, 3f, 1f, 1f, 0f, 2f }, 2, 3);
        y.RequiresGrad = true;
        y.Max(1).Values.Backward(Tensor.FromArray(new float[] { 10f, 20f }));
        Assert.Equal(new[] { 10f, 0f, 0f, 0f, 0f, 20f }, y.Grad!.ToFloatArray());    // the first of a tie, as the index says

        var z = Leaf(2f, -1f, -1f);
        z.Min().Backward();
        Assert.Equal(new[] { 0f, 0.5f, 0.5f }, z.Grad!.ToFloatArray());
    }

    [Fact]
    public void Kinks_take_pytorchs_one_sided_values()
    {
        var x = Leaf(-1f, 0f, 2f);
        x.Relu().Sum().Backward();
        Assert.Equal(new[] { 0f, 0f, 1f }, x.Grad!.ToFloatArray());

        var y = Leaf(-1f, 0f, 2f);
        y.Abs().Sum().Backward();
        Assert.Equal(new[] { -1f, 0f, 1f }, y.Grad!.ToFloatArray());

        var z = Leaf(-1f, 0f, 1f, 2f);
        z.Clamp(0f, 1f).Sum().Backward();    // bounds included
        Assert.Equal(new[] { 0f, 1f, 1f, 0f }, z.Grad!.ToFloatArray());

        var w = Leaf(-2f, 0f, 3f);
        w.LeakyRelu(0.1f).Sum().Backward();
        Assert.Equal(new[] { 0.1f, 0.1f, 1f }, w.Grad!.ToFloatArray());

        var p = Leaf(0f, 2f);
        p.Pow(0f).Sum().Backward();
        Assert.Equal(new[] { 0f, 0f }, p.Grad!.ToFloatArray());
    }

    [Fact]
    public void Softmax_gradient_of_a_sum_is_zero_and_log_softmax_matches_the_closed_form()
    {
        var x = Leaf(1f, 2f, 3f);
        x.Softmax(0).Sum().Backward();
        Near(new[] { 0f, 0f, 0f }, x.Grad);

        // d/dx_j of log_softmax(x)_0 = δ0j - softmax(x)_j
        var y = Leaf(1f, 2f, 3f);
        y.LogSoftmax(0)[0].Backward();
        var s = new[] { MathF.Exp(1), MathF.Exp(2), MathF.Exp(3) };
        float total = s.Sum();
        Near(new[] { 1 - s[0] / total, -s[1] / total, -s[2] / total }, y.Grad);
    }

    [Fact]
    public void Var_and_std_follow_the_closed_form()
    {
        var x = Leaf(1f, 2f, 3f, 6f);    // mean 3
        x.Var().Backward();              // 2 (x - mean) / (n - 1)
        Near(new[] { -4f / 3, -2f / 3, 0f, 2f }, x.Grad);

        var y = Leaf(1f, 2f, 3f, 6f);
        var std = y.Std(unbiased: false);
        std.Backward();                  // (x - mean) / (n·std)
        float s = std.Item();
        Near(new[] { -2f / (4 * s), -1f / (4 * s), 0f, 3f / (4 * s) }, y.Grad);

        var c = Leaf(5f, 5f);
        c.Std().Backward();              // std 0: PyTorch's gradient is 0, not NaN
        Assert.Equal(new[] { 0f, 0f }, c.Grad!.ToFloatArray());
    }

    [Fact]
    public void A_summed_product_sends_broadcast_gradients_through_the_gemm()
    {
        // Sum's gradient is a stride-0 view of ones; the matrix-product backward reads it through its strides.
        var a = Tensor.FromArray(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var b = Tensor.FromArray(new float[] { 1, -1, 2, 0, 0.5f, 3 }, 3, 2);
        a.RequiresGrad = true;
        b.RequiresGrad = true;
        a.Matmul(b).Sum().Backward();
        Assert.Equal(new[] { 0f, 2f, 3.5f, 0f, 2f, 3.5f }, a.Grad!.ToFloatArray());    // row sums of b
        Assert.Equal(new[] { 5f, 5f, 7f, 7f, 9f, 9f }, b.Grad!.ToFloatArray());        // column sums of a
    }

    [Fact]
    public void Gradient_kernels_can_be_called_directly_as_generated_code_does()
    {
        var g = Tensor.FromArray(new float[] { 1, 2, 3, 4 }, 2, 2);
        var a = Tensor.FromArray(new float[] { 5, 6, 7, 8 }, 2, 2);
        var b = Tensor.FromArray(new float[] { 10, 20 }, 2);
        var grads = ShapeSafe.Gradients.ElementwiseGradient.Mul(g, a, b, needA: false, needB: true);
        Assert.Null(grads[0]);
        Assert.Equal(new[] { 26f, 44f }, grads[1]!.ToFloatArray());    // Σ over rows of g·a
        var sum = ShapeSafe.Gradients.ReductionGradient.Sum(Tensor.FromArray(new float[] { 1, 2 }), [2, 2], [false, true], keepDim: false);
        Assert.Equal(new[] { 1f, 1f, 2f, 2f }, sum.ToFloatArray());
    }

    [Fact]
    public void Backward_twice_needs_retain_graph()
    {
        var x = Leaf(1f, 2f);
        var loss = x.Exp().Sum();
        loss.Backward(null, retainGraph: true);
        loss.Backward();
        Near(new[] { 2 * MathF.Exp(1), 2 * MathF.Exp(2) }, x.Grad);
        var error = Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("second time", error.Message);
    }

    // ---- In-place ops and autograd ---------------------------------------------------------------------------------

    [Fact]
    public void In_place_on_a_leaf_that_requires_grad_is_refused_while_grad_is_on()
    {
        var w = Leaf(1f, 2f);
        var error = Assert.Throws<InvalidOperationException>(() => w.AddInPlace(1f));
        Assert.Contains("leaf", error.Message);
        Assert.Contains("in-place operation", error.Message);
        Assert.Throws<InvalidOperationException>(() => w.MulInPlace(2f));
        Assert.Throws<InvalidOperationException>(() => w.FillInPlace(0f));
        Assert.Throws<InvalidOperationException>(() => w.ZeroInPlace());
        Assert.Throws<InvalidOperationException>(() => w.ClampInPlace(0f, 1f));
        Assert.Equal(new[] { 1f, 2f }, w.ToFloatArray());
    }

    [Fact]
    public void In_place_updates_work_under_no_grad_as_optimizers_need()
    {
        var w = Leaf(1f, 2f);
        (w * w).Sum().Backward();
        using (Autograd.NoGrad())
        {
            w.SubInPlace(w.Grad!, 0.5f);
            w.AddCMulInPlace(w.Grad!, w.Grad!, 0.25f);
            w.Grad!.ZeroInPlace();
        }
        Assert.Equal(new[] { 1f, 4f }, w.ToFloatArray());    // 1 - 1 + 1, 2 - 2 + 4
        Assert.Equal(new[] { 0f, 0f }, w.Grad!.ToFloatArray());
        Assert.True(w.RequiresGrad);
    }

    [Fact]
    public void In_place_on_a_tensor_in_the_graph_is_refused_with_the_op_named()
    {
        var x = Leaf(1f, 2f);
        var y = x * 2f;
        var error = Assert.Throws<InvalidOperationException>(() => y.AddInPlace(1f));
        Assert.StartsWith("AddInPlace:", error.Message);
        Assert.Contains("MulBackward", error.Message);

        // A view of a leaf that requires grad is in the graph too.
        Assert.Throws<InvalidOperationException>(() => x[0].MulInPlace(3f));
        Assert.Equal(new[] { 1f, 2f }, x.ToFloatArray());
    }

    [Fact]
    public void In_place_with_an_operand_that_requires_grad_is_refused()
    {
        var x = Leaf(1f, 2f);
        var buffer = Tensor.Zeros(2);
        var error = Assert.Throws<InvalidOperationException>(() => buffer.AddInPlace(x));
        Assert.StartsWith("AddInPlace:", error.Message);
        Assert.Throws<InvalidOperationException>(() => buffer.AddCDivInPlace(x, Tensor.Ones(2)));

        // Tensors outside autograd are untouched by the rule.
        buffer.AddInPlace(Tensor.Ones(2)).MulInPlace(3f);
        Assert.Equal(new[] { 3f, 3f }, buffer.ToFloatArray());
    }
}
