using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace ShapeSafe.Kernels.Parallel;

/// <summary>
/// The persistent threads behind <see cref="ParallelRuntime"/>: started on first need, kept for the
/// process's life, and woken per loop (no thread start per call). One loop runs at a time.
/// </summary>
/// <remarks>
/// Workers join a loop only while it is open, and the caller closes it once every iteration has been
/// handed out, then waits just for the workers that joined. A worker that wakes late (the cores are
/// shared with other processes) therefore never holds the caller up; it finds the loop closed and
/// goes back to waiting.
/// </remarks>
internal static unsafe class WorkerPool
{
    // An idle worker looks for work this long before blocking, so back-to-back loops (GEMM issues
    // several per call) rarely wait for an OS wake-up. Kept short because the cores may be shared.
    private static readonly long s_spinTicksBeforeBlocking = Stopwatch.Frequency / 2_000; // 500 us

    // s_loopState: the number of workers inside the current loop, plus Closed once the loop takes no more.
    private const int Closed = 1 << 30;

    private static int s_busy;
    private static int s_workerCount;
    private static readonly object s_growLock = new();
    private static readonly SemaphoreSlim s_wake = new(0);
    private static int s_sleepers;

    // The current loop. Written by the caller while the loop is closed, read by workers only after
    // they have joined it; the caller waits for joined workers before closing over it again.
    private static delegate*<void*, int, void> s_invoke;
    private static void* s_state;
    private static int s_count;
    private static int s_maxHelpers;
    private static int s_next;
    private static int s_loopState = Closed;
    private static ExceptionDispatchInfo? s_error;

    public static bool TryAcquire() => Interlocked.CompareExchange(ref s_busy, 1, 0) == 0;

    public static void Release() => Volatile.Write(ref s_busy, 0);

    /// <summary>Runs the loop with up to <paramref name="helpers"/> workers beside the calling thread.</summary>
    public static void Run(int count, int helpers, delegate*<void*, int, void> invoke, void* state)
    {
        EnsureWorkers(helpers);
        s_invoke = invoke;
        s_state = state;
        s_count = count;
        s_maxHelpers = helpers;
        s_next = 0;
        s_error = null;
        // Open the loop. A full fence, not just a release: a worker announces its sleep and then looks at
        // the loop state, while this thread opens the loop and then looks for sleepers; with both sides
        // fenced, at least one of them sees the other.
        Interlocked.Exchange(ref s_loopState, 0);
        int sleepers = Volatile.Read(ref s_sleepers);
        if (sleepers > 0)
            s_wake.Release(Math.Min(sleepers, helpers));

        RunIterations();

        int joined = Interlocked.Or(ref s_loopState, Closed);
        if (joined != 0)
            WaitForJoinedWorkers();
        s_state = null;
        s_error?.Throw();
    }

    private static void WaitForJoinedWorkers()
    {
        // Yielding soon matters when the cores are oversubscribed: the worker being waited for may
        // share this core, and spinning would only delay it.
        var spinner = new SpinWait();
        while (Volatile.Read(ref s_loopState) != Closed)
            spinner.SpinOnce(sleep1Threshold: -1);
    }

    private static void RunIterations()
    {
        int count = s_count;
        int i;
        while ((i = Interlocked.Increment(ref s_next) - 1) < count)
        {
            try
            {
                s_invoke(s_state, i);
            }
            catch (Exception ex)
            {
                // Keep the first failure; stop handing out further iterations.
                Interlocked.CompareExchange(ref s_error, ExceptionDispatchInfo.Capture(ex), null);
                Volatile.Write(ref s_next, count);
            }
        }
    }

    // True when there is an open loop with iterations left and room for one more worker.
    private static bool HasWork()
    {
        int state = Volatile.Read(ref s_loopState);
        return state < Closed && state < Volatile.Read(ref s_maxHelpers) && Volatile.Read(ref s_next) < Volatile.Read(ref s_count);
    }

    private static bool TryJoin()
    {
        while (true)
        {
            int state = Volatile.Read(ref s_loopState);
            if (state >= Closed || state >= Volatile.Read(ref s_maxHelpers))
                return false;
            if (Interlocked.CompareExchange(ref s_loopState, state + 1, state) == state)
                return true;
        }
    }

    private static void EnsureWorkers(int needed)
    {
        if (Volatile.Read(ref s_workerCount) >= needed)
            return;
        lock (s_growLock)
        {
            for (int w = s_workerCount; w < needed; w++)
            {
                var thread = new Thread(WorkerLoop)
                {
                    IsBackground = true,
                    Name = $"ShapeSafe worker {w + 1}",
                };
                // No ExecutionContext: a worker lives on, so it must not keep the gradient modes (or any AsyncLocal)
                // of whichever call happened to start it.
                thread.UnsafeStart();
            }
            if (needed > s_workerCount)
                Volatile.Write(ref s_workerCount, needed);
        }
    }

    private static void WorkerLoop()
    {
        ParallelRuntime.MarkWorkerThread();
        while (true)
        {
            WaitForWork();
            if (!TryJoin())
                continue;
            RunIterations();
            Interlocked.Decrement(ref s_loopState);
        }
    }

    private static void WaitForWork()
    {
        // Spin (yielding after a few rounds, like SpinWait does) for a while before blocking, so
        // back-to-back loops rarely need an OS wake-up, without starving a thread that shares the core.
        long start = Stopwatch.GetTimestamp();
        var spinner = new SpinWait();
        do
        {
            if (HasWork())
                return;
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        while (Stopwatch.GetTimestamp() - start < s_spinTicksBeforeBlocking);
        // Announce the sleep before the last look, so a loop opened in between either is seen here or
        // sees this sleeper and releases the semaphore. Surplus releases only cause a spurious look.
        Interlocked.Increment(ref s_sleepers);
        if (!HasWork())
            s_wake.Wait();
        Interlocked.Decrement(ref s_sleepers);
    }
}
