using ShapeSafe.NN;

namespace ShapeSafe.Conformance.Models;

// nanoGPT's model (karpathy/nanoGPT, model.py) written as ShapeSafe modules under the same state-dict names, so a
// checkpoint saved from the PyTorch module loads by name. Dropout is kept as a child where nanoGPT has one; the
// conformance runs use p = 0.

/// <summary>nanoGPT's GPTConfig: GPT-2 small is the default (vocabulary padded to 50304, bias in Linear and LayerNorm).</summary>
public sealed record GptConfig(int BlockSize = 1024, int VocabSize = 50304, int NLayer = 12, int NHead = 12, int NEmbd = 768, double Dropout = 0.0, bool Bias = true);

/// <summary>Multi-head causal self-attention: one projection to q, k and v, scaled dot-product attention with the causal mask, an output projection.</summary>
[Module]
public sealed partial class CausalSelfAttention : Module, ITensorModule
{
    [StateName("c_attn")] readonly Linear _attention;
    [StateName("c_proj")] readonly Linear _projection;
    [StateName("attn_dropout")] readonly Dropout _attentionDropout;
    [StateName("resid_dropout")] readonly Dropout _residualDropout;

    /// <summary>Creates the layer for <paramref name="config"/>'s width and head count.</summary>
    /// <exception cref="ArgumentException">The width is not a multiple of the head count.</exception>
    public CausalSelfAttention(GptConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.NHead <= 0 || config.NEmbd % config.NHead != 0)
            throw new ArgumentException($"CausalSelfAttention: n_embd ({config.NEmbd}) must be a positive multiple of n_head ({config.NHead})", nameof(config));
        _attention = new Linear(config.NEmbd, 3 * config.NEmbd, bias: config.Bias);
        _projection = new Linear(config.NEmbd, config.NEmbd, bias: config.Bias);
        _attentionDropout = new Dropout(config.Dropout);
        _residualDropout = new Dropout(config.Dropout);
        Heads = config.NHead;
        Width = config.NEmbd;
        DropoutP = config.Dropout;
    }

    /// <summary>The number of heads (<c>n_head</c>).</summary>
    public int Heads { get; }

    /// <summary>The embedding width (<c>n_embd</c>).</summary>
    public int Width { get; }

    /// <summary>The dropout probability on the attention weights and the output.</summary>
    public double DropoutP { get; }

    /// <summary>The q, k, v projection, [3·n_embd, n_embd].</summary>
    public Linear QueryKeyValue => _attention;

    /// <summary>The output projection.</summary>
    public Linear Projection => _projection;

    /// <summary>Attends each position of <paramref name="x"/> [B, T, C] to itself and the positions before it.</summary>
    public Tensor Forward(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        int b = x.Shape[0], t = x.Shape[1], c = x.Shape[2];
        var qkv = _attention.Forward(x).Split(Width, 2);
        // [B, T, C] → [B, nh, T, hs]: heads become a batch dim.
        Tensor Heads(Tensor y) => y.View(b, t, this.Heads, c / this.Heads).Transpose(1, 2);
        var attended = F.ScaledDotProductAttention(Heads(qkv[0]), Heads(qkv[1]), Heads(qkv[2]),
            dropoutP: Training ? DropoutP : 0, isCausal: true);
        var merged = attended.Transpose(1, 2).Contiguous().View(b, t, c);
        return _residualDropout.Forward(_projection.Forward(merged));
    }
}

/// <summary>The feed-forward part of a block: n_embd → 4·n_embd, exact GELU, back to n_embd.</summary>
[Module]
public sealed partial class Mlp : Module, ITensorModule
{
    [StateName("c_fc")] readonly Linear _expand;
    [StateName("gelu")] readonly GELU _gelu = new();
    [StateName("c_proj")] readonly Linear _projection;
    [StateName("dropout")] readonly Dropout _dropout;

    /// <summary>Creates the layer for <paramref name="config"/>'s width.</summary>
    public Mlp(GptConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _expand = new Linear(config.NEmbd, 4 * config.NEmbd, bias: config.Bias);
        _projection = new Linear(4 * config.NEmbd, config.NEmbd, bias: config.Bias);
        _dropout = new Dropout(config.Dropout);
    }

    /// <summary>Applies the layer to <paramref name="x"/> [..., C].</summary>
    public Tensor Forward(Tensor x) => _dropout.Forward(_projection.Forward(_gelu.Forward(_expand.Forward(x))));
}

