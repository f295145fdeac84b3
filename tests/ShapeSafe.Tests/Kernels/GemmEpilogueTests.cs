using System.Numerics.Tensors;
using CsCheck;
using ShapeSafe.Kernels.Elementwise;
using ShapeSafe.Kernels.Gemm;

namespace ShapeSafe.Tests.Kernels;

public class GemmEpilogueTests
{
    private static readonly GemmBias[] BiasDirections = [GemmBias.None, GemmBias.PerColumn, GemmBias.PerRow];
    private static readonly GemmActivation[] Activations = [GemmActivation.None, GemmActivation.Relu, GemmActivation.Gelu];

    public static TheoryData<string> KernelNames() => GemmKernelTests.KernelNames();

    /// <summary>
    /// An epilogue for an m x n output: a random bias (at an offset inside a longer array) running the given way,
    /// the activation, and when <paramref name="keepFor"/> is given an array laid out as that C for the pre-activation.
    /// </summary>
    internal static GemmEpilogue Epilogue(System.Random rng, int m, int n, GemmBias along, GemmActivation activation, Operand? keepFor = null)
    {
        float[]? bias = null;
        if (along != GemmBias.None)
        {
            bias = new float[(along == GemmBias.PerColumn ? n : m) + 3];
            for (int i = 0; i < bias.Length; i++)
                bias[i] = (float)(rng.NextDouble() * 2 - 1);
        }
        float[]? pre = null;
        if (keepFor is not null)
        {
            pre = new float[keepFor.Data.Length];
            Array.Fill(pre, -7f);
        }
        return new GemmEpilogue
        {
            BiasAlong = along, Bias = bias, BiasOffset = bias is null ? 0 : 2, Activation = activation,
            PreActivation = pre, PreActivationOffset = keepFor?.Offset ?? 0,
        };
    }

    private static IEnumerable<(GemmBias Along, GemmActivation Activation, bool Keep)> EveryEpilogue()
    {
        foreach (var along in BiasDirections)
        foreach (var activation in Activations)
            yield return (along, activation, Keep: along == GemmBias.PerColumn || activation == GemmActivation.Gelu);
    }

    private static void Check(System.Random rng, int m, int n, int k, float alpha, float beta,
        OperandLayout aLayout, OperandLayout bLayout, OperandLayout cLayout,
        GemmBias along, GemmActivation activation, bool keep, GemmMicroKernel? kernel = null, GemmRoute route = GemmRoute.Auto)
    {
        var a = Operand.Create(rng, m, k, aLayout);
        var b = Operand.Create(rng, k, n, bLayout);
        var c = Operand.Create(rng, m, n, cLayout);
        GemmCheck.Matches(m, n, k, alpha, a, b, beta, c, kernel, route, Epilogue(rng, m, n, along, activation, keep ? c : null));
    }

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void Every_kernel_applies_each_epilogue_on_edge_tiles_when_packed(string kernelName)
    {
        var kernel = GemmMicroKernels.Supported.Single(x => x.Name == kernelName);
        var rng = new System.Random(21);
        // n = 65 leaves a last panel for a narrow kernel; k = Kc + 1 runs two k blocks, and an epilogue applied
        // after the first would clamp or shift partial sums.
        foreach (var (along, activation, keep) in EveryEpilogue())
        {
            foreach ((int m, int n, int k) in new[] { (1, 1, 1), (7, 17, 7), (17, 65, 17), (13, 7, kernel.Kc + 1) })
                Check(rng, m, n, k, 1f, 0f, OperandLayout.Plain, OperandLayout.Plain, OperandLayout.Plain, along, activation, keep, kernel, GemmRoute.Packed);
        }
    }

    [Fact]
    public void Unpacked_route_applies_each_epilogue_on_edge_sizes()
    {
        var rng = new System.Random(22);
        foreach (var (along, activation, keep) in EveryEpilogue())
        foreach (int m in new[] { 1, 7, 17 })
        foreach (int n in new[] { 1, 7, 17, 33 })
            Check(rng, m, n, 9, 1f, 0f, OperandLayout.Plain, OperandLayout.Plain, OperandLayout.Plain, along, activation, keep, route: GemmRoute.Unpacked);
    }

