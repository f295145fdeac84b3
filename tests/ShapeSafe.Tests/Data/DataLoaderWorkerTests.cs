using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ShapeSafe.Data;

namespace ShapeSafe.Tests.Data;

/// <summary>DataLoader with worker threads: errors, early exit and the prefetch bound.</summary>
[Collection("DefaultGenerator")]
public class DataLoaderWorkerTests
{
    [Fact]
    public void A_worker_exception_surfaces_on_the_consumer_after_the_earlier_batches()
    {
        var dataset = new ProbeDataset(100) { FailAt = 50 };
        var loader = new DataLoader(dataset, batchSize: 10, numWorkers: 3, generator: new Generator(0));
        var delivered = new List<long>();

        var e = Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var batch in loader) delivered.AddRange(batch[0].ToInt64Array());
        });

        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), delivered);   // batches 0..4, in order
        var inner = Assert.IsType<FormatException>(e.InnerException);
        Assert.Equal("sample 50 is broken", inner.Message);
        Assert.Contains("batch 5", e.Message);
        Assert.All(dataset.Threads, t => Assert.False(t.IsAlive));
    }

    [Fact]
    public void Without_workers_the_original_exception_propagates()
    {
        var loader = new DataLoader(new ProbeDataset(20) { FailAt = 3 }, batchSize: 4, generator: new Generator(0));
        Assert.Throws<FormatException>(() => loader.ToList());
    }

    [Fact]
    public void Breaking_out_early_stops_and_joins_every_worker()
    {
        var dataset = new ProbeDataset(2000) { Delay = TimeSpan.FromMilliseconds(1) };
        var loader = new DataLoader(dataset, batchSize: 8, numWorkers: 3, generator: new Generator(0));

        int taken = 0;
        foreach (var _ in loader)
            if (++taken == 3) break;

        Assert.NotEmpty(dataset.Threads);
        Assert.All(dataset.Threads, t => Assert.False(t.IsAlive));
        int calls = dataset.BatchCalls;
        Thread.Sleep(50);
        Assert.Equal(calls, dataset.BatchCalls);   // nothing is built after the loop has left
        Assert.True(calls <= 3 + 3 * 2, $"built {calls} batches for 3 taken with 6 in flight");
    }

    [Fact]
    public void Disposing_the_enumerator_stops_all_worker_threads()
    {
        var loader = new DataLoader(new ProbeDataset(100), batchSize: 10, numWorkers: 4, generator: new Generator(0));
        var enumerator = (ParallelBatchEnumerator)loader.GetEnumerator();
        Assert.True(enumerator.MoveNext());
        var threads = enumerator.WorkerThreads;
        Assert.Equal(4, threads.Count);

        enumerator.Dispose();

        Assert.All(threads, t => Assert.Equal(ThreadState.Stopped, t.ThreadState & ThreadState.Stopped));
        Assert.False(enumerator.MoveNext());
    }

    [Fact]
    public void An_enumerator_dropped_without_Dispose_stops_its_workers_when_finalized()
    {
        var threads = StartAndAbandon(new DataLoader(new ProbeDataset(100), batchSize: 10, numWorkers: 2, generator: new Generator(0)));

        GC.Collect();
        GC.WaitForPendingFinalizers();

        Assert.All(threads, t => Assert.True(t.Join(TimeSpan.FromSeconds(5)), "a worker outlived its finalized enumerator"));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static Thread[] StartAndAbandon(DataLoader loader)
    {
        var enumerator = (ParallelBatchEnumerator)loader.GetEnumerator();
        Assert.True(enumerator.MoveNext());
        return enumerator.WorkerThreads.ToArray();
    }

    [Fact]
    public void A_finished_epoch_leaves_no_worker_running()
    {
        var loader = new DataLoader(new ProbeDataset(50), batchSize: 10, numWorkers: 2, generator: new Generator(0));
        var enumerator = (ParallelBatchEnumerator)loader.GetEnumerator();
        int batches = 0;
        while (enumerator.MoveNext()) batches++;

        Assert.Equal(5, batches);
        Assert.All(enumerator.WorkerThreads, t => Assert.False(t.IsAlive));
    }

    [Fact]
    public void Workers_build_at_most_prefetchFactor_times_numWorkers_batches_ahead()
    {
        var dataset = new ProbeDataset(1000);
        var loader = new DataLoader(dataset, batchSize: 10, numWorkers: 2, prefetchFactor: 3, generator: new Generator(0));
        using var enumerator = loader.GetEnumerator();
        Assert.True(enumerator.MoveNext());

        // One batch delivered, 2 * 3 outstanding: the workers build those and then wait.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (dataset.BatchCalls < 7 && DateTime.UtcNow < deadline) Thread.Sleep(5);
        Thread.Sleep(50);
        Assert.Equal(7, dataset.BatchCalls);

        Assert.True(enumerator.MoveNext());
        deadline = DateTime.UtcNow.AddSeconds(5);
        while (dataset.BatchCalls < 8 && DateTime.UtcNow < deadline) Thread.Sleep(5);
        Thread.Sleep(50);
        Assert.Equal(8, dataset.BatchCalls);
    }

    /// <summary>Sample i is [i] (Int64); records the threads that build batches and can fail or stall.</summary>
    sealed class ProbeDataset(int count) : Dataset
    {
        int _batchCalls;

        public int? FailAt { get; init; }

        public TimeSpan Delay { get; init; }

        public ConcurrentBag<Thread> Threads { get; } = new();

        public int BatchCalls => Volatile.Read(ref _batchCalls);

        public override int Count => count;

        public override Tensor[] this[int index] =>
            index == FailAt ? throw new FormatException($"sample {index} is broken") : new[] { Tensor.Scalar((long)index) };

        public override Tensor[] GetBatch(long[] indices)
        {
            Interlocked.Increment(ref _batchCalls);
            if (!Threads.Contains(Thread.CurrentThread)) Threads.Add(Thread.CurrentThread);
            if (Delay > TimeSpan.Zero) Thread.Sleep(Delay);
            return base.GetBatch(indices);
        }
    }
}
