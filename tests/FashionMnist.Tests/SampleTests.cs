using ShapeSafe;
using ShapeSafe.Data;
using ShapeSafe.NN;
using ShapeSafe.Optim;
using ShapeSafe.Samples.FashionMnist;
using ShapeSafe.Training;

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
    public void Training_on_the_shipped_subset_lowers_the_loss_and_resumes_from_its_checkpoint()
    {
        var data = ShapeSafe.Data.FashionMnist.Load(Path.Combine(AppContext.BaseDirectory, "data"), train: true);
        var subset = new TensorDataset(data.Images.Narrow(0, 0, 512), data.Labels.Narrow(0, 0, 512));
        var test = new TensorDataset(data.Images.Narrow(0, 512, 256), data.Labels.Narrow(0, 512, 256));
        var options = Options.Parse(new[] { "--model", "mlp", "--label-smoothing", "0.05", "--normalize", "--augment", "flip",
            "--plain", "--out", _dir });
        (Trainer Trainer, Sequential Model) Build(int epochs)
        {
            Tensor.ManualSeed(0);
            var model = Models.Create("mlp");
            var generator = new Generator(2);
            var trainerOptions = SampleTraining.Create(options, new Augmentation(generator, shift: false), generator);
            trainerOptions.Epochs = epochs;
            trainerOptions.Progress = ProgressMode.None;
            return (new Trainer(model, new Adam(model.Parameters(), lr: 1e-3), SampleTraining.Loss(options), trainerOptions), model);
        }
        DataLoader Train() => new(subset, batchSize: 32, shuffle: true, generator: new Generator(1));
        var testLoader = new DataLoader(test, batchSize: 128);

        var (trainer, model) = Build(2);
        var trainLoader = Train();
        var history = trainer.Fit(trainLoader, testLoader);
        Assert.True(history[1]["train_loss"] < history[0]["train_loss"], $"{history[1]["train_loss"]} !< {history[0]["train_loss"]}");
        Assert.InRange(history[1]["valid_accuracy"], 0.5, 1.0);
        Assert.Equal(new[] { 16L, 32L }, history.Select(h => h.Step));
        foreach (var name in new[] { "metrics.csv", "loss.png", "accuracy.png", "lr.png", "last.safetensors", "best.safetensors" })
            Assert.True(File.Exists(Path.Combine(_dir, name)), name);

        // One more epoch from the checkpoint equals a third epoch of the same run.
        string afterTwo = Path.Combine(_dir, "epoch2.safetensors");
        File.Copy(Path.Combine(_dir, "last.safetensors"), afterTwo);
        trainer.Options.Epochs = 3;
        trainer.Fit(trainLoader, testLoader);
        var (resumed, resumedModel) = Build(3);
        Assert.Equal(2, resumed.Resume(afterTwo).Epoch);
        resumed.Fit(Train(), testLoader);
        foreach (var ((name, p), (_, q)) in model.NamedParameters().Zip(resumedModel.NamedParameters()))
            Assert.True(p.ToFloatArray().SequenceEqual(q.ToFloatArray()), name);

        // A corrupt checkpoint is refused and the model keeps its weights.
        var (fresh, freshModel) = Build(1);
        var before = freshModel.Parameters().Select(p => p.ToFloatArray()).ToArray();
        File.WriteAllBytes(Path.Combine(_dir, "last.safetensors"), new byte[] { 1, 2, 3 });
        Assert.ThrowsAny<Exception>(() => fresh.Resume(Path.Combine(_dir, "last.safetensors")));
        Assert.Equal(before, freshModel.Parameters().Select(p => p.ToFloatArray()).ToArray());
        Assert.Throws<FileNotFoundException>(() => fresh.Resume(Path.Combine(_dir, "missing.safetensors")));
    }

    [Fact]
    public void New_flags_turn_on_tensorboard_replicas_and_onnx_export()
    {
        var o = Options.Parse(new[] { "--tensorboard", "--replicas", "2" });
        var trainerOptions = SampleTraining.Create(o, null, null);
        Assert.Equal((true, 2), (trainerOptions.TensorBoard, trainerOptions.Replicas));
        Assert.Equal((false, 1), (Options.Parse(Array.Empty<string>()).TensorBoard, Options.Parse(Array.Empty<string>()).Replicas));
        Assert.Throws<ArgumentException>(() => Options.Parse(new[] { "--replicas", "0" }));
        Assert.Equal("m.onnx", Options.Parse(new[] { "--onnx", "m.onnx" }).Onnx);
    }
}
