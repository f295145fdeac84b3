using ShapeSafe.Shapes;
using ShapeSafe.Tests.TestSupport;
using Rules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Tests.Goldens;

/// <summary>
/// views.jsonl: arange(prod(base)).reshape(base), then a chain of view ops, then <c>view(shape)</c>. LibTorch records
/// the intermediate layout and whether the view exists (with its shape and strides). Every case runs through the
/// engine's tensors and, separately, through the shape rules alone, since the analyzers use the rules without tensors.
/// </summary>
public class ViewGoldenTests
{
    const string File = "views.jsonl";

    [Fact]
    public void Engine_views_match_LibTorch() => Mismatches.CheckEvery(File, CheckEngine);

    [Fact]
    public void Rule_views_match_LibTorch() => Mismatches.CheckEvery(File, CheckRule);

    static void CheckEngine(GoldenCase c, Mismatches m)
    {
        var j = c.Json;
        var t = GoldenFiles.Apply(GoldenFiles.ArangeOf(j.Ints("base")), j.GetProperty("ops"));
        m.SameSequence(c, "shape after ops", j.Ints("shape"), t.Shape);
        m.SameSequence(c, "strides after ops", j.Ints("strides"), t.Strides);
        m.Same(c, "storage offset after ops", j.Int("offset"), t.StorageOffset);
        m.Same(c, "is_contiguous after ops", j.Bool("contiguous"), t.IsContiguous);

        var target = j.Ints("view");
        Tensor view;
        try
        {
            view = t.View(target);
        }
        catch (ShapeException e)
        {
            CheckRefusal(c, m, e);
            return;
        }
        if (!j.Bool("ok"))
        {
            m.Add(c, $"View{GoldenFiles.Show(target)} accepted with shape {GoldenFiles.Show(view.Shape)} strides {GoldenFiles.Show(view.Strides)}; LibTorch refuses: {j.Str("error")}");
            return;
        }
        m.SameSequence(c, "view shape", j.Ints("result_shape"), view.Shape);
        m.SameSequence(c, "view strides", j.Ints("result_strides"), view.Strides);
        m.Same(c, "view storage offset", t.StorageOffset, view.StorageOffset);
        m.Same(c, "view shares storage", true, view.SharesStorage(t));
        // A view never reorders elements: read row-major, it holds exactly the input's elements in order.
        m.SameSequence(c, "view values", t.ToInt64Array(), view.ToInt64Array());
    }

    static void CheckRule(GoldenCase c, Mismatches m)
    {
        var j = c.Json;
        var layout = GoldenFiles.Apply(Rules.Contiguous(j.Ints("base")), j.GetProperty("ops"));
        m.SameSequence(c, "rule shape after ops", j.Ints("shape"), layout.Sizes);
        m.SameSequence(c, "rule strides after ops", j.Ints("strides"), layout.Strides);
        m.Same(c, "rule offset after ops", j.Int("offset"), layout.Offset);
        m.Same(c, "rule is_contiguous after ops", j.Bool("contiguous"), Rules.IsContiguous(layout.Sizes, layout.Strides) == Truth.True);

        var target = j.Ints("view");
        Layout<int> view;
        try
        {
            view = Rules.View(layout, target);
        }
        catch (ShapeException e)
        {
            CheckRefusal(c, m, e);
            return;
        }
        if (!j.Bool("ok"))
        {
            m.Add(c, $"rule View{GoldenFiles.Show(target)} accepted with shape {GoldenFiles.Show(view.Sizes)} strides {GoldenFiles.Show(view.Strides)}; LibTorch refuses: {j.Str("error")}");
            return;
        }
        m.SameSequence(c, "rule view shape", j.Ints("result_shape"), view.Sizes);
        m.SameSequence(c, "rule view strides", j.Ints("result_strides"), view.Strides);
        m.Same(c, "rule view offset", layout.Offset, view.Offset);
    }

    /// <summary>
    /// A refusal must be LibTorch's refusal for the same reason: a stride-incompatible view and an element-count
    /// mismatch are different user errors (SS0001 vs SS0004), so the message must say which one it is.
    /// </summary>
    static void CheckRefusal(GoldenCase c, Mismatches m, ShapeException e)
    {
        var j = c.Json;
        if (j.Bool("ok"))
        {
            m.Add(c, $"View{GoldenFiles.Show(j.Ints("view"))} refused, LibTorch gives shape {GoldenFiles.Show(j.Ints("result_shape"))} strides {GoldenFiles.Show(j.Ints("result_strides"))}: {e.Message}");
            return;
        }
        m.Same(c, "refusing operation", "View", e.Operation);
        const string strideReason = "view size is not compatible with input tensor's size and stride";
        bool torchSaysStrides = j.Str("error")!.Contains(strideReason, StringComparison.Ordinal);
        bool engineSaysStrides = e.Message.Contains(strideReason, StringComparison.Ordinal);
        if (torchSaysStrides != engineSaysStrides)
            m.Add(c, $"refused for another reason: LibTorch \"{j.Str("error")}\", engine \"{e.Message}\"");
    }
}
