using ShapeSafe.Tests.TestSupport;
using Rules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Tests.Goldens;

/// <summary>
/// broadcast.jsonl: whether two shapes broadcast and to what. The rule is checked in both operand orders, and the
/// engine half by expanding zeros of each operand's shape to the broadcast shape and by the element-wise operators,
/// which must accept or refuse exactly as LibTorch and produce the broadcast values.
/// </summary>
public class BroadcastGoldenTests
{
    const string File = "broadcast.jsonl";

    [Fact]
    public void Broadcast_rule_and_Expand_match_LibTorch() => Mismatches.CheckEvery(File, Check);

    static void Check(GoldenCase c, Mismatches m)
    {
        var j = c.Json;
        var a = j.Ints("a");
        var b = j.Ints("b");
        if (!j.Bool("ok"))
        {
            ExpectRefusal(c, m, () => Rules.Broadcast(a, b), "a, b", j.Str("error")!);
            // Swapped, LibTorch's message would swap a and b; only the refusal itself is compared.
            ExpectRefusal(c, m, () => Rules.Broadcast(b, a), "b, a", null);
            ExpectRefusal(c, m, () => (Tensor.Zeros(a) + Tensor.Zeros(b)).Shape.ToArray(), "a + b", null);
            return;
        }

        var expected = j.Ints("result_shape");
        m.SameSequence(c, "Broadcast(a, b)", expected, Rules.Broadcast(a, b));
        m.SameSequence(c, "Broadcast(b, a)", expected, Rules.Broadcast(b, a));
        m.SameSequence(c, "Zeros(a).Expand(result) shape", expected, Tensor.Zeros(a).Expand(expected).Shape);
        m.SameSequence(c, "Zeros(b).Expand(result) shape", expected, Tensor.Zeros(b).Expand(expected).Shape);
        m.SameSequence(c, "Zeros(a).BroadcastTo(result) shape", expected, Tensor.Zeros(a).BroadcastTo(expected).Shape);

        // a + b with a = arange, b = 1000·arange: each result element must be a[i'] + b[j'] at the broadcast indices.
        var x = Tensor.Arange(Count(a)).Reshape(a);
        var y = (Tensor.Arange(Count(b)) * 1000L).Reshape(b);
        var sum = x + y;
        m.SameSequence(c, "(a + b) shape", expected, sum.Shape);
        var want = x.Expand(expected).ToInt64Array().Zip(y.Expand(expected).ToInt64Array(), (p, q) => p + q).ToArray();
        m.SameSequence(c, "(a + b) values", want, sum.ToInt64Array());
    }

    static void ExpectRefusal(GoldenCase c, Mismatches m, Func<int[]> broadcast, string order, string? torchError)
    {
        try
        {
            var shape = broadcast();
            m.Add(c, $"Broadcast({order}) accepted with shape {GoldenFiles.Show(shape)}; LibTorch refuses: {c.Json.Str("error")}");
        }
        catch (ShapeException e)
        {
            // LibTorch: "The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 2".
            // The rule words it the same way, so the sizes and the dim it blames must be LibTorch's.
            if (torchError is not null && !e.Message.Contains(torchError, StringComparison.OrdinalIgnoreCase))
                m.Add(c, $"Broadcast({order}) blames another dim: LibTorch \"{torchError}\", rule \"{e.Message}\"");
        }
    }

    static int Count(int[] shape) => shape.Aggregate(1, (p, s) => p * s);
}
