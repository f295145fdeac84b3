using CsCheck;
using ShapeSafe.Kernels.Gemm;

namespace ShapeSafe.Tests.Kernels;

public class GemmKernelTests
{
    private static readonly int[] EdgeSizes = [1, 2, 7, 15, 16, 17, 33];

    public static TheoryData<string> KernelNames()
    {
        var data = new TheoryData<string>();
        foreach (var kernel in GemmMicroKernels.Supported)
            data.Add(kernel.Name);
        return data;
    }

    private static GemmMicroKernel Kernel(string name) => GemmMicroKernels.Supported.Single(x => x.Name == name);

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void Every_kernel_matches_the_reference_on_edge_sizes_when_packed(string kernelName)
    {
        var kernel = Kernel(kernelName);
        var rng = new System.Random(1);
        foreach (int m in EdgeSizes)
        foreach (int n in EdgeSizes)
        foreach (int k in EdgeSizes)
        {
            var a = Operand.Create(rng, m, k, OperandLayout.Plain);
            var b = Operand.Create(rng, k, n, OperandLayout.Plain);
            var c = Operand.Create(rng, m, n, OperandLayout.Plain);
            GemmCheck.Matches(m, n, k, 1f, a, b, 0f, c, kernel, GemmRoute.Packed);
        }
    }

    [Theory]
    [MemberData(nameof(KernelNames))]
    public void Every_kernel_matches_the_reference_past_several_cache_blocks_when_packed(string kernelName)
    {
        var kernel = Kernel(kernelName);
        var rng = new System.Random(2);
        // Sizes straddle MR, NR, MC and KC multiples; k = 257 forces two k blocks with a beta pass.
        foreach ((int m, int n, int k) in new[] { (255, 257, 257), (257, 65, 33), (33, 255, 513) })
        {
            var a = Operand.Create(rng, m, k, OperandLayout.Plain);
            var b = Operand.Create(rng, k, n, OperandLayout.Plain);
            var c = Operand.Create(rng, m, n, OperandLayout.Plain);
            GemmCheck.Matches(m, n, k, 1.5f, a, b, -0.5f, c, kernel, GemmRoute.Packed);
        }
    }

    [Fact]
    public void Unpacked_route_matches_the_reference_on_edge_sizes()
    {
        var rng = new System.Random(10);
        foreach (int m in EdgeSizes)
        foreach (int n in EdgeSizes)
        foreach (int k in EdgeSizes)
        {
            GemmCheck.Matches(m, n, k, 1f, Operand.Create(rng, m, k, OperandLayout.Plain),
                Operand.Create(rng, k, n, OperandLayout.Plain), 0f, Operand.Create(rng, m, n, OperandLayout.Plain),
                route: GemmRoute.Unpacked);
        }
    }

    [Theory]
    [InlineData(1025, 17, 255)]
    [InlineData(17, 1025, 1025)]
    public void Matches_the_reference_around_1025(int m, int n, int k)
    {
        var rng = new System.Random(3);
        GemmCheck.Matches(m, n, k, 1f,
            Operand.Create(rng, m, k, OperandLayout.Plain), Operand.Create(rng, k, n, OperandLayout.Transposed),
            0f, Operand.Create(rng, m, n, OperandLayout.Plain));
    }

    [Theory]
    [InlineData(OperandLayout.Plain, OperandLayout.Plain)]
    [InlineData(OperandLayout.Plain, OperandLayout.Transposed)]
    [InlineData(OperandLayout.Transposed, OperandLayout.Plain)]
    [InlineData(OperandLayout.Transposed, OperandLayout.Transposed)]
    [InlineData(OperandLayout.Sliced, OperandLayout.TransposedSliced)]
    [InlineData(OperandLayout.TransposedSliced, OperandLayout.Sliced)]
    [InlineData(OperandLayout.BroadcastRows, OperandLayout.Plain)]
    [InlineData(OperandLayout.BroadcastColumns, OperandLayout.Transposed)]
    [InlineData(OperandLayout.Plain, OperandLayout.BroadcastRows)]
    [InlineData(OperandLayout.Transposed, OperandLayout.BroadcastColumns)]
    public void Matches_the_reference_for_every_operand_layout(OperandLayout aLayout, OperandLayout bLayout)
    {
        var rng = new System.Random(4);
        // Small, thin (single row or column) and larger problems with edge tiles, on both routes.
        foreach ((int m, int n, int k) in new[] { (7, 15, 17), (1, 33, 40), (45, 1, 60), (70, 90, 80), (257, 33, 255) })
        foreach (var cLayout in new[] { OperandLayout.Plain, OperandLayout.Transposed, OperandLayout.Sliced, OperandLayout.TransposedSliced })
        foreach (var route in new[] { GemmRoute.Auto, m * n * k < GemmKernel.SmallProductLimit ? GemmRoute.Packed : GemmRoute.Unpacked })
        {
            GemmCheck.Matches(m, n, k, 0.75f,
                Operand.Create(rng, m, k, aLayout), Operand.Create(rng, k, n, bLayout),
                0.25f, Operand.Create(rng, m, n, cLayout), route: route);
        }
    }

