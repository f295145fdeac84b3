using System.Runtime.InteropServices;
using System.Text.Json;
using ShapeSafe.Conformance.Models;
using ShapeSafe.NN;
using TorchSharp;
using S = ShapeSafe;
using T = TorchSharp.torch;
using TF = TorchSharp.torch.nn.functional;
using TM = TorchSharp.Modules;

namespace ShapeSafe.Conformance;

/// <summary>
/// nanoGPT's model (Models/Gpt.cs) beside the same model built from LibTorch's modules under the same names, weights
/// copied by state-dict name: a 2-block stack at GPT-2 small's width, the whole GPT on token ids with its tied head,
/// Float64 twins of both (ShapeSafe's Float64 against LibTorch's), float32 against LibTorch's Float64, and a safetensors file written from LibTorch's state dict loaded by name.
/// </summary>
static class GptCases
{
    // Float32 sums of 768 to 3072 products in another order than LibTorch's (its GEMM, its fused SDPA kernel), through
    // two residual blocks: elements near 1e-3 of a tensor's scale differ by a few 1e-4 of their own size. LibTorch's
    // own float32 result is 3e-4 from its Float64 result of the same weights (the "f32 vs f64" cases), so the issue's
    // 1e-4 is below float32's reach under this metric; the cases hold 1e-3.
    const double Float32Tolerance = 1e-3;

    // Float64 on both sides: sums of up to 3072 double products in another order differ by ~1e-14 of their size;
    // 1e-10 leaves room for the two blocks' cancellations and still catches any difference of formula.
    const double Float64Tolerance = 1e-10;

    public static readonly GptConfig StackConfig = new(BlockSize: 64, VocabSize: 512, NLayer: 2, NHead: 12, NEmbd: 768);

