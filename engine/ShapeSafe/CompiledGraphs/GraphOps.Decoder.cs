using System.ComponentModel;
using ShapeSafe.NN;

namespace ShapeSafe.CompiledGraphs;

// A TransformerDecoderLayer as a composite step over the eager layer itself: the forward kernel runs the bound layer's
// own Forward on copies of the target and the memory with this call's masks and hints, recording its ops on a tape of
// its own; the backward kernel runs that tape. The values, the dropouts' draws (from the same generators, in the same
// order) and every gradient are the ones eager autograd computes, from the same kernels in the same order.
public static partial class GraphOps
{
    /// <summary>
    /// The plan of <paramref name="layer"/>'s <c>Forward</c> on a target of <paramref name="tgt"/> and a memory of
    /// <paramref name="memory"/> with masks of the shapes given (each may be null), checked as the layer's
    /// self-attention and memory attention check them, with their messages, without running the layer (its dropouts
    /// draw nothing here). <paramref name="parameters"/> is how many parameters the graph was compiled to take
    /// gradients for (from the member's initializer); a bound layer built otherwise is refused.
    /// </summary>
    public static LayerPlan PlanTransformerDecoderLayer(int[] tgt, int[] memory, TransformerDecoderLayer layer,
        int[]? tgtMask, int[]? memoryMask, int[]? tgtKeyPaddingMask, int[]? memoryKeyPaddingMask, bool tgtIsCausal, bool memoryIsCausal, int parameters)
    {
        int bound = layer.Parameters().Count();
        if (bound != parameters)
            throw new InvalidOperationException($"Compile: the TransformerDecoderLayer was compiled for {parameters} parameters (its member's initializer), but the bound layer has {bound}");
        // As MultiheadAttention reads the hint: with no padding mask, the mask's rank alone is checked.
        bool selfCausal = tgtIsCausal && tgtKeyPaddingMask is null, memoryCausal = memoryIsCausal && memoryKeyPaddingMask is null;
        PlanCrossAttention(tgt, tgt, tgt, layer.SelfAttn, selfCausal ? null : tgtMask, tgtKeyPaddingMask, selfCausal ? tgtMask : null);
        PlanCrossAttention(tgt, memory, memory, layer.MultiheadAttn, memoryCausal ? null : memoryMask, memoryKeyPaddingMask, memoryCausal ? memoryMask : null);
        return new LayerPlan((int[])tgt.Clone());
    }

    /// <summary>
    /// output = <paramref name="layer"/>'s <c>Forward</c> of <paramref name="tgt"/> against <paramref name="memory"/>
    /// with these masks and hints, as eager mode computes it. With <paramref name="record"/> the layer's ops are
    /// recorded in <paramref name="s"/> for <see cref="TransformerDecoderLayerBackward"/>.
    /// </summary>
    public static void TransformerDecoderLayer(LayerPlan plan, TransformerDecoderLayer layer, Tensor tgt, Tensor memory,
        Tensor? tgtMask, Tensor? memoryMask, Tensor? tgtKeyPaddingMask, Tensor? memoryKeyPaddingMask, bool tgtIsCausal, bool memoryIsCausal,
        Tensor output, DecoderLayerState s, bool record)
    {
        s.Release();
        using var mode = Autograd.SetGradEnabled(record);
        // Copies: the graph may reuse the inputs' buffers before the backward runs, and the tape reads them.
        s.Target = tgt.Detach().Clone();
        s.Memory = memory.Detach().Clone();
        if (record)
        {
            s.Target.RequiresGrad = true;
            s.Memory.RequiresGrad = true;
        }
        s.Output = layer.Forward(s.Target, s.Memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, tgtIsCausal, memoryIsCausal);
        if (!s.Output.Sizes.AsSpan().SequenceEqual(plan.OutputSizes))
            throw new InvalidOperationException($"Compile: TransformerDecoderLayer returned {Rules.Format(s.Output.Sizes)}, not the planned {Rules.Format(plan.OutputSizes)}");
        Copy(s.Output, output);
        s.Recorded = record;
    }

    /// <summary>
    /// The gradients of <see cref="TransformerDecoderLayer"/> for <paramref name="gradOutput"/>: the target's and the
    /// memory's (written, or added to a gradient that arrived first when they accumulate) and each parameter's, in
    /// <see cref="Module.Parameters"/> order (written). A null target is not computed. The tape is run once and released.
    /// </summary>
    /// <remarks>
    /// A gradient that arrived first (the memory's, from the layers after this one) is handed to the tape as the first
    /// gradient of its leaf, so this layer's key and value projections add to it one by one, in the order eager
    /// autograd adds them, rather than being summed first and added once.
    /// </remarks>
    public static void TransformerDecoderLayerBackward(TransformerDecoderLayer layer, DecoderLayerState s, Tensor gradOutput,
        Tensor? gradTgt, bool accumulateTgt, Tensor? gradMemory, bool accumulateMemory, params Tensor?[] gradParameters)
    {
        if (!s.Recorded) throw new InvalidOperationException("TransformerDecoderLayer: the compiled backward ran without a recorded forward");
        var targets = new List<TapeTarget>();
        var outputs = new List<Tensor> { s.Output! };
        // The seed is a copy: the engine may recycle a gradient it is handed once the node that read it has run.
        var seeds = new List<Tensor> { gradOutput.Detach().Clone() };
        void Input(Tensor leaf, Tensor? target, bool accumulate)
        {
            if (target is null) return;
            if (accumulate)
            {
                outputs.Add(leaf);
                seeds.Add(target.Detach().Clone());
            }
            targets.Add(new(leaf, target, false));
        }
        Input(s.Target!, gradTgt, accumulateTgt);
        Input(s.Memory!, gradMemory, accumulateMemory);
        AddParameterTargets(targets, "TransformerDecoderLayer", layer.Parameters().ToArray(), gradParameters);
        if (targets.Count > 0) RunTape(outputs, seeds, targets);
        s.Release();
    }
}

/// <summary>One decoder layer step's state in a buffer set: the target and memory its tape starts from and the layer's output.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class DecoderLayerState
{
    internal Tensor? Target, Memory, Output;
    internal bool Recorded;

    /// <summary>Drops the layer's tape (after its backward, or before the next forward).</summary>
    internal void Release()
    {
        Target = Memory = Output = null;
        Recorded = false;
    }
}
