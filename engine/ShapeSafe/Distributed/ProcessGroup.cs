using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;

namespace ShapeSafe.Distributed;

/// <summary>
/// The processes of one training job (PyTorch's default process group, <c>torch.distributed</c>) and the collectives
/// between them, over the system's MPI library. Start the job with <c>mpirun -np N program</c>; the same program run
/// on its own is a world of one whose collectives are local no-ops, so nothing else has to change.
/// </summary>
/// <remarks>
/// <para>Collectives take contiguous Float32 or Int64 tensors of any size (calls larger than MPI's <c>int</c> count
/// are split into chunks) and work in place where PyTorch's do (<see cref="AllReduce"/>, <see cref="Broadcast"/>).
/// Every rank must call the same collectives in the same order.</para>
/// <para>Before moving data, each collective checks that every rank arrived with the same collective, dtype and
/// shape: rank 0 collects a small header from each rank and answers all of them. A mismatch throws the same
/// <see cref="ShapeException"/> or <see cref="DistributedException"/> on every rank instead of hanging or
/// corrupting memory; a rank that does not arrive within <see cref="Timeout"/> makes the collective throw a
/// <see cref="CollectiveTimeoutException"/> that names it. An exception nobody catches ends the whole job through
/// <c>MPI_Abort</c> with this rank's message, and <c>mpirun</c> ends the job when a rank dies.</para>
/// <para>A group is used from one thread at a time, like MPI's default thread level.</para>
/// </remarks>
public sealed unsafe class ProcessGroup : IDisposable
{
    const int HeaderLength = 12;
    const int MaxHeaderDims = 6;
    const int TagArrive = 7001;
    const int TagVerdict = 7002;

    static readonly object s_lock = new();
    static ProcessGroup? s_world;

    readonly MpiLibrary? _mpi;
    nint _backgroundCommunicator;
    bool _overlaps;
    CommunicationThread? _communication;
    long _sequence;
    bool _disposed;

    ProcessGroup(MpiLibrary? mpi, int rank, int worldSize, int localRank, TimeSpan timeout)
    {
        _mpi = mpi;
        Rank = rank;
        WorldSize = worldSize;
        LocalRank = localRank;
        Timeout = timeout;
    }

    /// <summary>This process's index in the job, 0 to <see cref="WorldSize"/> - 1.</summary>
    public int Rank { get; }

    /// <summary>How many processes the job has.</summary>
    public int WorldSize { get; }

    /// <summary>This process's index among the job's processes on the same machine.</summary>
    public int LocalRank { get; }

    /// <summary>Whether the job has more than this process's MPI world (false for a world of one without mpirun).</summary>
    public bool IsDistributed => _mpi is not null;

    /// <summary>
    /// Whether DDP's all-reduces run on a communication thread while the backward goes on: true when the MPI library
    /// grants <c>MPI_THREAD_MULTIPLE</c> (Open MPI 4 does); otherwise each bucket is all-reduced in the hook that
    /// fills it, before the backward continues.
    /// </summary>
    public bool OverlapsCommunication => _overlaps;

    /// <summary>
    /// How long a collective waits for the other ranks before it throws <see cref="CollectiveTimeoutException"/>
    /// (PyTorch's <c>timeout</c> of <c>init_process_group</c>). Default: 300 s, or <c>SHAPESAFE_DIST_TIMEOUT</c> seconds.
    /// </summary>
    public TimeSpan Timeout { get; set; }

    /// <summary>The most elements one MPI call moves; larger tensors go in chunks (MPI counts are <c>int</c>).</summary>
    internal static int MaxCountPerCall { get; set; } = ReadMaxCount();

