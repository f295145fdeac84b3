namespace ShapeSafe.NN;

/// <summary>
/// Softmax along one dim (<c>nn.Softmax</c>). Without a dim, PyTorch's legacy choice applies: dim 0 for inputs of
/// 0, 1 or 3 dims, else dim 1.
/// </summary>
public class Softmax : Module, ITensorModule
{
    /// <summary>Creates the layer over <paramref name="dim"/> (negative counts from the end).</summary>
    public Softmax(int? dim = null) => Dim = dim;

    /// <summary>The dim the values sum to 1 along, or null for the legacy choice.</summary>
    public int? Dim { get; }

    /// <summary>Applies softmax to <paramref name="input"/>.</summary>
    [ShapeContract("SameShape")]
    public Tensor Forward(Tensor input) => F.Softmax(input, Dim ?? LegacyDim(input));

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"dim={(Dim is { } d ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : "None")}";

    /// <summary>PyTorch's <c>_get_softmax_dim</c>: 0 for 0-, 1- and 3-dim inputs, else 1.</summary>
    internal static int LegacyDim(Tensor input) => input.Rank is 0 or 1 or 3 ? 0 : 1;
}
