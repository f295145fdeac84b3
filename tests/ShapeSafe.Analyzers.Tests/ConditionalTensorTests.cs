namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// <c>c ? a : b</c> and <c>switch</c> expressions yielding tensors: the result has the shape both (all) branches
/// agree on; when they disagree it is unknown, and nothing is reported about it.
/// </summary>
public class ConditionalTensorTests
{
    [Fact]
    public async Task Branches_that_agree_give_their_shape_and_ones_that_disagree_give_nothing()
    {
        var shown = await Inferred.In("""[Shape("B, T, D")] Tensor x, bool flag, int mode""", """
            var same = flag ? x.Relu() : x.Tanh();
            var wrong = (flag ? x : x.Relu()).Matmul(x);
            var differ = flag ? x : x.Transpose(1, 2);
            var unknown = differ.Matmul(x);
            var chosen = mode switch { 0 => x.Relu(), 1 => x.Sigmoid(), _ => x };
            var alsoWrong = (mode switch { 0 => x, _ => x.Tanh() }).Matmul(x);
            var mixed = mode switch { 0 => x, 1 => x.Sum(1), _ => x.Transpose(1, 2) };
            var fine = mixed.Matmul(mixed);
            """);
        Assert.Equal(new[]
        {
            "same [B, T, D]",
            "SS0002 10: Matmul: [B, T, D] × [B, T, D]: inner dims D and T differ. Possible only when D = T.",
            "chosen [B, T, D]",
            "SS0002 14: Matmul: [B, T, D] × [B, T, D]: inner dims D and T differ. Possible only when D = T.",
        }, shown);
    }
}
