namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// MultiheadAttention's masks against the query and key: keyPaddingMask [N, S] ([S] unbatched) and attnMask [L, S]
/// or [N·heads, L, S], with the op, both shapes, the first differing dim and, for named sizes, the condition.
/// </summary>
public class AttentionMaskTests
{
    const string Header = """
        using ShapeSafe;
        using ShapeSafe.NN;
        class Decoder : Module
        {
            readonly MultiheadAttention _self = new MultiheadAttention(64, 8, batchFirst: true);
            readonly MultiheadAttention _cross = new MultiheadAttention(64, 4);

            void M([Shape("B, T, 64")] Tensor x, [Shape("S, B, 64")] Tensor memory, [Shape("T, 64")] Tensor single, [Shape("S, 64")] Tensor keys)
            {
        """;

    static Task<List<string>> Run(string body) => Inferred.Run(Header + "\n" + body + "\n    }\n}\n");

    [Fact]
    public async Task Padding_masks_are_N_by_S_in_both_layouts_and_S_unbatched()
    {
        var shown = await Run("""
                    var a = _self.Forward(x, x, x, keyPaddingMask: Tensor.Zeros(x.Size(0), x.Size(1))).Output;
                    var q = x.Transpose(0, 1);
                    var b = _cross.Forward(q, memory, memory, keyPaddingMask: Tensor.Zeros(memory.Size(1), memory.Size(0))).Output;
                    var c = _cross.Forward(single, keys, keys, keyPaddingMask: Tensor.Zeros(keys.Size(0))).Output;
                    var d = _self.Forward(x, x, x, keyPaddingMask: Tensor.Zeros(x.Size(1), x.Size(0)));
                    var e = _cross.Forward(q, memory, memory, keyPaddingMask: Tensor.Zeros(memory.Size(0), memory.Size(1)));
                    var f = _cross.Forward(single, keys, keys, keyPaddingMask: Tensor.Zeros(1, keys.Size(0)));
            """);
        Assert.Equal(new[]
        {
            "a [B, T, 64]",
            "q [T, B, 64]",
            "b [T, B, 64]",
            "c [T, 64]",
            "SS0008 14: MultiheadAttention: expecting key_padding_mask shape of [B, T], but got [T, B]: dim 0 is T, expected B (query [B, T, 64], key [B, T, 64], value [B, T, 64]). Possible only when T = B.",
            "SS0008 15: MultiheadAttention: expecting key_padding_mask shape of [B, S], but got [S, B]: dim 0 is S, expected B (query [T, B, 64], key [S, B, 64], value [S, B, 64]). Possible only when S = B.",
            "SS0008 16: MultiheadAttention: expecting key_padding_mask shape of [S], but got [1, S]: 2 dims, expected 1 (query [T, 64], key [S, 64], value [S, 64])",
        }, shown);
    }

    [Fact]
    public async Task Attention_masks_are_L_by_S_or_per_head()
    {
        var shown = await Run("""
                    var causal = Tensor.Zeros(x.Size(1), x.Size(1));
                    var a = _self.Forward(x, x, x, attnMask: causal).Output;
                    var heads = _self.Forward(x, x, x, attnMask: causal.Unsqueeze(0).Expand(8 * x.Size(0), -1, -1)).Output;
                    var q = x.Transpose(0, 1);
                    var cross = _cross.Forward(q, memory, memory, attnMask: Tensor.Zeros(q.Size(0), memory.Size(0))).Output;
                    var d = _cross.Forward(q, memory, memory, attnMask: causal);
                    var e = _self.Forward(x, x, x, attnMask: causal.Unsqueeze(0).Expand(x.Size(0), -1, -1));
                    var f = _self.Forward(x, x, x, attnMask: Tensor.Zeros(1, 1, 5, 5));
            """);
        Assert.Equal(new[]
        {
            "causal [T, T]",
            "a [B, T, 64]",
            "heads [B, T, 64]",
            "q [T, B, 64]",
            "cross [T, B, 64]",
            "SS0008 15: MultiheadAttention: The shape of the 2D attn_mask is [T, T], but should be [T, S]: dim 1 is T, expected S (query [T, B, 64], key [S, B, 64], value [S, B, 64]). Possible only when T = S.",
            "SS0008 16: MultiheadAttention: The shape of the 3D attn_mask is [B, T, T], but should be [8*B, T, T]: dim 0 is B, expected 8*B (query [B, T, 64], key [B, T, 64], value [B, T, 64])",
            "SS0008 17: MultiheadAttention: attn_mask's dimension 4 is not supported (expected 2 or 3; query [B, T, 64], key [B, T, 64], value [B, T, 64])",
        }, shown);
    }
}
