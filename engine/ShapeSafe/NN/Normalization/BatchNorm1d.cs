namespace ShapeSafe.NN;

/// <summary>
/// Batch normalization over the channels of [N, C] or [N, C, L] inputs (<c>nn.BatchNorm1d</c>).
/// </summary>
/// <remarks>
/// State, in PyTorch's names and order (so state-dict keys match): parameters <c>weight</c> (ones) and
/// <c>bias</c> (zeros) when affine; buffers <c>running_mean</c> (zeros), <c>running_var</c> (ones) and
/// <c>num_batches_tracked</c> (an Int64 scalar, 0) when tracking running statistics. In training the batch's
/// statistics normalize the input and the running ones are updated (momentum, or a cumulative average when the
/// momentum is null); in eval the running statistics are used. The computation is <see cref="F.BatchNorm"/>.
/// </remarks>
public class BatchNorm1d : Module, ITensorModule
{
    /// <summary>Creates the layer for <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">C, the size of the input's dim 1.</param>
    /// <param name="eps">Added to the variance for numerical stability.</param>
    /// <param name="momentum">The running statistics' update factor; null for a cumulative moving average.</param>
    /// <param name="affine">Whether to learn a per-channel scale and shift.</param>
    /// <param name="trackRunningStats">Whether to keep running statistics (else batch statistics are used in eval too).</param>
    public BatchNorm1d([Dim("C")] int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numFeatures);
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        Weight = RegisterParameter("weight", affine ? new Parameter(Tensor.Ones(numFeatures)) : null);
        Bias = RegisterParameter("bias", affine ? new Parameter(Tensor.Zeros(numFeatures)) : null);
        RunningMean = RegisterBuffer("running_mean", trackRunningStats ? Tensor.Zeros(numFeatures) : null);
        RunningVar = RegisterBuffer("running_var", trackRunningStats ? Tensor.Ones(numFeatures) : null);
        NumBatchesTracked = RegisterBuffer("num_batches_tracked", trackRunningStats ? Tensor.Scalar(0L) : null);
    }

    /// <summary>C, the number of channels.</summary>
    public int NumFeatures { get; }

    /// <summary>Added to the variance before the square root.</summary>
    public double Eps { get; }

    /// <summary>The running statistics' update factor (null: cumulative average).</summary>
    public double? Momentum { get; }

    /// <summary>Whether the layer learns <see cref="Weight"/> and <see cref="Bias"/>.</summary>
    public bool Affine { get; }

    /// <summary>Whether the layer keeps running statistics.</summary>
    public bool TrackRunningStats { get; }

    /// <summary>The per-channel scale γ, or null when not affine.</summary>
    public Parameter? Weight { get; }

    /// <summary>The per-channel shift β, or null when not affine.</summary>
    public Parameter? Bias { get; }

    /// <summary>The running mean per channel, or null when not tracking.</summary>
    public Tensor? RunningMean { get; }

    /// <summary>The running (unbiased) variance per channel, or null when not tracking.</summary>
    public Tensor? RunningVar { get; }

    /// <summary>How many training batches updated the running statistics (Int64 scalar), or null when not tracking.</summary>
    public Tensor? NumBatchesTracked { get; }

    /// <summary>Resets the running statistics to zeros, ones and 0 (<c>reset_running_stats()</c>).</summary>
    public void ResetRunningStats()
    {
        if (RunningMean is null) return;
        using var _ = Autograd.NoGrad();
        RunningMean.ZeroInPlace();
        RunningVar!.FillInPlace(1f);
        NumBatchesTracked!.ZeroInPlace();
    }

    /// <summary>Normalizes <paramref name="input"/> [N, C] or [N, C, L].</summary>
    /// <exception cref="ShapeException">The input is not 2-D or 3-D, or its dim 1 is not <see cref="NumFeatures"/>.</exception>
    /// <remarks>No shape annotation: the input's rank varies (a trailing "..." cannot be written); the output has the input's shape.</remarks>
    [ShapeContract("SameShape")]
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 2 && input.Rank != 3)
            throw new ShapeException("BatchNorm1d", $"expected 2D or 3D input (got {input.Rank}D input of shape {Rules.Format(input.Sizes)})");
        if (input.Sizes[1] != NumFeatures)
            throw new ShapeException("BatchNorm1d", $"BatchNorm1d({NumFeatures}) expects {NumFeatures} features in dim 1, got input {Rules.Format(input.Sizes)}");

        double factor = Momentum ?? 0.0;
        if (Training && TrackRunningStats && NumBatchesTracked is not null)
        {
            using (Autograd.NoGrad()) NumBatchesTracked.AddInPlace(1L);
            factor = Momentum ?? 1.0 / NumBatchesTracked.ItemInt64();
        }
        // Batch statistics in training, and also in eval when there are no running statistics.
        bool useBatchStats = Training || RunningMean is null;
        bool passRunning = !Training || TrackRunningStats;
        return F.BatchNorm(input, passRunning ? RunningMean : null, passRunning ? RunningVar : null, Weight, Bias, useBatchStats, factor, Eps);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{NumFeatures}, eps={PythonRepr.Float(Eps)}, momentum={(Momentum is { } m ? PythonRepr.Float(m) : "None")}, " +
        $"affine={PythonRepr.Bool(Affine)}, track_running_stats={PythonRepr.Bool(TrackRunningStats)}";
}
