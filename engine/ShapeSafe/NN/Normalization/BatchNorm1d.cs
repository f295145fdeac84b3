namespace ShapeSafe.NN;

/// <summary>
/// Batch normalization over the channels of [N, C] or [N, C, L] inputs (<c>nn.BatchNorm1d</c>).
/// </summary>
/// <remarks>The state and computation are <see cref="BatchNorm"/>'s.</remarks>
public class BatchNorm1d : BatchNorm, ITensorModule
{
    /// <summary>Creates the layer for <paramref name="numFeatures"/> channels.</summary>
    /// <param name="numFeatures">C, the size of the input's dim 1.</param>
    /// <param name="eps">Added to the variance for numerical stability.</param>
    /// <param name="momentum">The running statistics' update factor; null for a cumulative moving average.</param>
    /// <param name="affine">Whether to learn a per-channel scale and shift.</param>
    /// <param name="trackRunningStats">Whether to keep running statistics (else batch statistics are used in eval too).</param>
    public BatchNorm1d([Dim("C")] int numFeatures, double eps = 1e-5, double? momentum = 0.1, bool affine = true, bool trackRunningStats = true)
        : base(numFeatures, eps, momentum, affine, trackRunningStats)
    {
    }

    /// <summary>Normalizes <paramref name="input"/> [N, C] or [N, C, L].</summary>
    /// <exception cref="ShapeException">The input is not 2-D or 3-D, or its dim 1 is not <see cref="BatchNorm.NumFeatures"/>.</exception>
    /// <remarks>No shape annotation: the input's rank varies (a trailing "..." cannot be written); the output has the input's shape.</remarks>
    [ShapeContract("SameShape")]
    public Tensor Forward(Tensor input) =>
        Normalize(input, input?.Rank is 2 or 3, "2D or 3D", "features");

    /// <inheritdoc/>
    internal override void CheckInput(int[] sizes) => Check(sizes, sizes.Length is 2 or 3, "2D or 3D", "features");
}
