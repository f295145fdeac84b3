using ShapeSafe.Tests.TestSupport;
using Rules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Tests.Goldens;

/// <summary>
/// cat.jsonl: <c>torch.cat</c> and <c>torch.stack</c> of tensors of the given shapes along <c>dim</c>. Each input is
/// filled with its own constant (1, 2, 3, …) so the result's slices show that every input landed in its place.
/// </summary>
public class CatGoldenTests
{
    const string File = "cat.jsonl";

    [Fact]
    public void Cat_and_Stack_match_LibTorch() => Mismatches.CheckEvery(File, Check);

    static void Check(GoldenCase c, Mismatches m)
    {
        var j = c.Json;
        bool stack = j.GetProperty("op").GetString() == "stack";
        var shapes = j.IntLists("shapes");
        int dim = j.Int("dim");
        var inputs = shapes.Select((s, i) => Tensor.Full(s, i + 1)).ToArray();
        string call = $"{(stack ? "Stack" : "Cat")}([{string.Join(", ", shapes.Select(GoldenFiles.Show))}], dim: {dim})";

        int[] ruleShape;
        Tensor result;
        try
        {
            ruleShape = stack ? Rules.Stack(shapes, dim) : Rules.Cat(shapes, dim);
            result = stack ? Tensor.Stack(inputs, dim) : Tensor.Cat(inputs, dim);
        }
        catch (ShapeException e)
        {
            if (j.Bool("ok"))
            {
                m.Add(c, $"{call} refused, LibTorch gives {GoldenFiles.Show(j.Ints("result_shape"))}: {e.Message}");
                return;
            }
            m.Same(c, "refusing operation", stack ? "Stack" : "Cat", e.Operation);
            // LibTorch: "Sizes of tensors must match except in dimension 0. Expected size 1 but got size 4 for tensor
            // number 1 in the list." / "stack expects each tensor to be equal size, but got [1, 1, 2] at entry 0 and
            // [3, 1, 2] at entry 1". The engine words it alike, so the sizes and the tensor it blames must agree.
            var torch = j.Str("error")!;
            var expected = stack
                ? torch.Replace("stack expects", "expects", StringComparison.Ordinal)
                : torch.Replace(" in the list.", "", StringComparison.Ordinal);
            if (!e.Message.Contains(expected, StringComparison.OrdinalIgnoreCase))
                m.Add(c, $"{call} blames something else: LibTorch \"{torch}\", engine \"{e.Message}\"");
            return;
        }
        if (!j.Bool("ok"))
        {
            m.Add(c, $"{call} accepted with shape {GoldenFiles.Show(result.Shape)}; LibTorch refuses: {j.Str("error")}");
            return;
        }

        var shape = j.Ints("result_shape");
        m.SameSequence(c, "rule result shape", shape, ruleShape);
        m.SameSequence(c, "result shape", shape, result.Shape);
        m.Same(c, "result is contiguous", true, result.IsContiguous);
        int d = dim < 0 ? dim + shape.Length : dim;
        int at = 0;
        for (int i = 0; i < inputs.Length; i++)
        {
            var part = stack ? result.Select(d, i) : result.Narrow(d, at, shapes[i][d]);
            if (!stack) at += shapes[i][d];
            m.SameSequence(c, $"part {i} shape", shapes[i], part.Shape);
            var values = part.ToFloatArray();
            if (values.Any(v => v != i + 1))
                m.Add(c, $"part {i} should hold only {i + 1}, holds [{string.Join(", ", values.Distinct())}]");
        }
    }
}
