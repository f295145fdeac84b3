using ShapeSafe.NN;

namespace ShapeSafe.Training;

/// <summary>
/// A figure computed over a whole pass (an epoch's training batches or the full validation set): each batch adds to
/// running sums, and <see cref="Compute"/> turns the totals into the value, so the result is the set's figure rather
/// than an average of batch figures. Sums are what processes add together when training runs on several.
/// </summary>
public abstract class Metric
{
    /// <summary>A metric named <paramref name="name"/> that keeps <paramref name="sums"/> running sums.</summary>
    protected Metric(string name, int sums)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(sums, 1);
        Name = name;
        Sums = new double[sums];
    }

    /// <summary>The name in logs: <c>train_{Name}</c> and <c>valid_{Name}</c>.</summary>
    public string Name { get; }

    /// <summary>The running sums; <see cref="Update"/> adds to them, <see cref="Compute"/> reads them.</summary>
    protected internal double[] Sums { get; }

    /// <summary>Clears the sums before a pass.</summary>
    public void Reset() => Array.Clear(Sums);

    /// <summary>Adds one batch's model output and target to the sums. Calls never overlap.</summary>
    public abstract void Update(Tensor output, Tensor target);

    /// <summary>The value from the sums so far.</summary>
    public abstract double Compute();

    /// <summary>
    /// A metric that is the mean of a per-sample quantity: <paramref name="batch"/> returns a batch's sum and the
    /// number of samples (or elements) it covers, and the metric divides the totals. For example a mean absolute error:
    /// <c>Metric.Mean("mae", (y, t) =&gt; ((y - t).Abs().Sum().Item(), y.NumEl))</c>.
    /// </summary>
    public static Metric Mean(string name, Func<Tensor, Tensor, (double Sum, double Count)> batch) => new MeanMetric(name, batch);

    sealed class MeanMetric(string name, Func<Tensor, Tensor, (double Sum, double Count)> batch) : Metric(name, 2)
    {
        public override void Update(Tensor output, Tensor target)
        {
            var (sum, count) = batch(output, target);
            Sums[0] += sum;
            Sums[1] += count;
        }

        public override double Compute() => Sums[1] == 0 ? double.NaN : Sums[0] / Sums[1];
    }
}

/// <summary>
/// Classification accuracy: the fraction of samples whose highest output (argmax over dim 1) is the target class.
/// Targets are class indices (Int64), as <see cref="F.CrossEntropy"/> takes them.
/// </summary>
public sealed class Accuracy() : Metric("accuracy", 2)
{
    /// <inheritdoc/>
    public override void Update(Tensor output, Tensor target)
    {
        var predicted = output.Detach().Argmax(1).ToInt64Array();
        var truth = target.ToInt64Array();
        if (predicted.Length != truth.Length)
            throw new ArgumentException($"Accuracy: the output has {predicted.Length} rows but the target has {truth.Length} labels");
        long correct = 0;
        for (int i = 0; i < truth.Length; i++)
            if (predicted[i] == truth[i]) correct++;
        Sums[0] += correct;
        Sums[1] += truth.Length;
    }

    /// <inheritdoc/>
    public override double Compute() => Sums[1] == 0 ? double.NaN : Sums[0] / Sums[1];
}