/// <summary>A pre-norm transformer block: <c>x + attn(ln_1(x))</c>, then <c>x + mlp(ln_2(x))</c>.</summary>
[Module]
public sealed partial class Block : Module, ITensorModule
{
    [StateName("ln_1")] readonly LayerNorm _norm1;
    [StateName("attn")] readonly CausalSelfAttention _attention;
    [StateName("ln_2")] readonly LayerNorm _norm2;
    [StateName("mlp")] readonly Mlp _mlp;

    /// <summary>Creates the block for <paramref name="config"/>.</summary>
    public Block(GptConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _norm1 = new LayerNorm(config.NEmbd, bias: config.Bias);
        _attention = new CausalSelfAttention(config);
        _norm2 = new LayerNorm(config.NEmbd, bias: config.Bias);
        _mlp = new Mlp(config);
    }

    /// <summary>Applies the block to <paramref name="x"/> [B, T, C].</summary>
    public Tensor Forward(Tensor x)
    {
        x = x + _attention.Forward(_norm1.Forward(x));
        return x + _mlp.Forward(_norm2.Forward(x));
    }
}

/// <summary>The body nanoGPT keeps in an <c>nn.ModuleDict</c> named <c>transformer</c>: the embeddings, the blocks and the final norm, under the same names.</summary>
[Module]
public sealed partial class GptTransformer : Module
{
    /// <summary>Creates the embeddings, <c>n_layer</c> blocks and the final norm.</summary>
    public GptTransformer(GptConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        wte = new Embedding(config.VocabSize, config.NEmbd);
        wpe = new Embedding(config.BlockSize, config.NEmbd);
        drop = new Dropout(config.Dropout);
        h = Enumerable.Range(0, config.NLayer).Select(_ => new Block(config)).ToArray();
        ln_f = new LayerNorm(config.NEmbd, bias: config.Bias);
    }

#pragma warning disable IDE1006 // PyTorch's names, which the state dict uses
    /// <summary>The token embedding, [vocab, n_embd].</summary>
    public Embedding wte { get; }

    /// <summary>The position embedding, [block_size, n_embd].</summary>
    public Embedding wpe { get; }

    /// <summary>The dropout after the embeddings.</summary>
    public Dropout drop { get; }

    /// <summary>The blocks, <c>h.0</c> … <c>h.{n_layer-1}</c>.</summary>
    public IReadOnlyList<Block> h { get; }

    /// <summary>The final layer norm.</summary>
    public LayerNorm ln_f { get; }
#pragma warning restore IDE1006
}

/// <summary>
/// nanoGPT's GPT: token and position embeddings, the blocks, a final norm and a bias-free head whose weight is the
/// token embedding's (weight tying, as nanoGPT's <c>transformer.wte.weight = lm_head.weight</c>).
/// </summary>
/// <remarks>
/// The state dict lists the tied tensor under both <c>transformer.wte.weight</c> and <c>lm_head.weight</c>, as
/// PyTorch's does, and <see cref="Module.Parameters"/> yields it once (at the embedding's place), so its gradient
/// is the sum of both uses. Initialization is the layers' defaults, not nanoGPT's <c>_init_weights</c> (N(0, 0.02)
/// and scaled residual projections): the comparisons load weights.
/// </remarks>
[Module]
public sealed partial class Gpt : Module
{
    /// <summary>Creates the model for <paramref name="config"/>.</summary>
    public Gpt(GptConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        transformer = new GptTransformer(config);
        lm_head = new Linear(config.NEmbd, config.VocabSize, bias: false);
        transformer.wte.Weight = lm_head.Weight;
    }

    /// <summary>The configuration the model was built for.</summary>
    public GptConfig Config { get; }

#pragma warning disable IDE1006 // PyTorch's names, which the state dict uses
    /// <summary>The embeddings, blocks and final norm.</summary>
    public GptTransformer transformer { get; }

    /// <summary>The output projection to the vocabulary, [vocab, n_embd], tied to <c>transformer.wte</c>.</summary>
    public Linear lm_head { get; }
#pragma warning restore IDE1006

    /// <summary>The logits [B, T, vocab] of the Int64 token ids <paramref name="idx"/> [B, T], T at most the block size.</summary>
    /// <exception cref="ArgumentException">The sequence is longer than the block size.</exception>
    public Tensor Forward(Tensor idx)
    {
        ArgumentNullException.ThrowIfNull(idx);
        int t = idx.Shape[^1];
        if (t > Config.BlockSize)
            throw new ArgumentException($"Gpt: cannot forward a sequence of length {t}, the block size is only {Config.BlockSize}", nameof(idx));
        var positions = Tensor.Arange(t);
        var x = transformer.drop.Forward(transformer.wte.Forward(idx) + transformer.wpe.Forward(positions));
        foreach (var block in transformer.h)
            x = block.Forward(x);
        return lm_head.Forward(transformer.ln_f.Forward(x));
    }
}
