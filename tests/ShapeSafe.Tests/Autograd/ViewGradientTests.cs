using ShapeSafe;

namespace ShapeSafe.Tests.Autograd;

/// <summary>A view of a tensor that requires grad backpropagates into its base, through the view's layout.</summary>
public class ViewGradientTests
{
    static Tensor Leaf(int n, params int[] shape)
    {
        var t = Tensor.Arange(n).ToDType(DType.Float32).Reshape(shape);
        t.RequiresGrad = true;
        return t;
    }

    static Tensor Counting(params int[] shape) =>
        Tensor.Arange(shape.Aggregate(1, (a, b) => a * b)).ToDType(DType.Float32).Reshape(shape);

    [Fact]
    public void Transposed_slice_scatters_its_gradient_into_the_base()
    {
        var x = Leaf(6, 2, 3);
        var y = x.Transpose(0, 1)[1..];           // [2, 2]: x[:, 1:] transposed
        Assert.Equal("SliceBackward", y.GradFn);
        Assert.False(y.IsLeaf);
        y.Backward(Counting(2, 2));
        Assert.Equal(new float[] { 0, 0, 2, 0, 1, 3 }, x.Grad!.ToFloatArray());
    }

    [Fact]
    public void Expand_sums_over_broadcast_dims()
    {
        var x = Leaf(3, 3, 1);
        var y = x.Expand(2, 3, 4);
        y.Backward(Tensor.Ones(2, 3, 4));
        Assert.Equal(new[] { 3, 1 }, x.Grad!.Shape);
        Assert.Equal(new float[] { 8, 8, 8 }, x.Grad.ToFloatArray());
    }

    [Fact]
    public void Unfold_adds_overlapping_windows()
    {
        var x = Leaf(5, 5);
        x.Unfold(0, 3, 1).Backward(Tensor.Ones(3, 3));
        Assert.Equal(new float[] { 1, 2, 3, 2, 1 }, x.Grad!.ToFloatArray());
    }

    [Fact]
    public void Gradients_accumulate_across_backward_calls()
    {
        var x = Leaf(4, 4);
        x.View(2, 2).Backward(Tensor.Ones(2, 2));
        x.Reshape(4, 1).Backward(Tensor.Ones(4, 1));
        Assert.Equal(new float[] { 2, 2, 2, 2 }, x.Grad!.ToFloatArray());
    }

    [Fact]
    public void Copies_and_joins_route_gradients_to_each_input()
    {
        var a = Leaf(4, 2, 2);
        var b = Leaf(2, 1, 2);
        var cat = Tensor.Cat(new[] { a.Transpose(0, 1).Contiguous(), b }, 0);
        Assert.Equal("CatBackward", cat.GradFn);
        cat.Backward(Counting(3, 2));
        Assert.Equal(new float[] { 0, 2, 1, 3 }, a.Grad!.ToFloatArray());
        Assert.Equal(new float[] { 4, 5 }, b.Grad!.ToFloatArray());

        var r = Leaf(2, 2);
        r.Repeat(3).Backward(Tensor.Ones(6));
        Assert.Equal(new float[] { 3, 3 }, r.Grad!.ToFloatArray());

        var s = Leaf(3, 3);
        s.IndexSelect(0, Tensor.FromArray(new long[] { 2, 0, 2 })).Backward(Tensor.FromArray(new float[] { 1, 10, 100 }));
        Assert.Equal(new float[] { 10, 0, 101 }, s.Grad!.ToFloatArray());
    }

    [Fact]
    public void Matmul_backward_follows_the_chain_rule_through_views()
    {
        var a = Leaf(6, 2, 3);
        var b = Leaf(6, 3, 2);
        Tensor.Einsum("ij,jk->ik", a, b).Backward(Tensor.Ones(2, 2));
        // dL/dA = 1 · Bᵀ summed: row sums of B; dL/dB = Aᵀ · 1: column sums of A.
        Assert.Equal(new float[] { 1, 5, 9, 1, 5, 9 }, a.Grad!.ToFloatArray());
        Assert.Equal(new float[] { 3, 3, 5, 5, 7, 7 }, b.Grad!.ToFloatArray());
    }

    [Fact]
    public void No_grad_records_nothing_and_detach_cuts_the_graph()
    {
        var x = Leaf(4, 4);
        using (ShapeSafe.Autograd.NoGrad())
        {
            Assert.False(x.View(2, 2).RequiresGrad);
        }
        Assert.True(x.View(2, 2).RequiresGrad);
        var d = x.Detach();
        Assert.False(d.RequiresGrad);
        Assert.True(d.IsLeaf);
        Assert.True(d.SharesStorage(x));
    }

    [Fact]
    public void Second_backward_without_retain_graph_is_refused()
    {
        var x = Leaf(4, 4);
        var y = x.View(2, 2);
        y.Backward(Tensor.Ones(2, 2));
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward(Tensor.Ones(2, 2)));
        Assert.Contains("second time", e.Message);
        var z = x.View(2, 2);
        z.Backward(Tensor.Ones(2, 2), retainGraph: true);
        z.Backward(Tensor.Ones(2, 2));
        Assert.Equal(new float[] { 3, 3, 3, 3 }, x.Grad!.ToFloatArray());
    }

    [Fact]
    public void Leaves_requiring_grad_refuse_in_place_writes_and_nonscalar_backward_needs_a_gradient()
    {
        var x = Leaf(4, 4);
        Assert.Throws<InvalidOperationException>(() => x.CopyFrom(Tensor.Zeros(4)));
        Assert.Throws<InvalidOperationException>(() => x.View(2, 2).Backward());
        Assert.Throws<InvalidOperationException>(() => x.View(2, 2).RequiresGrad = false);
        Assert.Throws<InvalidOperationException>(() => Tensor.Arange(3).RequiresGrad = true);
    }

    [Fact]
    public void Functional_grad_leaves_grad_untouched()
    {
        var x = Leaf(4, 4);
        var y = x.Expand(3, 4);
        var grads = ShapeSafe.Autograd.Grad(new[] { y }, new[] { x }, new[] { Tensor.Ones(3, 4) });
        Assert.Equal(new float[] { 3, 3, 3, 3 }, grads[0]!.ToFloatArray());
        Assert.Null(x.Grad);
    }
}
