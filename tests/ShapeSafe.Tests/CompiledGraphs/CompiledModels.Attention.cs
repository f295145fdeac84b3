using ShapeSafe.NN;

namespace ShapeSafe.Tests.CompiledGraphs;

public static partial class CompiledModels
{
    /// <summary>A Transformer encoder layer between two linear layers, so gradients flow into and out of it.</summary>
    [Module]
    public sealed partial class EncoderLayerNet : Module
    {
        readonly Linear _embed;
        readonly TransformerEncoderLayer _layer;
        readonly Linear _head;

        public EncoderLayerNet(bool normFirst, string activation, bool batchFirst, Generator generator)
        {
            _embed = new Linear(12, 32, generator: generator);
            _layer = new TransformerEncoderLayer(32, 4, 48, 0.2, activation, batchFirst: batchFirst, normFirst: normFirst, generator: generator);
            _head = new Linear(32, 5, generator: generator);
        }

        public Tensor Forward(Tensor x) => _head.Forward(_layer.Forward(_embed.Forward(x)));
    }

    /// <summary>Self-attention read through its output, with a residual connection.</summary>
    [Module]
    public sealed partial class AttentionNet : Module
    {
        readonly MultiheadAttention _attention;

        public AttentionNet(bool batchFirst, bool bias, Generator generator) =>
            _attention = new MultiheadAttention(24, 3, dropout: 0.25, bias: bias, batchFirst: batchFirst, generator: generator);

        public Tensor Forward(Tensor x) => x + _attention.Forward(x, x, x, needWeights: false).Output;
    }

    /// <summary>A two-layer encoder with a final norm, unrolled from its initializer.</summary>
    [Module]
    public sealed partial class EncoderNet : Module
    {
        readonly TransformerEncoder _encoder =
            new(new TransformerEncoderLayer(16, 2, 32, 0.1, "gelu", batchFirst: true, normFirst: true, generator: new Generator(21)), 2, new LayerNorm(16));

        public Tensor Forward(Tensor x) => _encoder.Forward(x);
    }

    /// <summary>An encoder layer given the causal mask with the isCausal hint (as a decoder-only model calls it).</summary>
    [Module]
    public sealed partial class CausalEncoderLayerNet : Module
    {
        readonly TransformerEncoderLayer _layer;

        public CausalEncoderLayerNet(bool batchFirst, Generator generator) =>
            _layer = new TransformerEncoderLayer(16, 2, 32, 0.2, batchFirst: batchFirst, generator: generator);

        public Tensor Forward(Tensor x, Tensor mask) => _layer.Forward(x, mask, isCausal: true);
    }

    /// <summary>An encoder layer on the input itself, as the benchmark runs it (the input takes no gradient there).</summary>
    [Module]
    public sealed partial class BareEncoderLayer : Module
    {
        readonly TransformerEncoderLayer _layer;

        public BareEncoderLayer(bool normFirst, Generator generator) =>
            _layer = new TransformerEncoderLayer(16, 2, 32, 0.2, "gelu", normFirst: normFirst, generator: generator);

        public Tensor Forward(Tensor x) => _layer.Forward(x);
    }
}
