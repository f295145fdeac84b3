using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.Autograd;

// This namespace hides the engine's Autograd class; name it once here.
using Autograd = ShapeSafe.Autograd;

/// <summary>
/// The gradient checker itself: it passes a right gradient and fails wrong ones, including one only 3% off, one
/// routed to the wrong element, and one not summed over a broadcast dim. Each wrong op is made by recording a
/// hand-written backward on a result computed without grad.
/// </summary>
public class GradCheckTests
{
    /// <summary>x³ with the backward <paramref name="backward"/>(g, x).</summary>
    static Tensor Cube(Tensor x, Func<Tensor, Tensor, Tensor> backward)
    {
        Tensor y;
        using (Autograd.NoGrad()) y = x * x * x;
        return y.Recorded("CubeBackward", new Tensor?[] { x }, g => new Tensor?[] { backward(g, x) });
    }

    static Tensor Inputs(params float[] values) => Tensor.FromArray(values, 2, 3);

    static readonly Tensor X = Inputs(0.3f, -1.2f, 0.8f, 1.5f, -0.4f, 0.9f);

    [Fact]
    public void A_right_gradient_passes()
    {
        var report = GradCheck.Compare(x => Cube(x[0], (g, v) => g * v * v * 3f), new[] { X });
        Assert.True(report.Passed, report.ToString());
        Assert.Equal(6, report.Checked);
    }

    [Fact]
    public void A_gradient_3_percent_off_fails()
    {
        var report = GradCheck.Compare(x => Cube(x[0], (g, v) => g * v * v * 3.09f), new[] { X });
        Assert.False(report.Passed);
        Assert.Equal(6, report.Mismatches.Count);
    }

    [Fact]
    public void A_gradient_sent_to_the_wrong_element_fails()
    {
        // Right values, wrong places: the gradient of element i is written to element 5 - i.
        var report = GradCheck.Compare(x => Cube(x[0], (g, v) => (g * v * v * 3f).Flatten().IndexSelect(0, Tensor.FromArray(new long[] { 5, 4, 3, 2, 1, 0 })).View(2, 3)), new[] { X });
        Assert.False(report.Passed);
    }

    [Fact]
    public void A_gradient_that_ignores_the_cotangent_fails()
    {
        // Correct for a scalar loss of ones, wrong once each output element has its own weight.
        var report = GradCheck.Compare(x => Cube(x[0], (g, v) => v * v * 3f), new[] { X });
        Assert.False(report.Passed);
    }

    [Fact]
    public void A_broadcast_gradient_not_summed_back_fails()
    {
        // b [3] broadcast over 2 rows: the right gradient sums g·a over the rows; taking only the first row is wrong.
        var a = Inputs(0.5f, 1f, -1f, 2f, 0.3f, -0.7f);
        var b = Tensor.FromArray(new float[] { 0.2f, -0.6f, 1.1f }, 3);
        Tensor WrongMul(Tensor x, Tensor y)
        {
            Tensor r;
            using (Autograd.NoGrad()) r = x * y;
            return r.Recorded("MulBackward", new Tensor?[] { x, y }, g => new Tensor?[] { g * y, (g * x)[0] });
        }
        Assert.True(GradCheck.Compare(x => x[0] * x[1], new[] { a, b }).Passed);
        var report = GradCheck.Compare(x => WrongMul(x[0], x[1]), new[] { a, b });
        Assert.False(report.Passed);
        Assert.All(report.Mismatches, m => Assert.StartsWith("input 1", m));
    }

    [Fact]
    public void A_missing_gradient_fails_and_an_unused_input_passes()
    {
        Tensor Detached(Tensor x)
        {
            Tensor y;
            using (Autograd.NoGrad()) y = x.Exp();
            return y;
        }
        Assert.False(GradCheck.Compare(x => Detached(x[0]) + x[1], new[] { X, X }).Passed);
        Assert.True(GradCheck.Compare(x => x[1].Exp(), new[] { X, X }).Passed);
    }

    [Fact]
    public void The_check_does_not_depend_on_the_callers_grad_mode()
    {
        using (Autograd.NoGrad())
            GradCheck.Check(x => x[0].Tanh().Sum(), X);
        Assert.True(Autograd.IsGradEnabled);
    }

    [Fact]
    public void In_place_mode_checks_tensors_the_function_reads_itself_and_restores_them()
    {
        var w = Inputs(0.3f, -1.2f, 0.8f, 1.5f, -0.4f, 0.9f);
        w.RequiresGrad = true;
        var before = w.ToFloatArray();
        var right = GradCheck.CompareInPlace(() => Cube(w, (g, v) => g * v * v * 3f), new[] { w });
        Assert.True(right.Passed, right.ToString());
        Assert.Equal(6, right.Checked);
        Assert.Equal(before, w.ToFloatArray());

        var wrong = GradCheck.CompareInPlace(() => Cube(w, (g, v) => g * v * v * 3.09f), new[] { w });
        Assert.False(wrong.Passed);
        Assert.Equal(6, wrong.Mismatches.Count);
        Assert.Equal(before, w.ToFloatArray());
    }

    [Fact]
    public void In_place_mode_refuses_a_leaf_it_cannot_move()
    {
        var t = Inputs(1, 2, 3, 4, 5, 6).Transpose(0, 1);
        var ex = Assert.Throws<ArgumentException>(() => GradCheck.CompareInPlace(() => t * 2f, new[] { t }));
        Assert.Contains("contiguous Float32 leaves that require grad", ex.Message);
    }
}
