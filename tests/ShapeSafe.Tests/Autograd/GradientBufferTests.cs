using ShapeSafe.Kernels.Memory;
using ShapeSafe.NN;
using ShapeSafe.Optim;

namespace ShapeSafe.Tests.Autograd;

using Autograd = ShapeSafe.Autograd;

/// <summary>
/// Gradients made inside the backward pass live on pooled buffers that the engine overwrites and reuses; these
/// tests pin down that nothing a caller can see is ever overwritten or reused. Sizes are above the pool's
/// 1024-float minimum so the pooled paths run.
/// </summary>
[Collection("DefaultGenerator")] // seeds the default generator twice and expects the same models
public class GradientBufferTests
{
    // 1100 elements: -2, -1, 1, 2 repeating.
    static Tensor Signs(bool requiresGrad = true)
    {
        var values = new float[1100];
        for (int i = 0; i < values.Length; i++) values[i] = (i % 4) switch { 0 => -2f, 1 => -1f, 2 => 1f, _ => 2f };
        var t = Tensor.FromArray(values);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    static float[] Repeat(params float[] pattern)
    {
        var values = new float[1100];
        for (int i = 0; i < values.Length; i++) values[i] = pattern[i % pattern.Length];
        return values;
    }

    [Fact]
    public void A_gradient_the_caller_read_survives_later_steps()
    {
        Tensor.ManualSeed(3);
        var layer = new Linear(64, 32);
        var optimizer = new Sgd(layer.Parameters(), lr: 0.1);
        var x = Tensor.Randn(8, 64);
        layer.Forward(x).Relu().Sum().Backward();
        var held = layer.Weight.Grad!;
        var expected = held.ToFloatArray();

        for (int step = 0; step < 3; step++)
        {
            optimizer.ZeroGrad();
            layer.Forward(x * (step + 2f)).Relu().Sum().Backward();
            optimizer.Step();
        }

        Assert.Equal(expected, held.ToFloatArray());
        Assert.False(held.SharesStorage(layer.Weight.Grad!));
    }

    [Fact]
    public void An_unread_gradient_goes_back_to_the_pool_on_zero_grad_and_steps_match_a_fresh_model()
    {
        Tensor.ManualSeed(4);
        var pooled = new Linear(64, 32);
        Tensor.ManualSeed(4);
        var fresh = new Linear(64, 32);
        var x = Tensor.Randn(8, 64);
        var optimizer = new Sgd(pooled.Parameters(), lr: 0.1, momentum: 0.9);
        var reference = new Sgd(fresh.Parameters(), lr: 0.1, momentum: 0.9);

        for (int step = 0; step < 4; step++)
        {
            BufferPool.Clear();
            optimizer.ZeroGrad();
            pooled.Forward(x).Relu().Sum().Backward();
            optimizer.Step();
            optimizer.ZeroGrad();
            // The weight's gradient (32·64 floats) was never read, so zeroing returned it.
            Assert.True(BufferPool.HeldFloats >= 32 * 64, $"step {step}: pool holds {BufferPool.HeldFloats} floats");

            reference.ZeroGrad();
            fresh.Forward(x).Relu().Sum().Backward();
            _ = fresh.Weight.Grad; // read, so never pooled
            reference.Step();
            Assert.Equal(fresh.Weight.ToFloatArray(), pooled.Weight.ToFloatArray());
            Assert.Equal(fresh.Bias!.ToFloatArray(), pooled.Bias!.ToFloatArray());
        }
    }

    [Fact]
    public void A_pooled_gradient_returned_twice_is_summed_not_overwritten()
    {
        var a = Signs();
        // relu'(a·3) flows into h + h, whose backward returns one gradient for both inputs.
        var h = (a * 3f).Relu();
        var loss = (h + h).Relu().Sum();
        loss.Backward();
        Assert.Equal(Repeat(0f, 0f, 6f, 6f), a.Grad!.ToFloatArray());
    }

    [Fact]
    public void A_captured_gradient_is_not_overwritten_by_the_rest_of_the_backward_pass()
    {
        var x = Signs();
        var u = x.LeakyRelu(0.5f);
        var loss = u.Abs().Sum();
        // The gradient reaching u (sgn u) is captured and also flows on through LeakyRelu's backward.
        var grads = Autograd.Grad(new[] { loss }, new[] { u, x });
        Assert.Equal(Repeat(-1f, -1f, 1f, 1f), grads[0]!.ToFloatArray());
        Assert.Equal(Repeat(-0.5f, -0.5f, 1f, 1f), grads[1]!.ToFloatArray());
    }

    [Fact]
    public void A_caller_seed_is_never_overwritten()
    {
        var x = Signs();
        var y = x.Relu();
        var seed = Tensor.FromArray(Repeat(5f));
        y.Relu().Backward(seed);
        Assert.Equal(Repeat(5f), seed.ToFloatArray());
        Assert.Equal(Repeat(0f, 0f, 5f, 5f), x.Grad!.ToFloatArray());
    }

    [Fact]
    public void Two_leaves_never_share_a_gradient()
    {
        var a = Signs();
        var b = Signs();
        var loss = (a.Relu() + b.Relu()).Relu().Sum();
        loss.Backward();
        var gradA = a.Grad!;
        var gradB = b.Grad!;
        Assert.False(gradA.SharesStorage(gradB));
        Assert.Equal(Repeat(0f, 0f, 1f, 1f), gradA.ToFloatArray());
        Assert.Equal(Repeat(0f, 0f, 1f, 1f), gradB.ToFloatArray());
    }

    [Fact]
    public void Max_pool_argmax_is_pooled_only_after_its_node_is_released()
    {
        // 2 × 2 pooling of [2, 3, 48, 48] keeps 3456 argmax ints, above the pool's minimum.
        Tensor.ManualSeed(5);
        var x = Tensor.Randn(2, 3, 48, 48);
        x.RequiresGrad = true;
        var expected = Tensor.MaxPool2dWithIndices(x, 2).Indices.ToInt64Array();

        BufferPool.Clear();
        var y = Tensor.MaxPool2d(x, 2);
        y.Sum().Backward(null, retainGraph: true);
        var first = x.Grad!.ToFloatArray();

        // Retained, the argmax is still the node's: another pool of the same size on this thread must not get it.
        Tensor.MaxPool2d(x * -1f, 2).Sum().Backward();
        x.Grad = null;
        y.Sum().Backward();
        Assert.Equal(first, x.Grad!.ToFloatArray());
        Assert.Throws<InvalidOperationException>(() => y.Sum().Backward());

        // Each gradient is one at its window's argmax, the same positions the public Int64 indices give.
        var grad = x.Grad!.ToFloatArray();
        for (int p = 0; p < 6; p++)
            for (int k = 0; k < 24 * 24; k++)
                Assert.Equal(1f, grad[p * 48 * 48 + (int)expected[p * 24 * 24 + k]]);
        Assert.Equal(6 * 24 * 24, grad.Sum());
    }
}
