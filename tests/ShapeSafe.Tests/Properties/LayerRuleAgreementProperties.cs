using CsCheck;
using ShapeSafe.NN;
using ShapeSafe.Shapes;
using Symbolic = ShapeSafe.Shapes.ShapeRules<ShapeSafe.Shapes.Dim, ShapeSafe.Shapes.SymbolicDims>;

namespace ShapeSafe.Tests.Properties;

/// <summary>
/// The indexing, sorting and resampling ops against their rules run over symbolic dims with every dim a constant:
/// the analyzer's instantiation must accept and refuse exactly what the engine does, with the same output shapes.
/// Index tensors are zeros and sizes at least 1, so only shape errors can occur.
/// </summary>
public class LayerRuleAgreementProperties
{
    static readonly long Iterations = long.TryParse(Environment.GetEnvironmentVariable("CsCheck_Iter"), out var n) ? n : 150;

    [Fact]
    public void Symbolic_indexing_sorting_and_resampling_rules_agree_with_the_engine()
    {
        var shape = Gen.Int[1, 4].Array[1, 4];
        Gen.Select(shape, shape, Gen.Int[-3, 3], Gen.Int[-1, 5]).Sample((a, b, dim, k) =>
        {
            var x = Tensor.Zeros(a);
            var index = Tensor.Zeros(b, DType.Int64);
            Agree(() => x.Gather(dim, index).Shape, () => Symbolic.Gather(Dims(a), dim, Dims(b)));
            Agree(() => x.Scatter(dim, index, Tensor.Zeros(b)).Shape, () => Symbolic.Scatter(Dims(a), dim, Dims(b), Dims(b)));
            Agree(() => x.ScatterAdd(dim, index, Tensor.Zeros(b)).Shape, () => Symbolic.Scatter(Dims(a), dim, Dims(b), Dims(b), "ScatterAdd"));
            Agree(() => x.Topk(k, dim).Values.Shape, () => Symbolic.Topk(Dims(a), k, dim));
            Agree(() => x.Sort(dim).Values.Shape, () => Symbolic.AlongDim(Dims(a), dim, "Sort"));
            Agree(() => x.Cumsum(dim).Shape, () => Symbolic.AlongDim(Dims(a), dim, "Cumsum"));
            Agree(() => x.Triu(k).Shape, () => Symbolic.Triangle(Dims(a), "Triu"));
            Agree(() => F.PixelShuffle(x, k).Shape, () => Symbolic.PixelShuffle(Dims(a), k));
            var pad = b.Select(v => v - 2).Take(b.Length / 2 * 2).ToArray();
            foreach (var mode in new[] { "constant", "reflect", "replicate", "circular" })
                Agree(() => F.Pad(x, pad, mode).Shape, () => Symbolic.Pad(Dims(a), pad, mode));
            int? side = k > 0 ? k : null;
            Agree(() => F.AdaptiveAvgPool2d(x, (side, 2)).Shape, () => Symbolic.AdaptivePool2d(Dims(a), [side ?? -1, 2]));
            Agree(() => F.Conv1d(x, Tensor.Zeros(b)).Shape, () => Symbolic.Conv1d(Dims(a), Dims(b), 1, 0, 1));
            Agree(() => Tensor.ConvTranspose2d(x, Tensor.Zeros(b)).Shape, () => Symbolic.ConvTranspose2d(Dims(a), Dims(b), [1, 1], [0, 0], [0, 0], [1, 1]));
        }, iter: Iterations, print: t => $"a=[{string.Join(", ", t.Item1)}] b=[{string.Join(", ", t.Item2)}] dim={t.Item3} k={t.Item4}");
    }

    static void Agree(Func<IReadOnlyList<int>> engine, Func<Dim[]> rule)
    {
        int[]? expected = null;
        try { expected = engine().ToArray(); } catch (ShapeException) { }
        Dim[]? actual = null;
        try { actual = rule(); } catch (ShapeException) { }
        Assert.Equal(expected is null, actual is null);
        if (expected is not null) Assert.Equal(expected, actual!.Select(Constant).ToArray());
    }

    static Dim[] Dims(int[] values) => values.Select(v => Dim.Of(v)).ToArray();

    static int Constant(Dim d)
    {
        Assert.True(d.TryGetConstant(out long v), $"{d} is not a constant");
        return (int)v;
    }
}
