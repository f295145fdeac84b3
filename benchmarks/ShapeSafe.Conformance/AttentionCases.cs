using TorchSharp;
using ShapeSafe.NN;
using S = ShapeSafe;
using T = TorchSharp.torch;
using TF = TorchSharp.torch.nn.functional;

namespace ShapeSafe.Conformance;

/// <summary>
/// Scaled dot-product attention and multi-head attention beside LibTorch's: F.scaled_dot_product_attention with both
/// mask kinds, causal and a scale; nn.MultiheadAttention (LibTorch's C++ module) with Bool masks and kdim/vdim; the
/// is_causal hint against PyTorch's functional path written out over LibTorch's SDPA.
/// </summary>
static class AttentionCases
{
    // Float32 cases: the relative error of elements near 1e-3 of a tensor's scale reaches 1e-4 from float32 rounding
    // alone (different summation orders and exp); the Float64 twins of the cases agree exactly, so this is rounding.
    const double Float32Tolerance = 5e-4;

    static long[] L(params int[] shape) => shape.Select(d => (long)d).ToArray();

    // A fixed Bool pattern [rows, cols] with row 1 fully false (no key allowed), the rest mixed.
    static bool[] Keep(int rows, int cols) =>
        Enumerable.Range(0, rows * cols).Select(i => i / cols != 1 && (i * 7 % 5 != 0 || i % cols == 0)).ToArray();

