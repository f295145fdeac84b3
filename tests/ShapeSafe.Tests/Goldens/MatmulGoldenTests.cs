using ShapeSafe.Tests.TestSupport;
using Rules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Tests.Goldens;

/// <summary>
/// matmul.jsonl: which operand shapes <c>matmul</c>, <c>mm</c>, <c>bmm</c>, <c>dot</c> and <c>mv</c> accept and the
/// result shape, through the shape rules. (The engine's products are checked against the same file once they land.)
/// </summary>
public class MatmulGoldenTests
{
    const string File = "matmul.jsonl";

    [Fact]
    public void Matrix_product_rules_match_LibTorch()
    {
        var mismatches = new Mismatches(File);
        foreach (var c in GoldenFiles.Read(File))
            mismatches.Run(c, () => Check(c, mismatches));
        mismatches.AssertNone();
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
        int[] shape;
        try
        {
            shape = rule(a, b, name);
        }
        catch (ShapeException e)
        {
            if (j.Bool("ok"))
                m.Add(c, $"{call} refused, LibTorch gives {GoldenFiles.Show(j.Ints("result_shape"))}: {e.Message}");
            else
                m.Same(c, "refusing operation", name, e.Operation);
            return;
        }
        if (!j.Bool("ok"))
        {
            m.Add(c, $"{call} accepted with shape {GoldenFiles.Show(shape)}; LibTorch refuses: {j.Str("error")}");
            return;
        }
        m.SameSequence(c, $"{call} shape", j.Ints("result_shape"), shape);
    }
}
