using System.ComponentModel;
using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Strided;
using ShapeSafe.NN;
using ShapeSafe.Shapes;

namespace ShapeSafe.CompiledGraphs;

// The recurrent layers (LSTM, GRU, RNN) as composite steps. A layer's loop over layers, directions and time steps is
// eager mode's own code: the forward kernel runs the bound layer's Forward on the step's buffers, recording the layer's
// ops on a tape of its own, and the backward kernel runs that tape for the gradients the graph hands it (of the
// output and of the final states), so every value and every gradient is the one eager mode computes, dropout between
// layers included (drawn from the default generator, in the same order). The step's intermediates live in a
// RecurrentState of the buffer set. Select and Narrow with constant arguments, which take a recurrent output's last
// step, are copies through the view's layout with the view kernel's backward.
public static partial class GraphOps
{
    /// <summary>
    /// The plan of <paramref name="layer"/>'s <c>Forward</c> on an input of <paramref name="input"/> from initial states
    /// of <paramref name="h0"/> and <paramref name="c0"/> (null: zeros), checked as the eager layer checks them. The
    /// graph was compiled for the configuration the member's initializer gives (<paramref name="numLayers"/>,
    /// <paramref name="bidirectional"/>, <paramref name="bias"/>, <paramref name="projSize"/>), which decides how many
    /// parameters the node takes gradients for; a bound layer built otherwise is refused.
    /// </summary>
    public static RecurrentPlan PlanRecurrent(int[] input, int[]? h0, int[]? c0, RNNBase layer, int numLayers, bool bidirectional, bool bias, int projSize) =>
        new(input, h0, c0, layer, numLayers, bidirectional, bias, projSize);

    /// <summary>
    /// output = <paramref name="layer"/>'s output for <paramref name="input"/> (and the initial states, when given), as
    /// its eager <c>Forward</c> computes it; the final states are kept in <paramref name="s"/> for the steps that read
    /// them. With <paramref name="record"/> the layer's ops are recorded for <see cref="RecurrentBackward"/>.
    /// </summary>
    public static void Recurrent(RecurrentPlan plan, RNNBase layer, Tensor input, Tensor? h0, Tensor? c0, Tensor output, RecurrentState s, bool record)
    {
        s.Release();
        using var mode = Autograd.SetGradEnabled(record);
        s.Input = Leaf(input, record);
        s.H0 = h0 is null ? null : Leaf(h0, record);
        s.C0 = c0 is null ? null : Leaf(c0, record);
        (s.Output, s.H, s.C) = layer switch
        {
            LSTM lstm => Lstm(lstm, s),
            GRU gru => Single(gru.Forward(s.Input, s.H0)),
            NN.RNN rnn => Single(rnn.Forward(s.Input, s.H0)),
            _ => throw new NotSupportedException($"Compile: {layer.GetType().Name} is not one of the recurrent layers the graph compiles (LSTM, GRU, RNN)"),
        };
        Copy(s.Output, output);
        s.Recorded = record;
    }

    static (Tensor, Tensor, Tensor?) Lstm(LSTM lstm, RecurrentState s)
    {
        var (output, (h, c)) = lstm.Forward(s.Input!, s.H0 is null ? null : (s.H0, s.C0!));
        return (output, h, c);
    }

    static (Tensor, Tensor, Tensor?) Single((Tensor Output, Tensor Hidden) result) => (result.Output, result.Hidden, null);

    // A tensor of the buffer's storage that the layer's tape starts from (a leaf, so the tape ends there).
    static Tensor Leaf(Tensor buffer, bool record)
    {
        var leaf = buffer.Detach();
        if (record) leaf.RequiresGrad = true;
        return leaf;
    }

    /// <summary>output = the final hidden state h of the last <see cref="Recurrent"/> (PyTorch's <c>h_n</c>).</summary>
    public static void RecurrentHidden(RecurrentState s, Tensor output) => Copy(s.H!, output);

    /// <summary>output = the final cell state c of the last <see cref="Recurrent"/> of an LSTM (PyTorch's <c>c_n</c>).</summary>
    public static void RecurrentCell(RecurrentState s, Tensor output) => Copy(s.C!, output);