    public static IEnumerable<Case> All()
    {
        // ---- F.scaled_dot_product_attention
        yield return new Case
        {
            Name = "SDPA [2,3,5,8] keys 7 values 6",
            Tolerance = Float32Tolerance,
            Shapes = [[2, 3, 5, 8], [2, 3, 7, 8], [2, 3, 7, 6]],
            Ours = x => F.ScaledDotProductAttention(x[0], x[1], x[2]),
            Theirs = x => TF.scaled_dot_product_attention(x[0], x[1], x[2]),
        };
        yield return new Case
        {
            Name = "SDPA broadcast batch dims",
            Tolerance = Float32Tolerance,
            Shapes = [[2, 1, 4, 8], [1, 3, 6, 8], [3, 6, 5]],
            Ours = x => F.ScaledDotProductAttention(x[0], x[1], x[2]),
            Theirs = x => TF.scaled_dot_product_attention(x[0], x[1], x[2]),
        };
        // The float mask is an input too: its gradient is compared.
        yield return new Case
        {
            Name = "SDPA float mask [5, 7]",
            Tolerance = Float32Tolerance,
            Shapes = [[2, 3, 5, 8], [2, 3, 7, 8], [2, 3, 7, 6], [5, 7]],
            Ours = x => F.ScaledDotProductAttention(x[0], x[1], x[2], x[3]),
            Theirs = x => TF.scaled_dot_product_attention(x[0], x[1], x[2], x[3]),
        };
        var keep = Keep(5, 7);
        yield return new Case
        {
            Name = "SDPA bool mask with a fully masked row",
            Tolerance = Float32Tolerance,
            Shapes = [[2, 3, 5, 8], [2, 3, 7, 8], [2, 3, 7, 6]],
            Ours = x => F.ScaledDotProductAttention(x[0], x[1], x[2], S.Tensor.FromArray(keep, 5, 7)),
            Theirs = x => TF.scaled_dot_product_attention(x[0], x[1], x[2], T.tensor(keep, L(5, 7))),
        };
        var perBatch = Keep(2 * 5, 7);
        yield return new Case
        {
            Name = "SDPA bool mask [2, 1, 5, 7] per batch",
            Tolerance = Float32Tolerance,
            Shapes = [[2, 3, 5, 8], [2, 3, 7, 8], [2, 3, 7, 6]],
            Ours = x => F.ScaledDotProductAttention(x[0], x[1], x[2], S.Tensor.FromArray(perBatch, 2, 1, 5, 7)),
            Theirs = x => TF.scaled_dot_product_attention(x[0], x[1], x[2], T.tensor(perBatch, L(2, 1, 5, 7))),
        };
        foreach (var (l, s) in new[] { (6, 6), (7, 4), (3, 8) })
        {
            yield return new Case
            {
                Name = $"SDPA causal L={l} S={s}",
                Tolerance = Float32Tolerance,
                Shapes = [[2, 2, l, 8], [2, 2, s, 8], [2, 2, s, 4]],
                Ours = x => F.ScaledDotProductAttention(x[0], x[1], x[2], isCausal: true),
                Theirs = x => TF.scaled_dot_product_attention(x[0], x[1], x[2], is_casual: true),
            };
        }
        // TorchSharp's binding has no scale argument: the same scores come from a query scaled by scale·sqrt(E).
        yield return new Case
        {
            Name = "SDPA scale 0.3",
            Tolerance = Float32Tolerance,
            Shapes = [[2, 4, 5, 8], [2, 4, 6, 8], [2, 4, 6, 3]],
            Ours = x => F.ScaledDotProductAttention(x[0], x[1], x[2], scale: 0.3),
            Theirs = x => TF.scaled_dot_product_attention(x[0] * (float)(0.3 * Math.Sqrt(8)), x[1], x[2]),
        };
        yield return new Case
        {
            Name = "SDPA 3-D GPT-2 head size [4,64,64]",
            Tolerance = Float32Tolerance,
            Shapes = [[4, 64, 64], [4, 64, 64], [4, 64, 64]],
            Ours = x => F.ScaledDotProductAttention(x[0], x[1], x[2], isCausal: true),
            Theirs = x => TF.scaled_dot_product_attention(x[0], x[1], x[2], is_casual: true),
        };

        // ---- the same in Float64 on both sides: what remains of the differences above is float32 rounding
        yield return InDouble("SDPA [2,3,5,8]", [[2, 3, 5, 8], [2, 3, 7, 8], [2, 3, 7, 6]],
            x => F.ScaledDotProductAttention(x[0], x[1], x[2]), x => TF.scaled_dot_product_attention(x[0], x[1], x[2]));
        yield return InDouble("SDPA float mask", [[2, 3, 5, 8], [2, 3, 7, 8], [2, 3, 7, 6], [5, 7]],
            x => F.ScaledDotProductAttention(x[0], x[1], x[2], x[3]), x => TF.scaled_dot_product_attention(x[0], x[1], x[2], x[3]));
        yield return InDouble("SDPA bool mask, fully masked row", [[2, 3, 5, 8], [2, 3, 7, 8], [2, 3, 7, 6]],
            x => F.ScaledDotProductAttention(x[0], x[1], x[2], S.Tensor.FromArray(keep, 5, 7)),
            x => TF.scaled_dot_product_attention(x[0], x[1], x[2], T.tensor(keep, L(5, 7))));
        yield return InDouble("SDPA causal L=7 S=4", [[2, 2, 7, 8], [2, 2, 4, 8], [2, 2, 4, 4]],
            x => F.ScaledDotProductAttention(x[0], x[1], x[2], isCausal: true), x => TF.scaled_dot_product_attention(x[0], x[1], x[2], is_casual: true));
        yield return InDouble("SDPA scale 0.3", [[2, 4, 5, 8], [2, 4, 6, 8], [2, 4, 6, 3]],
            x => F.ScaledDotProductAttention(x[0], x[1], x[2], scale: 0.3), x => TF.scaled_dot_product_attention(x[0] * (0.3 * Math.Sqrt(8)), x[1], x[2]));
        yield return InDouble("SDPA GPT-2 head causal [4,64,64]", [[4, 64, 64], [4, 64, 64], [4, 64, 64]],
            x => F.ScaledDotProductAttention(x[0], x[1], x[2], isCausal: true), x => TF.scaled_dot_product_attention(x[0], x[1], x[2], is_casual: true));

        // ---- nn.MultiheadAttention (LibTorch's C++ module: sequence-first, Bool masks true = not allowed)
        var attnBool = Enumerable.Range(0, 5 * 6).Select(i => i % 4 == 1).ToArray();
        var paddingBool = new[] { false, false, false, false, true, true, false, true, false, false, false, false };
        {
            var ours = new MultiheadAttention(8, 2);
            var theirs = T.nn.MultiheadAttention(8, 2);
            yield return MhaCase("MHA bool attn_mask and key_padding_mask", ours, theirs, [[5, 2, 8], [6, 2, 8], [6, 2, 8]],
                x => ours.Forward(x[0], x[1], x[2], S.Tensor.FromArray(paddingBool, 2, 6), attnMask: S.Tensor.FromArray(attnBool, 5, 6)).Output,
                x => theirs.call(x[0], x[1], x[2], T.tensor(paddingBool, L(2, 6)), true, Canonical(attnBool, 5, 6)).Item1);
        }
        {
            var ours = new MultiheadAttention(8, 2);
            var theirs = T.nn.MultiheadAttention(8, 2);
            yield return MhaCase("MHA bool masks, averaged weights", ours, theirs, [[5, 2, 8], [6, 2, 8], [6, 2, 8]],
                x => ours.Forward(x[0], x[1], x[2], S.Tensor.FromArray(paddingBool, 2, 6), attnMask: S.Tensor.FromArray(attnBool, 5, 6)).Weights!,
                x => theirs.call(x[0], x[1], x[2], T.tensor(paddingBool, L(2, 6)), true, Canonical(attnBool, 5, 6)).Item2);
        }
        {
            // LibTorch's C++ module requires key and value of one shape, so kdim = vdim here (kdim ≠ vdim: the unit tests).
            var ours = new MultiheadAttention(8, 4, kdim: 5, vdim: 5);
            var theirs = T.nn.MultiheadAttention(8, 4, kdim: 5, vdim: 5);
            yield return MhaCase("MHA kdim=vdim 5", ours, theirs, [[4, 3, 8], [7, 3, 5], [7, 3, 5]],
                x => ours.Forward(x[0], x[1], x[2]).Output,
                x => theirs.call(x[0], x[1], x[2]).Item1);
        }
        {
            var ours = new MultiheadAttention(8, 2, kdim: 6, vdim: 6, bias: false);
            var theirs = T.nn.MultiheadAttention(8, 2, bias: false, kdim: 6, vdim: 6);
            yield return MhaCase("MHA kdim=vdim 6 no bias, bool padding", ours, theirs, [[4, 2, 8], [6, 2, 6], [6, 2, 6]],
                x => ours.Forward(x[0], x[1], x[2], S.Tensor.FromArray(paddingBool, 2, 6)).Output,
                x => theirs.call(x[0], x[1], x[2], T.tensor(paddingBool, L(2, 6))).Item1);
        }
        // ---- add_bias_kv and add_zero_attn: one more source position each, masks padded by a column that allows it
        foreach (var (biasKv, zeroAttn) in new[] { (true, false), (false, true), (true, true) })
        {
            string options = string.Join(" ", new[] { biasKv ? "add_bias_kv" : null, zeroAttn ? "add_zero_attn" : null }.OfType<string>());
            {
                var ours = new MultiheadAttention(8, 2, addBiasKv: biasKv, addZeroAttn: zeroAttn);
                var theirs = T.nn.MultiheadAttention(8, 2, add_bias_kv: biasKv, add_zero_attn: zeroAttn);
                yield return MhaCase($"MHA {options}, bool masks", ours, theirs, [[5, 2, 8], [6, 2, 8], [6, 2, 8]],
                    x => ours.Forward(x[0], x[1], x[2], S.Tensor.FromArray(paddingBool, 2, 6), attnMask: S.Tensor.FromArray(attnBool, 5, 6)).Output,
                    x => theirs.call(x[0], x[1], x[2], T.tensor(paddingBool, L(2, 6)), true, Canonical(attnBool, 5, 6)).Item1);
            }
            {
                var ours = new MultiheadAttention(8, 2, addBiasKv: biasKv, addZeroAttn: zeroAttn);
                var theirs = T.nn.MultiheadAttention(8, 2, add_bias_kv: biasKv, add_zero_attn: zeroAttn);
                yield return MhaCase($"MHA {options}, averaged weights", ours, theirs, [[4, 3, 8], [7, 3, 8], [7, 3, 8]],
                    x => ours.Forward(x[0], x[1], x[2]).Weights!,
                    x => theirs.call(x[0], x[1], x[2], null, true, null).Item2);
            }
        }
        yield return Init("MHA add_bias_kv init", () => new MultiheadAttention(8, 2, addBiasKv: true),
            () => T.nn.MultiheadAttention(8, 2, add_bias_kv: true));

        yield return Init("MHA kdim/vdim init q,k,v", () => new MultiheadAttention(8, 2, kdim: 5, vdim: 3),
            () => T.nn.MultiheadAttention(8, 2, kdim: 5, vdim: 3));

        // ---- the is_causal hint: PyTorch's path without weights runs SDPA with is_causal and no mask.
        foreach (bool batchFirst in new[] { false, true })
        {
            var ours = new MultiheadAttention(8, 2, batchFirst: batchFirst);
            var causal = Transformer.GenerateSquareSubsequentMask(6);
            var weights = ours.Parameters().Select(p => T.empty(L(p.Shape.ToArray())).requires_grad_(true)).ToArray();
            yield return new Case
            {
                Name = $"MHA is_causal hint{(batchFirst ? " batch_first" : "")}",
                Tolerance = Float32Tolerance,
                Shapes = [batchFirst ? [2, 6, 8] : [6, 2, 8]],
                Parameters = () => (ours.Parameters().Cast<S.Tensor>().ToArray(), weights),
                Ours = x => ours.Forward(x[0], x[0], x[0], needWeights: false, attnMask: causal, isCausal: true).Output,
                Theirs = x => CausalSelfAttention(batchFirst ? x[0].transpose(0, 1) : x[0], weights, 2) is var y && batchFirst ? y.transpose(0, 1) : y,
            };
        }
    }

