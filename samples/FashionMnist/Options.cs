using System.Globalization;

namespace ShapeSafe.Samples.FashionMnist;

/// <summary>Command-line options of the sample; every flag has a default so a bare run works.</summary>
internal sealed record Options
{
    public string? DataDirectory { get; init; }
    public string Model { get; init; } = "cnn";
    public string Optimizer { get; init; } = "adam";
    public string Schedule { get; init; } = "none";
    public double LearningRate { get; init; } = 1e-3;
    public int Epochs { get; init; } = 2;
    public int BatchSize { get; init; } = 64;
    public int Threads { get; init; } = Environment.ProcessorCount;
    public int Workers { get; init; } = 1;
    public long Seed { get; init; } = 0;
    public string OutputDirectory { get; init; } = "fashion-mnist-run";
    public string? Resume { get; init; }
    public int? Limit { get; init; }
    public bool Plain { get; init; }
    public string Augment { get; init; } = "none";
    public double LabelSmoothing { get; init; }
    public bool Normalize { get; init; }
    public bool TensorBoard { get; init; }
    public int Replicas { get; init; } = 1;
    public string? Onnx { get; init; }

    public const string Usage = """
        usage: dotnet run --project samples/FashionMnist -c Release -- [options]
          --data DIR          folder with the Fashion-MNIST IDX files (default: /usr/share/datasets/fashion-mnist,
                              else the small subset shipped with the sample)
          --model mlp|cnn     784-256-10 MLP, or the 2-conv CNN of the dataset's benchmark table (default cnn)
          --optimizer adam|sgd  (default adam)   --lr X (default 1e-3 for adam, 0.05 for sgd)
          --schedule none|cosine  learning rate per epoch: constant, or cosine annealing to 0 over --epochs
          --augment none|flip|flip-shift  random horizontal flips (and shifts of up to 2 pixels) while training
          --label-smoothing X   cross-entropy label smoothing (default 0)
          --normalize         standardize pixels with the training set's mean 0.2860 and std 0.3530
          --epochs N (default 2)   --batch-size N (default 64)   --threads N   --workers N (data loading)
          --seed N            seeds weights and shuffling (default 0)
          --limit N           train on the first N training images only
          --replicas N        data-parallel replicas on threads (default 1: none)
          --out DIR           where metrics.csv, the plots and the checkpoints go (default fashion-mnist-run)
          --resume FILE       continue for --epochs more epochs from a checkpoint (DIR/last.safetensors) of an earlier run
          --tensorboard       also log to TensorBoard event files under DIR/runs (tensorboard --logdir DIR/runs)
          --onnx FILE         export the trained model to an ONNX file (opset 17, dynamic batch)
          --plain             log lines instead of a progress bar
        """;

    public static Options Parse(string[] args)
    {
        var o = new Options();
        bool lrGiven = false;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int NextInt() => int.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--data": o = o with { DataDirectory = Next() }; break;
                case "--model": o = o with { Model = Next().ToLowerInvariant() }; break;
                case "--optimizer": o = o with { Optimizer = Next().ToLowerInvariant() }; break;
                case "--schedule": o = o with { Schedule = Next().ToLowerInvariant() }; break;
                case "--lr": o = o with { LearningRate = double.Parse(Next(), CultureInfo.InvariantCulture) }; lrGiven = true; break;
                case "--epochs": o = o with { Epochs = NextInt() }; break;
                case "--batch-size": o = o with { BatchSize = NextInt() }; break;
                case "--threads": o = o with { Threads = NextInt() }; break;
                case "--workers": o = o with { Workers = NextInt() }; break;
                case "--seed": o = o with { Seed = long.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--limit": o = o with { Limit = NextInt() }; break;
                case "--out": o = o with { OutputDirectory = Next() }; break;
                case "--resume": o = o with { Resume = Next() }; break;
                case "--plain": o = o with { Plain = true }; break;
                case "--augment": o = o with { Augment = Next().ToLowerInvariant() }; break;
                case "--label-smoothing": o = o with { LabelSmoothing = double.Parse(Next(), CultureInfo.InvariantCulture) }; break;
                case "--normalize": o = o with { Normalize = true }; break;
                case "--tensorboard": o = o with { TensorBoard = true }; break;
                case "--replicas": o = o with { Replicas = NextInt() }; break;
                case "--onnx": o = o with { Onnx = Next() }; break;
                case "-h" or "--help": throw new HelpRequested();
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        if (o.Model is not ("mlp" or "cnn")) throw new ArgumentException($"--model must be mlp or cnn, got {o.Model}");
        if (o.Optimizer is not ("adam" or "sgd")) throw new ArgumentException($"--optimizer must be adam or sgd, got {o.Optimizer}");
        if (o.Schedule is not ("none" or "cosine")) throw new ArgumentException($"--schedule must be none or cosine, got {o.Schedule}");
        if (o.Augment is not ("none" or "flip" or "flip-shift")) throw new ArgumentException($"--augment must be none, flip or flip-shift, got {o.Augment}");
        if (!lrGiven && o.Optimizer == "sgd") o = o with { LearningRate = 0.05 };
        if (o.Epochs < 1 || o.BatchSize < 1 || o.Threads < 1 || o.Workers < 0 || o.Replicas < 1)
            throw new ArgumentException("--epochs, --batch-size, --threads and --replicas must be positive, --workers non-negative");
        return o;
    }
}

internal sealed class HelpRequested : Exception;
