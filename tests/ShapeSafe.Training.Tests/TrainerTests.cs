using ShapeSafe;
using ShapeSafe.Data;
using ShapeSafe.NN;
using ShapeSafe.Optim;
using ShapeSafe.Training;

namespace ShapeSafe.Training.Tests;

public sealed class TrainerTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("trainer-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static TensorDataset Data(int n, long seed)
    {
        var g = new Generator(seed);
        var x = Tensor.Randn(new[] { n, 8 }, g);
        var y = Tensor.Randint(0, 3, new[] { n }, g);
        return new TensorDataset(x, y);
    }

    static Sequential Mlp(bool dropout = true) => dropout
        ? new Sequential(new Linear(8, 16), new ReLU(), new Dropout(0.2), new Linear(16, 3))
        : new Sequential(new Linear(8, 16), new ReLU(), new Linear(16, 3));

    static Tensor Loss(Tensor output, Tensor target) => F.CrossEntropy(output, target);

    /// <summary>Everything a run depends on, built the same way each time.</summary>
    sealed record Run(Sequential Model, Adam Optimizer, Trainer Trainer, DataLoader Train, DataLoader Valid, EarlyStopping Stop);

    Run Build(string dir, int epochs, long? maxSteps = null, int accumulation = 1)
    {
        Tensor.ManualSeed(7);
        var model = Mlp();
        var optimizer = new Adam(model.Parameters(), lr: 1e-2);
        var scheduler = new CosineAnnealingLR(optimizer, tMax: 4);
        var noise = new Generator(11);
        var stop = new EarlyStopping("valid_loss", patience: 10);
        var trainer = new Trainer(model, optimizer, Loss, new TrainerOptions
        {
            Epochs = epochs,
            MaxSteps = maxSteps,
            GradientAccumulationSteps = accumulation,
            OutputDirectory = dir,
            Scheduler = scheduler,
            Progress = ProgressMode.None,
            MetricFiles = false,
            GradientClipMaxNorm = 1.0,
            // Augmentation noise from its own generator, which the checkpoint must carry too.
            TrainTransform = b => [b[0] + Tensor.Randn(b[0].Shape.ToArray(), noise) * 0.1f, b[1]],
            Generators = { noise },
            Callbacks = { stop },
        });
        var train = new DataLoader(Data(100, 1), batchSize: 16, shuffle: true, generator: new Generator(3));
        var valid = new DataLoader(Data(30, 2), batchSize: 8);
        return new Run(model, optimizer, trainer, train, valid, stop);
    }

    static void AssertSameMetrics(IReadOnlyList<EpochMetrics> expected, IReadOnlyList<EpochMetrics> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Step, actual[i].Step);
            foreach (var key in new[] { "train_loss", "train_accuracy", "valid_loss", "valid_accuracy", "lr" })
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected[i][key]), BitConverter.DoubleToInt64Bits(actual[i][key]));
        }
    }

    [Fact]
    public void A_run_stopped_after_epoch_2_of_4_and_resumed_matches_the_uninterrupted_run_bit_for_bit()
    {
        var whole = Build(Path.Combine(_dir, "whole"), epochs: 4);
        whole.Trainer.Fit(whole.Train, whole.Valid);

        var first = Build(Path.Combine(_dir, "parts"), epochs: 2);
        first.Trainer.Fit(first.Train, first.Valid);
        // Everything lives in the checkpoint: draw from the default generator as another program would.
        Tensor.ManualSeed(12345);
        _ = Tensor.Rand(new[] { 100 }, null);

        var second = Build(Path.Combine(_dir, "parts"), epochs: 4);
        var checkpoint = second.Trainer.Resume(Path.Combine(_dir, "parts", "last.safetensors"));
        Assert.Equal((2, 14L), (checkpoint.Epoch, checkpoint.Step));
        second.Trainer.Fit(second.Train, second.Valid);

        Assert.Equal(4, second.Trainer.Epoch);
        foreach (var ((name, p), (_, q)) in whole.Model.NamedParameters().Zip(second.Model.NamedParameters()))
            Assert.True(p.ToFloatArray().SequenceEqual(q.ToFloatArray()), name);
        var resumedState = second.Optimizer.StateDict().Tensors;
        Assert.Equal(whole.Optimizer.StateDict().Tensors.Count, resumedState.Count);
        foreach (var (name, a) in whole.Optimizer.StateDict().Tensors)
            Assert.True(a.ToFloatArray().SequenceEqual(resumedState[name].ToFloatArray()), name);
        AssertSameMetrics(whole.Trainer.History, second.Trainer.History);
        Assert.Equal(whole.Stop.Best, second.Stop.Best);
        Assert.Equal(whole.Trainer.LearningRate, second.Trainer.LearningRate);
    }

    [Theory]
    [InlineData(10, 1, 1, 3)]  // 7 steps an epoch: step 10 is batch 3 of epoch 2
    [InlineData(6, 2, 1, 4)]   // accumulating 2 batches: steps after batches 2, 4, 6, 7; step 6 is batch 4 of epoch 2
    [InlineData(1, 1, 0, 1)]   // the first step of the run
    public void A_run_stopped_at_step_k_inside_an_epoch_and_resumed_matches_the_uninterrupted_run_bit_for_bit(
        long stopAt, int accumulation, int completedEpochs, int batchInEpoch)
    {
        var whole = Build(Path.Combine(_dir, "whole"), epochs: 3, accumulation: accumulation);
        whole.Trainer.Fit(whole.Train, whole.Valid);

        var first = Build(Path.Combine(_dir, "parts"), epochs: 3, maxSteps: stopAt, accumulation: accumulation);
        var partial = first.Trainer.Fit(first.Train, first.Valid);
        Assert.Equal((completedEpochs, stopAt), (first.Trainer.Epoch, first.Trainer.Step));
        Assert.Equal(completedEpochs, partial.Count);
        Tensor.ManualSeed(12345);
        _ = Tensor.Rand(new[] { 100 }, null);

        var second = Build(Path.Combine(_dir, "parts"), epochs: 3, accumulation: accumulation);
        var checkpoint = second.Trainer.Resume(Path.Combine(_dir, "parts", "last.safetensors"));
        Assert.Equal((completedEpochs, stopAt, batchInEpoch), (checkpoint.Epoch, checkpoint.Step, checkpoint.BatchInEpoch));
        second.Trainer.Fit(second.Train, second.Valid);

        Assert.Equal((3, whole.Trainer.Step), (second.Trainer.Epoch, second.Trainer.Step));
        foreach (var ((name, p), (_, q)) in whole.Model.NamedParameters().Zip(second.Model.NamedParameters()))
            Assert.True(p.ToFloatArray().SequenceEqual(q.ToFloatArray()), name);
        foreach (var (name, a) in whole.Optimizer.StateDict().Tensors)
            Assert.True(a.ToFloatArray().SequenceEqual(second.Optimizer.StateDict().Tensors[name].ToFloatArray()), name);
        AssertSameMetrics(whole.Trainer.History, second.Trainer.History);
        Assert.Equal(whole.Trainer.LearningRate, second.Trainer.LearningRate);
        // The final checkpoint is at an epoch's end again.
        Assert.Equal(0, TrainingCheckpoint.Read(Path.Combine(_dir, "parts", "last.safetensors")).BatchInEpoch);
    }

    [Fact]
    public void Validation_metrics_are_over_the_whole_set_not_averaged_batch_means()
    {
        Tensor.ManualSeed(1);
        var model = Mlp(dropout: false);
        var valid = Data(10, 5);
        var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 0.1), Loss, new TrainerOptions
        {
            Progress = ProgressMode.None,
            Metrics = { () => Metric.Mean("mean_logit", (y, t) => (y.Sum().Item(), y.NumEl)) },
        });
        var history = trainer.Fit(new DataLoader(Data(32, 4), batchSize: 8), new DataLoader(valid, batchSize: 4));

        var all = valid.GetBatch(Enumerable.Range(0, 10).Select(i => (long)i).ToArray());
        var (x, y) = (all[0], all[1]);
        Tensor logits;
        using (Autograd.NoGrad()) logits = model.Forward(x);
        var predicted = logits.Argmax(1).ToInt64Array();
        var labels = y.ToInt64Array();
        double accuracy = predicted.Zip(labels).Count(p => p.First == p.Second) / 10.0;
        Assert.Equal(accuracy, history[0]["valid_accuracy"]);
        Assert.Equal(F.CrossEntropy(logits, y).Item(), history[0]["valid_loss"], 1e-6);
        Assert.Equal(logits.Sum().Item() / 30.0, history[0]["valid_mean_logit"], 1e-6);
    }

    [Fact]
    public void Two_accumulated_batches_of_8_step_like_one_batch_of_16()
    {
        var data = Data(64, 9);
        Sequential Train(int batch, int accumulate)
        {
            Tensor.ManualSeed(2);
            var model = Mlp(dropout: false);
            var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 0.1), Loss, new TrainerOptions
            {
                Progress = ProgressMode.None,
                GradientAccumulationSteps = accumulate,
            });
            trainer.Fit(new DataLoader(data, batchSize: batch));
            Assert.Equal(4, trainer.Step);
            return model;
        }
        var accumulated = Train(8, 2);
        var whole = Train(16, 1);
        foreach (var (p, q) in accumulated.Parameters().Zip(whole.Parameters()))
        {
            var (a, b) = (p.ToFloatArray(), q.ToFloatArray());
            for (int i = 0; i < a.Length; i++) Assert.Equal(b[i], a[i], 1e-5f);
        }
    }

    [Fact]
    public void Early_stopping_ends_training_after_patience_epochs_without_improvement()
    {
        Tensor.ManualSeed(3);
        var model = Mlp(dropout: false);
        var stop = new EarlyStopping("train_flat", patience: 2);
        var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 0.1), Loss, new TrainerOptions
        {
            Epochs = 10,
            Progress = ProgressMode.None,
            Metrics = { () => Metric.Mean("flat", (y, t) => (1, 1)) },
            Callbacks = { stop },
        });
        var history = trainer.Fit(new DataLoader(Data(16, 1), batchSize: 8));
        Assert.Equal(3, history.Count);
        Assert.Equal((3, 2), (stop.StoppedEpoch, stop.BadEpochs));
    }

    [Fact]
    public void Max_steps_ends_training_mid_epoch_without_counting_the_partial_epoch()
    {
        Tensor.ManualSeed(3);
        var model = Mlp(dropout: false);
        var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 0.1), Loss,
            new TrainerOptions { Epochs = 5, MaxSteps = 6, Progress = ProgressMode.None });
        var history = trainer.Fit(new DataLoader(Data(32, 1), batchSize: 8));
        Assert.Equal((6L, 1), (trainer.Step, trainer.Epoch));
        Assert.Equal(new[] { 4L }, history.Select(h => h.Step));
    }

    [Fact]
    public void Callbacks_see_every_step_and_epoch_in_order()
    {
        Tensor.ManualSeed(3);
        var model = Mlp(dropout: false);
        var log = new RecordingCallback();
        var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 0.1), Loss,
            new TrainerOptions { Epochs = 2, Progress = ProgressMode.None, Callbacks = { log } });
        trainer.Fit(new DataLoader(Data(20, 1), batchSize: 8));
        Assert.Equal(
            "fit begin|epoch 1 begin 3|step 1.1|end 1.1 step 1|step 1.2|end 1.2 step 2|step 1.3|end 1.3 step 3|epoch 1 end step 3|" +
            "epoch 2 begin 3|step 2.1|end 2.1 step 4|step 2.2|end 2.2 step 5|step 2.3|end 2.3 step 6|epoch 2 end step 6|fit end 2",
            string.Join("|", log.Events));
    }

    sealed class RecordingCallback : TrainerCallback
    {
        public List<string> Events { get; } = [];
        public override void OnFitBegin(Trainer trainer) => Events.Add("fit begin");
        public override void OnEpochBegin(Trainer trainer, int epoch, int batches) => Events.Add($"epoch {epoch} begin {batches}");
        public override void OnStepBegin(Trainer trainer, int epoch, int batch) => Events.Add($"step {epoch}.{batch}");
        public override void OnStepEnd(Trainer trainer, StepMetrics m) => Events.Add($"end {m.Epoch}.{m.Batch} step {m.Step}");
        public override void OnEpochEnd(Trainer trainer, EpochMetrics m) => Events.Add($"epoch {m.Epoch} end step {m.Step}");
        public override void OnFitEnd(Trainer trainer, IReadOnlyList<EpochMetrics> history) => Events.Add($"fit end {history.Count}");
    }

    [Fact]
    public void Output_directory_gets_checkpoints_csv_plots_and_tensorboard_events()
    {
        Tensor.ManualSeed(4);
        var model = Mlp(dropout: false);
        var trainer = new Trainer(model, new Adam(model.Parameters()), Loss, new TrainerOptions
        {
            Epochs = 2,
            OutputDirectory = _dir,
            Progress = ProgressMode.None,
            TensorBoard = true,
        });
        trainer.Fit(new DataLoader(Data(32, 1), batchSize: 8), new DataLoader(Data(16, 2), batchSize: 8));
        foreach (var name in new[] { "last.safetensors", "best.safetensors", "metrics.csv", "loss.png", "accuracy.png", "lr.png" })
            Assert.True(File.Exists(Path.Combine(_dir, name)), name);
        var csv = File.ReadAllLines(Path.Combine(_dir, "metrics.csv"));
        Assert.Equal("epoch,step,train_loss,train_accuracy,valid_loss,valid_accuracy,lr,seconds,samples_per_second", csv[0]);
        Assert.Equal(3, csv.Length);
        Assert.StartsWith("2,8,", csv[2]);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(Path.Combine(_dir, "loss.png")).Take(4));
        var events = Directory.GetFiles(Path.Combine(_dir, "runs"), "events.out.tfevents.*", SearchOption.AllDirectories);
        var scalars = EventFileReader.Read(Assert.Single(events)).Where(e => e.Tag is not null).ToList();
        Assert.Equal(new[] { 1L, 2L }, scalars.Where(e => e.Tag == "epoch/valid_loss").Select(e => e.Step));
        Assert.Equal((float)trainer.History[1]["valid_loss"], scalars.Last(e => e.Tag == "epoch/valid_loss").Value);
        Assert.Contains(scalars, e => e.Tag == "0.weight" && e.Histogram is not null);

        // A checkpoint of another run's shape is refused and leaves the model as it was.
        var other = new Sequential(new Linear(8, 4), new ReLU(), new Linear(4, 3));
        var before = other.Parameters().Select(p => p.ToFloatArray()).ToArray();
        var refusing = new Trainer(other, new Adam(other.Parameters()), Loss, new TrainerOptions { Progress = ProgressMode.None });
        Assert.Throws<ShapeSafe.Serialization.CheckpointException>(() => refusing.Resume(Path.Combine(_dir, "last.safetensors")));
        Assert.Equal(before, other.Parameters().Select(p => p.ToFloatArray()).ToArray());
    }

    [Fact]
    public void Data_parallel_replicas_train_like_one_thread()
    {
        var data = Data(48, 6);
        Sequential Train(int replicas)
        {
            Tensor.ManualSeed(5);
            var model = Mlp(dropout: false);
            var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 0.1), Loss, new TrainerOptions
            {
                Epochs = 2,
                Progress = ProgressMode.None,
                Replicas = replicas,
                CreateReplica = () => Mlp(dropout: false),
            });
            trainer.Fit(new DataLoader(data, batchSize: 16));
            Assert.Equal(replicas > 1 ? typeof(DataParallelStrategy) : typeof(SingleProcessStrategy), trainer.Strategy.GetType());
            return model;
        }
        var parallel = Train(2);
        var single = Train(1);
        foreach (var (p, q) in parallel.Parameters().Zip(single.Parameters()))
        {
            var (a, b) = (p.ToFloatArray(), q.ToFloatArray());
            for (int i = 0; i < a.Length; i++) Assert.Equal(b[i], a[i], 1e-5f);
        }
    }

    [Fact]
    public void Plain_progress_prints_lines_with_loss_throughput_and_time_left()
    {
        Tensor.ManualSeed(3);
        var model = Mlp(dropout: false);
        var output = new StringWriter();
        var saved = Console.Out;
        Console.SetOut(output);
        try
        {
            new Trainer(model, new Sgd(model.Parameters(), lr: 0.1), Loss, new TrainerOptions { Progress = ProgressMode.Plain })
                .Fit(new DataLoader(Data(64, 1), batchSize: 8));
        }
        finally
        {
            Console.SetOut(saved);
        }
        var lines = output.ToString().ReplaceLineEndings("\n").TrimEnd().Split('\n');
        Assert.Equal("epoch 1: 8 batches", lines[0]);
        Assert.Matches(@"^  2/8 batches, loss \d+\.\d{4}, \d+ samples/s, \d+\.\d s left$", lines[1]);
        Assert.Matches(@"^epoch 1: train loss \d+\.\d{4}, train accuracy \d+\.\d{2} ?%, \d+\.\d s, \d+ samples/s$", lines[^1]);
    }
}

