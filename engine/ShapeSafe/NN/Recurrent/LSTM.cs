namespace ShapeSafe.NN;

/// <summary>
/// A long short-term memory network (<c>nn.LSTM</c>), stacked and optionally bidirectional. Per step, with the gate
/// blocks in PyTorch's order i, f, g, o (each <c>hidden</c> rows of the weights):
/// <c>i = σ(·), f = σ(·), g = tanh(·), o = σ(·)</c> of <c>x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh</c>, then
/// <c>c' = f·c + i·g</c> and <c>h' = o·tanh(c')</c>. Parameters, layouts and initialization are described on
/// <see cref="RNNBase"/>. With <c>projSize</c> &gt; 0 (PyTorch's <c>proj_size</c>) the new h is projected,
/// <c>h' = (o·tanh(c'))·W_hrᵀ</c>, by <c>weight_hr_l{k}</c> [proj, hidden]: h, the output and <c>weight_hh</c>'s
/// columns have size proj, c keeps hidden, and deeper layers read directions·proj features.
/// </summary>
public class LSTM : RNNBase
{
    /// <summary>Creates the network with PyTorch's default initialization.</summary>
    /// <param name="inputSize">The number of features of each input step.</param>
    /// <param name="hiddenSize">The number of features of the hidden and cell states.</param>
    /// <param name="numLayers">The number of stacked layers.</param>
    /// <param name="bias">Whether the layers learn the biases.</param>
    /// <param name="batchFirst">Whether the input and output are [N, T, features] rather than [T, N, features].</param>
    /// <param name="dropout">The dropout probability on each layer's output but the last's, in training.</param>
    /// <param name="bidirectional">Whether each layer also runs backward in time.</param>
    /// <param name="projSize">The size h is projected to (PyTorch's <c>proj_size</c>), or 0 for no projection.</param>
    /// <param name="generator">The generator the initial values are drawn from (the default generator when null).</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A size is out of range, as PyTorch refuses it: hidden or layers not positive, dropout outside [0, 1], projSize
    /// negative or not smaller than hiddenSize.
    /// </exception>
    public LSTM([Dim("In")] int inputSize, [Dim("Hidden")] int hiddenSize, int numLayers = 1, bool bias = true,
        bool batchFirst = false, double dropout = 0, bool bidirectional = false, int projSize = 0, Generator? generator = null)
        : base(4, inputSize, hiddenSize, numLayers, bias, batchFirst, dropout, bidirectional, projSize, generator)
    {
    }

    /// <summary>
    /// Runs the network over <paramref name="input"/>: [T, N, in], [N, T, in] when batch-first, or unbatched [T, in].
    /// </summary>
    /// <param name="input">The sequence.</param>
    /// <param name="state">
    /// The initial hidden and cell states (PyTorch's <c>(h_0, c_0)</c>): h [directions·layers, N, out] and c
    /// [directions·layers, N, hidden] ([directions·layers, size] unbatched), where out is projSize when set, else
    /// hidden; both zeros when null.
    /// </param>
    /// <returns>
    /// <c>Output</c>: the last layer's hidden state at every step, [T, N, directions·out] in the input's layout;
    /// <c>State</c>: the final <c>(H, C)</c> of every layer and direction (PyTorch's <c>(h_n, c_n)</c>), in the
    /// initial states' layout, entry <c>layer·directions + direction</c>.
    /// </returns>
    /// <exception cref="ShapeException">The input is not 2-D or 3-D, its last dim is not in, or a state has the wrong shape.</exception>
    public (Tensor Output, (Tensor H, Tensor C) State) Forward([Shape("..., In")] Tensor input, (Tensor H, Tensor C)? state = null)
    {
        var (output, final) = Run(input, new[] { state?.H, state?.C });
        return (output, (final[0], final[1]));
    }

    /// <summary>
    /// Runs the network over a packed batch of sequences of different lengths (see <see cref="Utils.Rnn.PackPaddedSequence(Tensor, Tensor, bool, bool)"/>):
    /// each sequence is run over its own steps only, as if alone.
    /// </summary>
    /// <param name="input">The packed sequences; its data is [Σ lengths, in].</param>
    /// <param name="state">
    /// The initial <c>(h_0, c_0)</c>, h [directions·layers, N, out] and c [directions·layers, N, hidden], in the
    /// order of the batch that was packed; both zeros when null.
    /// </param>
    /// <returns>
    /// <c>Output</c>: the last layer's hidden states, packed like <paramref name="input"/> (data [Σ lengths, directions·out]);
    /// <c>State</c>: every layer's and direction's <c>(h_n, c_n)</c>, taken at each sequence's own last step (the
    /// reverse direction's at its first), in the order of the batch that was packed.
    /// </returns>
    /// <exception cref="ShapeException">The data is not 2-D, its last dim is not in, or a state has the wrong shape.</exception>
    public (PackedSequence Output, (Tensor H, Tensor C) State) Forward(PackedSequence input, (Tensor H, Tensor C)? state = null)
    {
        var (output, final) = Run(input, new[] { state?.H, state?.C });
        return (output, (final[0], final[1]));
    }

    private protected override Tensor[] Cell(Tensor inputGates, Tensor[] state, Parameter weightHh, Parameter? biasHh, Parameter? weightHr)
    {
        var gates = (inputGates + F.Linear(state[0], weightHh, biasHh)).Chunk(4, 1);
        var i = gates[0].Sigmoid();
        var f = gates[1].Sigmoid();
        var g = gates[2].Tanh();
        var o = gates[3].Sigmoid();
        var c = f * state[1] + i * g;
        var h = o * c.Tanh();
        return new[] { weightHr is null ? h : F.Linear(h, weightHr), c };
    }
}
