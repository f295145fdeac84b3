using ShapeSafe;

namespace ShapeSafe.Tests.Elementwise;

public class InPlaceTests
{
    [Fact]
    public void FillThroughAViewChangesTheBase()
    {
        var a = Tensor.Zeros(3, 4);

        a[1].FillInPlace(7f);
        a.Select(1, 3).FillInPlace(-1f);

        Assert.Equal(new[] { 0f, 0, 0, -1, 7, 7, 7, -1, 0, 0, 0, -1 }, a.ToFloatArray());
    }

    [Fact]
    public void FillOnAnExpandedViewIsAllowed()
    {
        var a = Tensor.Zeros(3);

        a.Expand(2, 3).FillInPlace(5f);

        Assert.Equal(new[] { 5f, 5, 5 }, a.ToFloatArray());
    }

    [Fact]
    public void ZeroThroughATransposedView()
    {
        var a = Tensor.Ones(2, 3);

        a.Transpose(0, 1)[2].ZeroInPlace();

        Assert.Equal(new[] { 1f, 1, 0, 1, 1, 0 }, a.ToFloatArray());
    }

    [Fact]
    public void AddInPlaceBroadcastsOtherAndScalesByAlpha()
    {
        var a = Tensor.Ones(2, 3);
        var row = Tensor.FromArray(new[] { 1f, 2f, 3f });

        var returned = a.AddInPlace(row, alpha: -0.5f);

        Assert.Same(a, returned);
        Assert.Equal(new[] { 0.5f, 0, -0.5f, 0.5f, 0, -0.5f }, a.ToFloatArray());
    }

    [Fact]
    public void AddInPlaceOnASlicedViewChangesOnlyThatSlice()
    {
        var a = Tensor.Zeros(4, 4);
        var everyOtherColumn = a.Slice(1, 0, 4, 2);

        everyOtherColumn.AddInPlace(Tensor.Arange(8).View(4, 2));

        Assert.Equal(new[] { 0f, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0 }, a.ToFloatArray());
    }

    [Fact]
    public void AddInPlaceFromAnOverlappingViewReadsTheOriginalValues()
    {
        var a = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f }, 2, 2);

        a.AddInPlace(a.Transpose(0, 1));

        Assert.Equal(new[] { 2f, 5, 5, 8 }, a.ToFloatArray());
    }

    [Fact]
    public void MulAndDivInPlaceOnAView()
    {
        var a = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 2, 3);

        a.Transpose(0, 1).MulInPlace(10f);
        a[0].DivInPlace(Tensor.FromArray(new[] { 10f, 20f, 30f }));
        a[1].MulInPlace(Tensor.Scalar(0.5f));

        Assert.Equal(new[] { 1f, 1, 1, 20, 25, 30 }, a.ToFloatArray());
    }

    [Fact]
    public void SubInPlaceAndAddScalar()
    {
        var a = Tensor.FromArray(new[] { 1f, 2f });

        a.SubInPlace(Tensor.FromArray(new[] { 1f, 1f }), alpha: 2f).AddInPlace(0.5f);

        Assert.Equal(new[] { -0.5f, 0.5f }, a.ToFloatArray());
    }

    [Fact]
    public void ClampInPlaceWritesThroughStrides()
    {
        var a = Tensor.FromArray(new[] { -3f, 5f, 0.5f, 9f }, 2, 2);

        a.Transpose(0, 1).ClampInPlace(0f, 1f);

        Assert.Equal(new[] { 0f, 1f, 0.5f, 1f }, a.ToFloatArray());
    }

    [Fact]
    public void AddCMulAndAddCDivAsAdamUsesThem()
    {
        var v = Tensor.FromArray(new[] { 1f, 1f });
        var g = Tensor.FromArray(new[] { 2f, 3f });

        v.AddCMulInPlace(g, g, 0.1f);
        var p = Tensor.FromArray(new[] { 0f, 0f }).AddCDivInPlace(g, v, -1f);

        Assert.Equal(new[] { MathF.FusedMultiplyAdd(0.1f * 2, 2, 1f), MathF.FusedMultiplyAdd(0.1f * 3, 3, 1f) }, v.ToFloatArray());
        Assert.Equal(new[] { -1f * 2 / v.ToFloatArray()[0], -1f * 3 / v.ToFloatArray()[1] }, p.ToFloatArray());
    }

    [Fact]
    public void Int64InPlaceKeepsInt64AndRejectsFloatResults()
    {
        var a = Tensor.Arange(4);

        a.AddInPlace(Tensor.Arange(4)).MulInPlace(3).AddInPlace(1);

        Assert.Equal(new long[] { 1, 7, 13, 19 }, a.ToInt64Array());
        Assert.Throws<InvalidOperationException>(() => a.AddInPlace(Tensor.Ones(4)));
        Assert.Throws<InvalidOperationException>(() => a.MulInPlace(0.5f));
        Assert.Throws<InvalidOperationException>(() => a.DivInPlace(2f));
        a.FillInPlace(2.7f);
        Assert.Equal(new long[] { 2, 2, 2, 2 }, a.ToInt64Array());
    }

    [Fact]
    public void OtherMustBroadcastToSelfsShape()
    {
        var a = Tensor.Zeros(3);

        var e = Assert.Throws<ShapeException>(() => a.AddInPlace(Tensor.Zeros(2, 3)));

        Assert.Equal("AddInPlace", e.Operation);
        Assert.Contains("output with shape [3] doesn't match the broadcast shape [2, 3]", e.Message);
        Assert.Throws<ShapeException>(() => a.MulInPlace(Tensor.Zeros(4)));
    }

    [Fact]
    public void WritingIntoAnExpandedViewThrows()
    {
        var expanded = Tensor.Zeros(3).Expand(2, 3);

        var e = Assert.Throws<InvalidOperationException>(() => expanded.AddInPlace(1f));

        Assert.Contains("more than one element of the written-to tensor", e.Message);
    }
}
