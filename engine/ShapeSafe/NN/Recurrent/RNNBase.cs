using ShapeSafe.Tracing;

namespace ShapeSafe.NN;

/// <summary>
/// What <see cref="RNN"/>, <see cref="LSTM"/> and <see cref="GRU"/> share (<c>nn.RNNBase</c>): the stacked,
/// optionally bidirectional parameters with PyTorch's names, order and initialization, the layout handling of
/// the input and state, and the loop over layers, directions and time steps, on padded tensors and on
/// <see cref="PackedSequence"/>s. A subclass supplies only its cell.
/// </summary>
/// <remarks>
/// <para>
/// Per layer <c>k</c> and direction (suffix <c>""</c>, then <c>"_reverse"</c> when bidirectional) the parameters are
/// registered in PyTorch's order: <c>weight_ih_l{k}</c> [gates·hidden, in], <c>weight_hh_l{k}</c> [gates·hidden, out],
/// then (with bias) <c>bias_ih_l{k}</c> and <c>bias_hh_l{k}</c> [gates·hidden], then (LSTM with a projection only)
/// <c>weight_hr_l{k}</c> [proj, hidden]. Here <c>out</c> is the size of the hidden state h: hidden, or proj for an LSTM
/// with <c>projSize</c> &gt; 0. Layer 0 reads the input; deeper layers read the previous layer's output, of size
/// directions·out. Every parameter is drawn from U(-1/sqrt(hidden), 1/sqrt(hidden)) in that order, so a seeded
/// generator gives PyTorch's weights.
/// </para>
/// <para>
/// The forward is composed of differentiable ops (one <see cref="F.Linear"/> for the input projection of all steps of
/// a layer, then per step a <see cref="F.Linear"/> of the state, element-wise gates and a final <see cref="Tensor.Cat"/>),
/// so autograd needs no backward of its own. A padded input is run as a packed one whose batch sizes are all N. On
/// packed input step t runs only the first <c>batch_sizes[t]</c> sequences (sorted longest first): in the forward
/// direction a sequence's final state is taken at its own last step, and the reverse direction starts each sequence
/// from its initial state at its own last step, as ATen's packed layers do. Dropout between layers draws from the
/// default generator, as PyTorch's does.
/// </para>
/// </remarks>
public abstract class RNNBase : Module
{
    readonly Parameter[][] _weights;