    [Theory]
    [InlineData(1025, 17, 255)]
    [InlineData(17, 1025, 33)]
    [InlineData(255, 255, 40)]
    public void Matches_the_reference_around_255_and_1025(int m, int n, int k)
    {
        var rng = new System.Random(23);
        foreach (var (along, activation, keep) in EveryEpilogue())
            Check(rng, m, n, k, 1f, 0f, OperandLayout.Plain, OperandLayout.Transposed, OperandLayout.Plain, along, activation, keep);
    }

    [Theory]
    [InlineData(OperandLayout.Plain)]
    [InlineData(OperandLayout.Transposed)] // the kernels run C^T = B^T A^T: the bias must change direction with it
    [InlineData(OperandLayout.Sliced)]
    [InlineData(OperandLayout.TransposedSliced)]
    public void Matches_the_reference_for_every_output_layout(OperandLayout cLayout)
    {
        var rng = new System.Random(24);
        foreach ((int m, int n, int k) in new[] { (7, 15, 17), (1, 33, 40), (45, 1, 60), (70, 90, 80), (130, 70, 150) })
        foreach (var route in new[] { GemmRoute.Packed, GemmRoute.Unpacked })
        foreach (var (aLayout, bLayout) in new[] { (OperandLayout.Plain, OperandLayout.Transposed), (OperandLayout.TransposedSliced, OperandLayout.Sliced) })
        foreach (var along in BiasDirections)
            Check(rng, m, n, k, 0.75f, 0.25f, aLayout, bLayout, cLayout, along, GemmActivation.Relu, keep: true, route: route);
    }

    [Theory]
    [InlineData(1f, 0f)]
    [InlineData(1f, 1f)]
    [InlineData(-1.5f, 0.5f)]
    public void Applies_the_bias_after_alpha_and_beta(float alpha, float beta)
    {
        var rng = new System.Random(25);
        foreach ((int m, int n, int k) in new[] { (5, 6, 7), (100, 70, 300) })
        foreach (var (along, activation, keep) in EveryEpilogue())
            Check(rng, m, n, k, alpha, beta, OperandLayout.Plain, OperandLayout.Plain, OperandLayout.Sliced, along, activation, keep);
    }

    [Fact]
    public void K_zero_gives_the_activation_of_beta_C_plus_bias()
    {
        // C = relu(2 * C + bias[j]) with bias [1, -10, 0.5].
        float[] c = [1, 2, 3, -4, 5, -6];
        GemmKernel.Sgemm(2, 3, 0, 1f, [], 0, 0, 0, [], 0, 0, 0, 2f, c, 0, 3, 1,
            GemmEpilogue.ColumnBias([9, 1, -10, 0.5f], 1, GemmActivation.Relu));
        Assert.Equal([3f, 0, 6.5f, 0, 0, 0], c);
    }

    [Fact]
    public void Computes_a_known_product_with_a_row_bias()
    {
        // [[1, 2], [3, 4]] x [[5, 6], [7, 8]] = [[19, 22], [43, 50]], plus bias [-20, 100] down the rows, then ReLU.
        float[] c = new float[4];
        GemmKernel.Sgemm(2, 2, 2, 1f, [1, 2, 3, 4], 0, 2, 1, [5, 6, 7, 8], 0, 2, 1, 0f, c, 0, 2, 1,
            GemmEpilogue.RowBias([-20, 100], 0, GemmActivation.Relu));
        Assert.Equal([0f, 2, 143, 150], c);
    }

