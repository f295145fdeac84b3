using CsCheck;
using ShapeSafe.Shapes;
using Symbolic = ShapeSafe.Shapes.ShapeRules<ShapeSafe.Shapes.Dim, ShapeSafe.Shapes.SymbolicDims>;

namespace ShapeSafe.Tests.Properties;

/// <summary>
/// The analyzers run the rules over symbolic dims; the engine runs them over ints. With every dim a constant,
/// the symbolic instantiation must give the engine's answers: the same layouts, the same refusals, never
/// "undecidable". These properties drive both with random layouts and random operand shapes.
/// </summary>
public class SymbolicAgreementProperties
{
    static readonly long Iterations = long.TryParse(Environment.GetEnvironmentVariable("CsCheck_Iter"), out var n) ? n : 400;

    [Fact]
    public void Symbolic_view_rules_with_constant_dims_agree_with_the_engine()
    {
        LayoutCase.Generator.Sample(c =>
        {
            var t = Tensor.Arange(ViewModel.Count(c.Base)).Reshape(c.Base);
            var layout = Symbolic.Contiguous(Dims(c.Base));
            foreach (var op in c.Ops)
            {
                t = op.Apply(t);
                layout = Apply(op, layout);
                AssertSame(t, layout);
            }

            var target = c.Target(t.NumEl, salt: 2);
            var engine = Attempt(() => t.View(target));
            var rule = Attempt<Layout<Dim>?>(() => Symbolic.View(layout, Dims(target)));
            Assert.Equal(engine is null, rule is null);
            if (engine is not null) AssertSame(engine, rule!.Value);

            bool ruleView = Attempt(() => Symbolic.TryReshapeAsView(layout, Dims(target), out _, out _));
            Assert.Equal(engine is not null, ruleView);
        }, iter: Iterations, print: c => c.ToString());
    }

    [Fact]
    public void Symbolic_broadcast_matmul_and_cat_with_constant_dims_agree_with_the_engine()
    {
        var shape = Gen.Int[1, 4].Array[0, 4];
        Gen.Select(shape, shape, Gen.Int[-3, 3]).Sample((a, b, dim) =>
        {
            Agree(() => (Tensor.Zeros(a) + Tensor.Zeros(b)).Shape.ToArray(), () => Symbolic.Broadcast(Dims(a), Dims(b)));
            Agree(() => Tensor.Matmul(Tensor.Zeros(a), Tensor.Zeros(b)).Shape.ToArray(), () => Symbolic.Matmul(Dims(a), Dims(b)));
            Agree(() => Tensor.Cat(new[] { Tensor.Zeros(a), Tensor.Zeros(b) }, dim).Shape.ToArray(),
                () => Symbolic.Cat(new[] { Dims(a), Dims(b) }, dim));
            Agree(() => Tensor.Stack(new[] { Tensor.Zeros(a), Tensor.Zeros(b) }, dim).Shape.ToArray(),
                () => Symbolic.Stack(new[] { Dims(a), Dims(b) }, dim));
            Agree(() => Tensor.Zeros(a).Sum(dim, keepDim: true).Shape.ToArray(), () => Symbolic.Reduce(Dims(a), new[] { dim }, keepDim: true));
        }, iter: Iterations, print: t => $"a=[{string.Join(", ", t.Item1)}] b=[{string.Join(", ", t.Item2)}] dim={t.Item3}");
    }

    static void Agree(Func<int[]> engine, Func<Dim[]> rule)
    {
        int[]? expected = null;
        try { expected = engine(); } catch (ShapeException) { }
        Dim[]? actual = null;
        try { actual = rule(); } catch (ShapeException) { }
        Assert.Equal(expected is null, actual is null);
        if (expected is not null) Assert.Equal(expected, Constants(actual!));
    }

    static Layout<Dim> Apply(ViewOp op, Layout<Dim> l) => op.Kind switch
    {
        "Transpose" => Symbolic.Transpose(l, op.A, op.B),
        "Permute" => Symbolic.Permute(l, op.Dims!),
        "Slice" => Symbolic.Slice(l, op.A, op.B, op.C, op.Dims![0]),
        "Narrow" => Symbolic.Narrow(l, op.A, op.B, op.C),
        "Expand" => Symbolic.Expand(l, Dims(op.Dims!)),
        "Unsqueeze" => Symbolic.Unsqueeze(l, op.A),
        "Select" => Symbolic.Select(l, op.A, op.B),
        _ => throw new InvalidOperationException(op.Kind),
    };

    static void AssertSame(Tensor t, Layout<Dim> layout)
    {
        Assert.Equal(t.Shape, Constants(layout.Sizes));
        Assert.Equal(t.Strides, Constants(layout.Strides));
        Assert.Equal(t.StorageOffset, Constants(new[] { layout.Offset })[0]);
    }

    static Dim[] Dims(int[] values) => values.Select(v => Dim.Of(v)).ToArray();

    static int[] Constants(Dim[] dims) => dims.Select(d =>
    {
        Assert.True(d.TryGetConstant(out long v), $"{d} is not a constant");
        return (int)v;
    }).ToArray();

    static T? Attempt<T>(Func<T> f)
    {
        try { return f(); }
        catch (ShapeException) { return default; }
    }
}
