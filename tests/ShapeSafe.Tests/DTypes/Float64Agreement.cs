using ShapeSafe;

namespace ShapeSafe.Tests.DTypes;

/// <summary>What the Float64 layer tests share: seeded double inputs, and the check that a function's Float64 path
/// agrees with its Float32 path, forward and backward, within float32's rounding.</summary>
internal static class Float64Agreement
{
    /// <summary>Standard normal values from <paramref name="seed"/>, as Float64.</summary>
    public static Tensor Doubles(int seed, params int[] shape) => Tensor.Randn(shape, new Generator(seed)).ToDType(DType.Float64);

    /// <summary>
    /// Runs <paramref name="function"/> on <paramref name="inputs"/> in Float64 and again in Float32: the dtypes, the
    /// shapes, the outputs and every input's gradient (for one random cotangent) must agree within float32's rounding.
    /// </summary>
    public static void AssertAgreesWithFloat32(string name, Func<Tensor[], Tensor> function, Tensor[] inputs)
    {
        var doubles = inputs.Select(t => t.Detach().Contiguous()).ToArray();
        var singles = inputs.Select(t => t.ToDType(DType.Float32)).ToArray();
        foreach (var t in doubles.Concat(singles)) t.RequiresGrad = true;
        var a = function(doubles);
        var b = function(singles);
        Assert.Equal(DType.Float64, a.DType);
        Assert.Equal(DType.Float32, b.DType);
        Assert.Equal(b.Shape, a.Shape);
        AssertClose(b.ToDoubleArray(), a.ToDoubleArray(), $"{name} output");

        var v = Doubles(99, a.Shape.ToArray());
        (a * v).Sum().Backward();
        (b * v.ToDType(DType.Float32)).Sum().Backward();
        for (int i = 0; i < doubles.Length; i++)
        {
            Assert.Equal(DType.Float64, doubles[i].Grad!.DType);
            AssertClose(singles[i].Grad!.ToDoubleArray(), doubles[i].Grad!.ToDoubleArray(), $"{name} gradient {i}");
        }
    }

    /// <summary>Float32 results within a few float ulps of the double ones, measured against the tensor's scale.</summary>
    public static void AssertClose(double[] float32, double[] float64, string what)
    {
        Assert.Equal(float64.Length, float32.Length);
        double scale = Math.Max(1e-3, float64.Max(Math.Abs));
        for (int i = 0; i < float64.Length; i++)
            Assert.True(Math.Abs(float32[i] - float64[i]) <= 2e-6 * scale, $"{what}[{i}]: Float32 {float32[i]}, Float64 {float64[i]}");
    }
}
