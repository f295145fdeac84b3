using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.Kernels;

/// <summary>
/// The packed loop nest's row split for small products (<see cref="GemmPacked.UsesRowSplit"/>), on one thread and on
/// several, with A read in place where its rows are contiguous: the values of the reference, bitwise those of the general
/// loop nest with every A panel packed (<see cref="GemmRoute.PackedGeneral"/>), for every shape and layout that reaches it.
/// </summary>
[Collection(nameof(GemmThreadingTests))]
public class GemmRowSplitTests
{
    private static readonly int[] ThreadCounts = [1, 2, 3, 4];

    public static TheoryData<int, int, int, OperandLayout, OperandLayout, OperandLayout> Shapes() => new()
    {
        { 128, 128, 128, OperandLayout.Plain, OperandLayout.Plain, OperandLayout.Plain },          // square, as Tensor.Mm
        { 101, 77, 129, OperandLayout.Plain, OperandLayout.Plain, OperandLayout.Plain },           // odd: edge rows, narrow last panel
        { 97, 200, 61, OperandLayout.Plain, OperandLayout.Transposed, OperandLayout.Plain },       // B transposed (x · Wᵀ)
        { 90, 70, 50, OperandLayout.Transposed, OperandLayout.Plain, OperandLayout.Sliced },       // A transposed, C a slice
        { 70, 90, 66, OperandLayout.Sliced, OperandLayout.TransposedSliced, OperandLayout.Transposed }, // C transposed: runs as Cᵀ = Bᵀ Aᵀ
        { 1000, 20, 64, OperandLayout.Plain, OperandLayout.Plain, OperandLayout.Plain },           // tall
        { 30, 900, 40, OperandLayout.Plain, OperandLayout.Plain, OperandLayout.Plain },            // wide: 5 row panels
        { 200, 1, 300, OperandLayout.Plain, OperandLayout.Plain, OperandLayout.Plain },            // N x 1
        { 1, 300, 200, OperandLayout.Plain, OperandLayout.Plain, OperandLayout.Plain },            // 1 x N: one row panel, general nest
        { 60, 128, 700, OperandLayout.Plain, OperandLayout.Transposed, OperandLayout.Plain },      // two k blocks: beta 1 on the second
        { 64, 96, 256, OperandLayout.BroadcastRows, OperandLayout.BroadcastColumns, OperandLayout.Plain }, // stride-0 operands
        { 50, 120, 90, OperandLayout.Sliced, OperandLayout.Plain, OperandLayout.Plain },          // A in place with row stride > k; last panel 56 wide on the 64-wide kernel
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Matches_the_reference_and_the_general_nest_bitwise_on_every_thread_count(int m, int n, int k,
        OperandLayout aLayout, OperandLayout bLayout, OperandLayout cLayout)
    {
        var rng = new System.Random(m * 31 + n * 7 + k);
        var a = Operand.Create(rng, m, k, aLayout);
        var b = Operand.Create(rng, k, n, bLayout);
        var c = Operand.Create(rng, m, n, cLayout);
        float[] one = Threads.With(1, () => GemmCheck.Matches(m, n, k, 1.5f, a, b, -0.5f, c, route: GemmRoute.PackedGeneral));
        foreach (int threads in ThreadCounts)
        {
            float[] many = Threads.With(threads, () => GemmCheck.Matches(m, n, k, 1.5f, a, b, -0.5f, c, route: GemmRoute.Packed));
            Assert.Equal(one, many);
        }
    }

    [Theory]
    [InlineData(128, 128, 128)]
    [InlineData(60, 128, 700)]
    public void Epilogue_results_match_the_general_nest_bitwise(int m, int n, int k)
    {
        var rng = new System.Random(5);
        var a = Operand.Create(rng, m, k, OperandLayout.Plain);
        var b = Operand.Create(rng, k, n, OperandLayout.Plain);
        var c = Operand.Create(rng, m, n, OperandLayout.Plain);
        foreach (var along in new[] { GemmBias.PerColumn, GemmBias.PerRow })
        {
            var epilogue = GemmEpilogueTests.Epilogue(rng, m, n, along, GemmActivation.Gelu, keepFor: c);
            (float[] C, float[] Pre) Run(int threads, GemmRoute route) => Threads.With(threads, () =>
            {
                var run = epilogue with { PreActivation = (float[])epilogue.PreActivation!.Clone() };
                return (GemmCheck.Matches(m, n, k, 1f, a, b, 0f, c, route: route, epilogue: run), run.PreActivation!);
            });
            var one = Run(1, GemmRoute.PackedGeneral);
            foreach (int threads in ThreadCounts)
            {
                var many = Run(threads, GemmRoute.Packed);
                Assert.Equal(one.C, many.C);
                Assert.Equal(one.Pre, many.Pre);
            }
        }
    }

    [Fact]
    public void Consecutive_calls_of_one_shape_pack_each_calls_own_B()
    {
        // Each thread keeps its packed B between units of a call; a second call with other values in B must not
        // find the first call's copy.
        var rng = new System.Random(6);
        const int m = 96, n = 96, k = 96;
        var a = Operand.Create(rng, m, k, OperandLayout.Plain);
        var c = Operand.Create(rng, m, n, OperandLayout.Plain);
        Threads.With(2, () =>
        {
            for (int call = 0; call < 4; call++)
                GemmCheck.Matches(m, n, k, 1f, a, Operand.Create(rng, k, n, OperandLayout.Plain), 0f, c, route: GemmRoute.Packed);
            return 0;
        });
    }

    [Fact]
    public void BFloat16_products_match_one_thread_bitwise()
    {
        var rng = new System.Random(7);
        const int m = 101, n = 130, k = 90;
        ushort[] a = BFloat16Operand(rng, m * k), b = BFloat16Operand(rng, k * n);
        float[] Run(int threads) => Threads.With(threads, () =>
        {
            var c = new float[m * n];
            GemmBFloat16.Gemm(m, n, k, a, 0, k, 1, b, 0, 1, k, c, 0, n);
            return c;
        });
        Assert.True(GemmPacked.UsesRowSplit(m, n, k, GemmKernel.MicroKernel, 2));
        var one = Run(1);
        foreach (int threads in ThreadCounts[1..])
            Assert.Equal(one, Run(threads));
    }

    [Fact]
    public void Small_products_split_rows_and_large_ones_do_not()
    {
        var kernel = GemmKernel.MicroKernel;
        // The shapes above that must reach the row split, so their tests exercise it.
        Assert.True(GemmPacked.UsesRowSplit(128, 128, 128, kernel, 2));
        Assert.True(GemmPacked.UsesRowSplit(256, 256, 256, kernel, 2));
        Assert.True(GemmPacked.UsesRowSplit(101, 77, 129, kernel, 4));
        Assert.True(GemmPacked.UsesRowSplit(1000, 20, 64, kernel, 2));
        Assert.True(GemmPacked.UsesRowSplit(200, 1, 300, kernel, 2));
        Assert.True(GemmPacked.UsesRowSplit(60, 128, 700, kernel, 2));
        Assert.True(GemmPacked.UsesRowSplit(128, 128, 128, kernel, 1));
        Assert.True(GemmPacked.UsesRowSplit(256, 256, 256, kernel, 1));
        Assert.True(GemmPacked.UsesRowSplit(50, 120, 90, kernel, 1));
        // B blocks past one thread's L2 share and too few row panels keep the general nest.
        Assert.False(GemmPacked.UsesRowSplit(512, 512, 512, kernel, 1));
        Assert.False(GemmPacked.UsesRowSplit(512, 512, 512, kernel, 2));
        Assert.False(GemmPacked.UsesRowSplit(kernel.Mr, 128, 128, kernel, 1));
        Assert.False(GemmPacked.UsesRowSplit(1, 300, 200, kernel, 2));
        // Two row panels per thread at least: 3 panels do not split over two threads, 4 (the last one partial) do.
        Assert.False(GemmPacked.UsesRowSplit(3 * kernel.Mr, 128, 128, kernel, 2));
        Assert.True(GemmPacked.UsesRowSplit(3 * kernel.Mr + 1, 128, 128, kernel, 2));
    }

    private static ushort[] BFloat16Operand(System.Random rng, int count)
    {
        var data = new ushort[count];
        for (int i = 0; i < count; i++)
            data[i] = (ushort)(BitConverter.SingleToUInt32Bits((float)(rng.NextDouble() * 2 - 1)) >> 16);
        return data;
    }
}
