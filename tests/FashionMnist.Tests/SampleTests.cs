using ShapeSafe;
using ShapeSafe.Data;
using ShapeSafe.NN;
using ShapeSafe.Optim;
using ShapeSafe.Samples.FashionMnist;

namespace FashionMnist.Tests;

/// <summary>The sample's pieces: options, augmentation, the training loop, checkpoints and metric files.</summary>
public class SampleTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("fashion-sample-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Options_have_defaults_and_refuse_bad_values()
    {
        var o = Options.Parse(Array.Empty<string>());
        Assert.Equal(("cnn", "adam", 1e-3, 2, 64, "none", "none"), (o.Model, o.Optimizer, o.LearningRate, o.Epochs, o.BatchSize, o.Schedule, o.Augment));
        var sgd = Options.Parse(new[] { "--optimizer", "sgd", "--schedule", "cosine", "--augment", "flip", "--epochs", "3" });
        Assert.Equal((0.05, "cosine", "flip", 3), (sgd.LearningRate, sgd.Schedule, sgd.Augment, sgd.Epochs));
        Assert.Throws<ArgumentException>(() => Options.Parse(new[] { "--augment", "rotate" }));
        Assert.Equal((0.0, false), (o.LabelSmoothing, o.Normalize));
        var tuned = Options.Parse(new[] { "--label-smoothing", "0.1", "--normalize" });
        Assert.Equal((0.1, true), (tuned.LabelSmoothing, tuned.Normalize));
        Assert.Equal(0.2, Options.Parse(new[] { "--optimizer", "sgd", "--lr", "0.2" }).LearningRate);
        Assert.Throws<ArgumentException>(() => Options.Parse(new[] { "--model", "resnet" }));
        Assert.Throws<ArgumentException>(() => Options.Parse(new[] { "--bogus" }));
        Assert.Throws<ArgumentException>(() => Options.Parse(new[] { "--epochs" }));
        Assert.Throws<HelpRequested>(() => Options.Parse(new[] { "--help" }));
    }

    [Fact]
    public void Augmentation_flips_and_shifts_each_image_with_zero_fill()
    {
        const int n = 64;
        var images = Tensor.Rand(new[] { n, 1, 28, 28 }, new Generator(3));
        var output = new Augmentation(new Generator(5)).Apply(images).ToFloatArray();
        var input = images.ToFloatArray();
        int flips = 0;
        for (int i = 0; i < n; i++)
        {
            var plane = output.AsSpan(i * 784, 784).ToArray();
            var matches = Candidates(input.AsSpan(i * 784, 784).ToArray())
                .Where(c => c.Image.SequenceEqual(plane)).Select(c => c.Flip).Distinct().ToArray();
            Assert.Single(matches);
            if (matches[0]) flips++;
        }
        Assert.InRange(flips, 16, 48);
        Assert.Equal(output, new Augmentation(new Generator(5)).Apply(images).ToFloatArray());

        // Flips only: every image is itself or its mirror image, unshifted.
        var flipped = new Augmentation(new Generator(5), shift: false).Apply(images).ToFloatArray();
        for (int i = 0; i < n; i++)
        {
            var plane = flipped.AsSpan(i * 784, 784).ToArray();
            var matches = Candidates(input.AsSpan(i * 784, 784).ToArray()).Where((c, k) => k % 25 == 12 && c.Image.SequenceEqual(plane));
            Assert.Single(matches);
        }
    }

    /// <summary>Every flip and shift of one image, written as "read the source pixel, or 0 outside".</summary>
    static IEnumerable<(bool Flip, float[] Image)> Candidates(float[] image)
    {
        foreach (bool flip in new[] { false, true })
            for (int dy = -2; dy <= 2; dy++)
                for (int dx = -2; dx <= 2; dx++)
                {
                    var result = new float[784];
                    for (int y = 0; y < 28; y++)
                        for (int x = 0; x < 28; x++)
                        {
                            int sy = y - dy, sx = (flip ? 27 - x : x) - dx;
                            result[y * 28 + x] = sy is >= 0 and < 28 && sx is >= 0 and < 28 ? image[sy * 28 + sx] : 0f;
                        }
                    yield return (flip, result);
                }
    }

    [Fact]
    public void Training_on_the_shipped_subset_lowers_the_loss_and_checkpoints_round_trip()
    {
        var data = ShapeSafe.Data.FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "data"), train: true);
        var subset = new TensorDataset(data.Images.Narrow(0, 0, 512), data.Labels.Narrow(0, 0, 512));
        var test = new TensorDataset(data.Images.Narrow(0, 512, 256), data.Labels.Narrow(0, 512, 256));
        Tensor.ManualSeed(0);
        var model = Models.Create("mlp");
        var optimizer = new Adam(model.Parameters(), lr: 1e-3);
        var trainer = new Trainer(model, optimizer,
            new DataLoader(subset, batchSize: 32, shuffle: true, generator: new Generator(1)), new DataLoader(test, batchSize: 128),
            labelSmoothing: 0.05, normalize: true);
        var sink = new RecordingSink();
        var first = trainer.RunEpoch(1, sink);
        var second = trainer.RunEpoch(2, sink);
        Assert.True(second.TrainLoss < first.TrainLoss, $"{second.TrainLoss} !< {first.TrainLoss}");
        Assert.InRange(second.TestAccuracy, 0.5, 1.0);
        Assert.Equal(new[] { 16, 16 }, sink.Batches);

        string path = Path.Combine(_dir, "checkpoint.safetensors");
        Checkpoint.Save(path, model, optimizer, 2, new[] { first, second });
        var restored = Models.Create("mlp");
        var restoredOptimizer = new Adam(restored.Parameters(), lr: 1e-3);
        var progress = Checkpoint.Load(path, restored, restoredOptimizer);
        Assert.Equal(2, progress.Epoch);
        Assert.Equal(new[] { first, second }, progress.History);
        foreach (var ((name, p), (_, q)) in model.NamedParameters().Zip(restored.NamedParameters()))
            Assert.True(p.ToFloatArray().SequenceEqual(q.ToFloatArray()), name);

        // A corrupt optimizer file is refused and the model keeps its weights.
        var fresh = Models.Create("mlp");
        var before = fresh.Parameters().Select(p => p.ToFloatArray()).ToArray();
        File.WriteAllBytes(Path.Combine(_dir, "checkpoint.optim.safetensors"), new byte[] { 1, 2, 3 });
        Assert.ThrowsAny<Exception>(() => Checkpoint.Load(path, fresh, new Adam(fresh.Parameters())));
        Assert.Equal(before, fresh.Parameters().Select(p => p.ToFloatArray()).ToArray());
        File.Delete(Path.Combine(_dir, "checkpoint.json"));
        Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(path, fresh, new Adam(fresh.Parameters())));
    }

    [Fact]
    public void Metrics_files_hold_every_epoch()
    {
        var rows = new[]
        {
            new EpochMetrics(1, 0.5, 0.8, 0.45, 0.82, 12.345, 4860.2),
            new EpochMetrics(2, 0.25, 0.9, 0.3, 0.88, 11.5, 5217.4),
        };
        string csv = Path.Combine(_dir, "metrics.csv");
        MetricsFiles.WriteCsv(csv, rows);
        Assert.Equal(
            "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds,samples_per_second\n" +
            "1,0.5,0.8,0.45,0.82,12.35,4860\n2,0.25,0.9,0.3,0.88,11.50,5217\n",
            File.ReadAllText(csv).ReplaceLineEndings("\n"));
        string png = Path.Combine(_dir, "metrics.png");
        MetricsFiles.WritePlot(png, rows);
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(png).Take(4).ToArray());
    }

    sealed class RecordingSink : IProgressSink
    {
        public List<int> Batches { get; } = new();
        int _done;

        public void StartEpoch(int epoch, int batches) => _done = 0;
        public void Batch(int done, double runningLoss) => _done = done;
        public void EndEpoch(EpochMetrics metrics) => Batches.Add(_done);
    }
}