public sealed class ClipGradNormTests
{
    [Fact]
    public void Clips_the_total_norm_of_all_gradients_and_returns_it()
    {
        var a = new Parameter(Tensor.FromArray(new[] { 1f, 2f }, 2));
        var b = new Parameter(Tensor.FromArray(new[] { 1f, 1f, 1f }, 3));
        var c = new Parameter(Tensor.FromArray(new[] { 5f }, 1));
        ((a * Tensor.FromArray(new[] { 3f, 0f }, 2)).Sum() + (b * 4f).Sum()).Backward();
        // Gradients [3, 0] and [4, 4, 4]: total norm sqrt(9 + 48) = sqrt(57); c has none and is skipped.
        var norm = Utils.ClipGradNorm(new[] { a, b, c }, maxNorm: 1.0);
        Assert.Equal((float)Math.Sqrt(57), norm.Item(), 1e-6f);
        float scale = (float)(1.0 / (Math.Sqrt(57) + 1e-6));
        Assert.Equal(new[] { 3f * scale, 0f }, a.Grad!.ToFloatArray());
        Assert.Equal(new[] { 4f * scale, 4f * scale, 4f * scale }, b.Grad!.ToFloatArray());
        Assert.Null(c.Grad);

        // Under the bound, the gradients keep their values.
        var again = Utils.ClipGradNorm(new[] { a, b }, maxNorm: 10);
        Assert.Equal(1f, again.Item(), 1e-5f);
        Assert.Equal(new[] { 3f * scale, 0f }, a.Grad!.ToFloatArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => Utils.ClipGradNorm(new[] { a }, -1));
    }
}
