using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis.Operations;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    // The masks of the attention layers: each one of Forward's inputs, an operand of the attention's step after its
    // input, whose role the node's arguments name. The graph's guard checks each mask's dtype (Bool or Float32) and
    // shape, so a mask must be an input that nothing but the attention layers' masks reads.
    internal sealed partial class ForwardCapture
    {
        /// <summary>The node arguments that name a mask operand's role (none: a causal attention's mask, whose values are not read).</summary>
        internal const string AttnMaskRole = "attnMask", KeyPaddingMaskRole = "keyPaddingMask";

        /// <summary>The inputs read as masks, with the first call that reads each.</summary>
        readonly Dictionary<int, IInvocationOperation> _maskInputs = new Dictionary<int, IInvocationOperation>();

        /// <summary>
        /// The masks of an attention call, as operands after its input, and their roles. With <c>isCausal: true</c> and
        /// no key padding mask, the eager layer checks the attention mask's rank and attends causally without reading it
        /// (PyTorch's hint): the mask alone, without a role. Otherwise each mask given is applied as eager mode applies
        /// it (the hint is ignored when there is a key padding mask, as PyTorch ignores it, and when
        /// <paramref name="hintApplies"/> is false: a <c>MultiheadAttention</c> call with <c>needWeights: true</c>).
        /// </summary>
        (int[] Masks, string[] Roles) AttentionMasks(IInvocationOperation call, string attnParameter, string paddingParameter, Scope scope, bool hintApplies = true,
            string hintParameter = "isCausal")
        {
            var layer = call.TargetMethod.ContainingType.Name;
            bool hinted = Argument(call, hintParameter) is { } hint && !IsNullOrDefault(call, hintParameter) && Constant(hint) is true;
            if (!hinted && !IsNullOrDefault(call, hintParameter) && Constant(Argument(call, hintParameter)!) is not false)
                throw Break(call, "an " + hintParameter + " hint that is not a constant passed to " + layer + ".Forward");
            bool attnMask = !IsNullOrDefault(call, attnParameter), padding = !IsNullOrDefault(call, paddingParameter);
            if (hinted && !attnMask)
                throw Break(call, hintParameter + ": true without a mask passed to " + layer + ".Forward (the eager layer requires the mask)");
            bool causal = hinted && hintApplies;
            if (causal && !padding)
                return (new[] { MaskInput(call, attnParameter, scope, "a causal mask", "the graph plans its shape from the input's") }, Array.Empty<string>());
            var masks = new List<int>();
            var roles = new List<string>();
            const string Guarded = "the graph's guard checks a mask's dtype and shape as an input's";
            if (attnMask)
            {
                masks.Add(MaskInput(call, attnParameter, scope, "an attention mask", Guarded));
                roles.Add(AttnMaskRole);
            }
            if (padding)
            {
                masks.Add(MaskInput(call, paddingParameter, scope, "a key padding mask", Guarded));
                roles.Add(KeyPaddingMaskRole);
            }
            return (masks.ToArray(), roles.ToArray());
        }

        int MaskInput(IInvocationOperation call, string parameter, Scope scope, string what, string why)
        {
            int mask = Value(Argument(call, parameter)!, scope);
            if (_nodes[mask].Op != GraphOp.Input)
                throw Break(call, what + " that is not one of Forward's inputs passed to " + call.TargetMethod.ContainingType.Name + ".Forward (" + why + ")");
            if (!_maskInputs.ContainsKey(mask)) _maskInputs[mask] = call;
            return mask;
        }

        /// <summary>
        /// A mask input may be Bool, which only the attention kernels read: any other read of it (as a layer's input,
        /// in arithmetic, as the attention's own input, or as the graph's output) is a graph break.
        /// </summary>
        void RequireMasksReadAsMasks(int output)
        {
            foreach (var pair in _maskInputs)
            {
                int mask = pair.Key;
                string name = _nodes[mask].Source;
                if (output == mask)
                    throw Break(pair.Value, name + " is an attention mask and Forward's result (a mask is read by the attention layers only)");
                for (int i = 0; i < _nodes.Count; i++)
                {
                    var node = _nodes[i];
                    bool asMask = node.Op is GraphOp.SelfAttention or GraphOp.TransformerEncoderLayer or GraphOp.CrossAttention or GraphOp.TransformerDecoderLayer;
                    if (node.Op == GraphOp.AttentionWeights) continue;
                    int inputs = node.Op == GraphOp.CrossAttention ? 3 : node.Op == GraphOp.TransformerDecoderLayer ? 2 : 1;
                    for (int k = 0; k < node.Inputs.Count; k++)
                        if (node.Inputs[k] == mask && (!asMask || k < inputs))
                            throw Break(pair.Value, name + " is an attention mask and is read by " + node.Source.Substring(node.Source.IndexOf(": ", StringComparison.Ordinal) + 2)
                                + " too (a mask may be Bool, so it is read by the attention layers' masks only)");
                }
            }
        }
    }
}
