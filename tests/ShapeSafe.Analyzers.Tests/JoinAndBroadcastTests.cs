namespace ShapeSafe.Analyzers.Tests;

public class JoinAndBroadcastTests
{
    [Fact]
    public Task Cat_and_Stack_mismatches_are_SS0003() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            void M([Shape("B, 10")] Tensor a, [Shape("B, 12")] Tensor b)
            {
                var ok = Tensor.Cat(new[] { a, b }, 1);
                var bad = Tensor.{|SS0003:Cat(new[] { a, b }, 0)|};
                var stacked = Tensor.{|SS0003:Stack(new[] { a, b })|};
                var fine = Tensor.Stack(new[] { a, a }, 1);
                var parts = Tensor.Zeros(10, 4).Split(3);
                var glued = Tensor.Cat(parts, 0);
                var wrong = Tensor.Zeros(6).{|SS0003:Split(new[] { 2, 3 })|};
            }
        }
        """);

    [Fact]
    public Task Operands_that_do_not_broadcast_are_SS0005() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            void M([Shape("B, 10")] Tensor a, [Shape("10")] Tensor bias, [Shape("B, 12")] Tensor c)
            {
                var ok = a + bias;
                var scaled = a * 2f;
                var bad = {|SS0005:a + c|};
                var alsoBad = a.{|SS0005:Mul(c)|};
                var expand = Tensor.Zeros(3, 1).{|SS0005:Expand(3, 4, 5)|};
                var unknown = a + Load();
            }
            Tensor Load() => Tensor.Zeros(1);
        }
        """);

    [Fact]
    public Task Dims_out_of_range_are_SS0006() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            void M([Shape("B, T, D")] Tensor x)
            {
                var a = x.{|SS0006:Transpose(0, 3)|};
                var b = x.{|SS0006:Softmax(3)|};
                var c = x.Softmax(-1).{|SS0006:Sum(-4)|};
                var d = x.{|SS0006:Permute(0, 1)|};
                var e = x.Permute(2, 0, 1).Unsqueeze(3);
                var f = x.{|SS0006:Size(5)|};
                var g = Tensor.Zeros(3, 4)[1].{|SS0006:Select(0, 4)|};
            }
        }
        """);
}
