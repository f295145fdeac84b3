using ShapeSafe.Shapes;
using ShapeSafe.Tests.TestSupport;
using Rules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Tests.Goldens;

/// <summary>
/// reshape.jsonl: the same op chains as views.jsonl, then <c>reshape(shape)</c>. LibTorch records whether the result
/// shares storage (a view) or is a copy, and the result's values, so these cases pin down both when Reshape copies
/// and that the copy reads the strided input in the right order.
/// </summary>
public class ReshapeGoldenTests
{
    const string File = "reshape.jsonl";

    [Fact]
    public void Engine_reshapes_match_LibTorch() => Mismatches.CheckEvery(File, CheckEngine);

    [Fact]
    public void Rule_reshapes_match_LibTorch() => Mismatches.CheckEvery(File, CheckRule);

    static void CheckEngine(GoldenCase c, Mismatches m)
    {
        var j = c.Json;
        var t = GoldenFiles.Apply(GoldenFiles.ArangeOf(j.Ints("base")), j.GetProperty("ops"));
        m.SameSequence(c, "shape after ops", j.Ints("shape"), t.Shape);
        m.SameSequence(c, "strides after ops", j.Ints("strides"), t.Strides);

        var target = j.Ints("reshape");
        Tensor r;
        try
        {
            r = t.Reshape(target);
        }
        catch (ShapeException e)
        {
            if (j.Bool("ok"))
                m.Add(c, $"Reshape{GoldenFiles.Show(target)} refused, LibTorch gives shape {GoldenFiles.Show(j.Ints("result_shape"))}: {e.Message}");
            else
                m.Same(c, "refusing operation", "Reshape", e.Operation);
            return;
        }
        if (!j.Bool("ok"))
        {
            m.Add(c, $"Reshape{GoldenFiles.Show(target)} accepted with shape {GoldenFiles.Show(r.Shape)}; LibTorch refuses: {j.Str("error")}");
            return;
        }
        m.SameSequence(c, "result shape", j.Ints("result_shape"), r.Shape);
        m.Same(c, "shares storage", j.Bool("shares_storage"), r.SharesStorage(t));
        m.SameSequence(c, "values", j.Longs("values"), r.ToInt64Array());
        if (!r.SharesStorage(t))
            m.Same(c, "a copy is contiguous", true, r.IsContiguous);
    }

    static void CheckRule(GoldenCase c, Mismatches m)
    {
        var j = c.Json;
        var layout = GoldenFiles.Apply(Rules.Contiguous(j.Ints("base")), j.GetProperty("ops"));
        m.SameSequence(c, "rule shape after ops", j.Ints("shape"), layout.Sizes);
        m.SameSequence(c, "rule strides after ops", j.Ints("strides"), layout.Strides);

        var target = j.Ints("reshape");
        bool isView;
        int[] sizes;
        try
        {
            isView = Rules.TryReshapeAsView(layout, target, out sizes, out _);
        }
        catch (ShapeException e)
        {
            if (j.Bool("ok"))
                m.Add(c, $"rule Reshape{GoldenFiles.Show(target)} refused, LibTorch gives shape {GoldenFiles.Show(j.Ints("result_shape"))}: {e.Message}");
            return;
        }
        if (!j.Bool("ok"))
        {
            m.Add(c, $"rule Reshape{GoldenFiles.Show(target)} accepted with shape {GoldenFiles.Show(sizes)}; LibTorch refuses: {j.Str("error")}");
            return;
        }
        m.SameSequence(c, "rule result shape", j.Ints("result_shape"), sizes);
        m.Same(c, "rule says view (shares storage)", j.Bool("shares_storage"), isView);
    }
}