    [Fact]
    public void Random_shapes_layouts_and_epilogues_match_the_reference()
    {
        var gen =
            from p in RandomProblem.Any
            from along in Gen.OneOfConst(BiasDirections)
            from activation in Gen.OneOfConst(Activations)
            from keep in Gen.Bool
            select (p, along, activation, keep);
        gen.Sample(t => Check(new System.Random(t.p.Seed), t.p.M, t.p.N, t.p.K, t.p.Alpha, t.p.Beta, t.p.ALayout, t.p.BLayout, t.p.CLayout,
            t.along, t.activation, t.keep, route: t.p.Route), iter: 300, threads: 1);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Fused_activation_equals_the_separate_ops_bit_for_bit(bool packed)
    {
        var route = packed ? GemmRoute.Packed : GemmRoute.Unpacked;
        // The bias-only product, then the engine's own ReLU (TensorPrimitives.Max) and Gelu op over it, must give
        // exactly what the fused epilogue gives; the kept pre-activation must be the bias-only product itself.
        var rng = new System.Random(26);
        foreach ((int m, int n, int k) in new[] { (6, 64, 20), (13, 37, 9), (70, 130, 50) })
        foreach (var along in new[] { GemmBias.PerColumn, GemmBias.PerRow })
        {
            var a = Operand.Create(rng, m, k, OperandLayout.Plain);
            var b = Operand.Create(rng, k, n, OperandLayout.Transposed);
            var biasOnly = Epilogue(rng, m, n, along, GemmActivation.None);
            float[] separate = Run(biasOnly);

            float[] relu = (float[])separate.Clone();
            TensorPrimitives.Max(relu, 0f, relu);
            Assert.Equal(relu, Run(biasOnly with { Activation = GemmActivation.Relu }));

            float[] gelu = Array.ConvertAll(separate, x => default(GeluOp).Apply(x));
            float[] pre = new float[m * n];
            Assert.Equal(gelu, Run(biasOnly with { Activation = GemmActivation.Gelu, PreActivation = pre }));
            Assert.Equal(separate, pre);

            float[] Run(GemmEpilogue epilogue)
            {
                float[] c = new float[m * n];
                GemmKernel.SgemmWith(GemmKernel.MicroKernel, route, m, n, k, 1f, a.Data, a.Offset, a.RowStride, a.ColStride,
                    b.Data, b.Offset, b.RowStride, b.ColStride, 0f, c, 0, n, 1, epilogue);
                return c;
            }
        }
    }

    [Fact]
    public void Relu_keeps_NaN_and_clears_negative_zero_as_the_ReLU_op()
    {
        // k = 0 and beta = 1 leave C as it was, so the epilogue sees these values; 37 columns run the Vector512,
        // Vector256 and scalar parts of a row.
        float[] values = new float[2 * 37];
        var rng = new System.Random(27);
        for (int i = 0; i < values.Length; i++)
            values[i] = (i % 5) switch { 0 => float.NaN, 1 => -0f, 2 => 0f, _ => (float)(rng.NextDouble() * 2 - 1) };
        float[] expected = (float[])values.Clone();
        TensorPrimitives.Max(expected, 0f, expected);
        float[] c = (float[])values.Clone();
        GemmKernel.Sgemm(2, 37, 0, 1f, [], 0, 0, 0, [], 0, 0, 0, 1f, c, 0, 37, 1, new GemmEpilogue { Activation = GemmActivation.Relu });
        Assert.Equal(expected.Select(BitConverter.SingleToInt32Bits), c.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void Rejects_a_bias_or_pre_activation_too_short_for_the_output()
    {
        float[] a = new float[6], b = new float[6], c = new float[9];
        void Run(GemmEpilogue epilogue) => GemmKernel.Sgemm(3, 3, 2, 1f, a, 0, 2, 1, b, 0, 3, 1, 0f, c, 0, 3, 1, epilogue);

        Assert.Equal("bias", Assert.Throws<ArgumentException>(() => Run(GemmEpilogue.ColumnBias(new float[3], 1))).ParamName);
        Assert.Equal("bias", Assert.Throws<ArgumentNullException>(() => Run(new GemmEpilogue { BiasAlong = GemmBias.PerRow })).ParamName);
        Assert.Throws<ArgumentException>(() => Run(new GemmEpilogue { Bias = new float[3] }));
        Assert.Equal("preActivation", Assert.Throws<ArgumentException>(() => Run(new GemmEpilogue { PreActivation = new float[8] })).ParamName);
    }
}