    /// <summary>
    /// The job's process group, created on first call (<c>init_process_group</c>): under <c>mpirun</c> it initializes
    /// MPI and reads the rank, world size and local rank; otherwise it is a world of one and MPI is never loaded.
    /// Later calls return the same group.
    /// </summary>
    /// <param name="timeout">The collectives' <see cref="Timeout"/>; null keeps the default.</param>
    /// <exception cref="DistributedException">Started by mpirun but the MPI library cannot be loaded.</exception>
    public static ProcessGroup Init(TimeSpan? timeout = null)
    {
        lock (s_lock)
        {
            if (s_world is { _disposed: false } existing)
            {
                if (timeout is { } t) existing.Timeout = t;
                return existing;
            }
            var chosen = timeout ?? DefaultTimeout();
            if (!LaunchedByMpirun())
                return s_world = new ProcessGroup(null, 0, 1, 0, chosen);

            var mpi = MpiLibrary.Load();
            int initialized, finalized;
            MpiLibrary.Check(mpi.Finalized(&finalized), "MPI_Finalized");
            if (finalized != 0)
                throw new DistributedException("ProcessGroup.Init: the process group was disposed and MPI cannot be initialized twice in one process; keep one group for the whole job");
            MpiLibrary.Check(mpi.Initialized(&initialized), "MPI_Initialized");
            // MPI_THREAD_MULTIPLE lets the communication thread run DDP's all-reduces while this thread computes.
            int threadLevel;
            if (initialized == 0) MpiLibrary.YieldWhenIdleByDefault();
            if (initialized == 0) MpiLibrary.Check(mpi.InitThread(null, null, MpiLibrary.ThreadMultiple, &threadLevel), "MPI_Init_thread");
            else MpiLibrary.Check(mpi.QueryThread(&threadLevel), "MPI_Query_thread");
            int rank, size;
            MpiLibrary.Check(mpi.CommRank(mpi.CommWorld, &rank), "MPI_Comm_rank");
            MpiLibrary.Check(mpi.CommSize(mpi.CommWorld, &size), "MPI_Comm_size");
            // The background all-reduces get a communicator of their own, so they never interleave with the
            // collectives this thread calls on MPI_COMM_WORLD.
            nint background;
            MpiLibrary.Check(mpi.CommDup(mpi.CommWorld, &background), "MPI_Comm_dup");
            int localRank = int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_RANK"), out var l) ? l : 0;
            // The ranks on this machine share its cores: each computes on cores / local ranks threads unless the
            // program chose (Tensor.SetNumThreads), so two ranks on two cores do not run four busy threads.
            int localSize = int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"), out var s) && s > 0 ? s : 1;
            Kernels.Parallel.ParallelRuntime.ShareCoresByDefault(localSize);
            var group = new ProcessGroup(mpi, rank, size, localRank, chosen)
            {
                _backgroundCommunicator = background,
                _overlaps = threadLevel >= MpiLibrary.ThreadMultiple,
            };
            // An exception nobody catches on one rank would leave the others waiting in a collective: end the job.
            AppDomain.CurrentDomain.UnhandledException += (_, e) =>
                group.Abort($"unhandled exception: {e.ExceptionObject}");
            AppDomain.CurrentDomain.ProcessExit += (_, _) => group.Dispose();
            return s_world = group;
        }
    }

    static bool LaunchedByMpirun() =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is not null
        || Environment.GetEnvironmentVariable("PMIX_RANK") is not null;

    static TimeSpan DefaultTimeout() =>
        double.TryParse(Environment.GetEnvironmentVariable("SHAPESAFE_DIST_TIMEOUT"), System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out var s) && s > 0
            ? TimeSpan.FromSeconds(s)
            : TimeSpan.FromSeconds(300);

    static int ReadMaxCount() =>
        int.TryParse(Environment.GetEnvironmentVariable("SHAPESAFE_MPI_MAX_COUNT"), out var n) && n > 0 ? n : int.MaxValue;

