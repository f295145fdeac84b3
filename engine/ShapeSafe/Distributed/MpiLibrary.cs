using System.Runtime.InteropServices;

namespace ShapeSafe.Distributed;

/// <summary>
/// The few MPI calls ShapeSafe needs, bound at run time to the system's Open MPI (<c>libmpi.so.40</c>) through
/// <see cref="NativeLibrary"/> and unmanaged function pointers: no compile-time dependency, nothing for the trimmer
/// or NativeAOT to see, and programs that never run under <c>mpirun</c> never load it.
/// </summary>
/// <remarks>
/// Open MPI's handles (<c>MPI_Comm</c>, <c>MPI_Datatype</c>, <c>MPI_Op</c>, <c>MPI_Request</c>) are pointers, and its
/// predefined handles are the addresses of exported globals (<c>MPI_COMM_WORLD</c> is <c>&amp;ompi_mpi_comm_world</c>),
/// so they are read with <see cref="NativeLibrary.GetExport"/>. <c>MPI_IN_PLACE</c> is <c>(void*)1</c> in Open MPI.
/// </remarks>
internal sealed unsafe class MpiLibrary
{
    static readonly string[] Candidates = { "libmpi.so.40", "libmpi.so", "libmpi.so.12" };

    readonly nint _handle;

    public readonly nint CommWorld;
    public readonly nint Float;
    public readonly nint Int64;
    public readonly nint Byte;
    public readonly nint OpSum;
    public readonly nint OpMax;
    public readonly nint OpMin;
    public static readonly nint InPlace = 1;

    /// <summary><c>MPI_THREAD_MULTIPLE</c>: any thread may call MPI at any time.</summary>
    public const int ThreadMultiple = 3;

    public readonly delegate* unmanaged<int*, nint*, int, int*, int> InitThread;
    public readonly delegate* unmanaged<int*, int> QueryThread;
    public readonly delegate* unmanaged<nint, nint*, int> CommDup;
    public readonly delegate* unmanaged<int*, int> Initialized;
    public readonly delegate* unmanaged<int*, int> Finalized;
    public readonly delegate* unmanaged<int> Finalize;
    public readonly delegate* unmanaged<nint, int*, int> CommRank;
    public readonly delegate* unmanaged<nint, int*, int> CommSize;
    public readonly delegate* unmanaged<nint, int, int> Abort;
    public readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> Allreduce;
    public readonly delegate* unmanaged<void*, int, nint, int, nint, int> Bcast;
    public readonly delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int> Allgather;
    public readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> ReduceScatterBlock;
    public readonly delegate* unmanaged<void*, int, nint, int, int, nint, nint*, int> Isend;
    public readonly delegate* unmanaged<void*, int, nint, int, int, nint, nint*, int> Irecv;
    public readonly delegate* unmanaged<nint*, int*, void*, int> Test;
    public readonly delegate* unmanaged<nint, nint*, int> Ibarrier;

