namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// Tensors that travel together: a helper or local function returning a tuple (deconstructed, or read through
/// <c>.Item1</c> and named elements), a record constructed and read back, and <c>out</c> parameters.
/// </summary>
public class TupleRecordOutTests
{
    [Fact]
    public async Task Tuples_returned_by_helpers_and_local_functions_keep_their_shapes()
    {
        var shown = await Inferred.In("""[Shape("B, T, D")] Tensor x""", """
            var (q, k) = Pair(x);
            var scores = q.Matmul(k);
            var t = Pair(x);
            var first = t.Item1;
            var wrong = t.Item1.Matmul(t.Item1);
            var named = Named(x);
            var keys = named.Keys;
            var alsoWrong = named.Queries.Matmul(named.Queries);
            var (sum, same) = Local(x);
            var reduced = sum.Matmul(same);
            (Tensor, Tensor) Local(Tensor y) => (y.Sum(1), y);
            """, """
            (Tensor, Tensor) Pair(Tensor x) => (x, x.Transpose(1, 2));
            (Tensor Queries, Tensor Keys) Named(Tensor x)
            {
                var q = x.Relu();
                return (q, x.Transpose(1, 2));
            }
            """);
        Assert.Equal(new[]
        {
            "q [B, T, D]",
            "k [B, D, T]",
            "scores [B, T, T]",
            "first [B, T, D]",
            "SS0002 18: Matmul: [B, T, D] × [B, T, D]: inner dims D and T differ. Possible only when D = T.",
            "keys [B, D, T]",
            "SS0002 21: Matmul: [B, T, D] × [B, T, D]: inner dims D and T differ. Possible only when D = T.",
            "sum [B, D]",
            "same [B, T, D]",
            "SS0002 23: Matmul: [B, D] × [B, T, D]: inner dims D and T differ. Possible only when D = T.",
        }, shown);
    }

    [Fact]
    public async Task A_record_of_tensors_gives_back_what_it_was_built_with()
    {
        var shown = await Inferred.In("""[Shape("B, T, D")] Tensor x""", """
            var p = new Pair(x, x.Transpose(1, 2));
            var a = p.A;
            var scores = p.A.Matmul(p.B);
            var wrong = p.A.Matmul(p.A);
            var named = new Pair(B: x, A: x.Sum(1));
            var b = named.B;
            var changed = p with { A = x.Sum(1) };
            var unknown = changed.A.Matmul(changed.A);
            var own = new Scaled(x).A;
            """, """
            record Pair(Tensor A, Tensor B);
            record Scaled(Tensor X) { public Tensor A { get; } = X.Sum(1); }
            """);
        Assert.Equal(new[]
        {
            "a [B, T, D]",
            "scores [B, T, T]",
            "SS0002 13: Matmul: [B, T, D] × [B, T, D]: inner dims D and T differ. Possible only when D = T.",
            "b [B, T, D]",
        }, shown);
    }

    [Fact]
    public async Task Out_parameters_of_a_helper_carry_the_shapes_it_assigns()
    {
        var shown = await Inferred.In("""[Shape("B, T, D")] Tensor x""", """
            SplitOut(x, out var a, out var b);
            var scores = a.Matmul(b);
            var wrong = a.Matmul(a);
            Tensor c;
            if (TryHead(x, out c)) { var head = c; }
            Either(x, c is null, out var either);
            var unknown = either.Matmul(either);
            """, """
            void Either(Tensor x, bool flat, out Tensor result)
            {
                if (flat) { result = x.Sum(1); return; }
                result = x;
            }
            void SplitOut(Tensor x, out Tensor first, out Tensor second)
            {
                first = x;
                second = x.Transpose(1, 2);
            }
            bool TryHead(Tensor x, out Tensor head)
            {
                head = x.Sum(1);
                return true;
            }
            """);
        Assert.Equal(new[]
        {
            "a [B, T, D]",
            "b [B, D, T]",
            "scores [B, T, T]",
            "SS0002 25: Matmul: [B, T, D] × [B, T, D]: inner dims D and T differ. Possible only when D = T.",
            "c [B, D]",
            "head [B, D]",
        }, shown);
    }
}