    public static IEnumerable<Case> All()
    {
        // ---- (a) two blocks, [2, 64, 768]
        {
            var ours = Stack(StackConfig, seed: 11);
            var theirs = new TorchBlockStack(StackConfig);
            yield return new Case
            {
                Name = "GPT 2 blocks n_embd 768 [2, 64, 768]",
                Tolerance = Float32Tolerance,
                ReportScale = true,
                Shapes = [[2, 64, 768]],
                Parameters = () => ByName(ours, theirs),
                Ours = x => ForwardStack(ours, x[0]),
                Theirs = x => theirs.forward(x[0]),
            };
        }

        // ---- (a) in Float64 on both sides: the same seeded weights converted with Double() / to(float64), the same
        // inputs and cotangent in double. Float32 rounding is then out of the way (double's is 1e-16), so what is left
        // is whether the two compute the same function: the port's semantics, not float32's reach.
        {
            var ours = Stack(StackConfig, seed: 11);
            ours.Double();
            var theirs = new TorchBlockStack(StackConfig);
            theirs.to(T.ScalarType.Float64);
            yield return new Case
            {
                Name = "GPT 2 blocks n_embd 768 Float64",
                Tolerance = Float64Tolerance,
                Body = () => CompareFloat64(ours, theirs, [2, 64, 768], x => ForwardStack(ours, x!), x => theirs.forward(x!)),
            };
        }

        // ---- (a) both libraries' float32 results against LibTorch's Float64 result of the same weights: how much of
        // the float32 difference above is float32 rounding.
        {
            var ours = Stack(StackConfig, seed: 11);
            var theirs32 = new TorchBlockStack(StackConfig);
            var theirs64 = new TorchBlockStack(StackConfig);
            theirs64.to(T.ScalarType.Float64);
            yield return new Case
            {
                Name = "GPT 2 blocks ShapeSafe f32 vs LibTorch f64",
                Tolerance = Float32Tolerance,
                ReportScale = true,
                Shapes = [[2, 64, 768]],
                Parameters = () => ByName(ours, theirs64),
                Ours = x => ForwardStack(ours, x[0]),
                Theirs = x => theirs64.forward(x[0].to_type(T.ScalarType.Float64)).to_type(T.ScalarType.Float32),
            };
            yield return new Case
            {
                Name = "GPT 2 blocks LibTorch f32 vs LibTorch f64",
                Tolerance = Float32Tolerance,
                ReportScale = true,
                NoGrad = true,
                Shapes = [[2, 64, 768]],
                Parameters = () =>
                {
                    var (o, t) = ByName(ours, theirs32);
                    using (T.no_grad())
                        for (int i = 0; i < o.Length; i++) t[i].copy_(T.tensor(o[i].ToFloatArray(), t[i].shape));
                    return ByName(ours, theirs64);
                },
                Ours = x =>
                {
                    using var noGrad = T.no_grad();
                    return ToOurs(theirs32.forward(T.tensor(x[0].ToFloatArray(), new long[] { 2, 64, 768 })));
                },
                Theirs = x => theirs64.forward(x[0].to_type(T.ScalarType.Float64)).to_type(T.ScalarType.Float32),
            };
        }

        // ---- (b) the whole GPT on token ids: logits and every parameter's gradient, the tied one summed over both uses
        var gptConfig = new GptConfig(BlockSize: 64, VocabSize: 512, NLayer: 2, NHead: 12, NEmbd: 768);
        var ids = TokenIds(2, 64, gptConfig.VocabSize, seed: 5);
        {
            var ours = Model(gptConfig, seed: 12);
            var theirs = new TorchGpt(gptConfig);
            yield return new Case
            {
                Name = "GPT vocab 512 2 layers n_embd 768 logits",
                Tolerance = Float32Tolerance,
                ReportScale = true,
                Shapes = [],
                Parameters = () =>
                {
                    CheckNames(ours.StateDict().Keys, theirs.state_dict().Keys);
                    return ByName(ours, theirs);
                },
                Ours = _ => ours.Forward(S.Tensor.FromArray(ids, 2, 64)),
                Theirs = _ => theirs.forward(T.tensor(ids, new long[] { 2, 64 })),
            };
        }

        // ---- (b) the whole GPT in Float64: logits and every parameter's gradient, the tied weight converted once
        {
            var ours = Model(gptConfig, seed: 12);
            ours.Double();
            var theirs = new TorchGpt(gptConfig);
            theirs.ToTied(T.ScalarType.Float64);
            yield return new Case
            {
                Name = "GPT vocab 512 2 layers n_embd 768 Float64",
                Tolerance = Float64Tolerance,
                Body = () => CompareFloat64(ours, theirs, null,
                    _ => ours.Forward(S.Tensor.FromArray(ids, 2, 64)),
                    _ => theirs.forward(T.tensor(ids, new long[] { 2, 64 }))),
            };
        }

        // ---- safetensors: LibTorch's state dict written to a file, loaded by name, against the same values copied directly
        {
            var theirs = new TorchGpt(gptConfig);
            var seeded = Model(gptConfig, seed: 13);
            var path = Path.Combine(Path.GetTempPath(), $"shapesafe-gpt-{Environment.ProcessId}.safetensors");
            yield return new Case
            {
                Name = "GPT safetensors by name, bitwise = direct copy",
                Tolerance = Float32Tolerance,
                ReportScale = true,
                NoGrad = true,
                Shapes = [],
                Ours = _ =>
                {
                    // LibTorch's model gets our seeded values by name; its state dict is then the checkpoint.
                    var (o, t) = ByName(seeded, theirs);
                    using (T.no_grad())
                        for (int i = 0; i < o.Length; i++)
                            t[i].copy_(T.tensor(o[i].ToFloatArray(), t[i].shape));
                    var state = theirs.state_dict();
                    WriteSafetensors(path, state.Select(kv => (kv.Key, kv.Value)));
                    try
                    {
                        var loaded = new Gpt(gptConfig);
                        var (missing, unexpected) = loaded.Load(path);
                        if (missing.Count + unexpected.Count > 0) throw new InvalidOperationException("keys differ");
                        var copied = new Gpt(gptConfig);
                        copied.LoadStateDict(state.ToDictionary(kv => kv.Key, kv => ToOurs(kv.Value)));
                        using var noGrad = S.Autograd.NoGrad();
                        var x = S.Tensor.FromArray(ids, 2, 64);
                        var a = loaded.Forward(x);
                        var b = copied.Forward(x);
                        var differ = a.ToFloatArray().Zip(b.ToFloatArray()).Count(p => BitConverter.SingleToInt32Bits(p.First) != BitConverter.SingleToInt32Bits(p.Second));
                        if (differ != 0) throw new InvalidOperationException($"{differ} logits differ in their bits between the file and the direct copy");
                        return a;
                    }
                    finally
                    {
                        File.Delete(path);
                    }
                },
                // The loaded model against LibTorch's own logits: only float32 rounding, so measured, not held to 0.
                Theirs = _ =>
                {
                    using (T.no_grad()) return theirs.forward(T.tensor(ids, new long[] { 2, 64 }));
                },
            };
        }
    }

