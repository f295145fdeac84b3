using System.ComponentModel;
using ShapeSafe.CompiledGraphs;

namespace ShapeSafe.NN;

/// <summary>
/// The memory of a compiled graph's buffer set for one input shape, as <see cref="CompiledModule.MemoryReport(int[][])"/>
/// returns it. Only the arena counts: the slots of Float32 buffers that hold every intermediate value, gradient and
/// scratch tensor. A pool's argmax, a dropout's mask and a norm's statistics live beside it, and the output and the
/// parameters' gradients are allocated per call.
/// </summary>
/// <param name="SavedBytes">The bytes the forward leaves in the arena for the backward: the values it saves for the backward.</param>
/// <param name="PeakBytes">The most bytes of buffers live at one step of the forward or the backward.</param>
/// <param name="ArenaBytes">The bytes of the arena's slots: what one buffer set allocates, at least <paramref name="PeakBytes"/>.</param>
public sealed record CompiledMemoryReport(long SavedBytes, long PeakBytes, long ArenaBytes)
{
    /// <summary>
    /// For a module whose <c>Forward</c> branches (a graph per combination of outcomes): the graph reported, with the
    /// conditions of its path (<c>Variant1: !Training</c>); empty for a module of one graph.
    /// </summary>
    public string Variant { get; init; } = "";

    /// <summary>
    /// The report of a buffer set laid out as <paramref name="buffers"/> (views left out: they share their source's
    /// storage) for a graph of <paramref name="forwardSteps"/> steps, whose time runs over the forward's steps and then
    /// the backward's.
    /// </summary>
    internal static CompiledMemoryReport Measure(IReadOnlyList<BufferLifetime> buffers, int forwardSteps)
    {
        long saved = 0, arena = 0;
        var slots = new Dictionary<int, long>();
        foreach (var buffer in buffers)
        {
            long bytes = Bytes(buffer.Shape);
            if (buffer.First < forwardSteps && buffer.Last >= forwardSteps) saved += bytes;
            slots[buffer.Slot] = Math.Max(slots.GetValueOrDefault(buffer.Slot), bytes);
        }
        foreach (var bytes in slots.Values) arena += bytes;
        long peak = 0;
        for (int time = 0; time < 2 * forwardSteps; time++)
        {
            long live = 0;
            foreach (var buffer in buffers)
                if (buffer.First <= time && time <= buffer.Last) live += Bytes(buffer.Shape);
            peak = Math.Max(peak, live);
        }
        return new CompiledMemoryReport(saved, peak, arena);
    }

    static long Bytes(int[] shape) => Tensor.CountOf(shape, "Compile") * sizeof(float);
}
