namespace ShapeSafe.NN;

/// <summary>
/// Returns its input unchanged (<c>nn.Identity</c>): a placeholder where an architecture leaves a layer out, such as
/// a classifier head replaced for feature extraction.
/// </summary>
public class Identity : Module, ITensorModule
{
    /// <summary>Returns <paramref name="input"/> itself (the same tensor, as PyTorch's).</summary>
    [ShapeContract("SameShape")]
    public Tensor Forward(Tensor input) => input;
}
