using ShapeSafe;
using ShapeSafe.Data;
using ShapeSafe.Distributed;
using ShapeSafe.Optim;
using ShapeSafe.Samples.FashionMnist;

// Trains an MLP or the 2-conv CNN on Fashion-MNIST with ShapeSafe's eager engine.
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
var ddp = group.WorldSize > 1 ? new ShapeSafe.Distributed.DistributedDataParallel<ShapeSafe.NN.Sequential>(model, group) : null;
var train = ddp is null
    ? new DataLoader(trainData, batchSize: options.BatchSize, shuffle: true, numWorkers: options.Workers, generator: new Generator(options.Seed))
    : new DataLoader(trainData, batchSize: options.BatchSize, numWorkers: options.Workers,
        sampler: new DistributedSampler(trainData, group, seed: options.Seed));
var test = new DataLoader(testSet, batchSize: 1000);

Directory.CreateDirectory(options.OutputDirectory);
var history = new List<EpochMetrics>();
int firstEpoch = 1;
if (options.Resume is not null)
{
    var resumed = Checkpoint.Load(options.Resume, model, optimizer);
    history.AddRange(resumed.History);
    firstEpoch = resumed.Epoch + 1;
    Console.WriteLine($"resumed from {options.Resume} after epoch {resumed.Epoch}");
}

// The schedule covers this run's epochs; a resumed run anneals over its own.
LRScheduler? schedule = options.Schedule == "cosine" ? new CosineAnnealingLR(optimizer, tMax: options.Epochs) : null;
var augmentation = options.Augment == "none" ? null : new Augmentation(new Generator(options.Seed + 1), shift: options.Augment == "flip-shift");
var trainer = new Trainer(model, optimizer, train, test, augmentation, options.LabelSmoothing, options.Normalize, ddp is null ? null : ddp.Forward);
ProgressReporting.Run(options.Plain, progress =>
{
    for (int epoch = firstEpoch; epoch < firstEpoch + options.Epochs; epoch++)
    {
        history.Add(trainer.RunEpoch(epoch, progress));
        schedule?.Step();
        if (group.Rank == 0) Checkpoint.Save(Path.Combine(options.OutputDirectory, "checkpoint.safetensors"), model, optimizer, epoch, history);
    }
});

if (group.Rank == 0)
{
    MetricsFiles.WriteCsv(Path.Combine(options.OutputDirectory, "metrics.csv"), history);
    MetricsFiles.WritePlot(Path.Combine(options.OutputDirectory, "metrics.png"), history);
}
group.Barrier();
Console.WriteLine($"wrote {options.OutputDirectory}/metrics.csv, metrics.png and checkpoint.safetensors");
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
