using ShapeSafe.NN;

namespace ShapeSafe.Tests.NN.Modules;

/// <summary>
/// Sequential runs Linear or Conv2d followed by ReLU, Conv2d, ReLU, MaxPool2d, and Linear followed by exact GELU,
/// as one fused op; the values and every gradient must be bitwise those of running the modules one after the other.
/// </summary>
[Collection("DefaultGenerator")] // seeds and draws from the default generator
public class SequentialFusionTests
{
    static void AssertBitwise(Tensor expected, Tensor? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Shape, actual!.Shape);
        Assert.Equal(expected.ToFloatArray().Select(BitConverter.SingleToInt32Bits), actual.ToFloatArray().Select(BitConverter.SingleToInt32Bits));
    }

    static (Tensor Output, Tensor?[] Grads) Run(Func<Tensor, Tensor> forward, Tensor input, Module module)
    {
        var x = input.Detach();
        x.RequiresGrad = true;
        var y = forward(x);
        // A loss that weighs every element differently, so each gradient entry is distinct.
        var weights = Tensor.Arange(y.NumEl).ToDType(DType.Float32).Reshape(y.Shape.ToArray()) * 0.01f;
        (y * weights).Sum().Backward();
        var grads = new List<Tensor?> { x.Grad };
        foreach (var p in module.Parameters()) grads.Add(p.Grad);
        module.ZeroGrad();
        return (y, grads.ToArray());
    }

    [Theory]
    [InlineData(1, 7, 17)]
    [InlineData(17, 255, 1)]
    [InlineData(64, 33, 1025)]
    public void Linear_then_relu_matches_the_unfused_modules(int batch, int inFeatures, int outFeatures)
    {
        Tensor.ManualSeed(batch + inFeatures);
        var linear = new Linear(inFeatures, outFeatures);
        var relu = new ReLU();
        var model = new Sequential(linear, relu);
        var input = Tensor.Randn(batch, inFeatures);

        var (fused, fusedGrads) = Run(model.Forward, input, model);
        var (plain, plainGrads) = Run(x => relu.Forward(linear.Forward(x)), input, model);

        Assert.Equal("ReluBackward", model.Forward(input.Detach().RequiresGradTrue()).GradFn);
        AssertBitwise(plain, fused);
        for (int i = 0; i < plainGrads.Length; i++) AssertBitwise(plainGrads[i]!, fusedGrads[i]);
    }

    [Fact]
    public void Linear_then_relu_on_a_3d_input_matches_the_unfused_modules()
    {
        Tensor.ManualSeed(5);
        var linear = new Linear(7, 17);
        var model = new Sequential(linear, new ReLU());
        var input = Tensor.Randn(3, 5, 7);
        var (fused, fusedGrads) = Run(model.Forward, input, model);
        var (plain, plainGrads) = Run(x => linear.Forward(x).Relu(), input, model);
        AssertBitwise(plain, fused);
        for (int i = 0; i < plainGrads.Length; i++) AssertBitwise(plainGrads[i]!, fusedGrads[i]);
    }

    [Theory]
    [InlineData(1, 7, 17)]
    [InlineData(17, 255, 1)]
    [InlineData(64, 33, 1025)]
    [InlineData(130, 200, 70)] // large enough for the packed GEMM
    public void Linear_then_gelu_matches_the_unfused_modules(int batch, int inFeatures, int outFeatures)
    {
        Tensor.ManualSeed(batch + inFeatures);
        var linear = new Linear(inFeatures, outFeatures);
        var gelu = new GELU();
        var model = new Sequential(linear, gelu);
        var input = Tensor.Randn(batch, inFeatures) * 2f;

        var (fused, fusedGrads) = Run(model.Forward, input, model);
        var (plain, plainGrads) = Run(x => gelu.Forward(linear.Forward(x)), input, model);

        Assert.Equal("GeluBackward", model.Forward(input.Detach().RequiresGradTrue()).GradFn);
        AssertBitwise(plain, fused);
        for (int i = 0; i < plainGrads.Length; i++) AssertBitwise(plainGrads[i]!, fusedGrads[i]);
    }

    [Fact]
    public void Linear_then_gelu_without_gradients_matches_the_unfused_modules()
    {
        Tensor.ManualSeed(6);
        var linear = new Linear(30, 40);
        var model = new Sequential(linear, new GELU());
        var input = Tensor.Randn(9, 30);
        using (ShapeSafe.Autograd.NoGrad())
        {
            var fused = model.Forward(input);
            Assert.Null(fused.GradFn);
            AssertBitwise(linear.Forward(input).Gelu(), fused);
        }
    }

    [Fact]
    public void Linear_then_gelu_on_a_3d_input_matches_the_unfused_modules()
    {
        Tensor.ManualSeed(7);
        var linear = new Linear(7, 17);
        var model = new Sequential(linear, new GELU());
        var input = Tensor.Randn(3, 5, 7);
        var (fused, fusedGrads) = Run(model.Forward, input, model);
        var (plain, plainGrads) = Run(x => linear.Forward(x).Gelu(), input, model);
        AssertBitwise(plain, fused);
        for (int i = 0; i < plainGrads.Length; i++) AssertBitwise(plainGrads[i]!, fusedGrads[i]);
    }

    [Fact]
    public void Linear_then_tanh_gelu_runs_the_two_modules()
    {
        Tensor.ManualSeed(8);
        var linear = new Linear(6, 5);
        var gelu = new GELU("tanh");
        var model = new Sequential(linear, gelu);
        var input = Tensor.Randn(4, 6);
        var (fused, fusedGrads) = Run(model.Forward, input, model);
        var (plain, plainGrads) = Run(x => gelu.Forward(linear.Forward(x)), input, model);
        Assert.NotEqual("GeluBackward", model.Forward(input.Detach().RequiresGradTrue()).GradFn);
        AssertBitwise(plain, fused);
        for (int i = 0; i < plainGrads.Length; i++) AssertBitwise(plainGrads[i]!, fusedGrads[i]);
    }

    [Theory]
    [InlineData(2, 1, 16, 28, 1)]
    [InlineData(3, 16, 32, 14, 1)]
    [InlineData(1, 3, 7, 17, 0)]
    [InlineData(2, 2, 5, 7, 2)]
    public void Conv_then_relu_matches_the_unfused_modules(int batch, int inChannels, int outChannels, int size, int padding)
    {
        Tensor.ManualSeed(batch * 10 + inChannels);
        var conv = new Conv2d(inChannels, outChannels, 3, padding: padding);
        var relu = new ReLU();
        var model = new Sequential(conv, relu, new Flatten());
        var input = Tensor.Randn(batch, inChannels, size, size);

        var (fused, fusedGrads) = Run(model.Forward, input, model);
        var (plain, plainGrads) = Run(x => relu.Forward(conv.Forward(x)).Flatten(1), input, model);

        AssertBitwise(plain, fused);
        for (int i = 0; i < plainGrads.Length; i++) AssertBitwise(plainGrads[i]!, fusedGrads[i]);
    }

    [Theory]
    [InlineData(2, 1, 16, 28, 1, 2, 2, 0, 1)]    // the CNN's first block
    [InlineData(13, 16, 32, 14, 1, 2, 2, 0, 1)]  // its second block, several chunks of images
    [InlineData(3, 2, 5, 9, 0, 2, 2, 0, 1)]      // a 7x7 map: the last row and column are not pooled
    [InlineData(2, 3, 4, 11, 1, 3, 2, 1, 1)]     // overlapping, padded windows
    [InlineData(1, 2, 3, 12, 1, 2, 1, 0, 2)]     // dilated windows, stride 1
    public void Conv_relu_max_pool_matches_the_unfused_modules(int batch, int inChannels, int outChannels, int size, int padding,
        int poolKernel, int poolStride, int poolPadding, int poolDilation)
    {
        Tensor.ManualSeed(batch * 100 + size);
        var conv = new Conv2d(inChannels, outChannels, 3, padding: padding);
        var relu = new ReLU();
        var pool = new MaxPool2d(poolKernel, poolStride, poolPadding, poolDilation);
        var model = new Sequential(conv, relu, pool);
        var input = Tensor.Randn(batch, inChannels, size, size);

        var (fused, fusedGrads) = Run(model.Forward, input, model);
        var (plain, plainGrads) = Run(x => pool.Forward(relu.Forward(conv.Forward(x))), input, model);

        Assert.Equal("MaxPool2DWithIndicesBackward", model.Forward(input.Detach().RequiresGradTrue()).GradFn);
        AssertBitwise(plain, fused);
        for (int i = 0; i < plainGrads.Length; i++) AssertBitwise(plainGrads[i]!, fusedGrads[i]);
    }

    [Theory]
    [InlineData(false, false)]  // groups, no bias
    [InlineData(true, true)]    // an unbatched [C, H, W] input
    public void Conv_relu_max_pool_with_groups_or_unbatched_matches_the_unfused_modules(bool unbatched, bool bias)
    {
        Tensor.ManualSeed(unbatched ? 21 : 22);
        var conv = new Conv2d(4, 6, 3, padding: 1, groups: unbatched ? 1 : 2, bias: bias);
        var relu = new ReLU();
        var pool = new MaxPool2d(2);
        var model = new Sequential(conv, relu, pool);
        var input = unbatched ? Tensor.Randn(4, 8, 8) : Tensor.Randn(3, 4, 8, 8);

        var (fused, fusedGrads) = Run(model.Forward, input, model);
        var (plain, plainGrads) = Run(x => pool.Forward(relu.Forward(conv.Forward(x))), input, model);
        AssertBitwise(plain, fused);
        for (int i = 0; i < plainGrads.Length; i++) AssertBitwise(plainGrads[i]!, fusedGrads[i]);
    }

    [Fact]
    public void Conv_relu_max_pool_passes_NaN_through_as_the_unfused_modules_do()
    {
        Tensor.ManualSeed(3);
        var conv = new Conv2d(1, 2, 3, padding: 1);
        var relu = new ReLU();
        var pool = new MaxPool2d(2);
        var model = new Sequential(conv, relu, pool);
        var values = Tensor.Randn(1, 1, 6, 6).ToFloatArray();
        values[7] = float.NaN;
        var input = Tensor.FromArray(values, 1, 1, 6, 6);

        var (fused, fusedGrads) = Run(model.Forward, input, model);
        var (plain, plainGrads) = Run(x => pool.Forward(relu.Forward(conv.Forward(x))), input, model);
        AssertBitwise(plain, fused);
        for (int i = 0; i < plainGrads.Length; i++) AssertBitwise(plainGrads[i]!, fusedGrads[i]);
    }

    [Fact]
    public void Conv_relu_max_pool_refuses_a_pool_too_big_for_the_conv_output_as_the_unfused_modules_do()
    {
        var conv = new Conv2d(1, 2, 3);
        var relu = new ReLU();
        var pool = new MaxPool2d(5);
        var input = Tensor.Randn(1, 1, 4, 4);
        var fused = Assert.Throws<ShapeException>(() => new Sequential(conv, relu, pool).Forward(input));
        var plain = Assert.Throws<ShapeException>(() => pool.Forward(relu.Forward(conv.Forward(input))));
        Assert.Equal(plain.Message, fused.Message);
        Assert.Contains("MaxPool2d: output size is too small: input [1, 2, 2, 2]", fused.Message);
    }

    [Fact]
    public void Conv_relu_max_pool_without_gradients_records_nothing_and_gives_the_same_values()
    {
        Tensor.ManualSeed(4);
        var conv = new Conv2d(2, 3, 3, padding: 1);
        var relu = new ReLU();
        var pool = new MaxPool2d(2);
        var model = new Sequential(conv, relu, pool);
        var input = Tensor.Randn(2, 2, 8, 8);
        Tensor fused, plain;
        using (ShapeSafe.Autograd.NoGrad())
        {
            fused = model.Forward(input);
            plain = pool.Forward(relu.Forward(conv.Forward(input)));
        }
        Assert.Null(fused.GradFn);
        AssertBitwise(plain, fused);
    }
}

static class FusionTestExtensions
{
    public static Tensor RequiresGradTrue(this Tensor t)
    {
        t.RequiresGrad = true;
        return t;
    }
}