    /// <summary>PyTorch's _canonical_mask of a Bool mask: -inf where true, 0 elsewhere (LibTorch's C++ module fills a Bool attn_mask otherwise than Python's).</summary>
    static T.Tensor Canonical(bool[] mask, params int[] shape) =>
        T.zeros(L(shape)).masked_fill(T.tensor(mask, L(shape)), float.NegativeInfinity);

    /// <summary>The same case computed in Float64 on both sides (inputs widened, output narrowed): the algorithms without float32 rounding.</summary>
    static Case InDouble(string name, int[][] shapes, Func<S.Tensor[], S.Tensor> ours, Func<T.Tensor[], T.Tensor> theirs) => new()
    {
        Name = name + " (Float64)",
        Shapes = shapes,
        Ours = x => ours(x.Select(t => t.ToDType(S.DType.Float64)).ToArray()).ToDType(S.DType.Float32),
        Theirs = x => theirs(x.Select(t => t.to_type(T.ScalarType.Float64)).ToArray()).to_type(T.ScalarType.Float32),
    };

    /// <summary>PyTorch's multi_head_attention_forward without weights and with is_causal: [L, N, E] in and out.</summary>
    static T.Tensor CausalSelfAttention(T.Tensor x, T.Tensor[] p, int heads)
    {
        long l = x.shape[0], n = x.shape[1], e = x.shape[2];
        var w = p[0].chunk(3, 0);
        var b = p[1].chunk(3, 0);
        T.Tensor Heads(int i) => TF.linear(x, w[i], b[i]).view(l, n * heads, e / heads).transpose(0, 1).view(n, heads, l, e / heads);
        var attended = TF.scaled_dot_product_attention(Heads(0), Heads(1), Heads(2), is_casual: true);
        var merged = attended.permute(2, 0, 1, 3).contiguous().view(l * n, e);
        return TF.linear(merged, p[2], p[3]).view(l, n, e);
    }

