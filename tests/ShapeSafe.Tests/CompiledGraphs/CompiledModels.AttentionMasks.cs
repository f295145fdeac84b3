using ShapeSafe.NN;

namespace ShapeSafe.Tests.CompiledGraphs;

public static partial class CompiledModels
{
    /// <summary>Self-attention given an attention mask and a key padding mask, with a residual connection.</summary>
    [Module]
    public sealed partial class MaskedAttentionNet : Module
    {
        readonly MultiheadAttention _attention;

        public MaskedAttentionNet(bool batchFirst, Generator generator) =>
            _attention = new MultiheadAttention(16, 2, dropout: 0.25, batchFirst: batchFirst, generator: generator);

        public Tensor Forward(Tensor x, Tensor mask, Tensor padding) =>
            x + _attention.Forward(x, x, x, keyPaddingMask: padding, needWeights: false, attnMask: mask).Output;
    }

    /// <summary>Self-attention given an attention mask only (2-D or 3-D, Bool or float).</summary>
    [Module]
    public sealed partial class AttnMaskNet : Module
    {
        readonly MultiheadAttention _attention;

        public AttnMaskNet(bool batchFirst, Generator generator) =>
            _attention = new MultiheadAttention(16, 2, dropout: 0.25, batchFirst: batchFirst, generator: generator);

        public Tensor Forward(Tensor x, Tensor mask) => _attention.Forward(x, x, x, needWeights: false, attnMask: mask).Output;
    }

    /// <summary>Self-attention given a key padding mask only.</summary>
    [Module]
    public sealed partial class PaddedAttentionNet : Module
    {
        readonly MultiheadAttention _attention;

        public PaddedAttentionNet(bool batchFirst, Generator generator) =>
            _attention = new MultiheadAttention(16, 2, dropout: 0.25, batchFirst: batchFirst, generator: generator);

        public Tensor Forward(Tensor x, Tensor padding) => _attention.Forward(x, x, x, padding, needWeights: false).Output;
    }

    /// <summary>An encoder layer between two linear layers given both masks.</summary>
    [Module]
    public sealed partial class MaskedEncoderLayerNet : Module
    {
        readonly Linear _embed;
        readonly TransformerEncoderLayer _layer;
        readonly Linear _head;

        public MaskedEncoderLayerNet(bool normFirst, bool batchFirst, Generator generator)
        {
            _embed = new Linear(12, 16, generator: generator);
            _layer = new TransformerEncoderLayer(16, 2, 24, 0.2, batchFirst: batchFirst, normFirst: normFirst, generator: generator);
            _head = new Linear(16, 5, generator: generator);
        }

        public Tensor Forward(Tensor x, Tensor mask, Tensor padding) => _head.Forward(_layer.Forward(_embed.Forward(x), mask, padding));
    }

    /// <summary>A two-layer encoder given an attention mask (with isCausal: false) and a key padding mask, every layer reading both.</summary>
    [Module]
    public sealed partial class MaskedEncoderNet : Module
    {
        readonly TransformerEncoder _encoder =
            new(new TransformerEncoderLayer(16, 2, 32, 0.1, "gelu", batchFirst: true, generator: new Generator(22)), 2, new LayerNorm(16));

        public Tensor Forward(Tensor x, Tensor mask, Tensor padding) => _encoder.Forward(x, mask, padding, isCausal: false);
    }

    /// <summary>A 12-layer encoder: 146 parameters and an input take gradients, more than the 64 bits of a ulong.</summary>
    [Module]
    public sealed partial class DeepEncoderNet : Module
    {
        readonly TransformerEncoder _encoder = new(new TransformerEncoderLayer(16, 2, 24, 0.1, generator: new Generator(23)), 12, new LayerNorm(16));

        public Tensor Forward(Tensor x, Tensor padding) => _encoder.Forward(x, srcKeyPaddingMask: padding);
    }

    /// <summary>Self-attention with bias_k and bias_v, which the graph does not compile: its plan reports a graph break.</summary>
    [Module]
    public sealed partial class BiasKvAttentionNet : Module
    {
        readonly MultiheadAttention _attention;

        public BiasKvAttentionNet(bool addBiasKv, bool addZeroAttn, Generator generator) =>
            _attention = new MultiheadAttention(16, 2, addBiasKv: addBiasKv, addZeroAttn: addZeroAttn, generator: generator);

        public Tensor Forward(Tensor x) => _attention.Forward(x, x, x, needWeights: false).Output;
    }
}
