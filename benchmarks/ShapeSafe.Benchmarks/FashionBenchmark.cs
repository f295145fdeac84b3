using System.Diagnostics;
using ShapeSafe.Data;
using ShapeSafe.NN;
using ShapeSafe.Optim;

namespace ShapeSafe.Benchmarks;

/// <summary>
/// The 2-conv CNN on the full Fashion-MNIST with Adam 1e-3 and batch 64, timed per epoch, with the test
/// accuracy at the end: the same procedure as torchref's "fashion".
/// </summary>
internal static class FashionBenchmark
{
    /// <summary>The 2-conv CNN with its loss and Adam 1e-3, from the current seed (the bf16 benchmark trains it too).</summary>
    internal static (Sequential Model, CrossEntropyLoss Loss, Adam Optimizer) Cnn()
    {
        var model = new Sequential(
            new Conv2d(1, 16, 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Conv2d(16, 32, 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(32 * 7 * 7, 10));
        return (model, new CrossEntropyLoss(), new Adam(model.Parameters(), lr: 1e-3));
    }

    public static int Run(string[] args)
    {
        int epochs = int.Parse(BenchOutput.Option(args, "--epochs", "1"));
        string data = BenchOutput.Option(args, "--data", FashionMnist.DefaultDirectory);
        long seed = long.Parse(BenchOutput.Option(args, "--seed", "1"));
        bool autocast = args.Contains("--autocast");
        var train = FashionMnist.Load(data, train: true);
        var test = FashionMnist.Load(data, train: false);
        Tensor.ManualSeed(seed);
        var (model, loss, optimizer) = Cnn();
        const int batch = 64;
        int n = train.Count;
        var sw = Stopwatch.StartNew();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            model.Train();
            var perm = Tensor.Randperm(n);
            for (int i = 0; i + batch <= n; i += batch)
            {
                var idx = perm.Narrow(0, i, batch);
                optimizer.ZeroGrad();
                Tensor l;
                using (Autograd.Autocast(DType.BFloat16, enabled: autocast))
                    l = loss.Forward(model.Forward(train.Images.IndexSelect(0, idx)), train.Labels.IndexSelect(0, idx));
                l.Backward();
                optimizer.Step();
            }
        }
        double seconds = sw.Elapsed.TotalSeconds;
        model.Eval();
        long correct = 0;
        using (Autograd.NoGrad())
        using (Autograd.Autocast(DType.BFloat16, enabled: autocast))
        {
            for (int i = 0; i < test.Count; i += 1000)
            {
                int len = Math.Min(1000, test.Count - i);
                var predicted = model.Forward(test.Images.Narrow(0, i, len)).Argmax(1).ToInt64Array();
                var truth = test.Labels.Narrow(0, i, len).ToInt64Array();
                for (int j = 0; j < len; j++) if (predicted[j] == truth[j]) correct++;
            }
        }
        BenchOutput.Row(new()
        {
            ["bench"] = "fashion-cnn", ["autocast"] = autocast, ["epochs"] = epochs, ["train_seconds"] = seconds,
            ["seconds_per_epoch"] = seconds / epochs, ["test_accuracy"] = correct / (double)test.Count,
        });
        return 0;
    }
}
