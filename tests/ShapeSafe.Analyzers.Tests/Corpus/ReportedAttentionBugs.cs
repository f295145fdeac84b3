// Attention-mask bugs from public reports, ported to ShapeSafe's API where it allows.
// Each carries its source address and the error PyTorch raised there.
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus.ReportedAttention;

// https://openillumi.com/en/en-pytorch-transformer-attention-mask-fix
// A Hugging Face attention_mask [batch, length] passed to a decoder's causal-mask argument; PyTorch's decoder
// hands it to its self-attention's attn_mask (ported here as that MultiheadAttention call, batch first):
// RuntimeError: The shape of the 2D attn_mask is torch.Size([4, 1024]), but should be (1024, 1024).
public sealed class DecoderSelfAttention : Module
{
    readonly MultiheadAttention _selfAttention = new MultiheadAttention(512, 8, batchFirst: true);

    public Tensor Forward([Shape("B, S, 512")] Tensor embedded, [Shape("B, S")] Tensor attentionMask)
    {
        var (attended, _) = _selfAttention.Forward(embedded, embedded, embedded, attnMask: attentionMask); // BUG: SS0008
        return attended;
    }
}

// The same model as the report's fix has it: the padding mask as the key padding mask, a causal [S, S] mask.
public sealed class DecoderSelfAttentionFixed : Module
{
    readonly MultiheadAttention _selfAttention = new MultiheadAttention(512, 8, batchFirst: true);

    public Tensor Forward([Shape("B, S, 512")] Tensor embedded, [Shape("B, S")] Tensor paddingMask)
    {
        var causal = Transformer.GenerateSquareSubsequentMask(embedded.Size(1));
        var (attended, _) = _selfAttention.Forward(embedded, embedded, embedded, keyPaddingMask: paddingMask, attnMask: causal);
        return attended;
    }
}
