using ShapeSafe;
using ShapeSafe.Data;
using ShapeSafe.Distributed;
using ShapeSafe.Optim;
using ShapeSafe.Samples.FashionMnist;
using ShapeSafe.Training;

// Trains an MLP or the 2-conv CNN on Fashion-MNIST with ShapeSafe's eager engine and ShapeSafe.Training's Trainer.
Options options;
try
{
    options = Options.Parse(args);
}
catch (HelpRequested)
{
    Console.WriteLine(Options.Usage);
    return 0;
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(Options.Usage);
    return 2;
}

// Under mpirun every rank trains on its shard of each epoch (DistributedDataParallel); alone, a world of one.
var group = ProcessGroup.Init();
if (group.Rank != 0) Console.SetOut(TextWriter.Null);
Tensor.SetNumThreads(group.WorldSize > 1 && !args.Contains("--threads") ? Math.Max(1, Environment.ProcessorCount / group.WorldSize) : options.Threads);
string dataDirectory = ResolveData(options.DataDirectory);
var trainSet = FashionMnist.Load(dataDirectory, train: true);
var testSet = FashionMnist.Load(dataDirectory, train: false);
Dataset trainData = options.Limit is int limit && limit < trainSet.Count
    ? new TensorDataset(trainSet.Images.Narrow(0, 0, limit), trainSet.Labels.Narrow(0, 0, limit))
    : trainSet;
Console.WriteLine($"data: {dataDirectory} ({trainData.Count} training, {testSet.Count} test images); " +
    $"model {options.Model}, {options.Optimizer} lr {options.LearningRate} ({options.Schedule} schedule, augmentation {options.Augment}), batch {options.BatchSize}{(group.WorldSize > 1 ? $" per rank on {group.WorldSize} ranks" : "")}, {Tensor.GetNumThreads()} threads");

Tensor.ManualSeed(options.Seed);
var model = Models.Create(options.Model);
Optimizer optimizer = options.Optimizer == "adam"
    ? new Adam(model.Parameters(), lr: options.LearningRate)
    : new Sgd(model.Parameters(), lr: options.LearningRate, momentum: 0.9);
var train = group.WorldSize == 1
    ? new DataLoader(trainData, batchSize: options.BatchSize, shuffle: true, numWorkers: options.Workers, generator: new Generator(options.Seed))
    : new DataLoader(trainData, batchSize: options.BatchSize, numWorkers: options.Workers,
        sampler: new DistributedSampler(trainData, group, seed: options.Seed));
var test = new DataLoader(testSet, batchSize: 1000);

var augmentationGenerator = options.Augment == "none" ? null : new Generator(options.Seed + 1);
var augmentation = augmentationGenerator is null ? null : new Augmentation(augmentationGenerator, shift: options.Augment == "flip-shift");
var trainerOptions = SampleTraining.Create(options, augmentation, augmentationGenerator);
// Cosine annealing to 0 over this run's epochs; a resumed run continues the saved schedule.
trainerOptions.Scheduler = options.Schedule == "cosine" ? new CosineAnnealingLR(optimizer, tMax: options.Epochs) : null;
if (group.WorldSize > 1) trainerOptions.Strategy = new DistributedStrategy(group);
var trainer = new Trainer(model, optimizer, SampleTraining.Loss(options), trainerOptions);
if (options.Resume is not null)
{
    var resumed = trainer.Resume(options.Resume);
    // --epochs counts this run's epochs, as before the trainer.
    trainerOptions.Epochs = resumed.Epoch + options.Epochs;
    Console.WriteLine($"resumed from {options.Resume} after epoch {resumed.Epoch}");
}
trainer.Fit(train, test);
Console.WriteLine($"wrote {options.OutputDirectory}/metrics.csv, loss.png, accuracy.png, lr.png, last.safetensors and best.safetensors");
if (options.Onnx is not null)
{
    ShapeSafe.Onnx.OnnxExporter.Export(model, [testSet.Images.Narrow(0, 0, 1)], options.Onnx);
    Console.WriteLine($"wrote {options.Onnx}");
}
return 0;

static string ResolveData(string? requested)
{
    if (requested is not null) return requested;
    if (File.Exists(Path.Combine(FashionMnist.DefaultDirectory, "train-images-idx3-ubyte.gz")))
        return FashionMnist.DefaultDirectory;
    string shipped = Path.Combine(AppContext.BaseDirectory, "data");
    Console.WriteLine($"The full Fashion-MNIST is not installed ({FashionMnist.DefaultDirectory}); training on the " +
        "small subset shipped with the sample. For the real data: apt-get install dataset-fashion-mnist, or pass --data DIR.");
    return shipped;
}
