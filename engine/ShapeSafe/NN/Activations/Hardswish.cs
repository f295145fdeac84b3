namespace ShapeSafe.NN;

/// <summary>Hardswish, <c>x·relu6(x + 3) / 6</c> element-wise (<c>nn.Hardswish</c>, MobileNetV3's activation).</summary>
public class Hardswish : Module, ITensorModule
{
    /// <summary>Applies the function to <paramref name="input"/>.</summary>
    [ShapeContract("SameShape")]
    public Tensor Forward(Tensor input) => F.Hardswish(input);
}
