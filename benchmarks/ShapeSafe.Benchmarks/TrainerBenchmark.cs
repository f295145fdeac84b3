using System.Diagnostics;
using ShapeSafe.Data;
using ShapeSafe.NN;
using ShapeSafe.Optim;
using ShapeSafe.Tensorboard;
using ShapeSafe.Training;

namespace ShapeSafe.Benchmarks;

/// <summary>
/// The trainer's cost: an epoch of the 784-256-10 MLP with Adam through <see cref="Trainer.Fit"/> against the same
/// epoch as a hand-written loop (zero grad, forward, loss, backward, step, loss.Item()), run alternately in a rotating order; and the size
/// and write time of a TensorBoard file for 10 epochs of Fashion-MNIST-like logging.
/// </summary>
internal static class TrainerBenchmark
{
    public static int Run(string[] args)
    {
        int reps = int.Parse(BenchOutput.Option(args, "--reps", "9"));
        // On a shared machine the process's CPU time is steadier than the wall clock (--cpu-time).
        bool cpuTime = args.Contains("--cpu-time");
        double Now() => cpuTime ? Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds : Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;
        int samples = int.Parse(BenchOutput.Option(args, "--samples", "6400"));
        const int batch = 64;
        var g = new Generator(0);
        var data = new TensorDataset(Tensor.Rand(new[] { samples, 1, 28, 28 }, g), Tensor.Randint(0, 10, new[] { samples }, g));
        var loader = new DataLoader(data, batchSize: batch, shuffle: true, generator: new Generator(1));
        // --compiled: the same MLP as a [Module] class, trained through its compiled graph by both loops.
        bool compiled = args.Contains("--compiled");
        Module Mlp() => compiled ? new CompiledModels.TrainerMlp() : new Sequential(new Flatten(), new Linear(784, 256), new ReLU(), new Linear(256, 10));
        ITensorModule ForwardOf(Module model) => compiled ? (ITensorModule)((ICompilableModule)model).Compile() : (ITensorModule)model;
        static Tensor Loss(Tensor y, Tensor t) => F.CrossEntropy(y, t);

        // Each run starts from the same fresh model: weights trained for many epochs on random labels run slower.
        double Hand()
        {
            Tensor.ManualSeed(0);
            var handModel = Mlp();
            var handOptimizer = new Adam(handModel.Parameters());
            var forward = ForwardOf(handModel);
            double start = Now();
            handModel.Train();
            double sum = 0;
            foreach (var b in loader)
            {
                handOptimizer.ZeroGrad();
                var loss = Loss(forward.Forward(b[0]), b[1]);
                loss.Backward();
                handOptimizer.Step();
                sum += loss.Item();
            }
            GC.KeepAlive(sum);
            return Now() - start;
        }
        double ViaTrainer(bool accuracy)
        {
            Tensor.ManualSeed(0);
            var model = Mlp();
            var trainer = new Trainer(model, new Adam(model.Parameters()), Loss,
                new TrainerOptions { Progress = ProgressMode.None, Accuracy = accuracy, Compile = compiled });
            double start = Now();
            trainer.Fit(loader);
            return Now() - start;
        }

        for (int w = 0; w < 2; w++) { Hand(); ViaTrainer(true); ViaTrainer(false); }
        var hand = new List<double>();
        var plain = new List<double>();
        var withAccuracy = new List<double>();
        // The order rotates each round: a run right after another pays for that one's garbage, and no loop should
        // always be the one that follows the hand-written loop.
        var runs = new (List<double> Times, Func<double> Run)[] { (hand, Hand), (plain, () => ViaTrainer(false)), (withAccuracy, () => ViaTrainer(true)) };
        for (int r = 0; r < reps; r++)
            for (int i = 0; i < runs.Length; i++)
            {
                var (times, run) = runs[(r + i) % runs.Length];
                times.Add(run());
            }
        int steps = samples / batch;
        foreach (var (name, times) in new[] { ("hand-loop", hand), ("trainer", plain), ("trainer+accuracy", withAccuracy) })
        {
            BenchOutput.Row(new()
            {
                ["bench"] = name, ["ms_per_step_best"] = times.Min() / steps * 1e3, ["ms_per_step_median"] = BenchOutput.Median(times) / steps * 1e3,
                ["overhead_median_pct"] = (BenchOutput.Median(times) / BenchOutput.Median(hand) - 1) * 100,
                ["overhead_best_pct"] = (times.Min() / hand.Min() - 1) * 100,
                // Each round's ratio to the hand-written loop of the same round: the machine's load drifts less within a round.
                ["overhead_paired_median_pct"] = (BenchOutput.Median(times.Zip(hand, (t, h) => t / h)) - 1) * 100,
                ["clock"] = cpuTime ? "cpu" : "wall",
                ["model"] = compiled ? "compiled" : "eager",
            });
        }
        if (!compiled) TensorBoardFile((Sequential)Mlp());
        return 0;
    }

    /// <summary>10 epochs of 938 steps (60,000 images in batches of 64): loss and lr every 10 steps, 7 epoch scalars and a histogram per parameter each epoch.</summary>
    static void TensorBoardFile(Sequential model)
    {
        string dir = Directory.CreateTempSubdirectory("tb-bench-").FullName;
        try
        {
            var clock = Stopwatch.StartNew();
            long step = 0;
            using (var writer = new SummaryWriter(dir, flushSeconds: 30))
            {
                for (int epoch = 1; epoch <= 10; epoch++)
                {
                    for (int s = 0; s < 938; s++, step++)
                    {
                        if (step % 10 != 0) continue;
                        writer.AddScalar("train/loss_step", 1.0 / (1 + step), step);
                        writer.AddScalar("train/lr", 1e-3, step);
                    }
                    foreach (var name in new[] { "train_loss", "train_accuracy", "valid_loss", "valid_accuracy", "lr", "seconds", "samples_per_second" })
                        writer.AddScalar("epoch/" + name, epoch, epoch);
                    foreach (var (name, p) in model.NamedParameters())
                        writer.AddHistogram(name, p.Detach(), epoch);
                    writer.Flush();
                }
            }
            double seconds = clock.Elapsed.TotalSeconds;
            long bytes = Directory.GetFiles(dir).Sum(f => new FileInfo(f).Length);
            BenchOutput.Row(new() { ["bench"] = "tensorboard-10-epochs", ["bytes"] = bytes, ["ms_total"] = seconds * 1e3 });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
