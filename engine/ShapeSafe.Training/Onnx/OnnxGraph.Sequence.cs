using ShapeSafe.Tensorboard;
using ShapeSafe.Tracing;

namespace ShapeSafe.Onnx;

// Recurrent layers (ONNX's RNN, LSTM and GRU nodes, one per layer) and multi-head attention (decomposed).
internal sealed partial class OnnxGraph
{
    /// <summary>
    /// A recurrent stack as one ONNX node per layer, in sequence-first layout. The gate blocks of the weights are
    /// reordered from PyTorch's to ONNX's (LSTM i,f,g,o → i,o,f,c; GRU r,z,n → z,r,h, with linear_before_reset, which
    /// is PyTorch's form of n), and per layer the directions' weights are stacked and the biases joined.
    /// </summary>
    string[] Recurrent(TracedOp op)
    {
        int states = op.Name == "LSTM" ? 2 : 1;
        int[] order = op.Name switch { "LSTM" => [0, 3, 1, 2], "GRU" => [1, 0, 2], _ => [0] };
        int layers = (int)op.Attributes["numLayers"], hidden = (int)op.Attributes["hiddenSize"];
        bool bidirectional = (bool)op.Attributes["bidirectional"], batchFirst = (bool)op.Attributes["batchFirst"], bias = (bool)op.Attributes["bias"];
        int directions = bidirectional ? 2 : 1, perStack = bias ? 4 : 2;
        var input = op.Inputs[0]!;
        bool batched = input.Rank == 3;

        string x = NameOf(input, op.Name);
        x = !batched ? Unsqueeze(x, 1) : batchFirst ? TransposeTo(x, 1, 0, 2) : x;
        var initial = new string?[states];
        for (int s = 0; s < states; s++)
            if (op.Inputs[1 + s] is { } given)
                initial[s] = batched ? NameOf(given, op.Name) : Unsqueeze(NameOf(given, op.Name), 1);

        var attributes = new List<ProtoMessage>
        {
            IntAttribute("hidden_size", hidden),
            StringAttribute("direction", bidirectional ? "bidirectional" : "forward"),
        };
        if (op.Name == "GRU") attributes.Add(IntAttribute("linear_before_reset", 1));
        if (op.Name == "RNN")
            attributes.Add(StringsAttribute("activations", Enumerable.Repeat((string)op.Attributes["nonlinearity"] == "relu" ? "Relu" : "Tanh", directions)));

        var finals = new List<string>[states];
        for (int s = 0; s < states; s++) finals[s] = [];
        for (int layer = 0; layer < layers; layer++)
        {
            var stacks = Enumerable.Range(0, directions)
                .Select(d => op.Inputs.Skip(1 + states + (layer * directions + d) * perStack).Take(perStack).Select(t => t!).ToArray()).ToArray();
            string w = GateWeights(stacks, 0, order, "onnx_W");
            string r = GateWeights(stacks, 1, order, "onnx_R");
            string b = bias ? GateBiases(stacks, order) : "";
            var inputs = new List<string> { x, w, r, b, "" };
            for (int s = 0; s < states; s++)
                inputs.Add(initial[s] is { } init
                    ? Step("Slice", [init, Constant("starts", [layer * directions]), Constant("ends", [(layer + 1) * directions]), Constant("axes", [0])])
                    : "");
            while (inputs[^1] == "") inputs.RemoveAt(inputs.Count - 1);
            var outputs = Steps(op.Name, 1 + states, inputs.ToArray(), attributes.ToArray());
            // Y is [T, directions, N, hidden]; the next layer reads [T, N, directions·hidden].
            x = Step("Reshape", [TransposeTo(outputs[0], 0, 2, 1, 3), Constant("shape", [0, 0, -1])]);
            for (int s = 0; s < states; s++) finals[s].Add(outputs[1 + s]);
        }

        string output = !batched ? SqueezeAxis(x, 1) : batchFirst ? TransposeTo(x, 1, 0, 2) : x;
        var result = new List<string> { output };
        foreach (var f in finals)
        {
            string joined = f.Count == 1 ? f[0] : Step("Concat", f.ToArray(), IntAttribute("axis", 0));
            result.Add(batched ? joined : SqueezeAxis(joined, 1));
        }
        return result.ToArray();
    }

    // [directions, gates·hidden, columns] of stack entry `index` (0: W_ih, 1: W_hh), the gate blocks in ONNX's order.
    string GateWeights(Tensor[][] stacks, int index, int[] order, string tag) =>
        Derived(stacks[0][index], tag, () =>
        {
            var shape = stacks[0][index].Shape;
            var values = stacks.SelectMany(s => Reordered(s[index], order)).ToArray();
            return (values, [stacks.Length, shape[0], shape[1]]);
        });

    // [directions, 2·gates·hidden]: the input biases then the hidden biases, each in ONNX's gate order.
    string GateBiases(Tensor[][] stacks, int[] order) =>
        Derived(stacks[0][2], "onnx_B", () =>
        {
            var values = stacks.SelectMany(s => Reordered(s[2], order).Concat(Reordered(s[3], order))).ToArray();
            return (values, [stacks.Length, 2 * stacks[0][2].Shape[0]]);
        });

