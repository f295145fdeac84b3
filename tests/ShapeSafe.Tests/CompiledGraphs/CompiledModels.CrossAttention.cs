using ShapeSafe.NN;

namespace ShapeSafe.Tests.CompiledGraphs;

public static partial class CompiledModels
{
    /// <summary>Cross-attention from x to a memory read as both key and value, with a residual connection on the query.</summary>
    [Module]
    public sealed partial class CrossAttentionNet : Module
    {
        readonly MultiheadAttention _attention;

        public CrossAttentionNet(bool batchFirst, Generator generator) =>
            _attention = new MultiheadAttention(16, 2, dropout: 0.25, batchFirst: batchFirst, generator: generator);

        public Tensor Forward(Tensor x, Tensor memory) => x + _attention.Forward(x, memory, memory, needWeights: false).Output;
    }

    /// <summary>Attention from a query to a key and a value that are three different inputs, of a layer with kdim and vdim (separate projections) or without.</summary>
    [Module]
    public sealed partial class ThreeInputAttentionNet : Module
    {
        readonly MultiheadAttention _attention;

        public ThreeInputAttentionNet(bool batchFirst, int kdim, int vdim, bool bias, Generator generator) =>
            _attention = new MultiheadAttention(16, 4, dropout: 0.2, bias: bias, batchFirst: batchFirst, generator: generator, kdim: kdim, vdim: vdim);

        public Tensor Forward(Tensor query, Tensor key, Tensor value) => _attention.Forward(query, key, value, needWeights: false).Output;
    }

    /// <summary>Cross-attention given an attention mask [L, S] or [N·heads, L, S] and a key padding mask [N, S].</summary>
    [Module]
    public sealed partial class MaskedCrossAttentionNet : Module
    {
        readonly MultiheadAttention _attention;

        public MaskedCrossAttentionNet(bool batchFirst, Generator generator) =>
            _attention = new MultiheadAttention(16, 2, dropout: 0.25, batchFirst: batchFirst, generator: generator);

        public Tensor Forward(Tensor x, Tensor memory, Tensor mask, Tensor padding) =>
            _attention.Forward(x, memory, memory, keyPaddingMask: padding, needWeights: false, attnMask: mask).Output;
    }

    /// <summary>
    /// A decoder's cross-attentions reading one projected memory as key and value (its gradient summed over five reads),
    /// the last one with the raw memory as its value (vdim 12): every input's gradient reaches it along several paths.
    /// </summary>
    [Module]
    public sealed partial class TwoCrossAttentionsNet : Module
    {
        readonly Linear _memory;
        readonly MultiheadAttention _first;
        readonly MultiheadAttention _second;
        readonly MultiheadAttention _own;

        public TwoCrossAttentionsNet(bool batchFirst, Generator generator)
        {
            _memory = new Linear(12, 16, generator: generator);
            _first = new MultiheadAttention(16, 2, dropout: 0.1, batchFirst: batchFirst, generator: generator);
            _second = new MultiheadAttention(16, 4, dropout: 0.3, batchFirst: batchFirst, generator: generator);
            _own = new MultiheadAttention(16, 2, dropout: 0.2, batchFirst: batchFirst, generator: generator, vdim: 12);
        }

        public Tensor Forward(Tensor x, Tensor memory)
        {
            var kv = _memory.Forward(memory);
            var y = x + _first.Forward(x, kv, kv, needWeights: false).Output;
            var z = _second.Forward(y, kv, kv, needWeights: false).Output;
            return z + _own.Forward(z, kv, memory, needWeights: false).Output;
        }
    }

    /// <summary>A causal cross-attention: the mask passed with isCausal: true is not read, query i attends to keys 0..i.</summary>
    [Module]
    public sealed partial class CausalCrossAttentionNet : Module
    {
        readonly MultiheadAttention _attention;

        public CausalCrossAttentionNet(Generator generator) =>
            _attention = new MultiheadAttention(16, 2, dropout: 0.25, generator: generator);

        public Tensor Forward(Tensor x, Tensor memory, Tensor mask) =>
            _attention.Forward(x, memory, memory, needWeights: false, attnMask: mask, isCausal: true).Output;
    }
}
