using ShapeSafe.NN;

namespace ShapeSafe.Tests.CompiledGraphs;

public static partial class CompiledModels
{
    /// <summary>
    /// Batch-first cross-attention whose weights, averaged over the heads ([N, L, S]), scale its output: y [N, L, E]
    /// and w meet as [N, L, S, E], so the weights' gradient flows back into the attention.
    /// </summary>
    [Module]
    public sealed partial class AveragedWeightsNet : Module
    {
        readonly MultiheadAttention _attention;

        public AveragedWeightsNet(Generator generator) =>
            _attention = new MultiheadAttention(16, 2, dropout: 0.25, batchFirst: true, generator: generator);

        public Tensor Forward(Tensor x, Tensor memory, Tensor padding)
        {
            var (y, w) = _attention.Forward(x, memory, memory, keyPaddingMask: padding);
            return y.Unsqueeze(2) * w!.Unsqueeze(-1);
        }
    }

    /// <summary>
    /// Sequence-first self-attention whose weights per head ([N, heads, L, L]) are added to its output read the same
    /// way: y [L, N, E] as [N, 1, L, 1, E] beside w as [N, heads, L, L, 1].
    /// </summary>
    [Module]
    public sealed partial class HeadWeightsNet : Module
    {
        readonly MultiheadAttention _attention;

        public HeadWeightsNet(Generator generator) =>
            _attention = new MultiheadAttention(16, 4, dropout: 0.2, generator: generator);

        public Tensor Forward(Tensor x, Tensor mask)
        {
            var (y, w) = _attention.Forward(x, x, x, attnMask: mask, averageAttnWeights: false);
            return y.Transpose(0, 1).Contiguous().Unsqueeze(1).Unsqueeze(3) + w!.Unsqueeze(-1);
        }
    }

    /// <summary>The weights path with the weights discarded: the output of a needWeights: true call (the default) alone, of a kdim/vdim layer.</summary>
    [Module]
    public sealed partial class DefaultWeightsNet : Module
    {
        readonly MultiheadAttention _attention;

        public DefaultWeightsNet(Generator generator) =>
            _attention = new MultiheadAttention(16, 2, dropout: 0.3, generator: generator, kdim: 12, vdim: 10);

        public Tensor Forward(Tensor query, Tensor key, Tensor value) => query + _attention.Forward(query, key, value).Output;
    }
}
