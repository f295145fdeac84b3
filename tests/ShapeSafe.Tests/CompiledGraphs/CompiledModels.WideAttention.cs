using ShapeSafe.NN;

namespace ShapeSafe.Tests.CompiledGraphs;

public static partial class CompiledModels
{
    /// <summary>An encoder layer wide enough (E = 128) that its in-projection runs as one packed product.</summary>
    [Module]
    public sealed partial class WideEncoderLayerNet : Module
    {
        readonly TransformerEncoderLayer _layer;

        public WideEncoderLayerNet(bool normFirst, bool batchFirst, Generator generator) =>
            _layer = new TransformerEncoderLayer(128, 4, 256, 0.2, batchFirst: batchFirst, normFirst: normFirst, generator: generator);

        public TransformerEncoderLayer Layer => _layer;

        public Tensor Forward(Tensor x) => _layer.Forward(x);
    }

    /// <summary>A self-attention of E = 128 with a residual connection, its in-projection one packed product.</summary>
    [Module]
    public sealed partial class WideAttentionNet : Module
    {
        readonly MultiheadAttention _attention;

        public WideAttentionNet(bool batchFirst, bool bias, Generator generator) =>
            _attention = new MultiheadAttention(128, 4, dropout: 0.25, bias: bias, batchFirst: batchFirst, generator: generator);

        public MultiheadAttention Attention => _attention;

        public Tensor Forward(Tensor x) => x + _attention.Forward(x, x, x, needWeights: false).Output;
    }
}
