namespace ShapeSafe.NN;

/// <summary>
/// A module whose computation takes one tensor and gives one tensor, such as <c>Linear</c> or <c>ReLU</c>.
/// <see cref="Sequential"/> chains modules through this interface. <see cref="Module"/> itself declares no
/// <c>Forward</c>: modules with other inputs (several tensors, a tensor and a target) define their own
/// <c>Forward(...)</c> and simply do not implement this interface.
/// </summary>
public interface ITensorModule
{
    /// <summary>Runs the module on <paramref name="input"/>.</summary>
    Tensor Forward(Tensor input);
}
