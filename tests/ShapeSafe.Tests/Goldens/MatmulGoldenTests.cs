using ShapeSafe.Tests.TestSupport;
using Rules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Tests.Goldens;

/// <summary>
/// matmul.jsonl: which operand shapes <c>matmul</c>, <c>mm</c>, <c>bmm</c>, <c>dot</c> and <c>mv</c> accept and the
/// result shape, through the shape rules and through the engine's products on tensors filled with 2 and 3 (so every
/// element of a result is 6 × the inner size, which also shows each output element summed the whole inner dim).
/// </summary>
public class MatmulGoldenTests
{
    const string File = "matmul.jsonl";

    [Fact]
    public void Matrix_product_rules_match_LibTorch() => Mismatches.CheckEvery(File, Check);

    [Fact]
    public void Engine_matrix_products_match_LibTorch() => Mismatches.CheckEvery(File, CheckEngine);

    static void CheckEngine(GoldenCase c, Mismatches m)
    {
        var j = c.Json;
        var a = j.Ints("a");
        var b = j.Ints("b");
        string op = j.GetProperty("op").GetString()!;
        string name = char.ToUpperInvariant(op[0]) + op[1..];
        string call = $"Tensor.{name}({GoldenFiles.Show(a)}, {GoldenFiles.Show(b)})";
        var left = Tensor.Full(a, 2f);
        var right = Tensor.Full(b, 3f);
        var result = Outcome(c, m, call, name, () => op switch
        {
            "matmul" => Tensor.Matmul(left, right),
            "mm" => Tensor.Mm(left, right),
            "bmm" => Tensor.Bmm(left, right),
            "dot" => Tensor.Dot(left, right),
            "mv" => Tensor.Mv(left, right),
            _ => throw new InvalidOperationException($"unknown golden op '{op}'"),
        }, t => t.Shape);
        if (result is null) return;
        float expected = 6f * a[^1];
        var values = result.ToFloatArray();
        if (values.Any(v => v != expected))
            m.Add(c, $"{call} should hold only {expected}, holds [{string.Join(", ", values.Distinct().Take(8))}]");
    }

    static void Check(GoldenCase c, Mismatches m)
    {
        var j = c.Json;
        var a = j.Ints("a");
        var b = j.Ints("b");
        string op = j.GetProperty("op").GetString()!;
        Func<int[], int[], string, int[]> rule = op switch
        {
            "matmul" => Rules.Matmul,
            "mm" => Rules.Mm,
            "bmm" => Rules.Bmm,
            "dot" => Rules.Dot,
            "mv" => Rules.Mv,
            _ => throw new InvalidOperationException($"unknown golden op '{op}'"),
        };
        string name = char.ToUpperInvariant(op[0]) + op[1..];
        string call = $"{name}({GoldenFiles.Show(a)}, {GoldenFiles.Show(b)})";
        Outcome(c, m, call, name, () => rule(a, b, name), shape => shape);
    }

    /// <summary>
    /// Runs one product and compares it with LibTorch: refused by the same operation, or accepted with LibTorch's
    /// shape. Returns the result when both accept, else null (after recording any mismatch).
    /// </summary>
    static T? Outcome<T>(GoldenCase c, Mismatches m, string call, string name, Func<T> run, Func<T, IReadOnlyList<int>> shapeOf)
        where T : class
    {
        var j = c.Json;
        T result;
        try
        {
            result = run();
        }
        catch (ShapeException e)
        {
            if (j.Bool("ok"))
                m.Add(c, $"{call} refused, LibTorch gives {GoldenFiles.Show(j.Ints("result_shape"))}: {e.Message}");
            else
                m.Same(c, "refusing operation", name, e.Operation);
            return null;
        }
        if (!j.Bool("ok"))
        {
            m.Add(c, $"{call} accepted with shape {GoldenFiles.Show(shapeOf(result))}; LibTorch refuses: {j.Str("error")}");
            return null;
        }
        m.SameSequence(c, $"{call} shape", j.Ints("result_shape"), shapeOf(result));
        return result;
    }
}
