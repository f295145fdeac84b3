namespace ShapeSafe.Distributed;

/// <summary>
/// The thread that runs <see cref="DistributedDataParallel{TModule}"/>'s bucket all-reduces while the backward goes
/// on (the role of PyTorch's NCCL stream or Gloo worker thread).
/// </summary>
/// <remarks>
/// Open MPI has no progress thread: a non-blocking collective moves forward only while its rank is inside an MPI
/// call, so an <c>MPI_Iallreduce</c> started by a gradient hook sits still through every long kernel of the
/// backward. This thread calls MPI's blocking all-reduce instead, on a communicator of its own (the
/// <see cref="ProcessGroup"/>'s collectives on <c>MPI_COMM_WORLD</c> never interleave with it), one bucket after
/// the other in the order they were queued, which is the same on every rank; that needs <c>MPI_THREAD_MULTIPLE</c>.
/// It sleeps while the queue is empty, and before each bucket it waits for the other ranks with a sleeping poll
/// (<see cref="PollBackoff"/>), so MPI's busy wait inside the all-reduce lasts only while data moves.
/// </remarks>
internal sealed unsafe class CommunicationThread : IDisposable
{
    readonly ProcessGroup _group;
    readonly nint _communicator;
    readonly Queue<PendingAllReduce> _queue = new();
    readonly Thread _thread;
    bool _stopping;

    public CommunicationThread(ProcessGroup group, nint communicator)
    {
        _group = group;
        _communicator = communicator;
        _thread = new Thread(Run) { IsBackground = true, Name = "ShapeSafe.Distributed communication" };
        _thread.Start();
    }

    /// <summary>Queues <paramref name="work"/>: a sum over all ranks, in place, of each of its pinned segments in turn.</summary>
    public void Enqueue(PendingAllReduce work)
    {
        lock (_queue)
        {
            if (_stopping) throw new ObjectDisposedException(nameof(ProcessGroup), "the process group's communication thread has stopped");
            _queue.Enqueue(work);
            Monitor.Pulse(_queue);
        }
    }

    void Run()
    {
        while (true)
        {
            PendingAllReduce work;
            lock (_queue)
            {
                while (_queue.Count == 0 && !_stopping) Monitor.Wait(_queue);
                if (_queue.Count == 0) return;
                work = _queue.Dequeue();
            }
            work.Run(_group, _communicator);
        }
    }

    /// <summary>Lets the queued all-reduces finish (up to <paramref name="patience"/>) and ends the thread.</summary>
    public void Stop(TimeSpan patience)
    {
        lock (_queue)
        {
            _stopping = true;
            Monitor.Pulse(_queue);
        }
        _thread.Join(patience);
    }

    public void Dispose() => Stop(TimeSpan.FromSeconds(10));
}

/// <summary>
/// One bucket's all-reduce: float segments (pinned until it completes) summed over all ranks in place, in order;
/// queued on the <see cref="CommunicationThread"/>, or run at once without one.
/// </summary>
internal sealed unsafe class PendingAllReduce
{
    readonly ManualResetEventSlim _done = new(false);
    readonly (nint Data, int Count)[] _segments;
    Exception? _error;

    public PendingAllReduce((nint Data, int Count)[] segments) => _segments = segments;

    /// <summary>Whether the all-reduce has finished (without waiting).</summary>
    public bool IsCompleted => _done.IsSet;

    public void Run(ProcessGroup group, nint communicator)
    {
        try
        {
            group.SumInPlace(_segments, communicator);
        }
        catch (Exception e)
        {
            _error = e;
        }
        _done.Set();
    }

    /// <summary>Waits for the all-reduce; throws its error, or a timeout naming <paramref name="collective"/>.</summary>
    public void Wait(string collective, int rank, TimeSpan timeout)
    {
        if (!_done.Wait(timeout))
            throw new CollectiveTimeoutException(collective, Array.Empty<int>(),
                $"{collective} timed out after {timeout.TotalSeconds:0.###} s on rank {rank} (another rank did not start the same all-reduce)");
        if (_error is { } error)
            throw new DistributedException($"{collective} failed on rank {rank}: {error.Message}");
    }
}
