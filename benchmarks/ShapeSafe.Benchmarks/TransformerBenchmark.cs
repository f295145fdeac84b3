using System.Diagnostics;
using ShapeSafe.NN;

namespace ShapeSafe.Benchmarks;

/// <summary>
/// Issue 10's workload: forward and backward of <c>TransformerEncoderLayer(256, 4, 1024)</c> on [32, 16, 256],
/// eager against the <c>[Module]</c> graph compiled at build time. The two run in alternating rounds (eager,
/// compiled, eager, ...) so that a change in the machine's load falls on both, and each round is timed by the
/// thread's CPU time, which other helpers' processes on the shared cores do not inflate.
/// </summary>
internal static partial class TransformerBenchmark
{
    /// <summary>The layer as a user writes it: a <c>[Module]</c> class whose <c>Forward</c> calls the child.</summary>
    [Module]
    public sealed partial class Encoder : Module
    {
        readonly TransformerEncoderLayer _layer = new(256, 4, 1024, batchFirst: true);

        public TransformerEncoderLayer Layer => _layer;

        public Tensor Forward(Tensor x) => _layer.Forward(x);
    }

    public static int Run(string[] args)
    {
        int rounds = int.Parse(BenchOutput.Option(args, "--rounds", "6"));
        int steps = int.Parse(BenchOutput.Option(args, "--steps", "10"));
        int batch = int.Parse(BenchOutput.Option(args, "--batch", "32"));
        // Eval mode times the layer without dropout's masks (their draws are the same in both columns either way).
        bool eval = args.Contains("--eval");
        Tensor.ManualSeed(42);
        var model = new Encoder();
        if (eval) model.Eval();
        var compiled = model.Compile();
        var x = Tensor.Randn(batch, 16, 256);
        x.RequiresGrad = true;
        var gradient = Tensor.Randn(batch, 16, 256);
        if (args.Contains("--compiled-breakdown"))
        {
            CompiledBreakdown(model, compiled.Forward, x, gradient, steps * rounds);
            return 0;
        }
        if (args.Contains("--breakdown"))
        {
            Breakdown(model.Layer, x.Detach(), steps * rounds);
            return 0;
        }

        void Step(Func<Tensor, Tensor> forward)
        {
            model.ZeroGrad();
            x.Grad = null;
            forward(x).Backward(gradient);
        }

        // One column alone for a profiler (perf record): --only eager|compiled, steps·rounds steps after the warm-up.
        if (BenchOutput.Option(args, "--only", "") is { Length: > 0 } only)
        {
            Func<Tensor, Tensor> forward = only == "eager" ? model.Forward : compiled.Forward;
            var start = Stopwatch.StartNew();
            while (start.Elapsed.TotalSeconds < 1.5) Step(forward);
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            int gen0 = GC.CollectionCount(0), gen2 = GC.CollectionCount(2);
            double seconds = Time(() => Step(forward), steps * rounds);
            double perStep = 1.0 / (steps * rounds);
            Console.WriteLine($"{only}: {seconds * 1e3:F3} ms per step (thread CPU, {steps * rounds} steps), "
                + $"{(GC.GetAllocatedBytesForCurrentThread() - allocated) * perStep / 1024:F1} KiB allocated per step, "
                + $"GCs per step: {(GC.CollectionCount(0) - gen0) * perStep:F2} (gen 2: {(GC.CollectionCount(2) - gen2) * perStep:F2})");
            return 0;
        }

        // Warm up both paths for at least 1.5 s so the tiered JIT has moved the kernels' loops to optimized code.
        var warmup = Stopwatch.StartNew();
        while (warmup.Elapsed.TotalSeconds < 1.5)
        {
            Step(model.Forward);
            Step(compiled.Forward);
        }

        var eager = new List<double>();
        var graph = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            eager.Add(Time(() => Step(model.Forward), steps));
            graph.Add(Time(() => Step(compiled.Forward), steps));
        }
        // The ratio of each round's pair, so a slow round does not favour the column measured in it.
        var ratios = eager.Zip(graph, (e, c) => e / c).ToList();
        BenchOutput.Row(new()
        {
            ["bench"] = "transformer", ["batch"] = batch, ["mode"] = eval ? "eval" : "train", ["is_compiled"] = compiled.IsCompiled,
            ["eager_ms_median"] = BenchOutput.Median(eager) * 1e3, ["compiled_ms_median"] = BenchOutput.Median(graph) * 1e3,
            ["speedup_median"] = BenchOutput.Median(ratios), ["rounds"] = rounds, ["steps"] = steps, ["clock"] = "thread-cpu",
        });
        return 0;
    }

    /// <summary>
    /// Where eager mode spends the layer's time: each piece of its forward run alone on inputs of the shapes it sees
    /// in the layer (post-norm, training mode), forward and backward, in thread CPU milliseconds per call. The pieces
    /// are the public calls the layer makes, so their sum is near the whole layer's figure; the rest is the glue.
    /// </summary>
    static void Breakdown(TransformerEncoderLayer layer, Tensor x, int steps)
    {
        var attn = layer.SelfAttn;
        int n = x.Sizes[0], l = x.Sizes[1], e = x.Sizes[2], heads = attn.NumHeads, headDim = e / heads;
        var seqFirst = x.Transpose(0, 1).Contiguous();                                    // [L, N, E]
        var head = Tensor.Randn(l, n * heads, headDim).Transpose(0, 1);                    // [N·heads, L, headDim], strided as the layer makes it
        var attended = Tensor.Randn(n * heads, l, headDim);
        var hidden = Tensor.Randn(n, l, layer.DimFeedforward);
        var pieces = new (string Name, Func<Tensor[], Tensor> Forward, Tensor[] Inputs)[]
        {
            ("whole layer", t => layer.Forward(t[0]), [x]),
            ("in-proj: 3 Linear on chunks", t => InProjection(attn, t[0]), [seqFirst]),
            ("sdpa (dropout p)", t => F.ScaledDotProductAttention(t[0], t[1], t[2], null, layer.DropoutP, false), [head, head.Clone(), head.Clone()]),
            ("head merge: transpose+reshape", t => t[0].Transpose(0, 1).Reshape(l * n, e), [attended]),
            ("out-proj Linear", t => attn.OutProj.Forward(t[0]), [Tensor.Randn(l * n, e)]),
            ("linear1 + relu", t => F.Relu(layer.Linear1.Forward(t[0])), [x]),
            ("linear2", t => layer.Linear2.Forward(t[0]), [hidden]),
            ("layer norm ×2", t => layer.Norm1.Forward(t[0]) + layer.Norm2.Forward(t[0]), [x]),
            ("dropout: E ×2 + FF", t => F.Dropout(t[0], layer.DropoutP) + F.Dropout(t[0], layer.DropoutP) + F.Dropout(t[1], layer.DropoutP).Sum(), [x, hidden]),
            ("residual add ×2", t => t[0] + t[1] + t[0], [x, x.Clone()]),
        };
        foreach (var (name, forward, inputs) in pieces)
        {
            var leaves = inputs.Select(t => { var leaf = t.Detach().Clone(); leaf.RequiresGrad = true; return leaf; }).ToArray();
            var output = forward(leaves);
            var grad = Tensor.OnesLike(output);
            void Step()
            {
                layer.ZeroGrad();
                foreach (var leaf in leaves) leaf.Grad = null;
                forward(leaves).Backward(grad);
            }
            for (int i = 0; i < 20; i++) Step();
            double both = Time(Step, steps);
            double forwardOnly = Time(() => forward(leaves), steps);
            Console.WriteLine($"  {name,-32} forward+backward {both * 1e3,8:F3} ms   forward {forwardOnly * 1e3,8:F3} ms");
        }
    }

    /// <summary>The three projections as the layer computes them: a Linear on each third of the packed weight.</summary>
    static Tensor InProjection(MultiheadAttention attn, Tensor x)
    {
        var w = attn.InProjWeight!.Chunk(3, 0);
        var b = attn.InProjBias!.Chunk(3, 0);
        return F.Linear(x, w[0], b[0]) + F.Linear(x, w[1], b[1]) + F.Linear(x, w[2], b[2]);
    }

    /// <summary>Thread CPU seconds per call of <paramref name="step"/>, over <paramref name="steps"/> calls.</summary>
    static double Time(Action step, int steps)
    {
        double start = CpuClock.ThreadSeconds();
        for (int i = 0; i < steps; i++) step();
        return (CpuClock.ThreadSeconds() - start) / steps;
    }
}
