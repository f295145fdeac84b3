using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ShapeSafe.Kernels.Gemm;

/// <summary>
/// A packing buffer per thread, kept for the thread's life so steady-state GEMM calls allocate nothing.
/// Pinned (so workers may hold raw pointers into it) and 64-byte aligned (one cache line, one Vector512).
/// </summary>
internal sealed unsafe class GemmWorkspace
{
    private const int AlignmentFloats = 16;

    [ThreadStatic] private static GemmWorkspace? t_packedA;
    [ThreadStatic] private static GemmWorkspace? t_packedB;
    [ThreadStatic] private static GemmWorkspace? t_rowAccumulator;

    private float[] _array = [];
    private float* _start;
    private int _capacity;

    /// <summary>This thread's buffer for packed blocks of A.</summary>
    public static GemmWorkspace PackedA => t_packedA ??= new GemmWorkspace();

    /// <summary>This thread's buffer for packed blocks of B (shared read-only with the workers of one call).</summary>
    public static GemmWorkspace PackedB => t_packedB ??= new GemmWorkspace();

    /// <summary>This thread's row of accumulators for the unpacked small-matrix path.</summary>
    public static GemmWorkspace RowAccumulator => t_rowAccumulator ??= new GemmWorkspace();

    /// <summary>
    /// Which row-split GEMM call's whole packed B the buffer holds (see <see cref="GemmPacked"/>); other writers leave
    /// it alone, which is safe because every row-split call takes a new stamp.
    /// </summary>
    public long Stamp { get; set; }

    /// <summary>At least <paramref name="floats"/> floats; contents are undefined (growing them keeps <see cref="Stamp"/>, so callers ask for the same size within one call).</summary>
    public float* Get(int floats)
    {
        if (floats > _capacity)
        {
            // Grow geometrically so a sequence of slightly larger problems does not reallocate each time.
            int capacity = (int)Math.Min(Array.MaxLength - AlignmentFloats, Math.Max(floats, 2L * _capacity));
            _array = GC.AllocateUninitializedArray<float>(capacity + AlignmentFloats, pinned: true);
            nuint address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
            nuint aligned = (address + (AlignmentFloats * sizeof(float) - 1)) & ~(nuint)(AlignmentFloats * sizeof(float) - 1);
            _start = (float*)aligned;
            _capacity = capacity;
        }
        return _start;
    }
}
