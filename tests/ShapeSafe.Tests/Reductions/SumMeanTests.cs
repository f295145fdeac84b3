using ShapeSafe;
using ShapeSafe.Tests.Elementwise;

namespace ShapeSafe.Tests.Reductions;

public class SumMeanTests
{
    static Tensor M() => Tensor.Arange(6).View(2, 3); // [[0, 1, 2], [3, 4, 5]], Int64

    [Fact]
    public void SumOfEverythingIsAZeroDimTensor()
    {
        var s = M().Sum();

        Assert.Equal(Array.Empty<int>(), s.Shape);
        Assert.Equal(DType.Int64, s.DType);
        Assert.Equal(15L, s.ItemInt64());
    }

    [Fact]
    public void SumAlongDimsWithAndWithoutKeepDim()
    {
        Assert.Equal(new long[] { 3, 5, 7 }, M().Sum(0).ToInt64Array());
        Assert.Equal(new[] { 3 }, M().Sum(0).Shape);
        var kept = M().Sum(1, keepDim: true);
        Assert.Equal(new[] { 2, 1 }, kept.Shape);
        Assert.Equal(new long[] { 3, 12 }, kept.ToInt64Array());
        Assert.Equal(new long[] { 3, 12 }, M().Sum(-1).ToInt64Array());
        Assert.Equal(new[] { 1, 1 }, M().Sum(new[] { 0, 1 }, keepDim: true).Shape);
        Assert.Equal(15L, M().Sum(new[] { -1, -2 }).ItemInt64());
    }

    [Fact]
    public void SumOverSeparatedDimsOfANonContiguousTensor()
    {
        var t = Tensor.Arange(0.0, 24.0).View(2, 3, 4).Permute(2, 0, 1); // shape [4, 2, 3]

        var s = t.Sum(new[] { 0, 2 });

        Assert.Equal(new[] { 2 }, s.Shape);
        Assert.Equal(new[] { 66f, 210f }, s.ToFloatArray());
    }

    [Fact]
    public void BadDimsThrowShapeExceptionsNamingTheOp()
    {
        var e = Assert.Throws<ShapeException>(() => M().Sum(2));
        Assert.Equal("Sum", e.Operation);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("got 2", e.Message);

        var repeated = Assert.Throws<ShapeException>(() => M().Sum(new[] { 1, -1 }));
        Assert.Contains("multiple times", repeated.Message);
        Assert.Equal("Mean", Assert.Throws<ShapeException>(() => M().ToDType(DType.Float32).Mean(-3)).Operation);
    }

    [Fact]
    public void EmptySumsAreZeroAndEmptyMeansAreNaN()
    {
        var e = Tensor.Zeros(0, 3);

        Assert.Equal(new[] { 0f, 0f, 0f }, e.Sum(0).ToFloatArray());
        Assert.Equal(0f, e.Sum().Item());
        Assert.True(float.IsNaN(e.Mean().Item()));
        Assert.Equal(new[] { 0 }, e.Sum(1).Shape);
    }

    [Fact]
    public void MeanOfInt64ThrowsLikePyTorch()
    {
        var e = Assert.Throws<ArgumentException>(() => M().Mean());

        Assert.Contains("mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: Long", e.Message);
    }

    [Fact]
    public void MeanValues()
    {
        var m = M().ToDType(DType.Float32);

        Assert.Equal(2.5f, m.Mean().Item());
        Assert.Equal(new[] { 1.5f, 2.5f, 3.5f }, m.Mean(0).ToFloatArray());
        Assert.Equal(new[] { 1f, 4f }, m.Mean(1, keepDim: true).ToFloatArray());
    }

    [Fact]
    public void VarAndStd()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f });

        Assert.Equal(5f / 3f, x.Var().Item(), 6);
        Assert.Equal(1.25f, x.Var(unbiased: false).Item(), 6);
        Assert.Equal(MathF.Sqrt(5f / 3f), x.Std().Item(), 6);
        var rows = Tensor.FromArray(new[] { 1f, 3f, 2f, 2f }, 2, 2);
        Assert.Equal(new[] { 2f, 0f }, rows.Var(1).ToFloatArray());
        Assert.Throws<ArgumentException>(() => M().Var());
    }

    [Fact]
    public void LongFloatSumIsAccurateLikeACascadeSum()
    {
        var rng = new System.Random(1);
        var values = new float[1_000_003];
        for (int i = 0; i < values.Length; i++) values[i] = (float)rng.NextDouble();
        double exact = values.Sum(v => (double)v);

        var s = Tensor.FromArray(values).Sum().Item();

        // A running float total is off by ~1e-4 relative here; pairwise stays near float epsilon.
        Assert.True(Math.Abs(s - exact) / exact < 1e-6, $"{s} vs {exact}");
    }

    [Fact]
    public void RandomShapesDimsAndLayoutsMatchTheReference()
    {
        var rng = new System.Random(21);
        int[] sizes = { 1, 2, 3, 7, 17, 255 };
        for (int trial = 0; trial < 80; trial++)
        {
            int rank = rng.Next(1, 5);
            var shape = TestTensors.RandomShape(rng, rank, rank > 2 ? new[] { 1, 2, 3, 7 } : sizes);
            var t = TestTensors.Make(rng, shape, TestTensors.AllLayouts[rng.Next(5)]);
            var dims = Enumerable.Range(0, rank).Where(_ => rng.Next(2) == 0).Select(d => rng.Next(2) == 0 ? d : d - rank).ToArray();
            if (dims.Length == 0) dims = new[] { rng.Next(rank) };
            bool keepDim = rng.Next(2) == 0;
            var flags = ReductionReference.Flags(rank, dims);

            var sum = t.Sum(dims, keepDim);
            var mean = t.Mean(dims, keepDim);

            var expected = ReductionReference.Sum(t, flags);
            int count = (int)(t.NumEl / Math.Max(expected.Length, 1));
            TestTensors.AssertClose(expected, sum.ToFloatArray(), 1e-5, 1e-5);
            TestTensors.AssertClose(expected.Select(v => v / count).ToArray(), mean.ToFloatArray(), 1e-5, 1e-5);
            Assert.Equal(keepDim ? rank : rank - dims.Length, sum.Rank);
        }
    }
}