    [Theory]
    [InlineData(1f, 0f)]
    [InlineData(-2.5f, 0f)]
    [InlineData(1f, 1f)]
    [InlineData(0.5f, -3f)]
    public void Applies_alpha_and_beta(float alpha, float beta)
    {
        var rng = new System.Random(5);
        foreach ((int m, int n, int k) in new[] { (5, 6, 7), (100, 70, 300) })
        {
            GemmCheck.Matches(m, n, k, alpha, Operand.Create(rng, m, k, OperandLayout.Plain),
                Operand.Create(rng, k, n, OperandLayout.Plain), beta, Operand.Create(rng, m, n, OperandLayout.Sliced));
        }
    }

    [Theory]
    [InlineData(3, 4, 5)]
    [InlineData(64, 96, 300)]
    public void Beta_zero_overwrites_NaN_in_C_without_reading_it(int m, int n, int k)
    {
        var rng = new System.Random(6);
        var c = Operand.Create(rng, m, n, OperandLayout.Plain, fill: float.NaN);
        float[] result = GemmCheck.Matches(m, n, k, 1f, Operand.Create(rng, m, k, OperandLayout.Plain),
            Operand.Create(rng, k, n, OperandLayout.Plain), 0f, c);
        Assert.DoesNotContain(result, float.IsNaN);
    }

    [Fact]
    public void K_zero_scales_C_by_beta()
    {
        float[] c = [1, 2, 3, 4, 5, 6];
        GemmKernel.Sgemm(2, 3, 0, 1f, [], 0, 0, 0, [], 0, 0, 0, 2f, c, 0, 3, 1);
        Assert.Equal([2f, 4, 6, 8, 10, 12], c);
    }

    [Fact]
    public void K_zero_with_beta_zero_clears_NaN()
    {
        float[] c = [float.NaN, float.NaN, float.NaN, float.NaN];
        GemmKernel.Sgemm(2, 2, 0, 1f, [], 0, 0, 0, [], 0, 0, 0, 0f, c, 0, 2, 1);
        Assert.Equal([0f, 0, 0, 0], c);
    }

    [Fact]
    public void Alpha_zero_does_not_read_A_or_B()
    {
        float[] a = [float.NaN, float.NaN, float.NaN, float.NaN];
        float[] c = [1, 2, 3, 4];
        GemmKernel.Sgemm(2, 2, 2, 0f, a, 0, 2, 1, a, 0, 2, 1, 3f, c, 0, 2, 1);
        Assert.Equal([3f, 6, 9, 12], c);
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(5, 0)]
    public void Empty_output_leaves_C_untouched(int m, int n)
    {
        float[] c = [7, 8, 9];
        GemmKernel.Sgemm(m, n, 4, 1f, new float[20], 0, 4, 1, new float[20], 0, Math.Max(n, 1), 1, 0f, c, 0, Math.Max(n, 1), 1);
        Assert.Equal([7f, 8, 9], c);
    }

    [Fact]
    public void Computes_a_known_product()
    {
        // [[1, 2], [3, 4]] x [[5, 6], [7, 8]] = [[19, 22], [43, 50]], B read transposed from [[5, 7], [6, 8]].
        float[] c = new float[4];
        GemmKernel.Sgemm(2, 2, 2, 1f, [1, 2, 3, 4], 0, 2, 1, [5, 7, 6, 8], 0, 1, 2, 0f, c, 0, 2, 1);
        Assert.Equal([19f, 22, 43, 50], c);
    }

    [Fact]
    public void Rejects_operands_that_reach_past_their_array()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            GemmKernel.Sgemm(2, 2, 2, 1f, new float[3], 0, 2, 1, new float[4], 0, 2, 1, 0f, new float[4], 0, 2, 1));
        Assert.Equal("a", ex.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            GemmKernel.Sgemm(2, 2, 2, 1f, new float[4], 0, -2, 1, new float[4], 0, 2, 1, 0f, new float[4], 0, 2, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            GemmKernel.Sgemm(-1, 2, 2, 1f, new float[4], 0, 2, 1, new float[4], 0, 2, 1, 0f, new float[4], 0, 2, 1));
    }

    [Fact]
    public void Rejects_an_output_whose_elements_overlap()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            GemmKernel.Sgemm(2, 2, 2, 1f, new float[4], 0, 2, 1, new float[4], 0, 2, 1, 0f, new float[4], 0, 0, 1));
        Assert.Equal("c", ex.ParamName);
        Assert.Throws<ArgumentException>(() =>
            GemmKernel.Sgemm(3, 3, 2, 1f, new float[6], 0, 2, 1, new float[6], 0, 3, 1, 0f, new float[9], 0, 2, 1));
    }

    [Fact]
    public void Random_shapes_layouts_and_scalars_match_the_reference()
    {
        RandomProblem.Any.Sample(t =>
        {
            var rng = new System.Random(t.Seed);
            GemmCheck.Matches(t.M, t.N, t.K, t.Alpha, Operand.Create(rng, t.M, t.K, t.ALayout),
                Operand.Create(rng, t.K, t.N, t.BLayout), t.Beta, Operand.Create(rng, t.M, t.N, t.CLayout), route: t.Route);
        }, iter: 300, threads: 1);
    }
}
