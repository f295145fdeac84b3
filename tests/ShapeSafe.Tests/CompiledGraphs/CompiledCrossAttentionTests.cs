using ShapeSafe.NN;
using ShapeSafe.Shapes;
using static ShapeSafe.Tests.CompiledGraphs.CompiledModels;

namespace ShapeSafe.Tests.CompiledGraphs;

/// <summary>
/// Compiled cross-attention (a key and value that are not the query, of their own sequence length S) against the same
/// modules run eagerly: outputs and every gradient (each input's and each parameter's), bit for bit, in training mode
/// (the attention's dropout drawing eager mode's mask from the default generator) and eval mode, for two batch sizes
/// and two key/value lengths through one compiled object; kdim/vdim layers; masks; the causal hint; and the errors of
/// inputs of the wrong shapes.
/// </summary>
[Collection(nameof(DefaultGeneratorCollection))]
public class CompiledCrossAttentionTests
{
    /// <summary>A call's inputs that take gradients, then its masks, for a query of length L, a key/value of length S and a batch of N.</summary>
    delegate (Tensor[] Inputs, Tensor[] Masks) InputMaker(int length, int source, int batch);

    static (float[] Output, Dictionary<string, float[]> Grads, float[][] InputGrads) Step(Module model, Func<Tensor[], Tensor> forward, Tensor[] data, Tensor[] masks, long seed)
    {
        model.ZeroGrad();
        var inputs = data.Select(d =>
        {
            var x = d.Clone();
            x.RequiresGrad = true;
            return x;
        }).ToArray();
        Generator.Default.ManualSeed(seed);
        var y = forward(inputs.Concat(masks).ToArray());
        var weights = Tensor.Arange(y.NumEl).Reshape(y.Shape.ToArray()).Mul(0.01f).Sin();
        y.Mul(weights).Sum().Backward();
        return (y.Detach().ToFloatArray(), model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToFloatArray()),
            inputs.Select(x => x.Grad!.ToFloatArray()).ToArray());
    }

    static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}[{i}]: eager {expected[i]:R}, compiled {actual[i]:R}");
    }

    /// <summary>The (L, S, N) of the calls: two key/value lengths, two batch sizes, and the first again from its cached plan.</summary>
    static readonly (int Length, int Source, int Batch)[] Calls = { (5, 7, 3), (5, 3, 3), (4, 6, 2), (5, 7, 3) };

    static void AssertMatchesEager(Module eager, Module twin, Func<Tensor[], Tensor> eagerForward, Func<Tensor[], Tensor> compiled, InputMaker inputs,
        int expectedPlans, CompiledModule counts)
    {
        foreach (var training in new[] { true, false })
        {
            eager.Train(training);
            twin.Train(training);
            foreach (var (length, source, batch) in Calls)
            {
                var (data, masks) = inputs(length, source, batch);
                long seed = length * 100 + source * 10 + batch + (training ? 1000 : 0);
                var (y1, g1, dx1) = Step(eager, eagerForward, data, masks, seed);
                var (y2, g2, dx2) = Step(twin, compiled, data, masks, seed);
                string where = $"{eager.GetType().Name} {(training ? "train" : "eval")} {string.Join(" ", data.Select(d => "[" + string.Join(", ", d.Sizes) + "]"))}";
                Assert.All(y1, v => Assert.True(float.IsFinite(v), where + ": the eager output is not finite"));
                AssertBitwise(y1, y2, where + " output");
                Assert.Equal(g1.Keys, g2.Keys);
                foreach (var (name, grad) in g1) AssertBitwise(grad, g2[name], where + " grad of " + name);
                for (int i = 0; i < dx1.Length; i++) AssertBitwise(dx1[i], dx2[i], where + " grad of input " + i);
            }
        }
        Assert.Equal(0, counts.EagerCalls);
        // A plan per distinct shape in each mode: the repeated call ran from its cached plan.
        Assert.Equal(2 * expectedPlans, counts.PlannedShapes);
    }

    static Tensor Sequence(int length, int batch, int features, bool batchFirst, int seed) =>
        Tensor.Randn(batchFirst ? new[] { batch, length, features } : new[] { length, batch, features }, new Generator(seed));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Cross_attention_to_a_memory_read_as_key_and_value_matches_eager(bool batchFirst)
    {
        var compiled = new CrossAttentionNet(batchFirst, new Generator(41)).Compile();
        Assert.True(compiled.IsCompiled);
        var eager = new CrossAttentionNet(batchFirst, new Generator(41));
        AssertMatchesEager(eager, compiled.Module, t => eager.Forward(t[0], t[1]), t => compiled.Forward(t[0], t[1]),
            (l, s, n) => ([Sequence(l, n, 16, batchFirst, l * 10 + n), Sequence(s, n, 16, batchFirst, s * 10 + n + 5)], []), 3, compiled);
    }

    [Theory]
    [InlineData(false, 16, 16, true)]
    [InlineData(true, 16, 16, false)]
    [InlineData(false, 12, 10, true)]
    [InlineData(true, 12, 10, true)]
    [InlineData(true, 16, 8, false)]
    public void Attention_from_a_query_to_a_different_key_and_value_matches_eager(bool batchFirst, int kdim, int vdim, bool bias)
    {
        var compiled = new ThreeInputAttentionNet(batchFirst, kdim, vdim, bias, new Generator(42)).Compile();
        var eager = new ThreeInputAttentionNet(batchFirst, kdim, vdim, bias, new Generator(42));
        // PyTorch's names: the packed in_proj_weight, or q_proj_weight, k_proj_weight and v_proj_weight.
        var names = eager.NamedParameters().Select(p => p.Name).ToArray();
        Assert.Equal(kdim == 16 && vdim == 16
            ? (bias ? ["attention.in_proj_weight", "attention.in_proj_bias", "attention.out_proj.weight", "attention.out_proj.bias"] : ["attention.in_proj_weight", "attention.out_proj.weight"])
            : (bias
                ? ["attention.q_proj_weight", "attention.k_proj_weight", "attention.v_proj_weight", "attention.in_proj_bias", "attention.out_proj.weight", "attention.out_proj.bias"]
                : ["attention.q_proj_weight", "attention.k_proj_weight", "attention.v_proj_weight", "attention.out_proj.weight"]), names);
        AssertMatchesEager(eager, compiled.Module, t => eager.Forward(t[0], t[1], t[2]), t => compiled.Forward(t[0], t[1], t[2]),
            (l, s, n) => ([Sequence(l, n, 16, batchFirst, l + n), Sequence(s, n, kdim, batchFirst, s + n + 1), Sequence(s, n, vdim, batchFirst, s + n + 2)], []),
            3, compiled);
    }

    [Fact]
    public void Unbatched_cross_attention_matches_eager()
    {
        var compiled = new ThreeInputAttentionNet(false, 12, 10, true, new Generator(43)).Compile();
        var eager = new ThreeInputAttentionNet(false, 12, 10, true, new Generator(43));
        AssertMatchesEager(eager, compiled.Module, t => eager.Forward(t[0], t[1], t[2]), t => compiled.Forward(t[0], t[1], t[2]),
            (l, s, n) => ([Tensor.Randn([l + n, 16], new Generator(l)), Tensor.Randn([s, 12], new Generator(s + 1)), Tensor.Randn([s, 10], new Generator(s + 2))], []),
            3, compiled);
    }

    // A Bool key padding mask [N, S]: entry b pads its last b % 3 keys, and entry 1 all of them when asked (its queries
    // then attend to nothing: zero weights, as PyTorch's safe softmax gives).
    static Tensor BoolPadding(int source, int batch, bool oneEntryFullyPadded)
    {
        var values = new bool[batch * source];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < source; j++)
                values[b * source + j] = j >= source - b % 3 || oneEntryFullyPadded && b == 1;
        return Tensor.FromArray(values, new[] { batch, source });
    }

    static Tensor FloatPadding(int source, int batch) =>
        Tensor.Randn(new[] { batch, source }, new Generator(source + batch)).Mul(0.3f).MaskedFill(BoolPadding(source, batch, false), double.NegativeInfinity);

    // An attention mask [L, S] or [N·heads, L, S]: Bool (random, the first query of each block fully masked) or float (noise, -inf above the diagonal).
    static Tensor AttnMask(int length, int source, int rows, bool perHead, bool isFloat, int seed)
    {
        int[] shape = perHead ? [rows, length, source] : [length, source];
        var random = Tensor.Rand(shape, new Generator(seed));
        if (isFloat)
        {
            var upper = new bool[random.NumEl];
            for (int i = 0; i < upper.Length; i++) upper[i] = i % source > i / source % length;
            return random.Sub(0.5f).MaskedFill(Tensor.FromArray(upper, shape), double.NegativeInfinity);
        }
        var values = random.ToFloatArray().Select(v => v < 0.3f).ToArray();
        for (int b = 0; b < (perHead ? rows : 1); b++)
            for (int j = 0; j < source; j++) values[b * length * source + j] = true;
        return Tensor.FromArray(values, shape);
    }

    [Theory]
    [InlineData(false, false, false)]
    [InlineData(true, false, true)]
    [InlineData(false, true, true)]
    [InlineData(true, true, false)]
    public void Cross_attention_with_an_attention_mask_and_a_key_padding_mask_matches_eager(bool batchFirst, bool floatMasks, bool perHead)
    {
        var compiled = new MaskedCrossAttentionNet(batchFirst, new Generator(44)).Compile();
        var eager = new MaskedCrossAttentionNet(batchFirst, new Generator(44));
        AssertMatchesEager(eager, compiled.Module, t => eager.Forward(t[0], t[1], t[2], t[3]), t => compiled.Forward(t[0], t[1], t[2], t[3]),
            (l, s, n) => ([Sequence(l, n, 16, batchFirst, l * 10 + n), Sequence(s, n, 16, batchFirst, s * 10 + n + 5)],
                [AttnMask(l, s, n * 2, perHead, floatMasks, l + s), floatMasks ? FloatPadding(s, n) : BoolPadding(s, n, oneEntryFullyPadded: true)]),
            3, compiled);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Cross_attentions_sharing_a_memory_along_several_paths_match_eager(bool batchFirst)
    {
        var compiled = new TwoCrossAttentionsNet(batchFirst, new Generator(45)).Compile();
        Assert.True(compiled.IsCompiled);
        var eager = new TwoCrossAttentionsNet(batchFirst, new Generator(45));
        AssertMatchesEager(eager, compiled.Module, t => eager.Forward(t[0], t[1]), t => compiled.Forward(t[0], t[1]),
            (l, s, n) => ([Sequence(l, n, 16, batchFirst, l * 10 + n), Sequence(s, n, 12, batchFirst, s * 10 + n + 5)], []), 3, compiled);
    }

    [Fact]
    public void A_causal_cross_attention_matches_eager()
    {
        var compiled = new CausalCrossAttentionNet(new Generator(46)).Compile();
        var eager = new CausalCrossAttentionNet(new Generator(46));
        // The mask's values are not read (PyTorch's hint): a mask of zeros gives the causal attention.
        AssertMatchesEager(eager, compiled.Module, t => eager.Forward(t[0], t[1], t[2]), t => compiled.Forward(t[0], t[1], t[2]),
            (l, s, n) => ([Sequence(l, n, 16, false, l * 10 + n), Sequence(s, n, 16, false, s * 10 + n + 5)], [Tensor.Zeros(new[] { l, s })]),
            3, compiled);
    }

    public static TheoryData<int[], int[], int[]> WrongInputs => new()
    {
        { new[] { 5, 3, 16 }, new[] { 7, 3, 16 }, new[] { 6, 3, 16 } },   // a key and a value of different lengths
        { new[] { 5, 3, 16 }, new[] { 7, 2, 16 }, new[] { 7, 2, 16 } },   // a key of another batch size
        { new[] { 5, 3, 16 }, new[] { 7, 3, 12 }, new[] { 7, 3, 12 } },   // a key of other features than kdim
        { new[] { 5, 3, 16 }, new[] { 7, 16 }, new[] { 7, 16 } },         // an unbatched key of a batched query
        { new[] { 5, 3, 8 }, new[] { 7, 3, 16 }, new[] { 7, 3, 16 } },    // a query of other features than E
    };

    [Theory]
    [MemberData(nameof(WrongInputs))]
    public void Inputs_of_the_wrong_shapes_throw_the_eager_layers_error(int[] query, int[] key, int[] value)
    {
        var compiled = new ThreeInputAttentionNet(false, 16, 16, true, new Generator(47)).Compile();
        var (q, k, v) = (Tensor.Randn(query, new Generator(1)), Tensor.Randn(key, new Generator(2)), Tensor.Randn(value, new Generator(3)));
        var eager = Assert.Throws<ShapeException>(() => compiled.Module.Forward(q, k, v));
        var error = Assert.Throws<ShapeException>(() => compiled.Forward(q, k, v));
        Assert.Equal(eager.Message, error.Message);
        Assert.StartsWith("MultiheadAttention: ", error.Message);
        Assert.Equal(0, compiled.PlannedShapes);
    }

    [Fact]
    public void A_mask_of_the_query_by_query_shape_throws_the_eager_layers_error()
    {
        var compiled = new MaskedCrossAttentionNet(false, new Generator(48)).Compile();
        var (x, memory) = (Tensor.Randn([5, 3, 16], new Generator(4)), Tensor.Randn([7, 3, 16], new Generator(5)));
        var mask = Tensor.Zeros([5, 5], DType.Bool);
        var padding = Tensor.Zeros([3, 7], DType.Bool);
        var error = Assert.Throws<ShapeException>(() => compiled.Forward(x, memory, mask, padding));
        Assert.Equal(Assert.Throws<ShapeException>(() => compiled.Module.Forward(x, memory, mask, padding)).Message, error.Message);
        Assert.Equal("MultiheadAttention: The shape of the 2D attn_mask is [5, 5], but should be [5, 7] (query [5, 3, 16], key [7, 3, 16], value [7, 3, 16])", error.Message);
        var wrongPadding = Tensor.Zeros([3, 5], DType.Bool);
        var paddingError = Assert.Throws<ShapeException>(() => compiled.Forward(x, memory, Tensor.Zeros([5, 7], DType.Bool), wrongPadding));
        Assert.Equal("MultiheadAttention: expecting key_padding_mask shape of [3, 7], but got [3, 5] (query [5, 3, 16], key [7, 3, 16], value [7, 3, 16])", paddingError.Message);
        Assert.Equal(0, compiled.PlannedShapes);
    }

    [Fact]
    public void Returned_weights_averaged_over_the_heads_and_their_gradient_match_eager()
    {
        var compiled = new AveragedWeightsNet(new Generator(51)).Compile();
        Assert.True(compiled.IsCompiled);
        var eager = new AveragedWeightsNet(new Generator(51));
        AssertMatchesEager(eager, compiled.Module, t => eager.Forward(t[0], t[1], t[2]), t => compiled.Forward(t[0], t[1], t[2]),
            (l, s, n) => ([Sequence(l, n, 16, true, l * 10 + n), Sequence(s, n, 16, true, s * 10 + n + 5)], [BoolPadding(s, n, oneEntryFullyPadded: false)]),
            3, compiled);
    }

    [Fact]
    public void Returned_weights_per_head_with_an_attention_mask_match_eager()
    {
        var compiled = new HeadWeightsNet(new Generator(52)).Compile();
        Assert.True(compiled.IsCompiled);
        var eager = new HeadWeightsNet(new Generator(52));
        // Self-attention: the key length is the query's, so each call's L is its S. The float mask leaves every query a key.
        AssertMatchesEager(eager, compiled.Module, t => eager.Forward(t[0], t[1]), t => compiled.Forward(t[0], t[1]),
            (l, s, n) => ([Sequence(s, n, 16, false, s * 10 + n)], [AttnMask(s, s, n * 4, false, true, s)]), 3, compiled);
    }

    [Fact]
    public void The_output_of_the_weights_path_alone_matches_eager()
    {
        var compiled = new DefaultWeightsNet(new Generator(53)).Compile();
        Assert.True(compiled.IsCompiled);
        var eager = new DefaultWeightsNet(new Generator(53));
        AssertMatchesEager(eager, compiled.Module, t => eager.Forward(t[0], t[1], t[2]), t => compiled.Forward(t[0], t[1], t[2]),
            (l, s, n) => ([Sequence(l, n, 16, false, l + n), Sequence(s, n, 12, false, s + n + 1), Sequence(s, n, 10, false, s + n + 2)], []), 3, compiled);
    }
}
