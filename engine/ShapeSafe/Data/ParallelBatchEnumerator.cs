using System.Collections.Concurrent;
using System.Collections;

namespace ShapeSafe.Data;

/// <summary>
/// One epoch of a <see cref="DataLoader"/> with workers, run as PyTorch's
/// <c>_MultiProcessingDataLoaderIter</c> runs one: the enumerating thread draws each batch's indices
/// and hands them out, keeping at most <c>prefetchFactor * numWorkers</c> batches outstanding, and
/// takes the built batches back in order.
/// </summary>
internal sealed class ParallelBatchEnumerator : IEnumerator<Tensor[]>
{
    readonly BatchSampler _sampler;
    readonly BatchWorkers _workers;
    readonly int _maxOutstanding;
    int _dispatched;
    int _delivered;
    bool _samplerDone;
    bool _finished;
    Tensor[]? _current;

    public ParallelBatchEnumerator(Dataset dataset, BatchSampler sampler, int numWorkers, int prefetchFactor)
    {
        _sampler = sampler;
        _maxOutstanding = (int)Math.Min((long)numWorkers * prefetchFactor, int.MaxValue);
        _workers = new BatchWorkers(dataset, numWorkers);
        // PyTorch primes the workers when the iterator is created (_reset), so the shuffle draws happen here.
        try
        {
            Dispatch();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    // An enumerator dropped without Dispose must not leave its threads waiting for work forever.
    ~ParallelBatchEnumerator() => _workers?.Stop(join: false);

    /// <summary>The worker threads (for tests that check they stop).</summary>
    internal IReadOnlyList<Thread> WorkerThreads => _workers.Threads;

    public Tensor[] Current => _current ?? throw new InvalidOperationException("DataLoader: Current is only valid after MoveNext returned true");

    object IEnumerator.Current => Current;

    public bool MoveNext()
    {
        if (_finished) return false;
        if (_delivered == _dispatched)
        {
            Finish();
            return false;
        }

        var built = _workers.Take(_delivered);
        int sequence = _delivered++;
        if (built.Error is { } error)
        {
            Finish();
            throw new InvalidOperationException(
                $"DataLoader: caught {error.GetType().Name} in a worker while building batch {sequence}: {error.Message}", error);
        }

        _current = built.Batch;
        try
        {
            Dispatch();
        }
        catch
        {
            Finish();
            throw;
        }
        return true;
    }

    public void Reset() => throw new NotSupportedException("DataLoader: enumerate the loader again to start a new epoch");

    public void Dispose()
    {
        Finish();
        GC.SuppressFinalize(this);
    }

    // Tops the outstanding batches up to the limit (PyTorch's _try_put_index), on the enumerating thread.
    void Dispatch()
    {
        while (!_samplerDone && _dispatched - _delivered < _maxOutstanding)
        {
            if (_sampler.Next() is { } indices)
                _workers.Post(_dispatched++, indices);
            else
                _samplerDone = true;
        }
    }

    void Finish()
    {
        _finished = true;
        _current = null;
        _workers.Stop(join: true);
    }
}

/// <summary>
/// Threads that build batches from posted indices. They refer only to this object, not to the
/// enumerator, so an abandoned enumerator can still be finalized and stop them.
/// </summary>
internal sealed class BatchWorkers
{
    readonly Dataset _dataset;
    readonly BlockingCollection<(int Sequence, long[] Indices)> _work = new();
    readonly Dictionary<int, BuiltBatch> _built = new();
    readonly object _gate = new();
    readonly CancellationTokenSource _stop = new();
    readonly Thread[] _threads;
    int _stopped;

    public BatchWorkers(Dataset dataset, int count)
    {
        _dataset = dataset;
        _threads = new Thread[count];
        for (int i = 0; i < count; i++)
        {
            _threads[i] = new Thread(Run) { IsBackground = true, Name = $"ShapeSafe DataLoader worker {i}" };
            _threads[i].UnsafeStart(); // the dataset code runs with default modes, as in a PyTorch worker process
        }
    }

    public IReadOnlyList<Thread> Threads => _threads;

    public void Post(int sequence, long[] indices) => _work.Add((sequence, indices));

    /// <summary>Waits for batch <paramref name="sequence"/> and removes it.</summary>
    public BuiltBatch Take(int sequence)
    {
        lock (_gate)
        {
            BuiltBatch built;
            while (!_built.Remove(sequence, out built))
                Monitor.Wait(_gate);
            return built;
        }
    }

    /// <summary>Cancels the workers; with <paramref name="join"/>, waits until each has exited.</summary>
    public void Stop(bool join)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        _stop.Cancel();
        if (!join) return;
        foreach (var thread in _threads) thread.Join();
        _work.Dispose();
        _stop.Dispose();
    }

    void Run()
    {
        var token = _stop.Token;
        try
        {
            foreach (var (sequence, indices) in _work.GetConsumingEnumerable(token))
            {
                if (token.IsCancellationRequested) return;
                BuiltBatch built;
                try
                {
                    built = new BuiltBatch(_dataset.GetBatch(indices), null);
                }
                catch (Exception e)
                {
                    built = new BuiltBatch(null, e);
                }

                lock (_gate)
                {
                    _built.Add(sequence, built);
                    Monitor.PulseAll(_gate);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stop was called: leave without building the batches still queued.
        }
    }
}

/// <summary>A batch a worker built, or the exception it raised building it.</summary>
internal readonly record struct BuiltBatch(Tensor[]? Batch, Exception? Error);
