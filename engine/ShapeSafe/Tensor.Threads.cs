using ShapeSafe.Kernels.Parallel;

namespace ShapeSafe;

public partial class Tensor
{
    /// <summary>Sets how many threads intra-op kernels (GEMM, large element-wise ops) may use (<c>torch.set_num_threads</c>).</summary>
    public static void SetNumThreads(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "SetNumThreads: expects a positive number of threads");
        ParallelRuntime.NumThreads = threads;
    }

    /// <summary>
    /// How many threads intra-op kernels may use (default: the processor count; in a process of a distributed job,
    /// the processor count / the job's processes on this machine, from <c>ProcessGroup.Init</c>).
    /// </summary>
    public static int GetNumThreads() => ParallelRuntime.NumThreads;
}