    /// <summary>
    /// Combines <paramref name="tensor"/> element-wise over all ranks with <paramref name="op"/> and leaves the result
    /// in <paramref name="tensor"/> on every rank (<c>dist.all_reduce</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not contiguous, or <see cref="ReduceOp.Average"/> on Int64.</exception>
    /// <exception cref="ShapeException">The ranks' shapes differ.</exception>
    public void AllReduce(Tensor tensor, ReduceOp op = ReduceOp.Sum)
    {
        CheckTensor(tensor, "AllReduce");
        if (op == ReduceOp.Average && tensor.DType != DType.Float32)
            throw new ArgumentException($"AllReduce: ReduceOp.Average needs a Float32 tensor, got {tensor.DType}; sum Int64 tensors and divide", nameof(tensor));
        Arrive("AllReduce", 1, tensor, (long)op);
        if (_mpi is null || tensor.NumEl == 0) return;
        using var pin = new Pin(tensor);
        long n = tensor.NumEl;
        AllReduceInPlace(pin.Pointer, n, ElementSize(tensor), MpiType(tensor), MpiOp(op), _mpi.CommWorld);
        if (op == ReduceOp.Average)
        {
            var span = new Span<float>(pin.Pointer, checked((int)n));
            TensorPrimitives.Divide(span, WorldSize, span);
        }
    }

    /// <summary>Copies <paramref name="tensor"/> of rank <paramref name="root"/> into <paramref name="tensor"/> of every rank (<c>dist.broadcast</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="root"/> is not a rank.</exception>
    /// <exception cref="ShapeException">The ranks' shapes differ.</exception>
    public void Broadcast(Tensor tensor, int root = 0)
    {
        CheckTensor(tensor, "Broadcast");
        if ((uint)root >= (uint)WorldSize)
            throw new ArgumentOutOfRangeException(nameof(root), root, $"Broadcast: root must be a rank, 0 to {WorldSize - 1}");
        Arrive("Broadcast", 2, tensor, root);
        if (_mpi is null || tensor.NumEl == 0) return;
        using var pin = new Pin(tensor);
        int size = ElementSize(tensor);
        long n = tensor.NumEl;
        for (long start = 0; start < n; start += MaxCountPerCall)
        {
            int count = (int)Math.Min(MaxCountPerCall, n - start);
            MpiLibrary.Check(_mpi.Bcast(pin.Pointer + start * size, count, MpiType(tensor), root, _mpi.CommWorld), "MPI_Bcast");
        }
    }

    /// <summary>
    /// Every rank's <paramref name="tensor"/>, stacked in rank order: a new tensor of shape
    /// <c>[WorldSize, ...tensor.Shape]</c> on every rank (<c>dist.all_gather_into_tensor</c> with a leading dim;
    /// <c>Flatten(0, 1)</c> gives PyTorch's concatenation along dim 0).
    /// </summary>
    /// <exception cref="ShapeException">The ranks' shapes differ.</exception>
    public Tensor AllGather(Tensor tensor)
    {
        CheckTensor(tensor, "AllGather");
        Arrive("AllGather", 3, tensor, 0);
        var result = Tensor.Zeros(new[] { WorldSize }.Concat(tensor.Sizes).ToArray(), tensor.DType);
        if (_mpi is null)
        {
            CopyContiguous(tensor, result);
            return result;
        }
        long n = tensor.NumEl;
        if (n == 0) return result;
        using var send = new Pin(tensor);
        using var receive = new Pin(result);
        int size = ElementSize(tensor);
        if (n <= MaxCountPerCall)
        {
            MpiLibrary.Check(_mpi.Allgather(send.Pointer, (int)n, MpiType(tensor), receive.Pointer, (int)n, MpiType(tensor), _mpi.CommWorld), "MPI_Allgather");
            return result;
        }
        // Chunk c of every rank's block lands in a staging buffer, then in each block's place.
        int chunk = MaxCountPerCall / WorldSize > 0 ? MaxCountPerCall / WorldSize : 1;
        var staging = GC.AllocateUninitializedArray<byte>(checked(chunk * WorldSize * size), pinned: true);
        fixed (byte* stage = staging)
        {
            for (long start = 0; start < n; start += chunk)
            {
                int count = (int)Math.Min(chunk, n - start);
                MpiLibrary.Check(_mpi.Allgather(send.Pointer + start * size, count, MpiType(tensor), stage, count, MpiType(tensor), _mpi.CommWorld), "MPI_Allgather");
                for (int r = 0; r < WorldSize; r++)
                    Buffer.MemoryCopy(stage + (long)r * count * size, receive.Pointer + (r * n + start) * size, (long)count * size, (long)count * size);
            }
        }
        return result;
    }