    /// <summary>Keeps the gradient of the final hidden state for <see cref="RecurrentBackward"/> (a copy: the graph reuses its buffer).</summary>
    public static void RecurrentHiddenBackward(RecurrentState s, Tensor gradOutput) => s.GradH = Keep(s.GradH, gradOutput);

    /// <summary>Keeps the gradient of the final cell state for <see cref="RecurrentBackward"/>.</summary>
    public static void RecurrentCellBackward(RecurrentState s, Tensor gradOutput) => s.GradC = Keep(s.GradC, gradOutput);

    // A second read of the same state adds to the first one's gradient, as eager autograd sums them.
    static Tensor Keep(Tensor? kept, Tensor gradient)
    {
        if (kept is null) return gradient.Detach().Clone();
        AddInPlace(kept, gradient);
        return kept;
    }

    /// <summary>
    /// The gradients of <see cref="Recurrent"/> for the output's gradient <paramref name="gradOutput"/> (null when only
    /// the final states are read) and the final states' kept gradients: the input's and the initial states' (each
    /// written, or added to a gradient that arrived first when its accumulate flag is set) and each parameter's in
    /// <see cref="RNNBase.AllWeights"/> order (written). A null target is not computed. The layer's tape is run
    /// once and released, as eager autograd releases it.
    /// </summary>
    public static void RecurrentBackward(RecurrentPlan plan, RNNBase layer, RecurrentState s, Tensor? gradOutput,
        Tensor? gradInput, bool accumulateInput, Tensor? gradH0, bool accumulateH0, Tensor? gradC0, bool accumulateC0, params Tensor?[] gradParameters)
    {
        if (!s.Recorded) throw new InvalidOperationException($"{layer.GetType().Name}: the compiled backward ran without a recorded forward");
        var outputs = new List<Tensor>(3);
        var seeds = new List<Tensor>(3);
        // The seeds are copies: the engine may recycle a gradient it is handed once the node that read it has run.
        if (gradOutput is not null) { outputs.Add(s.Output!); seeds.Add(gradOutput.Detach().Clone()); }
        if (s.GradH is not null) { outputs.Add(s.H!); seeds.Add(s.GradH); }
        if (s.GradC is not null) { outputs.Add(s.C!); seeds.Add(s.GradC); }

        var targets = new List<TapeTarget>();
        if (gradInput is not null) targets.Add(new(s.Input!, gradInput, accumulateInput));
        if (gradH0 is not null && s.H0 is not null) targets.Add(new(s.H0, gradH0, accumulateH0));
        if (gradC0 is not null && s.C0 is not null) targets.Add(new(s.C0, gradC0, accumulateC0));
        AddParameterTargets(targets, layer.GetType().Name, layer.AllWeights.SelectMany(w => w).ToArray(), gradParameters);
        RunTape(outputs, seeds, targets);
        s.Release();
    }

    /// <summary>The plan of <c>x.Select(dim, index)</c> on a value of <paramref name="input"/>, checked as the eager view checks it.</summary>
    public static StridedViewPlan PlanSelect(int[] input, int dim, int index) => new(Rules.Select(Rules.Contiguous(input), dim, index));

    /// <summary>The plan of <c>x.Narrow(dim, start, length)</c> on a value of <paramref name="input"/>, checked as the eager view checks it.</summary>
    public static StridedViewPlan PlanNarrow(int[] input, int dim, int start, int length) => new(Rules.Narrow(Rules.Contiguous(input), dim, start, length));

    /// <summary>output = the elements of the contiguous <paramref name="input"/> that the view <paramref name="plan"/> selects, in the view's order.</summary>
    public static void Slice(Tensor input, StridedViewPlan plan, Tensor output) =>
        StridedLayout.Copy(input.FloatData, plan.Sizes, plan.Strides, input.Offset + plan.Layout.Offset, output.FloatData, output.StrideArray, output.Offset);

