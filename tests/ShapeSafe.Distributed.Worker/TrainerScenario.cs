using System.Globalization;
using ShapeSafe;
using ShapeSafe.Data;
using ShapeSafe.Distributed;
using ShapeSafe.NN;
using ShapeSafe.Optim;
using ShapeSafe.Training;

/// <summary>
/// The Trainer under mpirun through <see cref="DistributedStrategy"/>: the same training code as a single process,
/// with the strategy and the distributed samplers the only change. Every rank then trains the single-process
/// reference on the whole batch (the union of the ranks' shards) and compares.
/// </summary>
static class TrainerScenario
{
    const int LocalBatch = 8, Epochs = 3;

    /// <summary>Runs the scenario; with <paramref name="compile"/> the distributed run trains the model's compiled graph.</summary>
    public static void Run(ProcessGroup g, Action<string> say, string directory, bool compile = false)
    {
        var train = Data(64, 1);
        var valid = Data(32, 2);
        // Rank r's batches hold every W-th sample of the epoch's permutation, so the ranks' batches together are the
        // single process's batch of W·local samples (the same permutation: a sampler of one replica, the same seed).
        var distributed = Fit(new DistributedStrategy(g), Path.Combine(directory, $"rank{g.Rank}"),
            new DataLoader(train, LocalBatch, sampler: new DistributedSampler(train, g, shuffle: true, seed: 5)),
            new DataLoader(valid, LocalBatch, sampler: new DistributedSampler(valid, g, shuffle: false)), compile);
        var single = Fit(new SingleProcessStrategy(), null,
            new DataLoader(train, LocalBatch * g.WorldSize, sampler: new DistributedSampler(train, 1, 0, shuffle: true, seed: 5)),
            new DataLoader(valid, LocalBatch * g.WorldSize), compile: false);
        if (distributed.CompiledModel is { } graph)
            say($"compiled {graph.IsCompiled} plans {graph.PlannedShapes} eager-calls {graph.EagerCalls}");

        float difference = 0;
        foreach (var ((name, p), (_, q)) in distributed.Model.NamedParameters().Zip(single.Model.NamedParameters()))
        {
            var a = p.ToFloatArray();
            var b = q.ToFloatArray();
            for (int i = 0; i < a.Length; i++) difference = Math.Max(difference, Math.Abs(a[i] - b[i]));
        }
        double metrics = 0;
        foreach (var (d, s) in distributed.History.Zip(single.History))
            foreach (var key in new[] { "train_loss", "train_accuracy", "valid_loss", "valid_accuracy", "lr" })
                metrics = Math.Max(metrics, Math.Abs(d[key] - s[key]) / Math.Max(1, Math.Abs(s[key])));
        say($"trainer-vs-single max-abs-difference {difference.ToString("R", CultureInfo.InvariantCulture)}");
        say($"trainer-vs-single metrics max-relative-difference {metrics.ToString("R", CultureInfo.InvariantCulture)}");
        say($"epochs {distributed.History.Count} steps {distributed.Step} main {distributed.IsMainProcess}");
        if (difference >= 1e-5f || metrics >= 1e-5)
            throw new InvalidOperationException($"check failed: the distributed Trainer matches single-process training (parameters {difference}, metrics {metrics})");
    }

    // The training program: identical for one process and many but for the strategy and the loaders.
    static Trainer Fit(IStepStrategy strategy, string? outputDirectory, DataLoader train, DataLoader valid, bool compile)
    {
        Tensor.ManualSeed(7);
        var model = new ScenarioMlp();
        var optimizer = new Adam(model.Parameters(), lr: 1e-2);
        var trainer = new Trainer(model, optimizer, (y, t) => F.CrossEntropy(y, t), new TrainerOptions
        {
            Epochs = Epochs,
            Strategy = strategy,
            OutputDirectory = outputDirectory,
            TensorBoard = true,
            Scheduler = new CosineAnnealingLR(optimizer, tMax: Epochs),
            GradientClipMaxNorm = 1.0,
            Progress = ProgressMode.None,
            Compile = compile,
        });
        trainer.Fit(train, valid);
        return trainer;
    }

    static TensorDataset Data(int n, long seed)
    {
        var g = new Generator(seed);
        return new TensorDataset(Tensor.Randn(new[] { n, 8 }, g), Tensor.Randint(0, 3, new[] { n }, g));
    }
}

/// <summary>The scenario's model: a [Module] class, so the generator compiles its Forward for the compiled run.</summary>
[Module]
sealed partial class ScenarioMlp : Module, ITensorModule
{
    readonly Linear _fc1 = new(8, 16);
    readonly Linear _fc2 = new(16, 3);

    public Tensor Forward(Tensor x) => _fc2.Forward(F.Relu(_fc1.Forward(x)));
}
