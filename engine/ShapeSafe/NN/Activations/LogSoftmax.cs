namespace ShapeSafe.NN;

/// <summary>
/// Log-softmax along one dim (<c>nn.LogSoftmax</c>), stable for large values. Without a dim, PyTorch's legacy
/// choice applies: dim 0 for inputs of 0, 1 or 3 dims, else dim 1.
/// </summary>
public class LogSoftmax : Module, ITensorModule
{
    /// <summary>Creates the layer over <paramref name="dim"/> (negative counts from the end).</summary>
    public LogSoftmax(int? dim = null) => Dim = dim;

    /// <summary>The dim normalized along, or null for the legacy choice.</summary>
    public int? Dim { get; }

    /// <summary>Applies log-softmax to <paramref name="input"/>.</summary>
    [ShapeContract("SameShape")]
    public Tensor Forward(Tensor input) => F.LogSoftmax(input, Dim ?? Softmax.LegacyDim(input));

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={(Dim is { } d ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : "None")}";
}