    /// <summary>gradInput = zeros with <paramref name="gradOutput"/> added where the view selected (eager's SelectBackward and SliceBackward).</summary>
    public static void SliceBackward(Tensor gradOutput, StridedViewPlan plan, Tensor gradInput) =>
        GradientKernels.ScatterAddInto(gradOutput, gradInput, plan.Layout);
}

/// <summary>The shapes of one recurrent layer's call: its output and final states, checked once per input shape.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class RecurrentPlan
{
    internal RecurrentPlan(int[] input, int[]? h0, int[]? c0, RNNBase layer, int numLayers, bool bidirectional, bool bias, int projSize)
    {
        string op = layer.GetType().Name;
        if (layer.NumLayers != numLayers || layer.Bidirectional != bidirectional || layer.Bias != bias || layer.ProjSize != projSize)
            throw new InvalidOperationException($"Compile: the {op} was compiled for numLayers={numLayers}, bidirectional={bidirectional}, bias={bias}, projSize={projSize} "
                + $"(its member's initializer), but the bound layer has numLayers={layer.NumLayers}, bidirectional={layer.Bidirectional}, bias={layer.Bias}, projSize={layer.ProjSize}");
        if (input.Length is not (2 or 3))
            throw new ShapeException(op, $"Expected input to be 2D or 3D, got {input.Length}D tensor {Rules.Format(input)} instead");
        if (input[^1] != layer.InputSize)
            throw new ShapeException(op, $"input.size(-1) must be equal to input_size. Expected {layer.InputSize}, got {input[^1]} (input {Rules.Format(input)})");
        bool batched = input.Length == 3;
        int steps = batched && layer.BatchFirst ? input[1] : input[0];
        int batch = !batched ? 1 : layer.BatchFirst ? input[0] : input[1];
        if (steps == 0)
            throw new ShapeException(op, $"Expected a sequence of at least one step, got input {Rules.Format(input)}");
        int stacks = layer.NumLayers * layer.Directions, features = layer.Directions * layer.OutputSize;
        OutputSizes = !batched ? new[] { steps, features } : layer.BatchFirst ? new[] { batch, steps, features } : new[] { steps, batch, features };
        HiddenSizes = batched ? new[] { stacks, batch, layer.OutputSize } : new[] { stacks, layer.OutputSize };
        CellSizes = layer is LSTM ? (batched ? new[] { stacks, batch, layer.HiddenSize } : new[] { stacks, layer.HiddenSize }) : null;
        int states = layer is LSTM ? 2 : 1;
        Check(op, h0, HiddenSizes, states == 1 ? "hidden" : "hidden[0]", input);
        if (CellSizes is not null) Check(op, c0, CellSizes, "hidden[1]", input);
    }

    static void Check(string op, int[]? given, int[] expected, string name, int[] input)
    {
        if (given is not null && !given.AsSpan().SequenceEqual(expected))
            throw new ShapeException(op, $"Expected {name} size {Rules.Format(expected)}, got {Rules.Format(given)} (input {Rules.Format(input)})");
    }

    /// <summary>The output's shape: [T, N, directions·out], [N, T, directions·out] batch-first, or [T, directions·out] unbatched.</summary>
    public int[] OutputSizes { get; }

    /// <summary>The final hidden state's shape, [directions·layers, N, out] ([directions·layers, out] unbatched).</summary>
    public int[] HiddenSizes { get; }

    /// <summary>An LSTM's final cell state's shape, [directions·layers, N, hidden]; null for GRU and RNN.</summary>
    public int[]? CellSizes { get; }
}

/// <summary>
/// One recurrent step's state in a buffer set: the tensors its tape starts from, the layer's results (whose tape the
/// backward runs) and the gradients the final states' readers hand back.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class RecurrentState
{
    internal Tensor? Input, H0, C0, Output, H, C, GradH, GradC;
    internal bool Recorded;

    /// <summary>Drops the layer's tape and results (after its backward, or before the next forward).</summary>
    internal void Release()
    {
        Input = H0 = C0 = Output = H = C = GradH = GradC = null;
        Recorded = false;
    }
}
