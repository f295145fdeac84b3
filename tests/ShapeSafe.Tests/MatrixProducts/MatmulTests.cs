using ShapeSafe;

namespace ShapeSafe.Tests.MatrixProducts;

/// <summary>Matrix products against a double-precision reference, in every layout (seed section 2).</summary>
public class MatmulTests
{
    static Tensor Floats(int n, params int[] shape) =>
        Tensor.Arange(n).ToDType(DType.Float32).Reshape(shape);

    /// <summary>Reference: C[i,j] = Σ_p A[i,p]·B[p,j] over 2-D row-major arrays read back from tensors.</summary>
    static float[] Reference(Tensor a, Tensor b)
    {
        int m = a.Size(0), k = a.Size(1), n = b.Size(1);
        var x = a.ToFloatArray();
        var y = b.ToFloatArray();
        var c = new float[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double)x[i * k + p] * y[p * n + j];
                c[i * n + j] = (float)s;
            }
        return c;
    }

    [Fact]
    public void Seed_examples_have_the_printed_shapes()
    {
        Assert.Equal(new[] { 2, 4 }, Tensor.Matmul(Tensor.Randn(2, 3), Tensor.Randn(3, 4)).Shape);
        Assert.Equal(new[] { 2, 4 }, Tensor.Mm(Tensor.Randn(2, 3), Tensor.Randn(3, 4)).Shape);
        Assert.Equal(new[] { 10, 3, 5 }, Tensor.Bmm(Tensor.Randn(10, 3, 4), Tensor.Randn(10, 4, 5)).Shape);
        Assert.Empty(Tensor.Dot(Tensor.Randn(5), Tensor.Randn(5)).Shape);
        Assert.Equal(new[] { 3 }, Tensor.Mv(Tensor.Randn(3, 4), Tensor.Randn(4)).Shape);
        Assert.Equal(new[] { 2, 4 }, Tensor.Einsum("ij,jk->ik", Tensor.Randn(2, 3), Tensor.Randn(3, 4)).Shape);
    }

    [Fact]
    public void Mm_values()
    {
        var c = Tensor.Mm(Floats(6, 2, 3), Floats(12, 3, 4));
        Assert.Equal(new float[] { 20, 23, 26, 29, 56, 68, 80, 92 }, c.ToFloatArray());
    }

    [Fact]
    public void Transposed_and_sliced_operands_need_no_copy_and_give_the_same_values()
    {
        var a = Tensor.Randn(new[] { 9, 7 }, new Generator(1));
        var b = Tensor.Randn(new[] { 8, 9 }, new Generator(2));
        var at = a.Transpose(0, 1);             // [7, 9], strides (1, 7)
        var bt = b.Transpose(0, 1)[1..];        // [8, 8] slice of a transpose
        var sliced = a.Slice(0, 1, 9, 1);       // [8, 7] with an offset
        AssertClose(Reference(at.Contiguous(), a), Tensor.Matmul(at, a).ToFloatArray());
        AssertClose(Reference(bt.Contiguous(), sliced.Contiguous()), Tensor.Matmul(bt, sliced).ToFloatArray());
    }

    [Fact]
    public void Vector_cases_follow_pytorch()
    {
        var v = Floats(3, 3);
        var m = Floats(6, 3, 2);
        Assert.Equal(new float[] { 10, 13 }, Tensor.Matmul(v, m).ToFloatArray());          // [3] × [3, 2] → [2]
        Assert.Equal(new float[] { 5 }, Tensor.Matmul(v, v).ToFloatArray());               // dot
        Assert.Equal(new float[] { 10, 13 }, Tensor.Matmul(m.Transpose(0, 1), v).ToFloatArray()); // [2, 3] × [3] → [2]
    }

    [Fact]
    public void Batched_matmul_broadcasts_batch_dims()
    {
        var a = Tensor.Randn(new[] { 2, 1, 3, 4 }, new Generator(3));
        var b = Tensor.Randn(new[] { 5, 4, 2 }, new Generator(4));
        var c = Tensor.Matmul(a, b);
        Assert.Equal(new[] { 2, 5, 3, 2 }, c.Shape);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 5; j++)
                AssertClose(Reference(a[i, 0], b[j]), c[i, j].ToFloatArray());
    }

    [Fact]
    public void Nd_times_2d_folds_the_batch()
    {
        var a = Tensor.Randn(new[] { 3, 5, 4 }, new Generator(5));
        var w = Tensor.Randn(new[] { 6, 4 }, new Generator(6)).Transpose(0, 1);
        var c = Tensor.Matmul(a, w);
        Assert.Equal(new[] { 3, 5, 6 }, c.Shape);
        AssertClose(Reference(a.Reshape(15, 4), w.Contiguous()), c.ToFloatArray());
    }

    [Fact]
    public void Empty_inner_dim_gives_zeros()
    {
        var c = Tensor.Mm(Tensor.Zeros(2, 0), Tensor.Zeros(0, 3));
        Assert.Equal(new float[6], c.ToFloatArray());
    }

    [Fact]
    public void Mismatch_names_the_operation_the_shapes_and_the_dims()
    {
        var e = Assert.Throws<ShapeException>(() => Tensor.Matmul(Tensor.Zeros(4, 2, 1), Tensor.Zeros(3, 2)));
        Assert.Equal("Matmul: [4, 2, 1] × [3, 2]: inner dims 1 and 3 differ", e.Message);
        var bmm = Assert.Throws<ShapeException>(() => Tensor.Bmm(Tensor.Zeros(2, 3, 4), Tensor.Zeros(3, 4, 5)));
        Assert.Contains("batch sizes 2 and 3 differ at dim 0", bmm.Message);
        Assert.Throws<ShapeException>(() => Tensor.Dot(Tensor.Zeros(3), Tensor.Zeros(4)));
        Assert.Throws<ShapeException>(() => Tensor.Mv(Tensor.Zeros(3, 4), Tensor.Zeros(3)));
        Assert.Throws<ShapeException>(() => Tensor.Mm(Tensor.Zeros(3), Tensor.Zeros(3, 4)));
    }

    [Fact]
    public void Einsum_forms()
    {
        var a = Floats(6, 2, 3);
        var b = Floats(12, 3, 4);
        Assert.Equal(Tensor.Mm(a, b).ToFloatArray(), Tensor.Einsum("ij,jk->ik", a, b).ToFloatArray());
        Assert.Equal(Tensor.Mm(a, b).ToFloatArray(), Tensor.Einsum("ij,jk", a, b).ToFloatArray());
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, Tensor.Einsum("ij->ji", a).ToFloatArray());
        Assert.Equal(15f, Tensor.Einsum("ij->", a).Item());
        Assert.Equal(new float[] { 3, 12 }, Tensor.Einsum("ij->i", a).ToFloatArray());
        Assert.Equal(new float[] { 0, 4, 8 }, Tensor.Einsum("ii->i", Floats(9, 3, 3)).ToFloatArray());
        Assert.Equal(12f, Tensor.Einsum("ii", Floats(9, 3, 3)).Item());
        Assert.Equal(new float[] { 0, 0, 0, 0, 1, 2, 0, 2, 4 }, Tensor.Einsum("i,j->ij", Floats(3, 3), Floats(3, 3)).ToFloatArray());
        var x = Tensor.Randn(new[] { 2, 3, 4 }, new Generator(7));
        var y = Tensor.Randn(new[] { 2, 4, 5 }, new Generator(8));
        AssertClose(Tensor.Bmm(x, y).ToFloatArray(), Tensor.Einsum("bij,bjk->bik", x, y).ToFloatArray());
        AssertClose(Tensor.Matmul(x, y).ToFloatArray(), Tensor.Einsum("...ij,...jk->...ik", x, y).ToFloatArray());
        Assert.Throws<ShapeException>(() => Tensor.Einsum("ij,jk->ik", a, a));
    }

    [Fact]
    public void Results_are_identical_for_one_and_two_threads()
    {
        var a = Tensor.Randn(new[] { 300, 200 }, new Generator(9));
        var b = Tensor.Randn(new[] { 200, 250 }, new Generator(10));
        int saved = Tensor.GetNumThreads();
        try
        {
            Tensor.SetNumThreads(1);
            var one = Tensor.Mm(a, b).ToFloatArray();
            Tensor.SetNumThreads(2);
            var two = Tensor.Mm(a, b).ToFloatArray();
            Assert.Equal(one, two);
        }
        finally
        {
            Tensor.SetNumThreads(saved);
        }
    }

    [Fact]
    public void A_batched_operand_times_a_matrix_gives_the_matrix_one_folded_gradient()
    {
        // PyTorch folds [2, 2, 1] × [1, 1] into one mm, so b's gradient is one BFloat16 product over all 4 rows:
        // 256 + 1 + 1 + 0 = 258 (representable). Per-batch products summed after would round 257 to 256 first.
        var a = Tensor.FromArray(new[] { 256f, 1f, 1f, 0f }, 2, 2, 1).ToDType(DType.BFloat16);
        var b = Tensor.FromArray(new[] { 1f }, 1, 1).ToDType(DType.BFloat16);
        b.RequiresGrad = true;
        Tensor.Matmul(a, b).Sum().Backward();
        Assert.Equal(new[] { 258f }, b.Grad!.ToFloatArray());

        // The mirror image: a matrix times a batched operand, [1, 1] × [2, 1, 2].
        var left = Tensor.FromArray(new[] { 1f }, 1, 1).ToDType(DType.BFloat16);
        left.RequiresGrad = true;
        var right = Tensor.FromArray(new[] { 256f, 1f, 1f, 0f }, 2, 1, 2).ToDType(DType.BFloat16);
        Tensor.Matmul(left, right).Sum().Backward();
        Assert.Equal(new[] { 258f }, left.Grad!.ToFloatArray());

        // A vector on the right folds too, and Float32 gradients keep their shapes and values.
        var x = Tensor.Randn(new[] { 3, 4, 5 }, new Generator(5));
        var v = Tensor.Randn(new[] { 5 }, new Generator(6));
        var w = Tensor.Randn(new[] { 5, 2 }, new Generator(7));
        v.RequiresGrad = true;
        w.RequiresGrad = true;
        Tensor.Matmul(x, v).Sum().Backward();
        Tensor.Matmul(x, w).Sum().Backward();
        var rows = x.Reshape(12, 5);
        AssertClose(rows.Sum(0).ToFloatArray(), v.Grad!.ToFloatArray());
        Assert.Equal(new[] { 5, 2 }, w.Grad!.Shape);
        AssertClose(Tensor.Mm(rows.Transpose(0, 1), Tensor.Ones(12, 2)).ToFloatArray(), w.Grad.ToFloatArray());
    }

    static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * Math.Max(1f, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]}, got {actual[i]}");
    }
}