    /// <summary>
    /// Reduces <paramref name="tensor"/> over all ranks with <paramref name="op"/> and gives each rank its block:
    /// dim 0 is cut into <see cref="WorldSize"/> equal blocks and rank r gets the reduced block r, a new tensor of shape
    /// <c>[Shape[0] / WorldSize, ...]</c> (<c>dist.reduce_scatter_tensor</c>).
    /// </summary>
    /// <exception cref="ShapeException">The ranks' shapes differ, or dim 0 is not a multiple of the world size.</exception>
    public Tensor ReduceScatter(Tensor tensor, ReduceOp op = ReduceOp.Sum)
    {
        CheckTensor(tensor, "ReduceScatter");
        if (op == ReduceOp.Average && tensor.DType != DType.Float32)
            throw new ArgumentException($"ReduceScatter: ReduceOp.Average needs a Float32 tensor, got {tensor.DType}", nameof(tensor));
        if (tensor.Rank == 0 || tensor.Sizes[0] % WorldSize != 0)
            throw new ShapeException("ReduceScatter", $"input of shape {Rules.Format(tensor.Sizes)} cannot be cut along dim 0 into {WorldSize} equal blocks, one per rank");
        Arrive("ReduceScatter", 4, tensor, (long)op);
        var shape = tensor.Sizes.ToArray();
        shape[0] /= WorldSize;
        var result = Tensor.Zeros(shape, tensor.DType);
        if (_mpi is null)
        {
            CopyContiguous(tensor, result);
            return result;
        }
        long n = result.NumEl;
        if (n == 0) return result;
        using var send = new Pin(tensor);
        using var receive = new Pin(result);
        int size = ElementSize(tensor);
        if (n <= MaxCountPerCall)
        {
            MpiLibrary.Check(_mpi.ReduceScatterBlock(send.Pointer, receive.Pointer, (int)n, MpiType(tensor), MpiOp(op), _mpi.CommWorld), "MPI_Reduce_scatter_block");
        }
        else
        {
            int chunk = MaxCountPerCall;
            var staging = GC.AllocateUninitializedArray<byte>(checked(chunk * WorldSize * size), pinned: true);
            fixed (byte* stage = staging)
            {
                for (long start = 0; start < n; start += chunk)
                {
                    int count = (int)Math.Min(chunk, n - start);
                    for (int r = 0; r < WorldSize; r++)
                        Buffer.MemoryCopy(send.Pointer + (r * n + start) * size, stage + (long)r * count * size, (long)count * size, (long)count * size);
                    MpiLibrary.Check(_mpi.ReduceScatterBlock(stage, receive.Pointer + start * size, count, MpiType(tensor), MpiOp(op), _mpi.CommWorld), "MPI_Reduce_scatter_block");
                }
            }
        }
        if (op == ReduceOp.Average)
        {
            var span = new Span<float>(receive.Pointer, checked((int)n));
            TensorPrimitives.Divide(span, WorldSize, span);
        }
        return result;
    }

    /// <summary>Returns once every rank has called it (<c>dist.barrier</c>).</summary>
    public void Barrier() => Arrive("Barrier", 5, null, 0);

    /// <summary>
    /// Ends the whole job now (<c>MPI_Abort</c>) after writing <paramref name="reason"/>, with this rank, to standard
    /// error. In a world of one it ends this process.
    /// </summary>
    public void Abort(string reason, int errorCode = 1)
    {
        Console.Error.WriteLine($"ShapeSafe.Distributed: rank {Rank} of {WorldSize} ends the job: {reason}");
        Console.Error.Flush();
        Console.Out.Flush();
        if (_mpi is not null && !_disposed) _mpi.Abort(_mpi.CommWorld, errorCode);
        Environment.Exit(errorCode);
    }

    /// <summary>Shuts MPI down (<c>MPI_Finalize</c>); also done when the process exits. Every rank must call it.</summary>
    public void Dispose()
    {
        lock (s_lock)
        {
            if (_disposed) return;
            _disposed = true;
            if (ReferenceEquals(s_world, this)) s_world = null;
            if (_mpi is null) return;
            _communication?.Stop(TimeSpan.FromSeconds(10));
            int finalized;
            _mpi.Finalized(&finalized);
            if (finalized == 0) _mpi.Finalize();
        }
    }

