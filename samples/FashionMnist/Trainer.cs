using System.Diagnostics;
using ShapeSafe.Data;
using ShapeSafe.Distributed;
using ShapeSafe.NN;
using ShapeSafe.Optim;

namespace ShapeSafe.Samples.FashionMnist;

/// <summary>
/// The training loop: one pass over the training loader per epoch, then a test pass without gradients.
/// <paramref name="trainForward"/> replaces the model's forward while training (DistributedDataParallel's).
/// </summary>
internal sealed class Trainer(Sequential model, Optimizer optimizer, DataLoader train, DataLoader test,
    Augmentation? augmentation = null, double labelSmoothing = 0, bool normalize = false,
    Func<Tensor, Tensor>? trainForward = null)
{
    // Fashion-MNIST's training-set pixel statistics (after scaling to [0, 1]).
    const float Mean = 0.2860f, Std = 0.3530f;

    readonly CrossEntropyLoss _loss = new(labelSmoothing: labelSmoothing);
    readonly CrossEntropyLoss _testLoss = new();

    Tensor Prepare(Tensor images) => normalize ? (images - Mean) / Std : images;

    public EpochMetrics RunEpoch(int epoch, IProgressSink progress)
    {
        var clock = Stopwatch.StartNew();
        model.Train();
        (train.Sampler as DistributedSampler)?.SetEpoch(epoch);
        progress.StartEpoch(epoch, train.Count);
        double lossSum = 0;
        long correct = 0, seen = 0;
        int done = 0;
        foreach (var batch in train)
        {
            var (images, labels) = (batch[0], batch[1]);
            if (augmentation is not null) images = augmentation.Apply(images);
            optimizer.ZeroGrad();
            var logits = (trainForward ?? model.Forward)(Prepare(images));
            var loss = _loss.Forward(logits, labels);
            loss.Backward();
            optimizer.Step();

            int n = labels.Size(0);
            lossSum += loss.Item() * n;
            correct += CountCorrect(logits, labels);
            seen += n;
            progress.Batch(++done, lossSum / seen);
        }
        double seconds = clock.Elapsed.TotalSeconds;
        var (testLoss, testAccuracy) = Evaluate();
        var metrics = new EpochMetrics(epoch, lossSum / seen, (double)correct / seen, testLoss, testAccuracy,
            seconds, seen / seconds);
        progress.EndEpoch(metrics);
        return metrics;
    }

    public (double Loss, double Accuracy) Evaluate()
    {
        model.Eval();
        double lossSum = 0;
        long correct = 0, seen = 0;
        using (Autograd.NoGrad())
        {
            foreach (var batch in test)
            {
                var logits = model.Forward(Prepare(batch[0]));
                int n = batch[1].Size(0);
                lossSum += _testLoss.Forward(logits, batch[1]).Item() * n;
                correct += CountCorrect(logits, batch[1]);
                seen += n;
            }
        }
        return (lossSum / seen, (double)correct / seen);
    }

    static long CountCorrect(Tensor logits, Tensor labels)
    {
        var predicted = logits.Detach().Argmax(1).ToInt64Array();
        var truth = labels.ToInt64Array();
        long correct = 0;
        for (int i = 0; i < truth.Length; i++)
            if (predicted[i] == truth[i]) correct++;
        return correct;
    }
}