    // ---------------------------------------------------------------- our side

    /// <summary>Blocks as a ModuleList (state "0.ln_1.weight", ...), with every weight drawn from <paramref name="seed"/>.</summary>
    public static ModuleList<Block> Stack(GptConfig config, int seed)
    {
        var stack = new ModuleList<Block>(Enumerable.Range(0, config.NLayer).Select(_ => new Block(config)));
        Randomize(stack, seed);
        return stack;
    }

    static S.Tensor ForwardStack(ModuleList<Block> stack, S.Tensor x)
    {
        foreach (var block in stack) x = block.Forward(x);
        return x;
    }

    static Gpt Model(GptConfig config, int seed)
    {
        var model = new Gpt(config);
        Randomize(model, seed);
        return model;
    }

    // The layers' defaults leave the norms at ones and zeros and the biases small: every tensor gets seeded values
    // of a GPT-like size instead, so each parameter's role shows in the output.
    static void Randomize(Module module, int seed)
    {
        var generator = new S.Generator(seed);
        using var _ = S.Autograd.NoGrad();
        foreach (var (name, p) in module.NamedParameters())
        {
            var noise = S.Tensor.Randn(p.Shape.ToArray(), generator);
            var value = name.Contains("ln_", StringComparison.Ordinal)
                ? (name.EndsWith(".weight", StringComparison.Ordinal) ? noise * 0.1f + 1f : noise * 0.1f)
                : name.Contains("wte", StringComparison.Ordinal) || name.Contains("wpe", StringComparison.Ordinal)
                    ? noise * 0.5f
                    : noise * 0.04f;
            p.CopyFrom(value);
        }
    }

    static long[] TokenIds(int batch, int length, int vocab, int seed)
    {
        var rng = new System.Random(seed);
        return Enumerable.Range(0, batch * length).Select(_ => (long)rng.Next(vocab)).ToArray();
    }

