using System.ComponentModel;
using ShapeSafe.NN;

namespace ShapeSafe.CompiledGraphs;

/// <summary>
/// What a generated graph worked out for one input shape: every buffer's shape and every kernel's geometry, made
/// once when the shape is first seen (TorchDynamo's guard: the next call with the same shape reuses it). It hands
/// out the buffers a call runs in: one set per call in flight, so a forward whose backward has not run yet never
/// shares memory with the next forward, and a set comes back when its backward has run.
/// </summary>
/// <typeparam name="TBuffers">The generated set of buffers of this graph.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class GraphPlan<TBuffers> : GraphPlanBase where TBuffers : class
{
    readonly Stack<TBuffers> _free = new();

    /// <summary>A plan for <paramref name="inputSizes"/>.</summary>
    protected GraphPlan(int[][] inputSizes) : base(inputSizes) { }

    /// <summary>How many sets of buffers this plan has made (one in steady-state training).</summary>
    public int BufferSets { get; private set; }

    /// <summary>A set of buffers nobody is using: a returned one, else a new one.</summary>
    public TBuffers Rent()
    {
        lock (_free)
        {
            if (_free.Count > 0) return _free.Pop();
            BufferSets++;
        }
        return CreateBuffers();
    }

    /// <summary>Gives <paramref name="buffers"/> back once nothing reads them any more.</summary>
    public void Return(TBuffers buffers)
    {
        lock (_free) _free.Push(buffers);
    }

    /// <summary>Allocates a set of buffers for this plan's shapes.</summary>
    protected abstract TBuffers CreateBuffers();
}

/// <summary>
/// The storage of a generated graph's buffers: slots of floats that several buffers share when their lifetimes do
/// not overlap, and tensors that view them. Made by a plan; reused for every call of that shape.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class GraphBuffers
{
    /// <summary>
    /// A slot large enough for every buffer of <paramref name="shapes"/> (the buffers that share it), as a 1-D
    /// tensor whose storage <see cref="View"/> carves up.
    /// </summary>
    protected static Tensor Slot(params int[][] shapes)
    {
        long count = 0;
        foreach (var shape in shapes) count = Math.Max(count, Tensor.CountOf(shape, "Compile"));
        return Tensor.Uninitialized(DType.Float32, new[] { (int)count }, "Compile");
    }

    /// <summary>A contiguous tensor of <paramref name="shape"/> at the start of <paramref name="slot"/>'s storage.</summary>
    protected static Tensor View(Tensor slot, int[] shape) => Tensor.Create(slot.Storage, shape);

    /// <summary>An index buffer of <paramref name="count"/> entries (a max pool's argmax).</summary>
    protected static int[] Indices(int count) => new int[count];
}

/// <summary>The part of a plan the guards and the memory report read.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public abstract class GraphPlanBase
{
    /// <summary>The input shapes this plan is for.</summary>
    protected GraphPlanBase(int[][] inputSizes) => InputSizes = inputSizes;

    /// <summary>The input shapes this plan is for.</summary>
    public int[][] InputSizes { get; }

    /// <summary>The input dtypes this plan is for, when the guard keys on them (a mask input's Bool or Float32), else null.</summary>
    public DType[]? InputTypes { get; internal set; }

    /// <summary>The memory of this plan's buffer set, laid out for the graph's options (see <see cref="CompiledMemoryReport"/>).</summary>
    public CompiledMemoryReport MemoryReport() => CompiledMemoryReport.Measure(Lifetimes(), ForwardSteps);

    /// <summary>How many steps the forward has; the backward has as many, so time runs from 0 to 2·<c>ForwardSteps</c> - 1.</summary>
    protected abstract int ForwardSteps { get; }

    /// <summary>Every buffer of the set but the views, with its shape, lifetime and slot, as the buffer set is laid out.</summary>
    protected abstract BufferLifetime[] Lifetimes();
}

/// <summary>One buffer of a generated buffer set, for <see cref="CompiledMemoryReport"/>: its shape, the steps it is live in, its slot.</summary>
/// <param name="Shape">Its shape (Float32).</param>
/// <param name="First">The step that writes it first (forward steps 0 to n-1, then the backward's n to 2n-1).</param>
/// <param name="Last">The last step that reads it.</param>
/// <param name="Slot">The slot whose storage it shares with buffers of other lifetimes.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly record struct BufferLifetime(int[] Shape, int First, int Last, int Slot);
