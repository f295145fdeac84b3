using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.Autograd;

// This namespace hides the engine's Autograd class; name it once here.
using Autograd = ShapeSafe.Autograd;

/// <summary>
/// Every differentiable op of the engine against finite differences (<see cref="GradCheck"/>): element-wise ops,
/// reductions, softmax, views and joins, and the matrix products. Inputs are random but fixed, and kept away from
/// kinks (0 for Relu/Abs/LeakyRelu, clamp bounds, ties for Max/Min/Maximum), where a finite difference would
/// straddle two slopes.
/// </summary>
public class OpGradientTests
{
    /// <summary>A case: the function and the shapes of its inputs, with how their values are drawn.</summary>
    sealed record Case(Func<Tensor[], Tensor> F, params Input[] Inputs);

    /// <summary>
    /// An input's shape and values: uniform in ±[min, max] (positive only when asked), redrawn within 0.05 of a kink;
    /// or, for <c>Ramp</c>, distinct values 0.1 apart in shuffled order (no ties for max and min).
    /// </summary>
    sealed record Input(int[] Shape, float Min = 0f, float Max = 1.5f, bool Positive = false, float[]? Kinks = null, bool Ramp = false);

    static Input In(params int[] shape) => new(shape);

    /// <summary>|x| in [0.2, 1.5]: far enough from 0 that x ± h keeps its sign.</summary>
    static Input NonZero(params int[] shape) => new(shape, 0.2f);

    static Input Positive(params int[] shape) => new(shape, 0.3f, 2f, Positive: true);

    static Input Ramp(params int[] shape) => new(shape, Ramp: true);

    static Input Avoiding(float[] kinks, params int[] shape) => new(shape, Kinks: kinks);

    static readonly Tensor Index = Tensor.FromArray(new long[] { 2, 0, 2, 1 });

