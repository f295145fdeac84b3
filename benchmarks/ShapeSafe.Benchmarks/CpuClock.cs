using System.Runtime.InteropServices;

namespace ShapeSafe.Benchmarks;

/// <summary>
/// CPU time from Linux's <c>clock_gettime</c>. On a shared machine a thread's or the process's CPU time measures the
/// work done, where wall time also counts the time spent waiting for a core.
/// </summary>
internal static class CpuClock
{
    const int ProcessCpuTime = 2;
    const int ThreadCpuTime = 3;

    /// <summary>CPU seconds the calling thread has used.</summary>
    public static double ThreadSeconds() => Seconds(ThreadCpuTime);

    /// <summary>CPU seconds every thread of the process has used together.</summary>
    public static double ProcessSeconds() => Seconds(ProcessCpuTime);

    static double Seconds(int clock)
    {
        if (clock_gettime(clock, out var t) != 0)
            throw new InvalidOperationException("clock_gettime failed");
        return t.Seconds + t.Nanoseconds * 1e-9;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    static extern int clock_gettime(int clock, out Timespec time);

    [StructLayout(LayoutKind.Sequential)]
    struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
