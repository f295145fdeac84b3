using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ShapeSafe.Distributed;

/// <summary>
/// The pause between two <c>MPI_Test</c> calls of a thread that waits for other ranks: a short sleep that grows from
/// 16 µs to 256 µs, and 1 ms once the wait has lasted 50 ms (a peer that is that late is computing, or descheduled).
/// </summary>
/// <remarks>
/// Open MPI's blocking calls wait by polling its progress engine without pause (with <c>mpi_yield_when_idle</c> it
/// calls <c>sched_yield</c> between polls, which on Linux still gives the poller about a fair share of a core). On a
/// machine with one core per rank that poll runs on the core the backward needs, so each rank's compute ran at about
/// half speed while its communication thread waited for the peer. A sleeping waiter takes a few microseconds per
/// poll instead. The sleep is libc's <c>nanosleep</c>: <see cref="Thread.Sleep(int)"/> cannot sleep for less than a
/// millisecond, which would delay every handshake of the all-reduce by that much.
/// </remarks>
internal unsafe struct PollBackoff
{
    const long FirstPauseNanoseconds = 16_000;
    const long LongestShortPauseNanoseconds = 256_000;
    static readonly TimeSpan LongWait = TimeSpan.FromMilliseconds(50);

    static readonly delegate* unmanaged<Timespec*, Timespec*, int> s_nanosleep = LoadNanosleep();

    long _pause;
    long _started;

    /// <summary>Sleeps before the next poll, longer the longer the wait has lasted.</summary>
    public void Pause()
    {
        if (_started == 0)
        {
            _started = Stopwatch.GetTimestamp();
            _pause = FirstPauseNanoseconds;
        }
        if (s_nanosleep is null || Stopwatch.GetElapsedTime(_started) > LongWait)
        {
            Thread.Sleep(1);
            return;
        }
        var request = new Timespec { Seconds = 0, Nanoseconds = _pause };
        s_nanosleep(&request, null);
        _pause = Math.Min(_pause * 2, LongestShortPauseNanoseconds);
    }

    static delegate* unmanaged<Timespec*, Timespec*, int> LoadNanosleep() =>
        NativeLibrary.TryLoad("libc.so.6", out var libc) && NativeLibrary.TryGetExport(libc, "nanosleep", out var address)
            ? (delegate* unmanaged<Timespec*, Timespec*, int>)address
            : null;

    [StructLayout(LayoutKind.Sequential)]
    struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