    static float[] Reordered(Tensor t, int[] order)
    {
        var data = t.Detach().Contiguous().ToFloatArray();
        int block = data.Length / order.Length;
        var result = new float[data.Length];
        for (int g = 0; g < order.Length; g++) Array.Copy(data, order[g] * block, result, g * block, block);
        return result;
    }

    /// <summary>
    /// Multi-head attention as MatMul, Add, Reshape, Transpose and Softmax in [N, heads, L, head_dim] with the batch
    /// and sequence dims written as 0 (copied), so both stay free. The packed projections become transposed blocks.
    /// </summary>
    string[] Attention(TracedOp op)
    {
        var query = op.Inputs[0]!;
        var inWeight = op.Inputs[5] ?? throw Unsupported(op, "separate q/k/v projection weights (kdim or vdim other than embed_dim) are not exported");
        if (op.Inputs.Count > 12 && op.Inputs[12] is not null || op.Attributes.TryGetValue("addZeroAttn", out var zeroAttn) && zeroAttn is true)
            throw Unsupported(op, "add_bias_kv and add_zero_attn are not exported");
        if (op.Inputs[3] is { DType: DType.Bool } || op.Inputs[4] is { DType: DType.Bool })
            throw Unsupported(op, "Bool masks are not exported; pass the additive form (-inf where not allowed, 0 elsewhere)");
        // The is_causal hint needs the mask, and a right hint attends as the mask does: the mask is written.
        var inBias = op.Inputs[6];
        int embed = inWeight.Shape[1], heads = (int)op.Attributes["numHeads"], headDim = embed / heads;
        bool batched = query.Rank == 3, batchFirst = (bool)op.Attributes["batchFirst"];
        string SeqFirst(Tensor t)
        {
            string v = NameOf(t, op.Name);
            return !batched ? Unsqueeze(v, 1) : batchFirst ? TransposeTo(v, 1, 0, 2) : v;
        }

        // [len, N, E] → [N, heads, len, head_dim]
        string Heads(Tensor t, int block, string name)
        {
            string y = Step("MatMul", [SeqFirst(t), Derived(inWeight, $"onnx_{name}T", () => (BlockTransposed(inWeight, block, embed), [embed, embed]))]);
            if (inBias is not null)
                y = Step("Add", [y, Derived(inBias, $"onnx_{name}", () => (inBias.Detach().Contiguous().ToFloatArray()[(block * embed)..((block + 1) * embed)], [embed]))]);
            return TransposeTo(Step("Reshape", [y, Constant("shape", [0, 0, heads, headDim])]), 1, 2, 0, 3);
        }
        string q = Heads(query, 0, "q"), k = Heads(op.Inputs[1]!, 1, "k"), v = Heads(op.Inputs[2]!, 2, "v");

        string scores = Step("MatMul", [Step("Mul", [q, ScalarConstant("scale", (float)Math.Sqrt(1.0 / headDim))]), TransposeTo(k, 0, 1, 3, 2)]);
        string? mask = null;
        if (op.Inputs[4] is { } attnMask)
        {
            mask = NameOf(attnMask, op.Name);
            if (attnMask.Rank == 3)
                mask = Step("Reshape", [mask, Constant("shape", [-1, heads, attnMask.Shape[1], attnMask.Shape[2]])]);
        }
        if (op.Inputs[3] is { } paddingMask)
        {
            string padding = NameOf(paddingMask, op.Name);
            if (batched) padding = Step("Unsqueeze", [padding, Constant("axes", [1, 2])]);
            mask = mask is null ? padding : Step("Add", [mask, padding]);
        }
        if (mask is not null) scores = Step("Add", [scores, mask]);
        string weights = Step("Softmax", [scores], IntAttribute("axis", -1));

        // [N, heads, L, head_dim] → [L, N, E], then out_proj.
        string attended = Step("Reshape", [TransposeTo(Step("MatMul", [weights, v]), 2, 0, 1, 3), Constant("shape", [0, 0, embed])]);
        var outWeight = op.Inputs[7]!;
        string output = Step("MatMul", [attended, Derived(outWeight, "onnx_T", () => (BlockTransposed(outWeight, 0, embed), [embed, embed]))]);
        if (op.Inputs[8] is { } outBias) output = Step("Add", [output, NameOf(outBias, op.Name)]);
        output = !batched ? SqueezeAxis(output, 1) : batchFirst ? TransposeTo(output, 1, 0, 2) : output;
        if (op.Outputs.Count == 1) return [output];

        string returned = (bool)op.Attributes["averageAttnWeights"]
            ? Step("ReduceMean", [weights], IntsAttribute("axes", [1]), IntAttribute("keepdims", 0))
            : weights;
        return [output, batched ? returned : SqueezeAxis(returned, 0)];
    }

    // Rows [block·size, (block + 1)·size) of a [rows, size] weight, transposed to [size, size] (x·Wᵀ as MatMul(x, ·)).
    static float[] BlockTransposed(Tensor weight, int block, int size)
    {
        var data = weight.Detach().Contiguous().ToFloatArray();
        var result = new float[size * size];
        for (int r = 0; r < size; r++)
            for (int c = 0; c < size; c++)
                result[c * size + r] = data[(block * size + r) * size + c];
        return result;
    }
}