    // ----- the arrival check -----

    /// <summary>
    /// Every rank sends rank 0 a header (call number, collective, dtype, argument, shape); rank 0 waits for all of them,
    /// up to <see cref="Timeout"/>, and sends every rank the whole table, which each rank checks alike.
    /// </summary>
    void Arrive(string collective, int opcode, Tensor? tensor, long argument)
    {
        if (_disposed) throw new ObjectDisposedException(nameof(ProcessGroup), $"{collective}: the process group was disposed (MPI is finalized)");
        if (_mpi is null) return;
        long sequence = ++_sequence;
        var header = new long[HeaderLength];
        header[0] = sequence;
        header[1] = opcode;
        header[2] = tensor is null ? -1 : (long)tensor.DType;
        header[3] = argument;
        header[4] = tensor?.Rank ?? 0;
        if (tensor is not null)
        {
            for (int d = 0; d < Math.Min(tensor.Rank, MaxHeaderDims); d++) header[5 + d] = tensor.Sizes[d];
            header[HeaderLength - 1] = tensor.NumEl;
        }
        var table = new long[HeaderLength * WorldSize];
        fixed (long* h = header)
        fixed (long* all = table)
        {
            if (Rank == 0)
            {
                header.CopyTo(table, 0);
                int peers = WorldSize - 1;
                var requests = stackalloc nint[Math.Max(peers, 1)];
                for (int r = 1; r < WorldSize; r++)
                    MpiLibrary.Check(_mpi.Irecv(all + r * HeaderLength, HeaderLength, _mpi.Int64, r, TagArrive, _mpi.CommWorld, &requests[r - 1]), "MPI_Irecv");
                var done = new bool[peers];
                if (!Poll(requests, done, Timeout))
                {
                    var missing = Enumerable.Range(1, peers).Where(r => !done[r - 1]).ToArray();
                    throw new CollectiveTimeoutException(collective, missing,
                        $"{collective} (collective call #{sequence}) timed out after {Timeout.TotalSeconds:0.###} s on rank 0: " +
                        $"rank{(missing.Length > 1 ? "s" : "")} {string.Join(", ", missing)} of {WorldSize} did not arrive");
                }
                for (int r = 1; r < WorldSize; r++)
                    MpiLibrary.Check(_mpi.Isend(all, table.Length, _mpi.Int64, r, TagVerdict, _mpi.CommWorld, &requests[r - 1]), "MPI_Isend");
                Array.Clear(done);
                if (!Poll(requests, done, Timeout))
                    throw new CollectiveTimeoutException(collective, Array.Empty<int>(), $"{collective} (collective call #{sequence}) timed out on rank 0 sending the arrival table");
            }
            else
            {
                var requests = stackalloc nint[2];
                MpiLibrary.Check(_mpi.Isend(h, HeaderLength, _mpi.Int64, 0, TagArrive, _mpi.CommWorld, &requests[0]), "MPI_Isend");
                MpiLibrary.Check(_mpi.Irecv(all, table.Length, _mpi.Int64, 0, TagVerdict, _mpi.CommWorld, &requests[1]), "MPI_Irecv");
                var done = new bool[2];
                // Rank 0 names the missing ranks; wait longer than it does so its report comes first.
                var patience = Timeout + TimeSpan.FromTicks(Timeout.Ticks / 2) + TimeSpan.FromSeconds(2);
                if (!Poll(requests, done, patience))
                    throw new CollectiveTimeoutException(collective, done[0] ? Array.Empty<int>() : new[] { 0 },
                        $"{collective} (collective call #{sequence}) timed out after {patience.TotalSeconds:0.###} s on rank {Rank}: " +
                        "rank 0, which checks that every rank arrived, did not answer (rank 0 or another rank did not arrive)");
            }
        }
        Compare(collective, table);
    }