    MpiLibrary(nint handle)
    {
        _handle = handle;
        CommWorld = Symbol("ompi_mpi_comm_world");
        Float = Symbol("ompi_mpi_float");
        Int64 = Symbol("ompi_mpi_int64_t");
        Byte = Symbol("ompi_mpi_byte");
        OpSum = Symbol("ompi_mpi_op_sum");
        OpMax = Symbol("ompi_mpi_op_max");
        OpMin = Symbol("ompi_mpi_op_min");
        InitThread = (delegate* unmanaged<int*, nint*, int, int*, int>)Symbol("MPI_Init_thread");
        QueryThread = (delegate* unmanaged<int*, int>)Symbol("MPI_Query_thread");
        CommDup = (delegate* unmanaged<nint, nint*, int>)Symbol("MPI_Comm_dup");
        Initialized = (delegate* unmanaged<int*, int>)Symbol("MPI_Initialized");
        Finalized = (delegate* unmanaged<int*, int>)Symbol("MPI_Finalized");
        Finalize = (delegate* unmanaged<int>)Symbol("MPI_Finalize");
        CommRank = (delegate* unmanaged<nint, int*, int>)Symbol("MPI_Comm_rank");
        CommSize = (delegate* unmanaged<nint, int*, int>)Symbol("MPI_Comm_size");
        Abort = (delegate* unmanaged<nint, int, int>)Symbol("MPI_Abort");
        Allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Symbol("MPI_Allreduce");
        Bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Symbol("MPI_Bcast");
        Allgather = (delegate* unmanaged<void*, int, nint, void*, int, nint, nint, int>)Symbol("MPI_Allgather");
        ReduceScatterBlock = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Symbol("MPI_Reduce_scatter_block");
        Isend = (delegate* unmanaged<void*, int, nint, int, int, nint, nint*, int>)Symbol("MPI_Isend");
        Irecv = (delegate* unmanaged<void*, int, nint, int, int, nint, nint*, int>)Symbol("MPI_Irecv");
        Test = (delegate* unmanaged<nint*, int*, void*, int>)Symbol("MPI_Test");
        Ibarrier = (delegate* unmanaged<nint, nint*, int>)Symbol("MPI_Ibarrier");
    }

    nint Symbol(string name) =>
        NativeLibrary.TryGetExport(_handle, name, out var address)
            ? address
            : throw new DistributedException($"the MPI library has no symbol {name}: ShapeSafe.Distributed needs Open MPI 4 or later (libmpi.so.40)");

    /// <summary>Loads Open MPI, or throws a <see cref="DistributedException"/> that says how to install it.</summary>
    public static MpiLibrary Load()
    {
        // SHAPESAFE_MPI_LIBRARY points at a specific libmpi (another install prefix).
        var explicitPath = Environment.GetEnvironmentVariable("SHAPESAFE_MPI_LIBRARY");
        var names = string.IsNullOrEmpty(explicitPath) ? Candidates : new[] { explicitPath };
        foreach (var name in names)
            if (NativeLibrary.TryLoad(name, out var handle))
                return new MpiLibrary(handle);
        throw new DistributedException(
            $"this process was started by mpirun but the MPI library could not be loaded (tried {string.Join(", ", names)}); " +
            "install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev) or set SHAPESAFE_MPI_LIBRARY to the path of libmpi.so");
    }

    /// <summary>
    /// Makes ranks that wait inside MPI yield the core (Open MPI's <c>mpi_yield_when_idle</c>) unless the user chose:
    /// a rank's communication thread shares its core with the backward, and a spinning wait takes the time the
    /// backward (and, on a shared machine, the peer it waits for) needs. Open MPI reads it at <c>MPI_Init</c> from the
    /// process's native environment, which <see cref="Environment.SetEnvironmentVariable(string, string)"/> does not
    /// reach on Unix, so it goes through libc's <c>setenv</c>.
    /// </summary>
    public static void YieldWhenIdleByDefault()
    {
        const string name = "OMPI_MCA_mpi_yield_when_idle";
        if (Environment.GetEnvironmentVariable(name) is not null) return;
        if (!NativeLibrary.TryLoad("libc.so.6", out var libc) || !NativeLibrary.TryGetExport(libc, "setenv", out var setenv)) return;
        var key = Marshal.StringToHGlobalAnsi(name);
        var value = Marshal.StringToHGlobalAnsi("1");
        try
        {
            ((delegate* unmanaged<nint, nint, int, int>)setenv)(key, value, 0);
        }
        finally
        {
            Marshal.FreeHGlobal(key);
            Marshal.FreeHGlobal(value);
        }
    }

    /// <summary>Throws when an MPI call returned an error code (the default handler aborts first, so this is a backstop).</summary>
    public static void Check(int code, string call)
    {
        if (code != 0) throw new DistributedException($"{call} failed with MPI error code {code}");
    }
}
