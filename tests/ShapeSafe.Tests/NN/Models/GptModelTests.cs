using ShapeSafe.Conformance.Models;
using ShapeSafe.NN;

namespace ShapeSafe.Tests.NN.Models;

/// <summary>
/// nanoGPT's model as the conformance harness ports it (benchmarks/ShapeSafe.Conformance/Models/Gpt.cs, compiled in
/// here too): the state dict a PyTorch GPT of the same config has, the tied head, and the shapes of its outputs.
/// </summary>
public class GptModelTests
{
    static readonly GptConfig Small768 = new(BlockSize: 64, VocabSize: 512, NLayer: 2, NHead: 12, NEmbd: 768);
    static readonly GptConfig Tiny = new(BlockSize: 16, VocabSize: 40, NLayer: 2, NHead: 4, NEmbd: 32);

    [Fact]
    public void State_dict_has_nanogpts_keys_in_order_with_the_tied_weight_under_both_names()
    {
        var state = new Gpt(Small768).StateDict();

        // What PyTorch's GPT(GPTConfig(block_size=64, vocab_size=512, n_layer=2, n_head=12, n_embd=768)).state_dict()
        // lists on PyTorch 2.x, where nanoGPT takes its SDPA path and registers no "attn.bias" mask buffer.
        Assert.Equal(29, state.Count);
        Assert.Equal("transformer.wte.weight", state.Keys.First());
        Assert.Equal("lm_head.weight", state.Keys.Last());
        Assert.Equal(new[]
        {
            "transformer.h.0.ln_1.weight", "transformer.h.0.ln_1.bias", "transformer.h.0.attn.c_attn.weight",
            "transformer.h.0.attn.c_attn.bias", "transformer.h.0.attn.c_proj.weight", "transformer.h.0.attn.c_proj.bias",
            "transformer.h.0.ln_2.weight", "transformer.h.0.ln_2.bias", "transformer.h.0.mlp.c_fc.weight",
            "transformer.h.0.mlp.c_fc.bias", "transformer.h.0.mlp.c_proj.weight", "transformer.h.0.mlp.c_proj.bias",
        }, state.Keys.Skip(2).Take(12));
        Assert.Equal(new[] { "transformer.ln_f.weight", "transformer.ln_f.bias", "lm_head.weight" }, state.Keys.TakeLast(3));
        Assert.Equal(new[] { 512, 768 }, state["transformer.wte.weight"].Shape);
        Assert.Equal(new[] { 64, 768 }, state["transformer.wpe.weight"].Shape);
        Assert.Equal(new[] { 2304, 768 }, state["transformer.h.1.attn.c_attn.weight"].Shape);
        Assert.Equal(new[] { 2304 }, state["transformer.h.1.attn.c_attn.bias"].Shape);
        Assert.Equal(new[] { 3072, 768 }, state["transformer.h.1.mlp.c_fc.weight"].Shape);
        Assert.Equal(new[] { 768, 3072 }, state["transformer.h.1.mlp.c_proj.weight"].Shape);
        Assert.Equal(new[] { 768 }, state["transformer.ln_f.bias"].Shape);
        Assert.Equal(new[] { 512, 768 }, state["lm_head.weight"].Shape);
        Assert.Same(state["transformer.wte.weight"].Storage, state["lm_head.weight"].Storage);
    }

    [Fact]
    public void Parameters_list_the_tied_weight_once()
    {
        var model = new Gpt(Small768);

        var names = model.NamedParameters().Select(p => p.Name).ToArray();

        Assert.Equal(28, names.Length);
        Assert.DoesNotContain("lm_head.weight", names);
        Assert.Same(model.transformer.wte.Weight, model.lm_head.Weight);
        // 512·768 + 64·768 + 2 · (4·768 + 768·2304 + 2304 + 768·768 + 768 + 768·3072 + 3072 + 3072·768 + 768) + 2·768
        Assert.Equal(14_619_648L, model.Parameters().Sum(p => p.NumEl));
    }

    [Fact]
    public void Forward_gives_logits_per_position_and_blocks_keep_the_shape()
    {
        Tensor.ManualSeed(3);
        var model = new Gpt(Tiny);
        var idx = Tensor.FromArray(Enumerable.Range(0, 2 * 10).Select(i => (long)(i * 7 % 40)).ToArray(), 2, 10);

        var logits = model.Forward(idx);
        var block = new Block(Tiny).Forward(Tensor.Randn(3, 5, 32));
        var attended = new CausalSelfAttention(Tiny).Forward(Tensor.Randn(1, 16, 32));

        Assert.Equal(new[] { 2, 10, 40 }, logits.Shape);
        Assert.Equal(new[] { 3, 5, 32 }, block.Shape);
        Assert.Equal(new[] { 1, 16, 32 }, attended.Shape);
        Assert.Throws<ArgumentException>(() => model.Forward(Tensor.FromArray(new long[17], 1, 17)));
        Assert.Throws<ArgumentException>(() => new CausalSelfAttention(Tiny with { NHead = 5 }));
    }

    [Fact]
    public void Attention_is_causal_a_position_does_not_see_later_ones()
    {
        Tensor.ManualSeed(4);
        var attention = new CausalSelfAttention(Tiny);
        var x = Tensor.Randn(1, 6, 32);
        var changed = x.Clone();
        using (ShapeSafe.Autograd.NoGrad()) changed[0][5].CopyFrom(Tensor.Randn(32));

        var a = attention.Forward(x).ToFloatArray();
        var b = attention.Forward(changed).ToFloatArray();

        Assert.Equal(a[..(5 * 32)], b[..(5 * 32)]);
        Assert.NotEqual(a[(5 * 32)..], b[(5 * 32)..]);
    }

    [Fact]
    public void State_dict_round_trips_into_a_fresh_model_with_equal_logits()
    {
        Tensor.ManualSeed(5);
        var source = new Gpt(Tiny);
        var target = new Gpt(Tiny);
        var idx = Tensor.FromArray(new long[] { 1, 5, 9, 39, 0, 2 }, 1, 6);

        var (missing, unexpected) = target.LoadStateDict(source.StateDict());

        Assert.Empty(missing);
        Assert.Empty(unexpected);
        Assert.Equal(source.Forward(idx).ToFloatArray(), target.Forward(idx).ToFloatArray());
        Assert.Same(target.transformer.wte.Weight, target.lm_head.Weight);
    }
}
