using ShapeSafe.NN;
using static ShapeSafe.Tests.NN.FiniteDifferences;

namespace ShapeSafe.Tests.NN.Layers;

/// <summary>Layers built without a generator draw from the default one, as PyTorch's do after torch.manual_seed.</summary>
[Collection("DefaultGenerator")]
public class DefaultGeneratorTests
{
    [Fact]
    public void Manual_seed_0_then_Linear_gives_pytorchs_weights()
    {
        Tensor.ManualSeed(0);
        var layer = new Linear(3, 2);

        Close(new[] { -0.0043225177f, 0.30971584f, -0.47518533f, -0.4248946f, -0.22236897f, 0.15482073f }, layer.Weight.ToFloatArray(), 1e-7);
        Close(new[] { -0.011439145f, 0.45777494f }, layer.Bias!.ToFloatArray(), 1e-7);
    }

    [Fact]
    public void Manual_seed_0_then_dropout_gives_pytorchs_mask()
    {
        // torch.manual_seed(0); F.dropout(torch.ones(40), 0.5)
        Tensor.ManualSeed(0);
        var y = new Dropout(0.5).Forward(Tensor.Ones(40));

        Assert.Equal("0010001101111011110010101000010011100101", string.Concat(y.ToFloatArray().Select(v => v == 0 ? '0' : '1')));
    }
}