    /// <summary>Registers and initializes the parameters.</summary>
    /// <param name="gates">How many gate blocks the weights stack: 1 (RNN), 4 (LSTM) or 3 (GRU).</param>
    /// <param name="inputSize">The number of features of each input step.</param>
    /// <param name="hiddenSize">The number of features of the hidden state.</param>
    /// <param name="numLayers">The number of stacked layers.</param>
    /// <param name="bias">Whether the layers learn the biases.</param>
    /// <param name="batchFirst">Whether the input and output are [N, T, features] rather than [T, N, features].</param>
    /// <param name="dropout">The dropout probability on each layer's output but the last's, in training.</param>
    /// <param name="bidirectional">Whether each layer also runs backward in time.</param>
    /// <param name="projSize">The size of the projected hidden state (LSTM only), or 0 for none.</param>
    /// <param name="generator">The generator the initial values are drawn from (the default generator when null).</param>
    private protected RNNBase(int gates, int inputSize, int hiddenSize, int numLayers, bool bias, bool batchFirst,
        double dropout, bool bidirectional, int projSize, Generator? generator)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputSize);
        if (!(dropout >= 0 && dropout <= 1))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"{GetName()}: dropout should be a number in range [0, 1] representing the probability of an element being zeroed");
        if (hiddenSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, $"{GetName()}: hidden_size must be greater than zero");
        if (numLayers <= 0)
            throw new ArgumentOutOfRangeException(nameof(numLayers), numLayers, $"{GetName()}: num_layers must be greater than zero");
        if (projSize < 0)
            throw new ArgumentOutOfRangeException(nameof(projSize), projSize, $"{GetName()}: proj_size should be a positive integer or zero to disable projections");
        if (projSize >= hiddenSize)
            throw new ArgumentOutOfRangeException(nameof(projSize), projSize, $"{GetName()}: proj_size has to be smaller than hidden_size (proj_size={projSize}, hidden_size={hiddenSize})");

        Gates = gates;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        Bias = bias;
        BatchFirst = batchFirst;
        Dropout = dropout;
        Bidirectional = bidirectional;
        ProjSize = projSize;

        int directions = Directions, outSize = OutputSize;
        _weights = new Parameter[numLayers * directions][];
        for (int layer = 0; layer < numLayers; layer++)
        {
            int layerInput = layer == 0 ? inputSize : outSize * directions;
            for (int direction = 0; direction < directions; direction++)
            {
                string suffix = $"_l{layer}" + (direction == 1 ? "_reverse" : "");
                var w = new List<Parameter>
                {
                    RegisterParameter("weight_ih" + suffix, new Parameter(Tensor.Empty(gates * hiddenSize, layerInput))),
                    RegisterParameter("weight_hh" + suffix, new Parameter(Tensor.Empty(gates * hiddenSize, outSize))),
                };
                if (bias)
                {
                    w.Add(RegisterParameter("bias_ih" + suffix, new Parameter(Tensor.Empty(gates * hiddenSize))));
                    w.Add(RegisterParameter("bias_hh" + suffix, new Parameter(Tensor.Empty(gates * hiddenSize))));
                }
                if (projSize > 0)
                    w.Add(RegisterParameter("weight_hr" + suffix, new Parameter(Tensor.Empty(projSize, hiddenSize))));
                _weights[layer * directions + direction] = w.ToArray();
            }
        }
        ResetParameters(generator);
    }

    /// <summary>The number of gate blocks stacked in each weight (1 for RNN, 4 for LSTM, 3 for GRU).</summary>
    public int Gates { get; }

    /// <summary>The number of features of each input step.</summary>
    public int InputSize { get; }

    /// <summary>The number of features of the hidden state (of the cell state, for an LSTM with a projection).</summary>
    public int HiddenSize { get; }

    /// <summary>The size h is projected to by <c>weight_hr_l{k}</c> (PyTorch's <c>proj_size</c>; LSTM only), or 0 for no projection.</summary>
    public int ProjSize { get; }

    /// <summary>The size of the hidden state h and of each direction's output: <see cref="ProjSize"/> when set, else <see cref="HiddenSize"/>.</summary>
    public int OutputSize => ProjSize > 0 ? ProjSize : HiddenSize;

    /// <summary>The number of stacked layers.</summary>
    public int NumLayers { get; }

    /// <summary>Whether the layers learn the biases.</summary>
    public bool Bias { get; }

    /// <summary>Whether the input and output are [N, T, features] (the state stays [layers, N, hidden]).</summary>
    public bool BatchFirst { get; }

    /// <summary>The dropout probability applied, in training, to each layer's output but the last's.</summary>
    public double Dropout { get; }

    /// <summary>Whether each layer also runs backward in time.</summary>
    public bool Bidirectional { get; }

    /// <summary>1, or 2 when bidirectional.</summary>
    public int Directions => Bidirectional ? 2 : 1;

    /// <summary>
    /// The parameters per layer and direction (<c>all_weights</c>), in the order of <see cref="Module.NamedParameters"/>:
    /// entry <c>layer·directions + direction</c> holds <c>[w_ih, w_hh]</c> or <c>[w_ih, w_hh, b_ih, b_hh]</c>, followed
    /// by <c>w_hr</c> for an LSTM with a projection.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<Parameter>> AllWeights => _weights;

    /// <summary>Draws every parameter again from U(-1/sqrt(hidden), 1/sqrt(hidden)), in registration order (<c>reset_parameters()</c>).</summary>
    public void ResetParameters(Generator? generator = null)
    {
        double bound = 1 / Math.Sqrt(HiddenSize);
        foreach (var p in Parameters())
            Init.Uniform(p, -bound, bound, generator);
    }

    /// <summary>The cell's nonlinearity for an exporter (RNN's <c>tanh</c> or <c>relu</c>; empty for the gated cells).</summary>
    private protected virtual string CellNonlinearity => "";

    /// <summary>
    /// One time step of one layer and direction: the new state from the input's projection
    /// <paramref name="inputGates"/> = x·W_ihᵀ + b_ih [n, gates·hidden] and the previous <paramref name="state"/>
    /// (each [n, size]; the first is the hidden state h, which is also the step's output).
    /// </summary>
    private protected abstract Tensor[] Cell(Tensor inputGates, Tensor[] state, Parameter weightHh, Parameter? biasHh, Parameter? weightHr);

    /// <summary>The size of state <paramref name="s"/>: h (state 0) has <see cref="OutputSize"/>, an LSTM's c has <see cref="HiddenSize"/>.</summary>
    int StateSize(int s) => s == 0 ? OutputSize : HiddenSize;

    /// <summary>How PyTorch names state <paramref name="s"/> in its messages: <c>hidden</c>, or <c>hidden[s]</c> for an LSTM's pair.</summary>
    static string StateName(int s, int count) => count == 1 ? "hidden" : $"hidden[{s}]";

    /// <summary>
    /// Runs the stack over <paramref name="input"/> ([T, N, in], [N, T, in] when batch-first, or unbatched [T, in])
    /// from the initial states (each [directions·layers, N, size], or [directions·layers, size] unbatched; zeros
    /// when null), giving the output [T, N, directions·out] (in the input's layout) and each final state in the
    /// initial states' layout.
    /// </summary>
    private protected (Tensor Output, Tensor[] Final) Run(Tensor input, Tensor?[] initial)
    {
        string op = GetName();
        // Reported as one op (ONNX's RNN, LSTM and GRU): inputs are the input, the initial states, then every weight.
        // ONNX's LSTM has no projection, so a projected LSTM is traced as the ops it is made of.
        if (OpTrace.Recording && ProjSize == 0)
        {
            var outputs = OpTrace.RunMany(op, [input, .. initial, .. _weights.SelectMany(w => w)], () =>
                {
                    var (o, f) = Run(input, initial);
                    return [o, .. f];
                },
                ("numLayers", NumLayers), ("bidirectional", Bidirectional), ("batchFirst", BatchFirst), ("hiddenSize", HiddenSize),
                ("bias", Bias), ("nonlinearity", CellNonlinearity));
            return (outputs[0], outputs[1..]);
        }
        ArgumentNullException.ThrowIfNull(input);
        RequireFloat(op, input);
        if (input.Rank != 2 && input.Rank != 3)
            throw new ShapeException(op, $"Expected input to be 2D or 3D, got {input.Rank}D tensor {Rules.Format(input.Sizes)} instead");
        RequireInputSize(op, input, "input");

        bool batched = input.Rank == 3;
        // Work in [T, N, features] throughout, then as a packed batch whose batch sizes are all N.
        var x = !batched ? input.Unsqueeze(1) : BatchFirst ? input.Transpose(0, 1) : input;
        int steps = x.Sizes[0], batch = x.Sizes[1];
        if (steps == 0)
            throw new ShapeException(op, $"Expected a sequence of at least one step, got input {Rules.Format(input.Sizes)}");

        var states = InitialStates(op, initial, batch, batched, $"input {Rules.Format(input.Sizes)}");
        var batchSizes = new int[steps];
        Array.Fill(batchSizes, batch);
        var (data, finals) = Layers(x.Reshape(steps * batch, x.Sizes[2]), batchSizes, states);

        var output = data.Reshape(steps, batch, data.Sizes[1]);
        output = !batched ? output.Squeeze(1) : BatchFirst ? output.Transpose(0, 1) : output;
        return (output, batched ? finals : finals.Select(f => f.Squeeze(1)).ToArray());
    }

    /// <summary>
    /// Runs the stack over a packed batch (PyTorch's path for a <see cref="PackedSequence"/> input): the output is
    /// packed like the input (same batch sizes and indices), the initial states [directions·layers, N, size] are in the
    /// caller's batch order (permuted by <see cref="PackedSequence.SortedIndices"/> before the run) and the final
    /// states are returned in that order (permuted back by <see cref="PackedSequence.UnsortedIndices"/>).
    /// </summary>
    private protected (PackedSequence Output, Tensor[] Final) Run(PackedSequence input, Tensor?[] initial)
    {
        string op = GetName();
        ArgumentNullException.ThrowIfNull(input);
        var data = input.Data;
        RequireFloat(op, data);
        if (data.Rank != 2)
            throw new ShapeException(op, $"input must have 2 dimensions, got {data.Rank} (packed data {Rules.Format(data.Sizes)})");
        RequireInputSize(op, data, "packed data");

        var batchSizes = input.BatchSizeArray;
        int batch = batchSizes[0];
        var states = InitialStates(op, initial, batch, batched: true, $"packed input with batch sizes {Rules.Format(batchSizes)}");
        // PyTorch's permute_hidden: given states are in the caller's order, the packed rows in sorted order.
        if (input.SortedIndices is { } sorted)
            for (int s = 0; s < states.Length; s++)
                if (initial[s] is not null) states[s] = states[s].IndexSelect(1, sorted);
        var (output, finals) = Layers(data, batchSizes, states);
        if (input.UnsortedIndices is { } unsorted)
            finals = finals.Select(f => f.IndexSelect(1, unsorted)).ToArray();
        return (new PackedSequence(output, input.BatchSizes, input.SortedIndices, input.UnsortedIndices), finals);
    }

    static void RequireFloat(string op, Tensor input)
    {
        if (input.DType != DType.Float32)
            throw new ArgumentException($"{op}: expected a Float32 input, got {input.DType} {Rules.Format(input.Sizes)}", nameof(input));
    }

    void RequireInputSize(string op, Tensor input, string what)
    {
        if (input.Sizes[^1] != InputSize)
            throw new ShapeException(op, $"input.size(-1) must be equal to input_size. Expected {InputSize}, got {input.Sizes[^1]} ({what} {Rules.Format(input.Sizes)})");
    }

    /// <summary>The initial states as [directions·layers, N, size] each (zeros for those not given), checked against PyTorch's expected shapes.</summary>
    Tensor[] InitialStates(string op, Tensor?[] initial, int batch, bool batched, string context)
    {
        int stacks = NumLayers * Directions;
        var states = new Tensor[initial.Length];
        for (int s = 0; s < initial.Length; s++)
        {
            int size = StateSize(s);
            var given = initial[s];
            if (given is null)
            {
                states[s] = Tensor.Zeros(stacks, batch, size);
                continue;
            }
            var expected = batched ? new[] { stacks, batch, size } : new[] { stacks, size };
            if (!given.Sizes.AsSpan().SequenceEqual(expected))
                throw new ShapeException(op, $"Expected {StateName(s, initial.Length)} size {Rules.Format(expected)}, got {Rules.Format(given.Sizes)} ({context})");
            states[s] = batched ? given : given.Unsqueeze(1);
        }
        return states;
    }

    /// <summary>
    /// The layers over packed rows <paramref name="data"/> [Σ batch sizes, in] (step t's rows follow step t-1's, the
    /// first <c>batchSizes[t]</c> sequences of the batch) from <paramref name="states"/> [directions·layers, N, size]:
    /// the last layer's packed output [rows, directions·out] and each state's finals [directions·layers, N, size].
    /// </summary>
    (Tensor Output, Tensor[] Finals) Layers(Tensor data, int[] batchSizes, Tensor[] states)
    {
        int directions = Directions, stacks = NumLayers * directions, steps = batchSizes.Length;
        var offsets = new int[steps];
        for (int t = 1; t < steps; t++) offsets[t] = offsets[t - 1] + batchSizes[t - 1];

        var finals = new Tensor[states.Length][];
        for (int s = 0; s < finals.Length; s++) finals[s] = new Tensor[stacks];

        var layerInput = data;
        for (int layer = 0; layer < NumLayers; layer++)
        {
            var outputs = new Tensor[directions];
            for (int direction = 0; direction < directions; direction++)
            {
                int index = layer * directions + direction;
                var w = _weights[index];
                var projected = F.Linear(layerInput, w[0], Bias ? w[2] : null);
                var initial = states.Select(s => s.Select(0, index)).ToArray();
                var hidden = new Tensor[steps];
                var final = direction == 0
                    ? RunForward(projected, initial, batchSizes, offsets, hidden, w)
                    : RunReverse(projected, initial, batchSizes, offsets, hidden, w);
                outputs[direction] = steps == 1 ? hidden[0] : Tensor.Cat(hidden, 0);
                for (int s = 0; s < final.Length; s++) finals[s][index] = final[s];
            }
            layerInput = directions == 1 ? outputs[0] : Tensor.Cat(outputs, 1);
            if (layer < NumLayers - 1 && Dropout > 0 && Training)
                layerInput = F.Dropout(layerInput, Dropout, training: true);
        }
        return (layerInput, finals.Select(f => Tensor.Stack(f, 0)).ToArray());
    }

    Parameter? BiasHh(Parameter[] w) => Bias ? w[3] : null;

    Parameter? WeightHr(Parameter[] w) => ProjSize > 0 ? w[^1] : null;

    /// <summary>
    /// The forward direction: when the batch shrinks at step t, the sequences that ended (the last rows) keep their
    /// state as final; the finals are the rows still running at the end followed by those set aside, latest first.
    /// </summary>
    Tensor[] RunForward(Tensor projected, Tensor[] state, int[] batchSizes, int[] offsets, Tensor[] hidden, Parameter[] w)
    {
        var ended = new List<Tensor[]>();
        int last = batchSizes[0];
        for (int t = 0; t < batchSizes.Length; t++)
        {
            int n = batchSizes[t];
            if (n < last)
            {
                ended.Add(state.Select(s => s.Narrow(0, n, last - n)).ToArray());
                state = state.Select(s => s.Narrow(0, 0, n)).ToArray();
            }
            state = Cell(projected.Narrow(0, offsets[t], n), state, w[1], BiasHh(w), WeightHr(w));
            hidden[t] = state[0];
            last = n;
        }
        if (ended.Count == 0) return state;
        ended.Reverse();
        return Enumerable.Range(0, state.Length)
            .Select(s => Tensor.Cat(ended.Select(e => e[s]).Prepend(state[s]), 0)).ToArray();
    }

    /// <summary>
    /// The reverse direction: from the last step back; when the batch grows at step t, the sequences that end at t
    /// join with their initial state.
    /// </summary>
    Tensor[] RunReverse(Tensor projected, Tensor[] initial, int[] batchSizes, int[] offsets, Tensor[] hidden, Parameter[] w)
    {
        int steps = batchSizes.Length, last = batchSizes[^1], batch = batchSizes[0];
        var state = last == batch ? initial : initial.Select(s => s.Narrow(0, 0, last)).ToArray();
        for (int t = steps - 1; t >= 0; t--)
        {
            int n = batchSizes[t];
            if (n > last)
            {
                int from = last;
                state = state.Select((s, k) => Tensor.Cat(new[] { s, initial[k].Narrow(0, from, n - from) }, 0)).ToArray();
            }
            state = Cell(projected.Narrow(0, offsets[t], n), state, w[1], BiasHh(w), WeightHr(w));
            hidden[t] = state[0];
            last = n;
        }
        return state;
    }

    /// <summary>PyTorch's <c>extra_repr</c>: the sizes, then only the options that differ from their defaults.</summary>
    protected override string ExtraRepr()
    {
        var s = $"{InputSize}, {HiddenSize}";
        if (ProjSize != 0) s += $", proj_size={ProjSize}";
        if (NumLayers != 1) s += $", num_layers={NumLayers}";
        if (!Bias) s += ", bias=False";
        if (BatchFirst) s += ", batch_first=True";
        if (Dropout != 0) s += $", dropout={PythonRepr.Float(Dropout)}";
        if (Bidirectional) s += ", bidirectional=True";
        return s;
    }
}
