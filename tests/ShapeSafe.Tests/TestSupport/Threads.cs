namespace ShapeSafe.Tests.TestSupport;

/// <summary>Runs test code with the engine's intra-op thread count set, restoring the previous count afterwards.</summary>
internal static class Threads
{
    public static T With<T>(int threads, Func<T> body)
    {
        int before = Tensor.GetNumThreads();
        Tensor.SetNumThreads(threads);
        try
        {
            return body();
        }
        finally
        {
            Tensor.SetNumThreads(before);
        }
    }
}
