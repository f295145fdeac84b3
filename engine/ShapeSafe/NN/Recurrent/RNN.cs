namespace ShapeSafe.NN;

/// <summary>
/// An Elman recurrent network (<c>nn.RNN</c>): per step <c>h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh)</c> with
/// act <c>tanh</c> or <c>relu</c>, stacked and optionally bidirectional. Parameters, layouts and initialization are
/// described on <see cref="RNNBase"/>.
/// </summary>
public class RNN : RNNBase
{
    /// <summary>Creates the network with PyTorch's default initialization.</summary>
    /// <param name="inputSize">The number of features of each input step.</param>
    /// <param name="hiddenSize">The number of features of the hidden state.</param>
    /// <param name="numLayers">The number of stacked layers.</param>
    /// <param name="nonlinearity"><c>"tanh"</c> or <c>"relu"</c>.</param>
    /// <param name="bias">Whether the layers learn the biases.</param>
    /// <param name="batchFirst">Whether the input and output are [N, T, features] rather than [T, N, features].</param>
    /// <param name="dropout">The dropout probability on each layer's output but the last's, in training.</param>
    /// <param name="bidirectional">Whether each layer also runs backward in time.</param>
    /// <param name="generator">The generator the initial values are drawn from (the default generator when null).</param>
    /// <exception cref="ArgumentException"><paramref name="nonlinearity"/> is neither.</exception>
    public RNN([Dim("In")] int inputSize, [Dim("Hidden")] int hiddenSize, int numLayers = 1, string nonlinearity = "tanh", bool bias = true,
        bool batchFirst = false, double dropout = 0, bool bidirectional = false, Generator? generator = null)
        : base(1, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, 0, generator)
    {
        if (nonlinearity is not ("tanh" or "relu"))
            throw new ArgumentException($"RNN: Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.", nameof(nonlinearity));
        Nonlinearity = nonlinearity;
    }

    /// <summary><c>"tanh"</c> or <c>"relu"</c>.</summary>
    public string Nonlinearity { get; }

    /// <summary>
    /// Runs the network over <paramref name="input"/>: [T, N, in], [N, T, in] when batch-first, or unbatched [T, in].
    /// </summary>
    /// <param name="input">The sequence.</param>
    /// <param name="h0">The initial hidden state, [directions·layers, N, hidden] ([directions·layers, hidden] unbatched); zeros when null.</param>
    /// <returns>
    /// <c>Output</c>: the last layer's hidden state at every step, [T, N, directions·hidden] in the input's layout
    /// (forward and reverse halves concatenated); <c>Hidden</c>: every layer's and direction's final state, in
    /// <paramref name="h0"/>'s layout, entry <c>layer·directions + direction</c>.
    /// </returns>
    /// <exception cref="ShapeException">The input is not 2-D or 3-D, its last dim is not in, or h0 has the wrong shape.</exception>
    public (Tensor Output, Tensor Hidden) Forward([Shape("..., In")] Tensor input, [Shape("..., Hidden")] Tensor? h0 = null)
    {
        var (output, final) = Run(input, new[] { h0 });
        return (output, final[0]);
    }

    /// <summary>
    /// Runs the network over a packed batch of sequences of different lengths (see <see cref="Utils.Rnn.PackPaddedSequence(Tensor, Tensor, bool, bool)"/>):
    /// each sequence is run over its own steps only, as if alone.
    /// </summary>
    /// <param name="input">The packed sequences; its data is [Σ lengths, in].</param>
    /// <param name="h0">The initial hidden state, [directions·layers, N, hidden] in the order of the batch that was packed; zeros when null.</param>
    /// <returns>
    /// <c>Output</c>: the last layer's hidden states, packed like <paramref name="input"/> (data [Σ lengths, directions·hidden]);
    /// <c>Hidden</c>: every layer's and direction's final state, taken at each sequence's own last step (the reverse
    /// direction's at its first), in the order of the batch that was packed.
    /// </returns>
    /// <exception cref="ShapeException">The data is not 2-D, its last dim is not in, or h0 has the wrong shape.</exception>
    public (PackedSequence Output, Tensor Hidden) Forward(PackedSequence input, Tensor? h0 = null)
    {
        var (output, final) = Run(input, new[] { h0 });
        return (output, final[0]);
    }

    private protected override string CellNonlinearity => Nonlinearity;

    private protected override Tensor[] Cell(Tensor inputGates, Tensor[] state, Parameter weightHh, Parameter? biasHh, Parameter? weightHr)
    {
        var pre = inputGates + F.Linear(state[0], weightHh, biasHh);
        return new[] { Nonlinearity == "tanh" ? pre.Tanh() : pre.Relu() };
    }
}
