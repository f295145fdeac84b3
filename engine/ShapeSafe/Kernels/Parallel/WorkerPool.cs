using System.Runtime.ExceptionServices;

namespace ShapeSafe.Kernels.Parallel;

/// <summary>
/// The persistent threads behind <see cref="ParallelRuntime"/>: started on first need, kept for the
/// process's life, and woken per loop (no thread start per call). One loop runs at a time.
/// </summary>
internal static unsafe class WorkerPool
{
    // Spinning before blocking keeps back-to-back loops (GEMM issues several per call) off the
    // kernel's wake-up path; kept short because the cores may be shared with other processes.
    private const int SpinIterationsBeforeBlocking = 2000;

    private static int s_busy;
    private static Worker[] s_workers = [];
    private static readonly object s_growLock = new();

    // The current loop. Written by the caller before waking workers, read by workers until they
    // report done; Run does not return before that, so these never change under a worker.
    private static delegate*<void*, int, void> s_invoke;
    private static void* s_state;
    private static int s_count;
    private static int s_next;
    private static int s_pendingWorkers;
    private static ExceptionDispatchInfo? s_error;
    private static readonly ManualResetEventSlim s_allDone = new(false, 0);

    public static bool TryAcquire() => Interlocked.CompareExchange(ref s_busy, 1, 0) == 0;

    public static void Release() => Volatile.Write(ref s_busy, 0);

    /// <summary>Runs the loop with <paramref name="helpers"/> workers beside the calling thread.</summary>
    public static void Run(int count, int helpers, delegate*<void*, int, void> invoke, void* state)
    {
        Worker[] workers = EnsureWorkers(helpers);
        s_invoke = invoke;
        s_state = state;
        s_count = count;
        s_next = 0;
        s_error = null;
        s_allDone.Reset();
        Volatile.Write(ref s_pendingWorkers, helpers);
        for (int w = 0; w < helpers; w++)
            workers[w].Wake();

        RunIterations();

        WaitForWorkers();
        s_state = null;
        s_error?.Throw();
    }

    private static void WaitForWorkers()
    {
        var spinner = new SpinWait();
        for (int i = 0; i < SpinIterationsBeforeBlocking; i++)
        {
            if (Volatile.Read(ref s_pendingWorkers) == 0)
                return;
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        // A worker of the previous loop may set the event late, so the event only says "look again".
        while (Volatile.Read(ref s_pendingWorkers) != 0)
        {
            s_allDone.Wait();
            s_allDone.Reset();
        }
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

    private static Worker[] EnsureWorkers(int needed)
    {
        Worker[] workers = Volatile.Read(ref s_workers);
        if (workers.Length >= needed)
            return workers;
        lock (s_growLock)
        {
            workers = s_workers;
            if (workers.Length < needed)
            {
                var grown = new Worker[needed];
                Array.Copy(workers, grown, workers.Length);
                for (int w = workers.Length; w < needed; w++)
                    grown[w] = new Worker(w);
                Volatile.Write(ref s_workers, grown);
                workers = grown;
            }
            return workers;
        }
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _wake = new(0);
        private int _wakeRequests;

        public Worker(int index)
        {
            var thread = new Thread(Loop)
            {
                IsBackground = true,
                Name = $"ShapeSafe worker {index + 1}",
            };
            thread.Start();
        }

        public void Wake()
        {
            // A spinning worker sees the counter; a blocked one also needs the semaphore.
            Interlocked.Increment(ref _wakeRequests);
            _wake.Release();
        }

        private void Loop()
        {
            ParallelRuntime.MarkWorkerThread();
            while (true)
            {
                WaitForWork();
                RunIterations();
                if (Interlocked.Decrement(ref s_pendingWorkers) == 0)
                    s_allDone.Set();
            }
        }

        private void WaitForWork()
        {
            var spinner = new SpinWait();
            for (int i = 0; i < SpinIterationsBeforeBlocking; i++)
            {
                if (Volatile.Read(ref _wakeRequests) > 0)
                    break;
                spinner.SpinOnce(sleep1Threshold: -1);
            }
            _wake.Wait();
            Interlocked.Decrement(ref _wakeRequests);
        }
    }
}
