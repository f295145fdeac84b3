namespace ShapeSafe.NN;

/// <summary>
/// A stack of encoder layers (<c>nn.TransformerEncoder</c>): <c>layers</c>, a <see cref="ModuleList{T}"/> of deep
/// copies of the given layer, run in order, then the optional <c>norm</c>.
/// </summary>
[Module]
public partial class TransformerEncoder : Module, ITensorModule
{
    /// <summary>Stacks <paramref name="numLayers"/> copies of <paramref name="encoderLayer"/> (PyTorch's <c>_get_clones</c>: values copied, not shared).</summary>
    /// <param name="encoderLayer">The layer to copy; it is not itself part of the stack.</param>
    /// <param name="numLayers">The number of copies.</param>
    /// <param name="norm">A final normalization, or null for none.</param>
    public TransformerEncoder(TransformerEncoderLayer encoderLayer, int numLayers, LayerNorm? norm = null)
    {
        ArgumentNullException.ThrowIfNull(encoderLayer);
        ArgumentOutOfRangeException.ThrowIfNegative(numLayers);
        NumLayers = numLayers;
        Layers = new ModuleList<TransformerEncoderLayer>(Enumerable.Range(0, numLayers).Select(_ => encoderLayer.DeepCopy()));
        // A null norm is never registered (PyTorch keeps a None norm as a plain attribute), so it is neither a child nor printed.
        Norm = norm;
    }

    /// <summary>The number of layers.</summary>
    public int NumLayers { get; }

    /// <summary>The layers, run in order.</summary>
    [StateName("layers")]
    public ModuleList<TransformerEncoderLayer> Layers { get; }

    /// <summary>The final normalization, or null.</summary>
    [StateName("norm")]
    public LayerNorm? Norm { get; }

    /// <summary>Runs every layer on <paramref name="src"/>, with the same masks, then the norm.</summary>
    /// <param name="src">The sequence, [S, N, E] ([N, S, E] when batch-first, or unbatched [S, E]).</param>
    /// <param name="mask">An attention mask [S, S] or [N·heads, S, S]: Bool (true = not allowed) or additive.</param>
    /// <param name="srcKeyPaddingMask">A mask [N, S] on the keys to ignore: Bool (true = ignore) or additive.</param>
    /// <param name="isCausal">
    /// The <c>is_causal</c> hint given to every layer; when null (PyTorch's default) it is true exactly when
    /// <paramref name="mask"/> equals <see cref="Transformer.GenerateSquareSubsequentMask"/> of the sequence length
    /// (PyTorch's <c>_detect_is_causal_mask</c>, a Bool mask compared after its conversion).
    /// </param>
    public Tensor Forward(Tensor src, Tensor? mask = null, Tensor? srcKeyPaddingMask = null, bool? isCausal = null)
    {
        ArgumentNullException.ThrowIfNull(src);
        var x = src;
        bool causal = TransformerMasks.DetectCausal(mask, isCausal, TransformerMasks.SequenceLength(src, Layers.Count > 0 && Layers[0].BatchFirst));
        foreach (var layer in Layers)
            x = layer.Forward(x, mask, srcKeyPaddingMask, causal);
        return Norm is null ? x : Norm.Forward(x);
    }

    Tensor ITensorModule.Forward(Tensor input) => Forward(input);
}
