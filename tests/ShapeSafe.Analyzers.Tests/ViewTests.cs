namespace ShapeSafe.Analyzers.Tests;

public class ViewTests
{
    [Fact]
    public Task View_after_transpose_that_merges_across_the_swap_is_SS0001() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            void M()
            {
                var x = Tensor.Randn(2, 3, 4);
                var t = x.Transpose(0, 1);
                var bad = t.{|SS0001:View(6, 4)|};
                var merged = x.Transpose(1, 2).{|SS0001:View(-1)|};
            }
        }
        """);

    [Fact]
    public Task The_README_example_is_SS0001() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            void M()
            {
                var m = Tensor.Arange(9).Reshape(3, 3);
                var t = m.Permute(1, 0);
                t.{|SS0001:View(-1)|};
                t.Reshape(-1);
                Tensor.Arange(9).Reshape(3, 3).Permute(1, 0).{|SS0001:View(-1)|};
            }
        }
        """);

    [Fact]
    public Task Views_PyTorch_accepts_on_non_contiguous_tensors_are_not_flagged() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            void M()
            {
                var x = Tensor.Randn(2, 3, 4);
                var t = x.Transpose(0, 1);
                var split = t.View(3, 2, 2, 2);          // splits the last dim only
                var same = t.View(3, 2, 4);
                var copied = t.Contiguous().View(6, 4);
                var reshaped = t.Reshape(6, 4);
                var unknown = Load().Transpose(0, 1).View(-1); // layout of an unknown tensor: silent
            }
            Tensor Load() => Tensor.Zeros(1);
        }
        """);

    [Fact]
    public Task Attention_heads_merged_with_view_after_transpose_is_SS0001() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            void M()
            {
                var q = Tensor.Randn(2, 16, 64).View(2, 16, 8, 8).Transpose(1, 2);
                var merged = q.Transpose(1, 2).Contiguous().View(2, 16, 64);
                var wrong = q.{|SS0001:View(2, 16, 64)|};
            }
        }
        """);

    [Fact]
    public Task Element_count_mismatch_is_SS0004() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            void M([Shape("B, 784")] Tensor x)
            {
                var a = x.{|SS0004:View(x.Size(0), 28, 27)|};
                var undecided = x.View(-1, 28, 27); // B could be a multiple of 27
                var b = x.View(-1, 28, 28);
                var c = x.{|SS0004:Reshape(-1, -1)|};
                var d = Tensor.Zeros(6).{|SS0004:Reshape(4, 2)|};
                var e = x.Reshape(x.Size(0), 28, 28);
            }
        }
        """);
}

public class ContiguousTests
{
    [Fact]
    public Task Contiguous_gives_a_known_contiguous_layout_whose_later_views_are_checked() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            void M()
            {
                var c = Tensor.Randn(2, 3, 4).Transpose(0, 1).Contiguous();
                var ok = c.View(6, 4);
                var bad = c.Transpose(1, 2).{|SS0001:View(3, 8)|};
            }
        }
        """);
}
