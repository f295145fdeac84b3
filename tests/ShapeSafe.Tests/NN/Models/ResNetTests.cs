using ShapeSafe.Conformance.Models;
using ShapeSafe.NN;

namespace ShapeSafe.Tests.NN.Models;

/// <summary>The ResNet-18 port: torchvision's state-dict names, order, shapes and parameter count, and its output shape.</summary>
public class ResNetTests
{
    static readonly string[] Norm = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"];

    // torchvision's resnet18().state_dict() keys, written out from its structure: a module's own parameters and
    // buffers, then its children's, in the order torchvision assigns them.
    static List<string> TorchvisionKeys()
    {
        var keys = new List<string> { "conv1.weight" };
        keys.AddRange(Norm.Select(n => "bn1." + n));
        for (int stage = 1; stage <= 4; stage++)
            for (int block = 0; block < 2; block++)
            {
                string b = $"layer{stage}.{block}.";
                keys.Add(b + "conv1.weight");
                keys.AddRange(Norm.Select(n => b + "bn1." + n));
                keys.Add(b + "conv2.weight");
                keys.AddRange(Norm.Select(n => b + "bn2." + n));
                if (stage > 1 && block == 0)
                {
                    keys.Add(b + "downsample.0.weight");
                    keys.AddRange(Norm.Select(n => b + "downsample.1." + n));
                }
            }
        keys.Add("fc.weight");
        keys.Add("fc.bias");
        return keys;
    }

    [Fact]
    public void State_dict_has_torchvisions_keys_in_order()
    {
        var keys = ResNet.ResNet18().StateDict().Keys.ToList();

        Assert.Equal(122, keys.Count);
        Assert.Equal("conv1.weight", keys[0]);
        Assert.Equal(["bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked"], keys[1..6]);
        Assert.Equal("layer1.0.conv1.weight", keys[6]);
        Assert.Equal(["fc.weight", "fc.bias"], keys[^2..]);
        Assert.Equal(TorchvisionKeys(), keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("layer1.0.downsample", StringComparison.Ordinal));
    }

    [Fact]
    public void Shapes_and_parameter_count_are_torchvisions()
    {
        var model = ResNet.ResNet18();
        var state = model.StateDict();

        Assert.Equal([64, 3, 7, 7], state["conv1.weight"].Shape);
        Assert.Equal([128, 64, 3, 3], state["layer2.0.conv1.weight"].Shape);
        Assert.Equal([128, 64, 1, 1], state["layer2.0.downsample.0.weight"].Shape);
        Assert.Equal([512, 512, 3, 3], state["layer4.1.conv2.weight"].Shape);
        Assert.Equal([256], state["layer3.0.downsample.1.running_var"].Shape);
        Assert.Equal([1000, 512], state["fc.weight"].Shape);
        Assert.Empty(state["bn1.num_batches_tracked"].Shape);
        Assert.Equal(DType.Int64, state["bn1.num_batches_tracked"].DType);
        Assert.Equal(11_689_512, model.Parameters().Sum(p => p.NumEl));
        Assert.Equal(62, model.Parameters().Count());
        Assert.Equal(60, model.Buffers().Count());
    }

    [Fact]
    public void Initialization_is_torchvisions()
    {
        var model = ResNet.ResNet18();
        var bn = (BatchNorm2d)model.GetSubmodule("layer3.1.bn2");
        var conv = (Conv2d)model.GetSubmodule("layer4.0.conv1");

        Assert.All(bn.Weight!.ToFloatArray(), w => Assert.Equal(1f, w));
        Assert.All(bn.Bias!.ToFloatArray(), b => Assert.Equal(0f, b));
        // Kaiming normal, fan_out = 512 · 3 · 3: std sqrt(2 / 4608) ≈ 0.0208 (1.2 million draws: within 1 %).
        var w = conv.Weight.ToFloatArray();
        double std = Math.Sqrt(w.Average(v => (double)v * v));
        Assert.InRange(std, 0.0206, 0.0210);
    }

    [Fact]
    public void Classifies_a_batch()
    {
        Tensor.ManualSeed(3);
        var model = ResNet.ResNet18(numClasses: 10);
        model.Eval();
        var x = Tensor.Randn([2, 3, 32, 32]);

        Tensor y;
        using (ShapeSafe.Autograd.NoGrad()) y = model.Forward(x);

        Assert.Equal([2, 10], y.Shape);
        Assert.All(y.ToFloatArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void A_training_step_counts_in_every_batch_norm()
    {
        var model = ResNet.ResNet18(numClasses: 4);
        model.Forward(Tensor.Randn([2, 3, 32, 32], new Generator(1))).Sum().Backward();

        Assert.All(model.NamedBuffers().Where(b => b.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal)),
            b => Assert.Equal(1L, b.Buffer.ToInt64Array()[0]));
        Assert.All(model.Parameters(), p => Assert.NotNull(p.Grad));
    }
}
