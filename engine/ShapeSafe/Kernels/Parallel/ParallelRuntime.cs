using System.Runtime.CompilerServices;

namespace ShapeSafe.Kernels.Parallel;

/// <summary>
/// The engine's intra-op parallelism: a fork-join loop over a persistent pool of worker threads
/// (the counterpart of ATen's <c>at::parallel_for</c> and <c>torch.set_num_threads</c>).
/// </summary>
/// <remarks>
/// The calling thread takes part in every loop, so <see cref="NumThreads"/> = 2 wakes one worker.
/// Iterations are handed out dynamically, so kernels that need reproducible results must make each
/// iteration's output independent of which thread runs it (GEMM splits over output tiles).
/// A loop started from inside another loop, or while another thread owns the pool, runs serially
/// on its caller: this keeps nesting deadlock-free and never oversubscribes the cores.
/// </remarks>
internal static unsafe class ParallelRuntime
{
    private static int s_numThreads = Environment.ProcessorCount;
    private static bool s_chosen;

    // Set on pool workers for their whole life and on a caller while it runs a parallel loop.
    [ThreadStatic] private static bool t_insideParallelLoop;

    /// <summary>Threads a parallel loop may use, the caller included. Defaults to the processor count.</summary>
    public static int NumThreads
    {
        get => Volatile.Read(ref s_numThreads);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref s_chosen, true);
            Volatile.Write(ref s_numThreads, value);
        }
    }

    /// <summary>
    /// Makes the default <paramref name="processes"/> processes share the cores: each gets the processor count /
    /// <paramref name="processes"/> threads (at least one), unless <see cref="NumThreads"/> was set. Distributed
    /// training calls it with the number of its processes on this machine, as PyTorch's launcher sets one OpenMP
    /// thread per process: a rank whose loops woke as many threads as the machine has cores would share every core
    /// with the other ranks' compute.
    /// </summary>
    public static void ShareCoresByDefault(int processes)
    {
        if (processes <= 1 || Volatile.Read(ref s_chosen)) return;
        Volatile.Write(ref s_numThreads, Math.Max(1, Environment.ProcessorCount / processes));
    }

    /// <summary>True on a thread that is currently running iterations of a parallel loop.</summary>
    public static bool IsInsideParallelLoop => t_insideParallelLoop;

    /// <summary>Runs <paramref name="body"/> for every index in [0, <paramref name="count"/>).</summary>
    public static void For(int count, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var wrapper = new DelegateBody(body);
        For(count, ref wrapper);
    }

    /// <summary>
    /// Runs <c>body.Invoke(i)</c> for every i in [0, <paramref name="count"/>) without allocating.
    /// Every iteration has finished when this returns; the first exception thrown by an iteration is rethrown.
    /// </summary>
    public static void For<TBody>(int count, ref TBody body) where TBody : struct, IParallelBody
    {
        if (count <= 0)
            return;
        int threads = Math.Min(NumThreads, count);
        if (threads == 1 || t_insideParallelLoop || !WorkerPool.TryAcquire())
        {
            for (int i = 0; i < count; i++)
                body.Invoke(i);
            return;
        }

        // Workers read the body through a pointer to this frame's copy; the frame outlives the loop
        // because WorkerPool.Run returns only after every woken worker has finished with it.
        TBody local = body;
        try
        {
            t_insideParallelLoop = true;
            WorkerPool.Run(count, threads - 1, &InvokeBody<TBody>, Unsafe.AsPointer(ref local));
        }
        finally
        {
            t_insideParallelLoop = false;
            WorkerPool.Release();
        }
    }

    private static void InvokeBody<TBody>(void* state, int index) where TBody : struct, IParallelBody
        => Unsafe.AsRef<TBody>(state).Invoke(index);

    internal static void MarkWorkerThread() => t_insideParallelLoop = true;

    private readonly struct DelegateBody(Action<int> body) : IParallelBody
    {
        public void Invoke(int index) => body(index);
    }
}