    /// <summary>
    /// A Float64 comparison (the harness's own runs in float32): the weights copied by name in double, an input of
    /// <paramref name="inputShape"/> (or none) drawn in double as a leaf on both sides, the outputs compared, then
    /// Σ output·v for a fixed double v backpropagated and the input's and every parameter's gradient compared.
    /// </summary>
    static Result CompareFloat64(Module ours, T.nn.Module theirs, int[]? inputShape,
        Func<S.Tensor?, S.Tensor> forwardOurs, Func<T.Tensor?, T.Tensor> forwardTheirs)
    {
        var (o, t) = ByName(ours, theirs);
        using (T.no_grad())
            for (int i = 0; i < o.Length; i++)
            {
                if (o[i].DType != S.DType.Float64 || t[i].dtype != T.ScalarType.Float64)
                    throw new InvalidOperationException($"parameter {i}: {o[i].DType} vs {t[i].dtype}, both should be Float64");
                t[i].copy_(T.tensor(o[i].ToDoubleArray(), t[i].shape, T.ScalarType.Float64));
            }
        ours.ZeroGrad();
        theirs.zero_grad();

        S.Tensor? x = null;
        T.Tensor? y = null;
        if (inputShape is not null)
        {
            var data = DrawDouble(new System.Random(1), inputShape.Aggregate(1, (p, q) => p * q));
            x = S.Tensor.FromArray((double[])data.Clone(), inputShape);
            x.RequiresGrad = true;
            y = T.tensor(data, inputShape.Select(d => (long)d).ToArray(), T.ScalarType.Float64).requires_grad_(true);
        }
        var a = forwardOurs(x);
        var b = forwardTheirs(y);
        if (a.DType != S.DType.Float64 || b.dtype != T.ScalarType.Float64)
            return new Result(double.NaN, double.NaN, $"MISMATCH dtypes {a.DType} vs {b.dtype}");
        if (!a.Shape.Select(d => (long)d).SequenceEqual(b.shape))
            return new Result(double.NaN, double.NaN, $"MISMATCH shapes [{string.Join(", ", a.Shape)}] vs [{string.Join(", ", b.shape)}]");
        double output = Case.RelativeError(a.ToDoubleArray(), b.detach().contiguous().data<double>().ToArray());

        var v = DrawDouble(new System.Random(1001), (int)a.NumEl);
        (a * S.Tensor.FromArray((double[])v.Clone(), a.Shape.ToArray())).Sum().Backward();
        (b * T.tensor(v, b.shape, T.ScalarType.Float64)).sum().backward();
        double gradient = 0;
        var pairs = o.Zip(t).Select(p => (Ours: p.First.Grad, Theirs: p.Second.grad)).ToList();
        if (x is not null) pairs.Insert(0, (x.Grad, y!.grad));
        foreach (var (g, h) in pairs)
        {
            if (g is null || h is null)
                return new Result(output, double.PositiveInfinity, "MISMATCH a gradient is missing on one side");
            gradient = Math.Max(gradient, Case.RelativeError(g.ToDoubleArray(), h.contiguous().data<double>().ToArray()));
        }
        return new Result(output, gradient, $"Float64, {pairs.Count} gradients");
    }

    static double[] DrawDouble(System.Random rng, int count)
    {
        var v = new double[count];
        for (int i = 0; i < count; i++) v[i] = rng.NextDouble() * 4 - 2;
        return v;
    }

    // ---------------------------------------------------------------- weights by name

    /// <summary>Our parameters and LibTorch's of the same names, in our order (the tied weight once, under its first name, as both libraries list it).</summary>
    static (S.Tensor[] Ours, T.Tensor[] Theirs) ByName(Module ours, T.nn.Module theirs)
    {
        var named = ours.NamedParameters().ToArray();
        var theirsByName = theirs.named_parameters().ToDictionary(p => p.name, p => (T.Tensor)p.parameter);
        CheckNames(named.Select(p => p.Name), theirsByName.Keys);
        return (named.Select(p => (S.Tensor)p.Parameter).ToArray(), named.Select(p => theirsByName[p.Name]).ToArray());
    }

    static void CheckNames(IEnumerable<string> ours, IEnumerable<string> theirs)
    {
        var a = ours.ToArray();
        var b = theirs.ToArray();
        if (!a.SequenceEqual(b))
            throw new InvalidOperationException($"names differ: ours [{string.Join(", ", a)}], LibTorch's [{string.Join(", ", b)}]");
    }

    static S.Tensor ToOurs(T.Tensor t) =>
        S.Tensor.FromArray(t.detach().contiguous().to_type(T.ScalarType.Float32).data<float>().ToArray(), t.shape.Select(d => (int)d).ToArray());

    // ---------------------------------------------------------------- safetensors written by hand

