using System.Diagnostics;
using ShapeSafe.NN;
using ShapeSafe.Optim;

namespace ShapeSafe.Benchmarks;

/// <summary>
/// Recomputation's workload: SGD training of a 16-layer MLP (width 1024, GELU between layers) compiled twice, saving
/// every activation the backward reads and recomputing the GELUs' outputs there
/// (<see cref="CompileOptions.Recompute"/>). It prints both graphs' memory report (saved-activation bytes, peak live
/// bytes, arena bytes) and their step time, in alternating rounds of thread CPU time so that a change in the
/// machine's load falls on both. The two twins start from the same weights and train on the same batch, so they
/// must end with the same weights bit for bit, which the row says.
/// </summary>
internal static partial class RecomputeBenchmark
{
    const int Width = 1024;

    /// <summary>Fifteen hidden layers of <see cref="Width"/> with a GELU after each, and a head of 10: 16 linear layers.</summary>
    [Module]
    public sealed partial class DeepMlp : Module
    {
        readonly Linear[] _layers =
        {
            new(Width, Width),
            new(Width, Width),
            new(Width, Width),
            new(Width, Width),
            new(Width, Width),
            new(Width, Width),
            new(Width, Width),
            new(Width, Width),
            new(Width, Width),
            new(Width, Width),
            new(Width, Width),
            new(Width, Width),
            new(Width, Width),
            new(Width, Width),
            new(Width, Width),
        };
        readonly Linear _head = new(Width, 10);

        public Tensor Forward(Tensor x)
        {
            foreach (var layer in _layers)
                x = F.Gelu(layer.Forward(x));
            return _head.Forward(x);
        }
    }

    public static int Run(string[] args)
    {
        int batch = int.Parse(BenchOutput.Option(args, "--batch", "256"));
        int rounds = int.Parse(BenchOutput.Option(args, "--rounds", "4"));
        int steps = int.Parse(BenchOutput.Option(args, "--steps", "3"));
        var saving = Twin(CompileOptions.Default);
        var recomputing = Twin(new CompileOptions { Recompute = RecomputeMode.MinCut });
        var data = new Generator(7);
        var x = Tensor.Randn(new[] { batch, Width }, data);
        var target = Tensor.Randint(0, 10, new[] { batch }, data);

        // Warm up both for at least 1.5 s (and two steps each) so that the tiered JIT has optimized the kernels' loops.
        var warmup = Stopwatch.StartNew();
        for (int i = 0; i < 2 || warmup.Elapsed.TotalSeconds < 1.5; i++)
        {
            saving.Step(x, target);
            recomputing.Step(x, target);
        }
        var savingTimes = new List<double>();
        var recomputingTimes = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            savingTimes.Add(saving.Time(x, target, steps));
            recomputingTimes.Add(recomputing.Time(x, target, steps));
        }
        // Each round's pair as a ratio, so that a slow round does not favour the column measured in it.
        var ratios = recomputingTimes.Zip(savingTimes, (r, s) => r / s).ToList();
        var shape = new[] { batch, Width };
        var saved = saving.Graph.MemoryReport(shape);
        var recomputed = recomputing.Graph.MemoryReport(shape);
        bool sameWeights = saving.Model.Parameters().Zip(recomputing.Model.Parameters())
            .All(p => p.First.ToFloatArray().AsSpan().SequenceEqual(p.Second.ToFloatArray()));
        const double MiB = 1 << 20;
        BenchOutput.Row(new()
        {
            ["bench"] = "recompute", ["batch"] = batch, ["width"] = Width, ["layers"] = 16,
            ["saved_mib"] = saved.SavedBytes / MiB, ["saved_mib_recompute"] = recomputed.SavedBytes / MiB,
            ["peak_mib"] = saved.PeakBytes / MiB, ["peak_mib_recompute"] = recomputed.PeakBytes / MiB,
            ["arena_mib"] = saved.ArenaBytes / MiB, ["arena_mib_recompute"] = recomputed.ArenaBytes / MiB,
            ["step_ms_median"] = BenchOutput.Median(savingTimes) * 1e3, ["step_ms_median_recompute"] = BenchOutput.Median(recomputingTimes) * 1e3,
            ["time_ratio_median"] = BenchOutput.Median(ratios), ["same_weights"] = sameWeights,
            ["rounds"] = rounds, ["steps"] = steps, ["clock"] = "thread-cpu",
        });
        return sameWeights ? 0 : 1;
    }

    /// <summary>A model, its graph compiled with <paramref name="options"/> and its optimizer; every twin starts from seed 42's weights.</summary>
    static Trained Twin(CompileOptions options)
    {
        Tensor.ManualSeed(42);
        var model = new DeepMlp();
        return new Trained(model, model.Compile(options), new Sgd(model.Parameters(), lr: 0.01));
    }

    sealed record Trained(DeepMlp Model, DeepMlp.Compiled Graph, Sgd Optimizer)
    {
        public void Step(Tensor x, Tensor target)
        {
            Optimizer.ZeroGrad();
            F.CrossEntropy(Graph.Forward(x), target).Backward();
            Optimizer.Step();
        }

        /// <summary>Thread CPU seconds per step, over <paramref name="steps"/> steps.</summary>
        public double Time(Tensor x, Tensor target, int steps)
        {
            double start = CpuClock.ThreadSeconds();
            for (int i = 0; i < steps; i++) Step(x, target);
            return (CpuClock.ThreadSeconds() - start) / steps;
        }
    }
}
