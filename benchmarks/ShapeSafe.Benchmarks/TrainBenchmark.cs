using System.Diagnostics;
using ShapeSafe.NN;
using ShapeSafe.Optim;

namespace ShapeSafe.Benchmarks;

/// <summary>
/// Training throughput on fixed random batches with plain SGD: the same workloads, batch sizes and step
/// counts as torchref's "train", so the two figures compare directly.
/// </summary>
internal static class TrainBenchmark
{
    public static int Run(string[] args)
    {
        string name = BenchOutput.Option(args, "--model", "mlp");
        // Process CPU time (every thread, GC included) instead of wall time: steadier on a shared machine,
        // and with --threads 1 it is the work a step costs.
        bool cpuTime = args.Contains("--cpu-time");
        Tensor.ManualSeed(42);
        var (model, batch, sample) = BenchmarkModels.Build(name);
        // --compiled: the same network as a [Module] class, through the graph the generator compiled at build time
        // (made after the Sequential, so with the seed reset it starts from the same weights).
        bool compiled = args.Contains("--compiled");
        Func<Tensor, Tensor> forward = model.Forward;
        Module trained = model;
        if (compiled)
        {
            Tensor.ManualSeed(42);
            (forward, trained) = CompiledModels.Build(name);
        }
        var loss = new CrossEntropyLoss();
        var optimizer = new Sgd(trained.Parameters(), lr: 0.01);
        const int batches = 8;
        var xs = Enumerable.Range(0, batches).Select(_ => Tensor.Randn(new[] { batch }.Concat(sample).ToArray())).ToArray();
        var ys = Enumerable.Range(0, batches).Select(_ => Tensor.Randint(0, 10, new[] { batch })).ToArray();
        // --breakdown: wall time of each phase of a step, summed over the timed steps.
        bool breakdown = args.Contains("--breakdown");
        var phases = new double[4];
        var phase = new Stopwatch();
        void Mark(int index)
        {
            if (!breakdown) return;
            phases[index] += phase.Elapsed.TotalMilliseconds;
            phase.Restart();
        }
        // --replicas R: ShapeSafe.Parallel.DataParallel with R replicas instead of intra-op threads (forward, loss and
        // backward then count as one phase).
        int replicas = int.Parse(BenchOutput.Option(args, "--replicas", "0"));
        var parallel = replicas > 0
            ? new ShapeSafe.Parallel.DataParallel<Sequential>(model, () => BenchmarkModels.Build(name).Model, replicas)
            : null;
        int k = 0;
        void Step()
        {
            phase.Restart();
            optimizer.ZeroGrad();
            if (parallel is not null)
            {
                parallel.ForwardBackward([xs[k % batches], ys[k % batches]], (replica, shard) => loss.Forward(replica.Forward(shard[0]), shard[1]));
                Mark(2);
            }
            else
            {
                var output = forward(xs[k % batches]);
                Mark(0);
                var l = loss.Forward(output, ys[k % batches]);
                Mark(1);
                l.Backward();
                Mark(2);
            }
            optimizer.Step();
            Mark(3);
            k++;
        }
        int steps = name == "mlp" ? 200 : 40;
        // Warm up for 20 steps and at least 1.5 s: .NET's tiered JIT moves the kernels' loops from quick-JIT/OSR code
        // to fully optimized code only after a few hundred milliseconds of steady calls, which a fixed 20 steps of a
        // small model (10 ms for the MLP) does not cover. The figure wanted is the steady state of a long training run.
        var warmup = Stopwatch.StartNew();
        for (int i = 0; i < 20 || warmup.Elapsed.TotalSeconds < 1.5; i++) Step();
        Array.Clear(phases);
        var times = new List<double>();
        var sw = new Stopwatch();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        int gen2Before = GC.CollectionCount(2);
        var pauseBefore = GC.GetTotalPauseDuration();
        for (int r = 0; r < 5; r++)
        {
            double cpuStart = cpuTime ? CpuClock.ProcessSeconds() : 0;
            sw.Restart();
            for (int i = 0; i < steps; i++) Step();
            times.Add((cpuTime ? CpuClock.ProcessSeconds() - cpuStart : sw.Elapsed.TotalSeconds) / steps);
        }
        double kbPerStep = (GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore) / 1024.0 / (5 * steps);
        // Bytes one forward call allocates in steady state (the output tensor and, when recording, its node).
        long forwardBefore = GC.GetAllocatedBytesForCurrentThread();
        var probe = forward(xs[0]);
        long forwardBytes = GC.GetAllocatedBytesForCurrentThread() - forwardBefore;
        GC.KeepAlive(probe);
        int gen2 = GC.CollectionCount(2) - gen2Before;
        double pauseMsPerStep = (GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds / (5 * steps);
        if (breakdown)
        {
            string[] names = ["zero_grad+forward", "loss", "backward", "optimizer"];
            for (int i = 0; i < phases.Length; i++)
                Console.WriteLine($"  {names[i],-18} {phases[i] / (5 * steps),8:F3} ms per step");
        }
        BenchOutput.Row(new()
        {
            ["bench"] = "train", ["model"] = name, ["batch"] = batch,
            ["samples_per_s_best"] = batch / times.Min(), ["samples_per_s_median"] = batch / BenchOutput.Median(times),
            ["ms_per_step_best"] = times.Min() * 1e3, ["kb_allocated_per_step"] = Math.Round(kbPerStep, 1),
            ["replicas"] = replicas, ["compiled"] = compiled, ["forward_bytes"] = forwardBytes, ["gen2_collections"] = gen2, ["gc_pause_ms_per_step"] = Math.Round(pauseMsPerStep, 3), ["clock"] = cpuTime ? "cpu" : "wall",
        });
        return 0;
    }
}
