using ShapeSafe.NN;

namespace ShapeSafe.Tests.CompiledGraphs;

public static partial class CompiledModels
{
    /// <summary>A Transformer decoder layer between two linear layers, attending to a memory that takes a gradient.</summary>
    [Module]
    public sealed partial class DecoderLayerNet : Module
    {
        readonly Linear _embed;
        readonly TransformerDecoderLayer _layer;
        readonly Linear _head;

        public DecoderLayerNet(bool normFirst, string activation, bool batchFirst, Generator generator)
        {
            _embed = new Linear(12, 16, generator: generator);
            _layer = new TransformerDecoderLayer(16, 2, 24, 0.2, activation, batchFirst: batchFirst, normFirst: normFirst, generator: generator);
            _head = new Linear(16, 5, generator: generator);
        }

        public Tensor Forward(Tensor tgt, Tensor memory) => _head.Forward(_layer.Forward(_embed.Forward(tgt), memory));
    }

    /// <summary>A decoder layer given an attention mask on its self-attention and a key padding mask on the memory.</summary>
    [Module]
    public sealed partial class MaskedDecoderLayerNet : Module
    {
        readonly TransformerDecoderLayer _layer;

        public MaskedDecoderLayerNet(bool batchFirst, Generator generator) =>
            _layer = new TransformerDecoderLayer(16, 2, 24, 0.2, batchFirst: batchFirst, generator: generator);

        public Tensor Forward(Tensor tgt, Tensor memory, Tensor tgtMask, Tensor memoryPadding) =>
            _layer.Forward(tgt, memory, tgtMask: tgtMask, memoryKeyPaddingMask: memoryPadding);
    }

    /// <summary>A two-layer pre-norm decoder with a final norm, unrolled from its initializer, with a causal target mask and a memory padding mask.</summary>
    [Module]
    public sealed partial class DecoderNet : Module
    {
        readonly TransformerDecoder _decoder =
            new(new TransformerDecoderLayer(16, 2, 32, 0.1, "gelu", batchFirst: true, normFirst: true, generator: new Generator(23)), 2, new LayerNorm(16));

        public Tensor Forward(Tensor tgt, Tensor memory, Tensor tgtMask, Tensor memoryPadding) =>
            _decoder.Forward(tgt, memory, tgtMask, memoryKeyPaddingMask: memoryPadding, tgtIsCausal: true);
    }

    /// <summary>A whole encoder-decoder Transformer, sequence-first, with a causal target mask and one padding mask for the source and the memory.</summary>
    [Module]
    public sealed partial class TransformerNet : Module
    {
        readonly Transformer _transformer = new(16, 2, 2, 2, 32, 0.1, generator: new Generator(24));

        public Tensor Forward(Tensor src, Tensor tgt, Tensor tgtMask, Tensor padding) =>
            _transformer.Forward(src, tgt, tgtMask: tgtMask, srcKeyPaddingMask: padding, memoryKeyPaddingMask: padding, srcIsCausal: false, tgtIsCausal: true);
    }
}