    void Compare(string collective, long[] table)
    {
        static string Name(long opcode) => opcode switch
        {
            1 => "AllReduce", 2 => "Broadcast", 3 => "AllGather", 4 => "ReduceScatter", 5 => "Barrier", _ => $"collective {opcode}",
        };
        var first = table.AsSpan(0, HeaderLength);
        for (int r = 1; r < WorldSize; r++)
        {
            var other = table.AsSpan(r * HeaderLength, HeaderLength);
            if (other[0] != first[0] || other[1] != first[1])
                throw new DistributedException($"{collective}: the ranks called different collectives: rank 0 called {Name(first[1])} (call #{first[0]}), rank {r} called {Name(other[1])} (call #{other[0]}); every rank must call the same collectives in the same order");
            if (other[2] != first[2])
                throw new DistributedException($"{collective}: the tensors' dtypes differ across ranks: rank 0 has {(DType)first[2]}, rank {r} has {(DType)other[2]}");
            if (other[3] != first[3])
            {
                bool isRoot = first[1] == 2;
                string what = isRoot ? "root" : "reduce op";
                string Show(long v) => isRoot ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : ((ReduceOp)v).ToString();
                throw new DistributedException($"{collective}: the ranks passed different {what}s: rank 0 {Show(first[3])}, rank {r} {Show(other[3])}");
            }
            if (!other[4..].SequenceEqual(first[4..]))
            {
                var shapes = new StringBuilder();
                for (int q = 0; q < WorldSize; q++)
                    shapes.Append(q == 0 ? "" : ", ").Append("rank ").Append(q).Append(' ').Append(FormatShape(table.AsSpan(q * HeaderLength, HeaderLength)));
                throw new ShapeException(collective, $"the tensors' shapes differ across ranks ({shapes}); every rank must pass a tensor of the same shape");
            }
        }
    }

    static string FormatShape(ReadOnlySpan<long> header)
    {
        int rank = (int)header[4];
        if (rank > MaxHeaderDims) return $"[{rank} dims, {header[HeaderLength - 1]} elements]";
        var dims = new string[rank];
        for (int d = 0; d < rank; d++) dims[d] = header[5 + d].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return "[" + string.Join(", ", dims) + "]";
    }

    // ----- waiting -----
    // The data phases call MPI's blocking collectives: every rank has arrived (the check above), and Open MPI's
    // tuned blocking algorithms are much faster than its non-blocking ones. A rank that dies in the middle is
    // mpirun's to handle: it ends the job.

    /// <summary>Drives the requests until all complete (true) or <paramref name="limit"/> passes (false).</summary>
    bool Poll(nint* requests, bool[] done, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        var backoff = new PollBackoff();
        while (true)
        {
            bool all = true;
            for (int i = 0; i < done.Length; i++)
            {
                if (done[i]) continue;
                int flag;
                MpiLibrary.Check(_mpi!.Test(&requests[i], &flag, null), "MPI_Test");
                done[i] = flag != 0;
                all &= done[i];
            }
            if (all) return true;
            if (clock.Elapsed > limit) return false;
            // Sleep between polls: a yielding spin here took the core a computing peer on this machine needed.
            backoff.Pause();
        }
    }

    /// <summary>
    /// Returns once every rank has reached the same point on <paramref name="communicator"/> (an <c>MPI_Ibarrier</c>
    /// polled with sleeps in between): the communication thread calls it before each blocking all-reduce, so the
    /// all-reduce starts with every rank present and MPI's own busy wait lasts only as long as the data moves.
    /// </summary>
    void WaitForPeers(nint communicator)
    {
        nint request;
        MpiLibrary.Check(_mpi!.Ibarrier(communicator, &request), "MPI_Ibarrier");
        var backoff = new PollBackoff();
        while (true)
        {
            int flag;
            MpiLibrary.Check(_mpi.Test(&request, &flag, null), "MPI_Test");
            if (flag != 0) return;
            backoff.Pause();
        }
    }

    // ----- DistributedDataParallel's bucket all-reduces -----

