namespace ShapeSafe.NN;

/// <summary>
/// A stack of decoder layers (<c>nn.TransformerDecoder</c>): <c>layers</c>, a <see cref="ModuleList{T}"/> of deep
/// copies of the given layer, each attending to the same memory, then the optional <c>norm</c>.
/// </summary>
[Module]
public partial class TransformerDecoder : Module
{
    /// <summary>Stacks <paramref name="numLayers"/> copies of <paramref name="decoderLayer"/> (values copied, not shared).</summary>
    /// <param name="decoderLayer">The layer to copy; it is not itself part of the stack.</param>
    /// <param name="numLayers">The number of copies.</param>
    /// <param name="norm">A final normalization, or null for none.</param>
    public TransformerDecoder(TransformerDecoderLayer decoderLayer, int numLayers, LayerNorm? norm = null)
    {
        ArgumentNullException.ThrowIfNull(decoderLayer);
        ArgumentOutOfRangeException.ThrowIfNegative(numLayers);
        NumLayers = numLayers;
        Layers = new ModuleList<TransformerDecoderLayer>(Enumerable.Range(0, numLayers).Select(_ => decoderLayer.DeepCopy()));
        Norm = norm;
    }

    /// <summary>The number of layers.</summary>
    public int NumLayers { get; }

    /// <summary>The layers, run in order.</summary>
    [StateName("layers")]
    public ModuleList<TransformerDecoderLayer> Layers { get; }

    /// <summary>The final normalization, or null.</summary>
    [StateName("norm")]
    public LayerNorm? Norm { get; }

    /// <summary>Runs every layer on <paramref name="tgt"/> against <paramref name="memory"/>, with the same masks, then the norm.</summary>
    /// <param name="tgt">The target sequence, [T, N, E] ([N, T, E] when batch-first, or unbatched [T, E]).</param>
    /// <param name="memory">The encoder's output, [S, N, E] in the same layout.</param>
    /// <param name="tgtMask">A mask [T, T] on the self-attention: Bool (true = not allowed) or additive.</param>
    /// <param name="memoryMask">A mask [T, S] on the memory attention.</param>
    /// <param name="tgtKeyPaddingMask">A mask [N, T]: Bool (true = ignore) or additive.</param>
    /// <param name="memoryKeyPaddingMask">A mask [N, S].</param>
    /// <param name="tgtIsCausal">
    /// The <c>tgt_is_causal</c> hint; when null (PyTorch's default) it is detected from <paramref name="tgtMask"/> as
    /// <see cref="TransformerEncoder.Forward"/> detects it.
    /// </param>
    /// <param name="memoryIsCausal">The <c>memory_is_causal</c> hint given to every layer.</param>
    public Tensor Forward(Tensor tgt, Tensor memory, Tensor? tgtMask = null, Tensor? memoryMask = null,
        Tensor? tgtKeyPaddingMask = null, Tensor? memoryKeyPaddingMask = null, bool? tgtIsCausal = null, bool memoryIsCausal = false)
    {
        ArgumentNullException.ThrowIfNull(tgt);
        var x = tgt;
        bool causal = TransformerMasks.DetectCausal(tgtMask, tgtIsCausal, TransformerMasks.SequenceLength(tgt, Layers.Count > 0 && Layers[0].BatchFirst));
        foreach (var layer in Layers)
            x = layer.Forward(x, memory, tgtMask, memoryMask, tgtKeyPaddingMask, memoryKeyPaddingMask, causal, memoryIsCausal);
        return Norm is null ? x : Norm.Forward(x);
    }
}
