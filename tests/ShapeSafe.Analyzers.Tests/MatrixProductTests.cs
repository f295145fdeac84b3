namespace ShapeSafe.Analyzers.Tests;

public class MatrixProductTests
{
    [Fact]
    public Task Matmul_with_differing_inner_dims_is_flagged_with_the_rules_message() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            void M([Shape("B, 8, 16, 64")] Tensor q)
            {
                var scores = q.{|#0:Matmul(q)|};
            }
        }
        """,
        Verify.Diagnostic("SS0002").WithLocation(0).WithArguments("Matmul: [B, 8, 16, 64] × [B, 8, 16, 64]: inner dims 64 and 16 differ"));

    [Fact]
    public Task Matmul_after_transposing_the_key_is_fine() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            [return: Shape("B, 8, 16, 16")]
            Tensor M([Shape("B, 8, 16, 64")] Tensor q, [Shape("B, 8, 16, 64")] Tensor k) => q.Matmul(k.Transpose(-2, -1));
        }
        """);

    [Fact]
    public Task Mm_on_factories_and_static_forms() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            void M()
            {
                var a = Tensor.Zeros(2, 3);
                var b = Tensor.Randn(4, 5);
                var c = Tensor.{|SS0002:Mm(a, b)|};
                var d = Tensor.Mm(a, b.Transpose(0, 1).Narrow(1, 0, 3).Transpose(0, 1).Transpose(0, 1).Transpose(0, 1));
                var e = Tensor.{|SS0002:Dot(Tensor.Ones(3), Tensor.Ones(4))|};
            }
        }
        """);

    [Fact]
    public Task Unannotated_inputs_stay_silent_and_special_sizes_of_names_are_flagged() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            Tensor M(Tensor a, Tensor b) => a.Matmul(b).Matmul(Tensor.Zeros(7, 7));
            Tensor N([Shape("B, D")] Tensor a, [Shape("_, E")] Tensor b) => a.Matmul(b);
            Tensor O([Shape("B, D")] Tensor a, [Shape("D*2, E")] Tensor b) => a.{|SS0002:Matmul(b.Narrow(0, 0, 5))|}; // only when D is 5
        }
        """);

    [Fact]
    public Task Differently_named_dims_are_not_assumed_equal() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            Tensor M([Shape("B, D")] Tensor a, [Shape("E, K")] Tensor b) => a.{|SS0002:Matmul(b)|};
        }
        """);
}