    /// <summary>
    /// The safetensors layout: an 8-byte little-endian header length, the JSON header (dtype, shape, data_offsets
    /// per tensor, <c>__metadata__</c>), padded with spaces to a multiple of 8, then the raw little-endian data.
    /// Written here because TorchSharp has no safetensors writer; tensors in the order given.
    /// </summary>
    public static void WriteSafetensors(string path, IEnumerable<(string Name, T.Tensor Tensor)> tensors)
    {
        var blobs = new List<byte[]>();
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("__metadata__");
            writer.WriteString("format", "pt");
            writer.WriteEndObject();
            long offset = 0;
            foreach (var (name, tensor) in tensors)
            {
                var t = tensor.detach().contiguous();
                var (dtype, bytes) = t.dtype switch
                {
                    T.ScalarType.Float32 => ("F32", MemoryMarshal.AsBytes<float>(t.data<float>().ToArray()).ToArray()),
                    T.ScalarType.Float64 => ("F64", MemoryMarshal.AsBytes<double>(t.data<double>().ToArray()).ToArray()),
                    T.ScalarType.Int64 => ("I64", MemoryMarshal.AsBytes<long>(t.data<long>().ToArray()).ToArray()),
                    var other => throw new NotSupportedException($"safetensors writer: dtype {other}"),
                };
                writer.WriteStartObject(name);
                writer.WriteString("dtype", dtype);
                writer.WriteStartArray("shape");
                foreach (var d in t.shape) writer.WriteNumberValue(d);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                writer.WriteNumberValue(offset + bytes.Length);
                writer.WriteEndArray();
                writer.WriteEndObject();
                offset += bytes.Length;
                blobs.Add(bytes);
            }
            writer.WriteEndObject();
        }
        var header = json.ToArray().ToList();
        while (header.Count % 8 != 0) header.Add((byte)' ');
        using var file = File.Create(path);
        file.Write(BitConverter.IsLittleEndian ? BitConverter.GetBytes((ulong)header.Count) : BitConverter.GetBytes((ulong)header.Count).Reverse().ToArray());
        file.Write(header.ToArray());
        foreach (var blob in blobs) file.Write(blob);
    }

    // ---------------------------------------------------------------- LibTorch's side: nanoGPT from TorchSharp's modules

    sealed class TorchCausalSelfAttention : T.nn.Module<T.Tensor, T.Tensor>
    {
#pragma warning disable IDE1006, IDE0044 // the state-dict names; RegisterComponents reads the fields by reflection
        TM.Linear c_attn;
        TM.Linear c_proj;
#pragma warning restore IDE1006, IDE0044
        readonly int _heads;

        public TorchCausalSelfAttention(GptConfig config) : base("CausalSelfAttention")
        {
            c_attn = T.nn.Linear(config.NEmbd, 3 * config.NEmbd, hasBias: config.Bias);
            c_proj = T.nn.Linear(config.NEmbd, config.NEmbd, hasBias: config.Bias);
            _heads = config.NHead;
            RegisterComponents();
        }

        public override T.Tensor forward(T.Tensor x)
        {
            long b = x.shape[0], t = x.shape[1], c = x.shape[2];
            var qkv = c_attn.forward(x).split(c, 2);
            T.Tensor Heads(T.Tensor y) => y.view(b, t, _heads, c / _heads).transpose(1, 2);
            var y = TF.scaled_dot_product_attention(Heads(qkv[0]), Heads(qkv[1]), Heads(qkv[2]), is_casual: true);
            return c_proj.forward(y.transpose(1, 2).contiguous().view(b, t, c));
        }
    }

    sealed class TorchMlp : T.nn.Module<T.Tensor, T.Tensor>
    {
#pragma warning disable IDE1006, IDE0044
        TM.Linear c_fc;
        TM.GELU gelu;
        TM.Linear c_proj;
#pragma warning restore IDE1006, IDE0044

        public TorchMlp(GptConfig config) : base("MLP")
        {
            c_fc = T.nn.Linear(config.NEmbd, 4 * config.NEmbd, hasBias: config.Bias);
            gelu = T.nn.GELU();
            c_proj = T.nn.Linear(4 * config.NEmbd, config.NEmbd, hasBias: config.Bias);
            RegisterComponents();
        }

        public override T.Tensor forward(T.Tensor x) => c_proj.forward(gelu.forward(c_fc.forward(x)));
    }

    sealed class TorchBlock : T.nn.Module<T.Tensor, T.Tensor>
    {
#pragma warning disable IDE1006, IDE0044
        TM.LayerNorm ln_1;
        TorchCausalSelfAttention attn;
        TM.LayerNorm ln_2;
        TorchMlp mlp;
#pragma warning restore IDE1006, IDE0044

        public TorchBlock(GptConfig config) : base("Block")
        {
            ln_1 = T.nn.LayerNorm(config.NEmbd, bias: config.Bias);
            attn = new TorchCausalSelfAttention(config);
            ln_2 = T.nn.LayerNorm(config.NEmbd, bias: config.Bias);
            mlp = new TorchMlp(config);
            RegisterComponents();
        }

        public override T.Tensor forward(T.Tensor x)
        {
            x = x + attn.forward(ln_1.forward(x));
            return x + mlp.forward(ln_2.forward(x));
        }
    }

    /// <summary>Blocks in a ModuleList: "0.ln_1.weight", ... as our stack.</summary>
    sealed class TorchBlockStack : T.nn.Module<T.Tensor, T.Tensor>
    {
        readonly TM.ModuleList<TorchBlock> _blocks;

        public TorchBlockStack(GptConfig config) : base("ModuleList")
        {
            _blocks = T.nn.ModuleList(Enumerable.Range(0, config.NLayer).Select(_ => new TorchBlock(config)).ToArray());
            for (int i = 0; i < _blocks.Count; i++) register_module(i.ToString(System.Globalization.CultureInfo.InvariantCulture), _blocks[i]);
        }

        public override T.Tensor forward(T.Tensor x)
        {
            foreach (var block in _blocks) x = block.forward(x);
            return x;
        }
    }

    sealed class TorchTransformer : T.nn.Module
    {
#pragma warning disable IDE1006, IDE0044
        public TM.Embedding wte;
        public TM.Embedding wpe;
        public TM.ModuleList<TorchBlock> h;
        public TM.LayerNorm ln_f;
#pragma warning restore IDE1006, IDE0044

        public TorchTransformer(GptConfig config) : base("ModuleDict")
        {
            wte = T.nn.Embedding(config.VocabSize, config.NEmbd);
            wpe = T.nn.Embedding(config.BlockSize, config.NEmbd);
            h = T.nn.ModuleList(Enumerable.Range(0, config.NLayer).Select(_ => new TorchBlock(config)).ToArray());
            ln_f = T.nn.LayerNorm(config.NEmbd, bias: config.Bias);
            RegisterComponents();
        }
    }

    sealed class TorchGpt : T.nn.Module<T.Tensor, T.Tensor>
    {
#pragma warning disable IDE1006, IDE0044
        TorchTransformer transformer;
        TM.Linear lm_head;
#pragma warning restore IDE1006, IDE0044

        public TorchGpt(GptConfig config) : base("GPT")
        {
            transformer = new TorchTransformer(config);
            lm_head = T.nn.Linear(config.NEmbd, config.VocabSize, hasBias: false);
            transformer.wte.weight = lm_head.weight;
            RegisterComponents();
        }

        /// <summary>
        /// <c>to(dtype)</c> that keeps the head tied: TorchSharp's <c>to</c> gives each registered name a new parameter,
        /// so the embedding and the head would part (PyTorch's keeps the one Parameter); tie them again after.
        /// </summary>
        public void ToTied(T.ScalarType dtype)
        {
            this.to(dtype);
            transformer.wte.weight = lm_head.weight;
        }

        public override T.Tensor forward(T.Tensor idx)
        {
            long t = idx.shape[^1];
            var x = transformer.wte.forward(idx) + transformer.wpe.forward(T.arange(t, T.ScalarType.Int64));
            foreach (var block in transformer.h) x = block.forward(x);
            return lm_head.forward(transformer.ln_f.forward(x));
        }
    }
}
