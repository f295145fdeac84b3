namespace ShapeSafe.NN;

/// <summary>
/// What <see cref="BatchNorm1d"/> and <see cref="BatchNorm2d"/> share (PyTorch's <c>_BatchNorm</c>): the state, the
/// running-statistics update and the computation; each subclass checks the input's rank.
/// </summary>
/// <remarks>
/// State, in PyTorch's names and order (so state-dict keys match): parameters <c>weight</c> (ones) and
/// <c>bias</c> (zeros) when affine; buffers <c>running_mean</c> (zeros), <c>running_var</c> (ones) and
/// <c>num_batches_tracked</c> (an Int64 scalar, 0) when tracking running statistics. In training the batch's
/// statistics normalize the input and the running ones are updated (momentum, or a cumulative average when the
/// momentum is null); in eval the running statistics are used. The computation is <see cref="F.BatchNorm"/>.
/// </remarks>
[Module]
public abstract partial class BatchNorm : Module
{
    /// <summary>Creates the state for <paramref name="numFeatures"/> channels.</summary>
    private protected BatchNorm(int numFeatures, double eps, double? momentum, bool affine, bool trackRunningStats)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numFeatures);
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        Affine = affine;
        TrackRunningStats = trackRunningStats;
        Weight = affine ? new Parameter(Tensor.Ones(numFeatures)) : null;
        Bias = affine ? new Parameter(Tensor.Zeros(numFeatures)) : null;
        RunningMean = trackRunningStats ? Tensor.Zeros(numFeatures) : null;
        RunningVar = trackRunningStats ? Tensor.Ones(numFeatures) : null;
        NumBatchesTracked = trackRunningStats ? Tensor.Scalar(0L) : null;
    }

    /// <summary>C, the number of channels (features).</summary>
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
    [StateName("weight")]
    public Parameter? Weight { get; }

    /// <summary>The per-channel shift β, or null when not affine.</summary>
    [StateName("bias")]
    public Parameter? Bias { get; }

    /// <summary>The running mean per channel, or null when not tracking.</summary>
    [Buffer, StateName("running_mean")]
    public Tensor? RunningMean { get; }

    /// <summary>The running (unbiased) variance per channel, or null when not tracking.</summary>
    [Buffer, StateName("running_var")]
    public Tensor? RunningVar { get; }

    /// <summary>How many training batches updated the running statistics (Int64 scalar), or null when not tracking.</summary>
    [Buffer, StateName("num_batches_tracked")]
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

    /// <summary>
    /// Normalizes <paramref name="input"/> once the subclass has accepted its rank: checks dim 1 against
    /// <see cref="NumFeatures"/>, updates the running statistics in training, and runs <see cref="F.BatchNorm"/>.
    /// </summary>
    private protected Tensor Normalize(Tensor input, bool rankAccepted, string expectedRank, string what)
    {
        ArgumentNullException.ThrowIfNull(input);
        Check(input.Sizes, rankAccepted, expectedRank, what);
        var (batchStatistics, runningMean, runningVar, factor) = CountBatch();
        return F.BatchNorm(input, runningMean, runningVar, Weight, Bias, batchStatistics, factor, Eps);
    }

    /// <summary>Checks an input of <paramref name="sizes"/> as <c>Forward</c> does (a compiled graph's plan runs it once per shape).</summary>
    internal abstract void CheckInput(int[] sizes);

    private protected void Check(int[] sizes, bool rankAccepted, string expectedRank, string what)
    {
        var name = GetName();
        if (!rankAccepted)
            throw new ShapeException(name, $"expected {expectedRank} input (got {sizes.Length}D input of shape {Rules.Format(sizes)})");
        if (sizes[1] != NumFeatures)
            throw new ShapeException(name, $"{name}({NumFeatures}) expects {NumFeatures} {what} in dim 1, got input {Rules.Format(sizes)}");
    }

    /// <summary>
    /// What one call normalizes with, counting a training batch in <see cref="NumBatchesTracked"/> as it goes (eager
    /// <c>Forward</c> and compiled graphs both call it once per call): whether the batch's statistics are used, the
    /// running statistics to read or update, and the update's factor (the momentum, or 1/batches for a cumulative
    /// average).
    /// </summary>
    internal (bool BatchStatistics, Tensor? RunningMean, Tensor? RunningVar, double Factor) CountBatch()
    {
        double factor = Momentum ?? 0.0;
        if (Training && TrackRunningStats && NumBatchesTracked is not null)
        {
            using (Autograd.NoGrad()) NumBatchesTracked.AddInPlace(1L);
            factor = Momentum ?? 1.0 / NumBatchesTracked.ItemInt64();
        }
        // Batch statistics in training, and also in eval when there are no running statistics.
        bool useBatchStats = Training || RunningMean is null;
        bool passRunning = !Training || TrackRunningStats;
        return (useBatchStats, passRunning ? RunningMean : null, passRunning ? RunningVar : null, factor);
    }

    /// <inheritdoc/>
    protected override string ExtraRepr() =>
        $"{NumFeatures}, eps={PythonRepr.Float(Eps)}, momentum={(Momentum is { } m ? PythonRepr.Float(m) : "None")}, " +
        $"affine={PythonRepr.Bool(Affine)}, track_running_stats={PythonRepr.Bool(TrackRunningStats)}";
}