    /// <summary>MPI's blocking all-reduce of <paramref name="n"/> elements at <paramref name="data"/>, in place, in chunks of <see cref="MaxCountPerCall"/>.</summary>
    void AllReduceInPlace(byte* data, long n, int size, nint type, nint op, nint communicator)
    {
        for (long start = 0; start < n; start += MaxCountPerCall)
        {
            int count = (int)Math.Min(MaxCountPerCall, n - start);
            MpiLibrary.Check(_mpi!.Allreduce((void*)MpiLibrary.InPlace, data + start * size, count, type, op, communicator), "MPI_Allreduce");
        }
    }

    /// <summary>Sums <paramref name="count"/> floats at <paramref name="data"/> over all ranks in place, on <paramref name="communicator"/>.</summary>
    internal void SumInPlace(float* data, int count, nint communicator) =>
        AllReduceInPlace((byte*)data, count, sizeof(float), _mpi!.Float, _mpi.OpSum, communicator);

    /// <summary>
    /// Sums each of <paramref name="segments"/> over all ranks in place on <paramref name="communicator"/>, after
    /// waiting without spinning until every rank has started the same bucket.
    /// </summary>
    internal void SumInPlace((nint Data, int Count)[] segments, nint communicator)
    {
        WaitForPeers(communicator);
        foreach (var (data, count) in segments) SumInPlace((float*)data, count, communicator);
    }

    /// <summary>
    /// Starts summing each of <paramref name="segments"/> (floats in pinned memory that stays alive until the returned
    /// operation completes) over all ranks, in place: on the communication thread when
    /// <see cref="OverlapsCommunication"/>, otherwise right here. No arrival check: the caller guarantees that every
    /// rank starts the same operations in the same order.
    /// </summary>
    internal PendingAllReduce StartAllReduce((nint Data, int Count)[] segments)
    {
        if (_mpi is null) throw new InvalidOperationException("StartAllReduce needs MPI");
        if (_disposed) throw new ObjectDisposedException(nameof(ProcessGroup), "StartAllReduce: the process group was disposed (MPI is finalized)");
        var work = new PendingAllReduce(segments);
        if (_overlaps)
        {
            lock (s_lock) _communication ??= new CommunicationThread(this, _backgroundCommunicator);
            _communication.Enqueue(work);
        }
        else
        {
            work.Run(this, _backgroundCommunicator);
        }
        return work;
    }

    // ----- tensors -----

    static void CheckTensor(Tensor tensor, string collective)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!tensor.IsContiguous)
            throw new ArgumentException($"{collective}: the tensor (shape {Rules.Format(tensor.Sizes)}, strides {Rules.Format(tensor.StrideArray)}) must be contiguous; call Contiguous() first", nameof(tensor));
    }

    static void CopyContiguous(Tensor source, Tensor destination)
    {
        if (source.DType == DType.Float32)
            source.FloatData.AsSpan(source.Offset, source.Count).CopyTo(destination.FloatData.AsSpan(destination.Offset));
        else
            source.LongData.AsSpan(source.Offset, source.Count).CopyTo(destination.LongData.AsSpan(destination.Offset));
    }

    static int ElementSize(Tensor tensor) => tensor.DType == DType.Float32 ? sizeof(float) : sizeof(long);

    nint MpiType(Tensor tensor) => tensor.DType == DType.Float32 ? _mpi!.Float : _mpi!.Int64;

    nint MpiOp(ReduceOp op) => op switch
    {
        ReduceOp.Sum or ReduceOp.Average => _mpi!.OpSum,
        ReduceOp.Max => _mpi!.OpMax,
        ReduceOp.Min => _mpi!.OpMin,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "unknown ReduceOp"),
    };

    /// <summary>Pins a tensor's storage for the length of a collective and points at its first element.</summary>
    readonly struct Pin : IDisposable
    {
        readonly GCHandle _handle;
        public readonly byte* Pointer;

        public Pin(Tensor tensor)
        {
            object array = (object?)tensor.Storage.Floats ?? tensor.Storage.Longs!;
            _handle = GCHandle.Alloc(array, GCHandleType.Pinned);
            Pointer = (byte*)_handle.AddrOfPinnedObject() + (long)tensor.Offset * ElementSize(tensor);
        }

        public void Dispose() => _handle.Free();
    }
}