    static Case MhaCase(string name, MultiheadAttention ours, T.nn.Module theirs, int[][] shapes, Func<S.Tensor[], S.Tensor> ourForward, Func<T.Tensor[], T.Tensor> theirForward) => new()
    {
        Name = name,
        Tolerance = Float32Tolerance,
        Shapes = shapes,
        Parameters = () =>
        {
            // Same names in the same order, or the values would be copied into the wrong parameters.
            var ourNames = ours.StateDict().Keys.ToArray();
            var theirNames = theirs.named_parameters().Select(p => p.name).ToArray();
            if (!ourNames.SequenceEqual(theirNames))
                throw new InvalidOperationException($"parameter names differ: ours [{string.Join(", ", ourNames)}], LibTorch's [{string.Join(", ", theirNames)}]");
            return (ours.Parameters().Cast<S.Tensor>().ToArray(), theirs.parameters().Cast<T.Tensor>().ToArray());
        },
        Ours = ourForward,
        Theirs = theirForward,
    };

    // Seeded initialization of every parameter, in order, bit for bit.
    static Case Init(string name, Func<MultiheadAttention> ours, Func<T.nn.Module> theirs) => new()
    {
        Name = name,
        Shapes = [],
        NoGrad = true,
        Tolerance = 0,
        Ours = _ =>
        {
            S.Tensor.ManualSeed(20);
            return S.Tensor.Cat(ours().Parameters().Select(p => p.Detach().Reshape(-1)).ToArray());
        },
        Theirs = _ =>
        {
            T.manual_seed(20);
            using (T.no_grad()) return T.cat(theirs().parameters().Select(p => p.detach().reshape(-1)).ToList(), 0);
        },
    };
}