    static readonly Dictionary<string, Case> Cases = new()
    {
        // Binary ops, with broadcasting on both sides ([3, 1] with [4]) and the operand order swapped.
        ["add"] = new(x => x[0] + x[1], In(3, 1), In(4)),
        ["add same shape"] = new(x => x[0] + x[1], In(2, 3), In(2, 3)),
        ["add alpha"] = new(x => x[0].Add(x[1], 2.5f), In(2, 3), In(3)),
        ["sub"] = new(x => x[0] - x[1], In(4), In(3, 1)),
        ["mul"] = new(x => x[0] * x[1], In(2, 1, 3), In(4, 1)),
        ["mul self"] = new(x => x[0] * x[0], In(5)),
        ["div"] = new(x => x[0] / x[1], In(3, 4), NonZero(4)),
        ["pow tensor"] = new(x => x[0].Pow(x[1]), Positive(3, 2), In(2)),
        ["maximum"] = new(x => Tensor.Maximum(x[0], x[0] + x[1]), In(3, 4), NonZero(4)),
        ["minimum"] = new(x => Tensor.Minimum(x[0], x[0] - x[1]), In(3, 4), NonZero(3, 1)),

        // With a scalar, on either side.
        ["plus scalar"] = new(x => x[0] + 2f, In(3)),
        ["scalar plus"] = new(x => 2f + x[0], In(3)),
        ["minus scalar"] = new(x => x[0] - 2f, In(3)),
        ["scalar minus"] = new(x => 2f - x[0], In(3)),
        ["times scalar"] = new(x => x[0] * -3f, In(3)),
        ["scalar times long"] = new(x => 2L * x[0], In(3)),
        ["over scalar"] = new(x => x[0] / 4f, In(3)),
        ["scalar over"] = new(x => 2f / x[0], NonZero(2, 3)),
        ["pow scalar"] = new(x => x[0].Pow(3f), In(2, 3)),
        ["pow scalar fractional"] = new(x => x[0].Pow(1.7f), Positive(2, 3)),
        ["pow scalar -0.5"] = new(x => x[0].Pow(-0.5f), Positive(4)),
        ["pow zero"] = new(x => x[0].Pow(0f), In(4)),
        ["scalar pow"] = new(x => Tensor.Pow(1.8f, x[0]), In(2, 3)),

        // Unary.
        ["neg"] = new(x => -x[0], In(2, 3)),
        ["abs"] = new(x => x[0].Abs(), NonZero(2, 3)),
        ["relu"] = new(x => x[0].Relu(), NonZero(3, 4)),
        ["square"] = new(x => x[0].Square(), In(2, 3)),
        ["clamp"] = new(x => x[0].Clamp(-0.45f, 0.55f), Avoiding([-0.45f, 0.55f], 4, 5)),
        ["clamp min"] = new(x => x[0].Clamp(min: 0.25f), Avoiding([0.25f], 4, 5)),
        ["clamp max"] = new(x => x[0].Clamp(max: -0.25f), Avoiding([-0.25f], 4, 5)),
        ["exp"] = new(x => x[0].Exp(), In(2, 3)),
        ["log"] = new(x => x[0].Log(), Positive(2, 3)),
        ["sqrt"] = new(x => x[0].Sqrt(), Positive(2, 3)),
        ["rsqrt"] = new(x => x[0].Rsqrt(), Positive(2, 3)),
        ["sin"] = new(x => x[0].Sin(), In(2, 3)),
        ["cos"] = new(x => x[0].Cos(), In(2, 3)),
        ["tanh"] = new(x => x[0].Tanh(), In(2, 3)),
        ["sigmoid"] = new(x => x[0].Sigmoid(), In(2, 3)),
        ["gelu"] = new(x => x[0].Gelu(), In(2, 4)),
        ["leaky relu"] = new(x => x[0].LeakyRelu(0.1f), NonZero(3, 4)),
        ["unary on a transposed view"] = new(x => x[0].Transpose(0, 1).Sigmoid() * x[1], In(3, 2), In(2, 3)),

        // Reductions.
        ["sum"] = new(x => x[0].Sum(), In(3, 4)),
        ["sum dim"] = new(x => x[0].Sum(1), In(2, 3, 4)),
        ["sum dim keepdim"] = new(x => x[0].Sum(-1, keepDim: true), In(2, 3, 4)),
        ["sum dims"] = new(x => x[0].Sum(new[] { 0, 2 }), In(2, 3, 4)),
        ["sum of a scalar"] = new(x => x[0].Sum() * x[1].Sum(0), In(3), In()),
        ["mean"] = new(x => x[0].Mean(), In(3, 4)),
        ["mean dim"] = new(x => x[0].Mean(0), In(3, 4)),
        ["mean dims keepdim"] = new(x => x[0].Mean(new[] { 1, 2 }, keepDim: true), In(2, 3, 4)),
        ["var"] = new(x => x[0].Var(), In(3, 4)),
        ["var dim biased keepdim"] = new(x => x[0].Var(1, unbiased: false, keepDim: true), In(3, 4)),
        ["std"] = new(x => x[0].Std(), In(3, 4)),
        ["std dim"] = new(x => x[0].Std(0), In(3, 4)),
        ["max"] = new(x => x[0].Max(), Ramp(3, 4)),
        ["min"] = new(x => x[0].Min(), Ramp(3, 4)),
        ["max dim"] = new(x => x[0].Max(1).Values, Ramp(3, 4)),
        ["min dim keepdim"] = new(x => x[0].Min(0, keepDim: true).Values, Ramp(3, 4)),
        ["softmax last"] = new(x => x[0].Softmax(-1), In(3, 4)),
        ["softmax first"] = new(x => x[0].Softmax(0), In(3, 4)),
        ["softmax middle"] = new(x => x[0].Softmax(1), In(2, 3, 2)),
        ["log softmax"] = new(x => x[0].LogSoftmax(1), In(3, 4)),
        ["log softmax first"] = new(x => x[0].LogSoftmax(0), In(2, 3, 2)),

        // Views, copies and joins (seed sections 1 and 3).
        ["view"] = new(x => x[0].View(4, 3) * x[1], In(2, 6), In(4, 3)),
        ["reshape as view"] = new(x => x[0].Reshape(-1) * x[1], In(3, 4), In(12)),
        ["reshape as copy"] = new(x => x[0].Transpose(0, 1).Reshape(12) * x[1], In(3, 4), In(12)),
        ["transpose"] = new(x => x[0].Transpose(0, 2), In(2, 3, 4)),
        ["permute"] = new(x => x[0].Permute(2, 0, 1), In(2, 3, 4)),
        ["squeeze"] = new(x => x[0].Squeeze() * x[1], In(3, 1, 2), In(3, 2)),
        ["squeeze dim"] = new(x => x[0].Squeeze(1), In(3, 1, 2)),
        ["unsqueeze"] = new(x => x[0].Unsqueeze(1) * x[1], In(3, 2), In(3, 4, 2)),
        ["expand"] = new(x => x[0].Expand(2, 3, 4), In(3, 1)),
        ["broadcast to"] = new(x => x[0].BroadcastTo(2, 4), In(4)),
        ["narrow"] = new(x => x[0].Narrow(1, 1, 2), In(3, 4)),
        ["select"] = new(x => x[0].Select(0, 1), In(3, 4)),
        ["slice with step"] = new(x => x[0].Slice(1, 0, 5, 2), In(3, 5)),
        ["indexer"] = new(x => x[0][1] + x[0][1..].Sum(0), In(3, 4)),
        ["unfold"] = new(x => x[0].Unfold(1, 3, 2), In(2, 7)),
        ["repeat"] = new(x => x[0].Repeat(2, 1, 3), In(2, 3)),
        ["cat"] = new(x => Tensor.Cat(new[] { x[0], x[1].Transpose(0, 1) }, 1), In(3, 2), In(4, 3)),
        ["stack"] = new(x => Tensor.Stack(new[] { x[0], x[1], x[0] }, 1), In(2, 3), In(2, 3)),
        ["index select"] = new(x => x[0].IndexSelect(0, Index), In(3, 4)),
        ["flatten"] = new(x => x[0].Flatten(1), In(2, 3, 4)),
        ["contiguous and clone"] = new(x => x[0].Transpose(0, 1).Contiguous() * x[0].Transpose(0, 1).Clone(), In(3, 4)),
        ["split and chunk"] = new(x => x[0].Split(2, 1)[1] * x[0].Chunk(2, 1)[0], In(3, 4)),

        // Matrix products (seed section 2).
        ["matmul 1-D 1-D"] = new(x => x[0].Matmul(x[1]), In(4), In(4)),
        ["matmul 1-D 2-D"] = new(x => x[0].Matmul(x[1]), In(3), In(3, 4)),
        ["matmul 2-D 1-D"] = new(x => x[0].Matmul(x[1]), In(4, 3), In(3)),
        ["matmul 2-D 2-D"] = new(x => x[0].Matmul(x[1]), In(2, 3), In(3, 4)),
        ["matmul N-D 1-D"] = new(x => x[0].Matmul(x[1]), In(2, 3, 4), In(4)),
        ["matmul 1-D N-D"] = new(x => x[0].Matmul(x[1]), In(3), In(2, 3, 4)),
        ["matmul N-D 2-D"] = new(x => x[0].Matmul(x[1]), In(2, 3, 4), In(4, 2)),
        ["matmul 2-D N-D"] = new(x => x[0].Matmul(x[1]), In(3, 4), In(2, 4, 2)),
        ["matmul broadcast batch"] = new(x => x[0].Matmul(x[1]), In(2, 1, 3, 4), In(3, 4, 2)),
        ["matmul transposed operand"] = new(x => x[0].Transpose(0, 1).Matmul(x[1]), In(4, 3), In(4, 2)),
        ["mm"] = new(x => Tensor.Mm(x[0], x[1]), In(2, 3), In(3, 4)),
        ["bmm"] = new(x => Tensor.Bmm(x[0], x[1]), In(2, 2, 3), In(2, 3, 4)),
        ["dot"] = new(x => Tensor.Dot(x[0], x[1]), In(5), In(5)),
        ["mv"] = new(x => Tensor.Mv(x[0], x[1]), In(3, 4), In(4)),
        ["einsum matmul"] = new(x => Tensor.Einsum("ij,jk->ik", x[0], x[1]), In(2, 3), In(3, 4)),
        ["einsum batched"] = new(x => Tensor.Einsum("bij,bjk->bik", x[0], x[1]), In(2, 2, 3), In(2, 3, 2)),
        ["einsum diagonal"] = new(x => Tensor.Einsum("ii->i", x[0]), In(3, 3)),
        ["einsum total"] = new(x => Tensor.Einsum("ij->", x[0]), In(3, 4)),
        ["einsum transpose"] = new(x => Tensor.Einsum("ij->ji", x[0]), In(3, 4)),
        ["einsum outer"] = new(x => Tensor.Einsum("i,j->ij", x[0], x[1]), In(3), In(4)),
        ["einsum ellipsis"] = new(x => Tensor.Einsum("...ij,...jk->...ik", x[0], x[1]), In(2, 2, 3), In(2, 3, 2)),
        ["einsum three operands"] = new(x => Tensor.Einsum("ij,jk,k->i", x[0], x[1], x[2]), In(2, 3), In(3, 4), In(4)),

        // A chain through several kinds of node.
        ["chain"] = new(x => ((x[0].Matmul(x[1]) + x[2]).Tanh().Softmax(-1) * x[0].Sum(1, keepDim: true)).Mean(0),
            In(2, 3), In(3, 4), In(4)),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Gradient_matches_finite_differences(string name)
    {
        var c = Cases[name];
        var rng = new System.Random(StableSeed(name));
        var inputs = c.Inputs.Select(input => Draw(rng, input)).ToArray();
        GradCheck.Check(c.F, inputs);
    }

    [Fact]
    public void Every_case_records_a_node()
    {
        foreach (var (name, c) in Cases)
        {
            var inputs = c.Inputs.Select(i => Draw(new System.Random(1), i)).ToArray();
            foreach (var t in inputs) t.RequiresGrad = true;
            var output = c.F(inputs);
            Assert.True(output.RequiresGrad, name);
            Assert.NotNull(output.GradFn);
        }
    }

    /// <summary>A seed from the case's name (string.GetHashCode differs between runs).</summary>
    static int StableSeed(string name) => name.Aggregate(17, (h, c) => unchecked(h * 31 + c)) & 0x7fffffff;

    static Tensor Draw(System.Random rng, Input input)
    {
        int n = input.Shape.Aggregate(1, (a, b) => a * b);
        var data = new float[n];
        if (input.Ramp)
        {
            for (int i = 0; i < n; i++) data[i] = -1.2f + 0.1f * i;
            rng.Shuffle(data);
        }
        else
        {
            for (int i = 0; i < n; i++)
            {
                do
                {
                    float magnitude = input.Min + (float)rng.NextDouble() * (input.Max - input.Min);
                    data[i] = input.Positive || rng.Next(2) == 0 ? magnitude : -magnitude;
                }
                while (input.Kinks?.Any(k => Math.Abs(data[i] - k) < 0.05f) == true);
            }
        }
        return input.Shape.Length == 0 ? Tensor.Scalar(data[0]) : Tensor.FromArray(data, input.Shape);
    }
}
