using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Kernels.Parallel;
using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.Kernels;

[CollectionDefinition(nameof(GemmThreadingTests), DisableParallelization = true)]
public sealed class GemmThreadingCollection;

/// <summary>Tests that change <see cref="ParallelRuntime.NumThreads"/>, so they run alone.</summary>
[Collection(nameof(GemmThreadingTests))]
public class GemmThreadingTests
{
    [Theory]
    [InlineData(300, 260, 700)]
    [InlineData(13, 1000, 300)]
    [InlineData(1000, 40, 100)]
    [InlineData(101, 90, 80)] // unpacked path, split over row blocks
    public void Results_are_bitwise_identical_for_any_thread_count(int m, int n, int k)
    {
        var rng = new System.Random(8);
        var a = Operand.Create(rng, m, k, OperandLayout.Plain);
        var b = Operand.Create(rng, k, n, OperandLayout.Transposed);
        var c = Operand.Create(rng, m, n, OperandLayout.Plain);
        float[] Run(int threads) => Threads.With(threads, () =>
        {
            float[] result = (float[])c.Data.Clone();
            GemmKernel.Sgemm(m, n, k, 1f, a.Data, a.Offset, a.RowStride, a.ColStride,
                b.Data, b.Offset, b.RowStride, b.ColStride, 0.5f, result, c.Offset, c.RowStride, c.ColStride);
            return result;
        });
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(3));
    }

    [Theory]
    [InlineData(300, 260, 700)] // two k blocks: the epilogue runs after the second only
    [InlineData(13, 1000, 300)]
    [InlineData(101, 90, 80)] // unpacked path, split over row blocks
    public void Epilogue_results_are_bitwise_identical_for_any_thread_count(int m, int n, int k)
    {
        var rng = new System.Random(12);
        var a = Operand.Create(rng, m, k, OperandLayout.Plain);
        var b = Operand.Create(rng, k, n, OperandLayout.Transposed);
        var c = Operand.Create(rng, m, n, OperandLayout.Plain);
        foreach (var along in new[] { GemmBias.PerColumn, GemmBias.PerRow })
        foreach (var activation in new[] { GemmActivation.Relu, GemmActivation.Gelu })
        {
            var epilogue = GemmEpilogueTests.Epilogue(rng, m, n, along, activation, keepFor: c);
            (float[] C, float[] Pre) Run(int threads) => Threads.With(threads, () =>
            {
                float[] result = (float[])c.Data.Clone();
                var run = epilogue with { PreActivation = (float[])epilogue.PreActivation!.Clone() };
                GemmKernel.Sgemm(m, n, k, 1f, a.Data, a.Offset, a.RowStride, a.ColStride,
                    b.Data, b.Offset, b.RowStride, b.ColStride, 1f, result, c.Offset, c.RowStride, c.ColStride, run);
                return (result, run.PreActivation!);
            });
            var one = Run(1);
            var two = Run(2);
            Assert.Equal(one.C, two.C);
            Assert.Equal(one.Pre, two.Pre);
        }
    }

    [Fact]
    public void Batched_results_are_bitwise_identical_for_any_thread_count()
    {
        var rng = new System.Random(9);
        const int batch = 40, m = 20, n = 24, k = 30;
        var a = Operand.Create(rng, batch * m, k, OperandLayout.Plain);
        var b = Operand.Create(rng, k, n, OperandLayout.Plain);
        float[] Run(int threads) => Threads.With(threads, () =>
        {
            float[] c = new float[batch * m * n];
            GemmKernel.SgemmBatched(batch, m, n, k, 1f, a.Data, 0, m * k, k, 1, b.Data, 0, 0, n, 1, 0f, c, 0, m * n, n, 1);
            return c;
        });
        Assert.Equal(Run(1), Run(2));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Steady_state_calls_allocate_nothing(int threads)
    {
        var rng = new System.Random(11);
        int saved = ParallelRuntime.NumThreads;
        try
        {
            ParallelRuntime.NumThreads = threads;
            // One packed and one unpacked product; the first calls size the per-thread buffers.
            foreach (int n in new[] { 200, 100 })
            {
                var a = Operand.Create(rng, n, n, OperandLayout.Plain);
                var c = new float[n * n];
                void Multiply() => GemmKernel.Sgemm(n, n, n, 1f, a.Data, 0, n, 1, a.Data, 0, 1, n, 0f, c, 0, n, 1);
                for (int i = 0; i < 3; i++)
                    Multiply();
                // Measured on the calling thread: a pool worker sizes its own buffers the first time it
                // joins a loop, and which idle worker joins depends on timing (other tests may have grown
                // the pool), so process-wide counts would be flaky. For the same reason the thread that runs
                // an edge tile first can vary, so "steady state" is reached when a window of calls allocates
                // nothing; it must be reached within a bounded number of windows and stay there.
                int window = 0;
                long allocated;
                do
                {
                    long before = GC.GetAllocatedBytesForCurrentThread();
                    for (int i = 0; i < 5; i++)
                        Multiply();
                    allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                }
                while (allocated != 0 && ++window < 20);
                Assert.Equal(0, allocated);
                long steady = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < 20; i++)
                    Multiply();
                Assert.True(GC.GetAllocatedBytesForCurrentThread() - steady < 64 * 1024,
                    "steady-state GEMM calls kept allocating on the calling thread");
            }
        }
        finally
        {
            ParallelRuntime.NumThreads = saved;
        }
    }

    [Fact]
    public void For_runs_every_index_once_and_nested_loops_run_serially()
    {
        int saved = ParallelRuntime.NumThreads;
        try
        {
            ParallelRuntime.NumThreads = 2;
            var hits = new int[1000];
            var nestedWasSerial = true;
            ParallelRuntime.For(hits.Length, i =>
            {
                Interlocked.Increment(ref hits[i]);
                int thread = Environment.CurrentManagedThreadId;
                ParallelRuntime.For(3, _ => { if (Environment.CurrentManagedThreadId != thread) nestedWasSerial = false; });
            });
            Assert.All(hits, h => Assert.Equal(1, h));
            Assert.True(nestedWasSerial);
        }
        finally
        {
            ParallelRuntime.NumThreads = saved;
        }
    }

    [Fact]
    public void For_rethrows_the_exception_of_an_iteration_and_stays_usable()
    {
        int saved = ParallelRuntime.NumThreads;
        try
        {
            ParallelRuntime.NumThreads = 2;
            Assert.Throws<InvalidOperationException>(() =>
                ParallelRuntime.For(100, i => { if (i == 57) throw new InvalidOperationException("boom"); }));
            int sum = 0;
            ParallelRuntime.For(10, i => Interlocked.Add(ref sum, i));
            Assert.Equal(45, sum);
        }
        finally
        {
            ParallelRuntime.NumThreads = saved;
        }
    }

    [Fact]
    public void NumThreads_rejects_values_below_one()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ParallelRuntime.NumThreads = 0);
    }
}
