using ShapeSafe.Tracing;

namespace ShapeSafe.NN;

/// <summary>
/// What <see cref="RNN"/>, <see cref="LSTM"/> and <see cref="GRU"/> share (<c>nn.RNNBase</c>): the stacked,
/// optionally bidirectional parameters with PyTorch's names, order and initialization, the layout handling of
/// the input and state, and the loop over layers, directions and time steps. A subclass supplies only its cell.
/// </summary>
/// <remarks>
/// <para>
/// Per layer <c>k</c> and direction (suffix <c>""</c>, then <c>"_reverse"</c> when bidirectional) the parameters are
/// registered in PyTorch's order: <c>weight_ih_l{k}</c> [gates·hidden, in], <c>weight_hh_l{k}</c> [gates·hidden, hidden],
/// then (with bias) <c>bias_ih_l{k}</c> and <c>bias_hh_l{k}</c> [gates·hidden]. Layer 0 reads the input; deeper layers
/// read the previous layer's output, of size directions·hidden. Every parameter is drawn from
/// U(-1/sqrt(hidden), 1/sqrt(hidden)) in that order, so a seeded generator gives PyTorch's weights.
/// </para>
/// <para>
/// The forward is composed of differentiable ops (one <see cref="F.Linear"/> for the input projection of all steps of
/// a layer, then per step a <see cref="F.Linear"/> of the state, element-wise gates and a final <see cref="Tensor.Stack"/>),
/// so autograd needs no backward of its own. Dropout between layers draws from the default generator, as PyTorch's does.
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
    /// <param name="generator">The generator the initial values are drawn from (the default generator when null).</param>
    private protected RNNBase(int gates, int inputSize, int hiddenSize, int numLayers, bool bias, bool batchFirst,
        double dropout, bool bidirectional, Generator? generator)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputSize);
        if (hiddenSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(hiddenSize), hiddenSize, $"{GetName()}: hidden_size must be greater than zero");
        if (numLayers <= 0)
            throw new ArgumentOutOfRangeException(nameof(numLayers), numLayers, $"{GetName()}: num_layers must be greater than zero");
        if (!(dropout >= 0 && dropout <= 1))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, $"{GetName()}: dropout should be a number in range [0, 1] representing the probability of an element being zeroed");

        Gates = gates;
        InputSize = inputSize;
        HiddenSize = hiddenSize;
        NumLayers = numLayers;
        Bias = bias;
        BatchFirst = batchFirst;
        Dropout = dropout;
        Bidirectional = bidirectional;

        int directions = Directions;
        _weights = new Parameter[numLayers * directions][];
        for (int layer = 0; layer < numLayers; layer++)
        {
            int layerInput = layer == 0 ? inputSize : hiddenSize * directions;
            for (int direction = 0; direction < directions; direction++)
            {
                string suffix = $"_l{layer}" + (direction == 1 ? "_reverse" : "");
                var w = new List<Parameter>
                {
                    RegisterParameter("weight_ih" + suffix, new Parameter(Tensor.Empty(gates * hiddenSize, layerInput))),
                    RegisterParameter("weight_hh" + suffix, new Parameter(Tensor.Empty(gates * hiddenSize, hiddenSize))),
                };
                if (bias)
                {
                    w.Add(RegisterParameter("bias_ih" + suffix, new Parameter(Tensor.Empty(gates * hiddenSize))));
                    w.Add(RegisterParameter("bias_hh" + suffix, new Parameter(Tensor.Empty(gates * hiddenSize))));
                }
                _weights[layer * directions + direction] = w.ToArray();
            }
        }
        ResetParameters(generator);
    }

    /// <summary>The number of gate blocks stacked in each weight (1 for RNN, 4 for LSTM, 3 for GRU).</summary>
    public int Gates { get; }

    /// <summary>The number of features of each input step.</summary>
    public int InputSize { get; }

    /// <summary>The number of features of the hidden state.</summary>
    public int HiddenSize { get; }

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
    /// entry <c>layer·directions + direction</c> holds <c>[w_ih, w_hh]</c> or <c>[w_ih, w_hh, b_ih, b_hh]</c>.
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
    /// <paramref name="inputGates"/> = x·W_ihᵀ + b_ih [N, gates·hidden] and the previous <paramref name="state"/>
    /// (each [N, hidden]; the first is the hidden state, which is also the step's output).
    /// </summary>
    private protected abstract Tensor[] Cell(Tensor inputGates, Tensor[] state, Parameter weightHh, Parameter? biasHh);

    /// <summary>
    /// Runs the stack over <paramref name="input"/> ([T, N, in], [N, T, in] when batch-first, or unbatched [T, in])
    /// from the initial states (each [directions·layers, N, hidden], or [directions·layers, hidden] unbatched; zeros
    /// when null), giving the output [T, N, directions·hidden] (in the input's layout) and each final state in the
    /// initial states' layout.
    /// </summary>
    private protected (Tensor Output, Tensor[] Final) Run(Tensor input, Tensor?[] initial)
    {
        string op = GetName();
        if (OpTrace.Recording)
        {
            // Reported as one op (ONNX's RNN, LSTM and GRU): inputs are the input, the initial states, then every weight.
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
        if (input.DType != DType.Float32)
            throw new ArgumentException($"{op}: expected a Float32 input, got {input.DType} {Rules.Format(input.Sizes)}", nameof(input));
        if (input.Rank != 2 && input.Rank != 3)
            throw new ShapeException(op, $"Expected input to be 2D or 3D, got {input.Rank}D tensor {Rules.Format(input.Sizes)} instead");
        if (input.Sizes[^1] != InputSize)
            throw new ShapeException(op, $"input.size(-1) must be equal to input_size. Expected {InputSize}, got {input.Sizes[^1]} (input {Rules.Format(input.Sizes)})");

        bool batched = input.Rank == 3;
        // Work in [T, N, features] throughout.
        var x = !batched ? input.Unsqueeze(1) : BatchFirst ? input.Transpose(0, 1) : input;
        int steps = x.Sizes[0], batch = x.Sizes[1];
        if (steps == 0)
            throw new ShapeException(op, $"Expected a sequence of at least one step, got input {Rules.Format(input.Sizes)}");

        int directions = Directions, stacks = NumLayers * directions;
        var expected = batched ? new[] { stacks, batch, HiddenSize } : new[] { stacks, HiddenSize };
        var states = new Tensor[initial.Length];
        for (int s = 0; s < initial.Length; s++)
        {
            var given = initial[s];
            if (given is null)
            {
                states[s] = Tensor.Zeros(stacks, batch, HiddenSize);
                continue;
            }
            if (!given.Sizes.AsSpan().SequenceEqual(expected))
                throw new ShapeException(op, $"Expected hidden size {Rules.Format(expected)}, got {Rules.Format(given.Sizes)} (input {Rules.Format(input.Sizes)})");
            states[s] = batched ? given : given.Unsqueeze(1);
        }

        var finals = new Tensor[initial.Length][];
        for (int s = 0; s < finals.Length; s++) finals[s] = new Tensor[stacks];

        var layerInput = x;
        for (int layer = 0; layer < NumLayers; layer++)
        {
            var outputs = new Tensor[directions];
            for (int direction = 0; direction < directions; direction++)
            {
                int index = layer * directions + direction;
                var w = _weights[index];
                var projected = F.Linear(layerInput, w[0], Bias ? w[2] : null);
                var state = states.Select(s => s.Select(0, index)).ToArray();
                var hidden = new Tensor[steps];
                for (int i = 0; i < steps; i++)
                {
                    int t = direction == 0 ? i : steps - 1 - i;
                    state = Cell(projected.Select(0, t), state, w[1], Bias ? w[3] : null);
                    hidden[t] = state[0];
                }
                outputs[direction] = Tensor.Stack(hidden, 0);
                for (int s = 0; s < state.Length; s++) finals[s][index] = state[s];
            }
            layerInput = directions == 1 ? outputs[0] : Tensor.Cat(outputs, 2);
            if (layer < NumLayers - 1 && Dropout > 0 && Training)
                layerInput = F.Dropout(layerInput, Dropout, training: true);
        }

        var output = !batched ? layerInput.Squeeze(1) : BatchFirst ? layerInput.Transpose(0, 1) : layerInput;
        var final = finals.Select(f => batched ? Tensor.Stack(f, 0) : Tensor.Stack(f, 0).Squeeze(1)).ToArray();
        return (output, final);
    }

    /// <summary>PyTorch's <c>extra_repr</c>: the sizes, then only the options that differ from their defaults.</summary>
    protected override string ExtraRepr()
    {
        var s = $"{InputSize}, {HiddenSize}";
        if (NumLayers != 1) s += $", num_layers={NumLayers}";
        if (!Bias) s += ", bias=False";
        if (BatchFirst) s += ", batch_first=True";
        if (Dropout != 0) s += $", dropout={PythonRepr.Float(Dropout)}";
        if (Bidirectional) s += ", bidirectional=True";
        return s;
    }
}
