using System.ComponentModel;
using ShapeSafe.NN;

namespace ShapeSafe.CompiledGraphs;

// The spatial and normalization layers compiled as composite steps over the eager layer itself (AvgPool2d,
// AdaptiveAvgPool2d, AdaptiveMaxPool2d, GroupNorm, Conv1d, ConvTranspose2d, Upsample, the padding layers). The
// forward kernel runs the bound layer's own Forward (its F. function and kernels) on the step's input, recording its
// ops on a tape of its own; the backward kernel runs that tape, so the forward's value and every gradient (the input's
// and the layer's parameters') are the ones eager autograd computes, from the same kernels in the same order.
public static partial class GraphOps
{
    /// <summary>
    /// The plan of <paramref name="layer"/>'s <c>Forward</c> on an input of <paramref name="input"/>: the output's
    /// shape, found by running the eager layer once without a tape on zeros of that shape, so a bad shape fails here
    /// with the eager layer's own message. <paramref name="parameters"/> is how many parameters the graph was compiled
    /// to take gradients for (from the member's initializer); a bound layer built otherwise is refused.
    /// </summary>
    public static LayerPlan PlanLayer(int[] input, ITensorModule layer, int parameters)
    {
        var module = (Module)layer;
        int bound = module.Parameters().Count();
        if (bound != parameters)
            throw new InvalidOperationException($"Compile: the {layer.GetType().Name} was compiled for {parameters} parameters (its member's initializer), but the bound layer has {bound}");
        using var mode = Autograd.NoGrad();
        var output = layer.Forward(Tensor.Zeros((int[])input.Clone()));
        return new LayerPlan((int[])output.Sizes.Clone());
    }

    /// <summary>
    /// output = <paramref name="layer"/>'s <c>Forward</c> of <paramref name="input"/>, as eager mode computes it. With
    /// <paramref name="record"/> the layer's ops are recorded in <paramref name="s"/> for <see cref="LayerBackward"/>.
    /// </summary>
    public static void Layer(LayerPlan plan, ITensorModule layer, Tensor input, Tensor output, LayerState s, bool record)
    {
        s.Release();
        using var mode = Autograd.SetGradEnabled(record);
        // A copy: the graph may reuse the input's buffer before the backward runs, and the tape reads its input.
        s.Input = input.Detach().Clone();
        if (record) s.Input.RequiresGrad = true;
        s.Output = layer.Forward(s.Input);
        if (!s.Output.Sizes.AsSpan().SequenceEqual(plan.OutputSizes))
            throw new InvalidOperationException($"Compile: {layer.GetType().Name} returned {Rules.Format(s.Output.Sizes)}, not the planned {Rules.Format(plan.OutputSizes)}");
        Copy(s.Output, output);
        s.Recorded = record;
    }

    /// <summary>
    /// The gradients of <see cref="Layer"/> for <paramref name="gradOutput"/>: the input's (written, or added to a
    /// gradient that arrived first when <paramref name="accumulateInput"/> is set) and each parameter's, in
    /// <see cref="Module.Parameters"/> order (written). A null target is not computed. The tape is run once and released.
    /// </summary>
    public static void LayerBackward(ITensorModule layer, LayerState s, Tensor gradOutput, Tensor? gradInput, bool accumulateInput, params Tensor?[] gradParameters)
    {
        if (!s.Recorded) throw new InvalidOperationException($"{layer.GetType().Name}: the compiled backward ran without a recorded forward");
        var targets = new List<TapeTarget>();
        if (gradInput is not null) targets.Add(new(s.Input!, gradInput, accumulateInput));
        AddParameterTargets(targets, layer.GetType().Name, ((Module)layer).Parameters().ToArray(), gradParameters);
        // The seed is a copy: the engine may recycle a gradient it is handed once the node that read it has run.
        if (targets.Count > 0) RunTape(new[] { s.Output! }, new[] { gradOutput.Detach().Clone() }, targets);
        s.Release();
    }

    /// <summary>The plan of <paramref name="function"/> (an eager <c>F.Pad</c> or <c>F.Interpolate</c> call) on an input of <paramref name="input"/>, checked by the eager function.</summary>
    public static LayerPlan PlanFunction(int[] input, Func<Tensor, Tensor> function)
    {
        using var mode = Autograd.NoGrad();
        return new LayerPlan((int[])function(Tensor.Zeros((int[])input.Clone())).Sizes.Clone());
    }

    /// <summary>output = <paramref name="function"/>(<paramref name="input"/>), recorded in <paramref name="s"/> for <see cref="FunctionBackward"/> with <paramref name="record"/>.</summary>
    public static void Function(LayerPlan plan, Func<Tensor, Tensor> function, Tensor input, Tensor output, LayerState s, bool record)
    {
        s.Release();
        using var mode = Autograd.SetGradEnabled(record);
        s.Input = input.Detach().Clone();
        if (record) s.Input.RequiresGrad = true;
        s.Output = function(s.Input);
        Copy(s.Output, output);
        s.Recorded = record;
    }

    /// <summary>The input's gradient of <see cref="Function"/> for <paramref name="gradOutput"/>, by the eager function's own backward (written, or added).</summary>
    public static void FunctionBackward(LayerState s, Tensor gradOutput, Tensor? gradInput, bool accumulateInput)
    {
        if (!s.Recorded) throw new InvalidOperationException("Compile: the compiled backward of a function step ran without a recorded forward");
        if (gradInput is not null)
            RunTape(new[] { s.Output! }, new[] { gradOutput.Detach().Clone() }, new List<TapeTarget> { new(s.Input!, gradInput, accumulateInput) });
        s.Release();
    }
}

/// <summary>The output shape of one layer step, checked by the eager layer once per input shape.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class LayerPlan
{
    internal LayerPlan(int[] outputSizes) => OutputSizes = outputSizes;

    /// <summary>The output's shape.</summary>
    public int[] OutputSizes { get; }
}

/// <summary>One layer step's state in a buffer set: the tensor its tape starts from and the layer's output (whose tape the backward runs).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class LayerState
{
    internal Tensor? Input, Output;
    internal bool Recorded;

    /// <summary>Drops the layer's tape (after its backward, or before the next forward).</summary>
    internal void Release()
    {
        Input = Output = null;
        Recorded = false;
    }
}
