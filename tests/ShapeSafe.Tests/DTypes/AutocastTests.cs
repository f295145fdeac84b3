using ShapeSafe;
using ShapeSafe.NN;

namespace ShapeSafe.Tests.DTypes;

using Autograd = ShapeSafe.Autograd;

public class AutocastTests
{
    // Multiples of 1/8 below 4 have at most 5 significant bits: exact in BFloat16, and their products and short sums
    // are exact in float32, so every route through the kernels gives the same values.
    static Tensor Eighths(int seed, params int[] shape)
    {
        var rng = new System.Random(seed);
        int count = shape.Aggregate(1, (x, y) => x * y);
        return Tensor.FromArray(Enumerable.Range(0, count).Select(_ => rng.Next(-24, 25) / 8f).ToArray(), shape);
    }

    static Tensor Rounded(Tensor t) => t.ToDType(DType.BFloat16).ToDType(DType.Float32);

    [Fact]
    public void ScopesNestAndRestoreTheOuterState()
    {
        Assert.False(Autograd.IsAutocastEnabled);
        Assert.Equal(DType.BFloat16, Autograd.AutocastDType);
        using (Autograd.Autocast(DType.BFloat16))
        {
            Assert.True(Autograd.IsAutocastEnabled);
            using (Autograd.Autocast(DType.BFloat16, enabled: false))
                Assert.False(Autograd.IsAutocastEnabled);
            Assert.True(Autograd.IsAutocastEnabled);
            var scope = Autograd.Autocast(DType.BFloat16, enabled: false);
            scope.Dispose();
            scope.Dispose();    // a second dispose changes nothing
            Assert.True(Autograd.IsAutocastEnabled);
        }
        Assert.False(Autograd.IsAutocastEnabled);
        var ex = Assert.Throws<ArgumentException>(() => Autograd.Autocast(DType.Float64));
        Assert.StartsWith("Autocast: CPU autocast supports dtype BFloat16 only, got Float64", ex.Message);
    }

    [Fact]
    public void MatrixProductsCastFloat32OperandsAndReturnBFloat16()
    {
        var a = Tensor.Randn(5, 7);
        var b = Tensor.Randn(7, 3);
        var batchA = Tensor.Randn(2, 5, 7);
        var batchB = Tensor.Randn(2, 7, 3);
        using (Autograd.Autocast(DType.BFloat16))
        {
            var mm = Tensor.Mm(a, b);
            Assert.Equal(DType.BFloat16, mm.DType);
            Assert.Equal(Tensor.Mm(a.ToDType(DType.BFloat16), b.ToDType(DType.BFloat16)).ToFloatArray(), mm.ToFloatArray());
            Assert.Equal(DType.BFloat16, a.Matmul(b).DType);
            Assert.Equal(DType.BFloat16, Tensor.Bmm(batchA, batchB).DType);
            Assert.Equal(DType.BFloat16, Tensor.Matmul(batchA, b).DType);
            // Float64 is not eligible: it stays Float64 (ATen's cached_cast skips double).
            Assert.Equal(DType.Float64, Tensor.Mm(a.ToDType(DType.Float64), b.ToDType(DType.Float64)).DType);
            // Dot and Mv are not on PyTorch's CPU list.
            Assert.Equal(DType.Float32, Tensor.Mv(a, b[.., 0]).DType);
        }
        Assert.Equal(DType.Float32, Tensor.Mm(a, b).DType);
    }

    [Fact]
    public void LinearRoundsTheBiasedFloat32SumOnce()
    {
        var x = Eighths(1, 4, 6);
        var w = Eighths(2, 3, 6);
        var bias = Eighths(3, 3);
        Tensor y;
        using (Autograd.Autocast(DType.BFloat16)) y = F.Linear(x, w, bias);
        Assert.Equal(DType.BFloat16, y.DType);
        Assert.Equal(F.Linear(x, w, bias).ToDType(DType.BFloat16).ToFloatArray(), y.ToFloatArray());
        // 256 + 1 + 0.5: one rounding gives 258 (two would give 256).
        using (Autograd.Autocast(DType.BFloat16))
            y = F.Linear(Tensor.FromArray(new[] { 16f, 1f }, 1, 2), Tensor.FromArray(new[] { 16f, 1f }, 1, 2), Tensor.FromArray(new[] { 0.5f }, 1));
        Assert.Equal(new[] { 258f }, y.ToFloatArray());
        // A 3-D input folds into rows as in float32.
        using (Autograd.Autocast(DType.BFloat16)) y = new Linear(6, 3).Forward(Eighths(4, 2, 4, 6));
        Assert.Equal(new[] { 2, 4, 3 }, y.Shape);
        Assert.Equal(DType.BFloat16, y.DType);
    }

    [Fact]
    public void ConvolutionsReturnBFloat16FromFloat32Accumulation()
    {
        var x = Tensor.Randn(2, 3, 8, 8);
        var w = Tensor.Randn(4, 3, 3, 3);
        var b = Tensor.Randn(4);
        Tensor y, y1, yt;
        using (Autograd.Autocast(DType.BFloat16))
        {
            y = F.Conv2d(x, w, b, padding: 1);
            y1 = F.Conv1d(Tensor.Randn(2, 3, 10), Tensor.Randn(5, 3, 3));
            yt = F.ConvTranspose2d(x, Tensor.Randn(3, 2, 2, 2), stride: 2);
        }
        Assert.Equal(DType.BFloat16, y.DType);
        Assert.Equal(F.Conv2d(Rounded(x), Rounded(w), Rounded(b), padding: 1).ToDType(DType.BFloat16).ToFloatArray(), y.ToFloatArray());
        Assert.Equal(DType.BFloat16, y1.DType);
        Assert.Equal(new[] { 2, 5, 8 }, y1.Shape);
        Assert.Equal(DType.BFloat16, yt.DType);
        Assert.Equal(new[] { 2, 2, 16, 16 }, yt.Shape);
    }

    [Fact]
    public void LossesCastBFloat16InputsToFloat32()
    {
        var logits = Tensor.Randn(4, 5).ToDType(DType.BFloat16);
        var target = Tensor.FromArray(new long[] { 0, 3, 4, 1 }, 4);
        var prediction = Tensor.Rand(6).ToDType(DType.BFloat16);
        var goal = Tensor.Rand(6);
        using (Autograd.Autocast(DType.BFloat16))
        {
            var ce = F.CrossEntropy(logits, target);
            Assert.Equal(DType.Float32, ce.DType);
            Assert.Equal(F.CrossEntropy(logits.ToDType(DType.Float32), target).Item(), ce.Item());
            Assert.Equal(DType.Float32, F.NllLoss(logits, target).DType);
            Assert.Equal(DType.Float32, F.MseLoss(prediction, goal).DType);
            Assert.Equal(DType.Float32, F.BinaryCrossEntropy(prediction, goal).DType);
            Assert.Equal(DType.Float32, F.BinaryCrossEntropyWithLogits(prediction, goal).DType);
        }
    }

    [Fact]
    public void OtherOpsRunInTheirInputsDTypes()
    {
        var half = Tensor.Randn(3, 4).ToDType(DType.BFloat16);
        var full = Tensor.Randn(3, 4);
        using (Autograd.Autocast(DType.BFloat16))
        {
            Assert.Equal(DType.BFloat16, half.Relu().DType);
            Assert.Equal(DType.Float32, full.Relu().DType);
            Assert.Equal(DType.Float32, (half + full).DType);       // promotion
            Assert.Equal(DType.BFloat16, half.Sum().DType);
            Assert.Equal(DType.BFloat16, F.MaxPool2d(half.Reshape(1, 1, 3, 4), 2).DType);
            // Argmax of BFloat16 logits (an accuracy count under autocast) is the widened values' argmax.
            Assert.Equal(half.ToDType(DType.Float32).Argmax(1).ToInt64Array(), half.Argmax(1).ToInt64Array());
            Assert.Equal(half.ToDType(DType.Float32).Argmin(0).ToInt64Array(), half.Argmin(0).ToInt64Array());
        }
    }

    [Fact]
    public void GradientsReachFloat32LeavesInFloat32()
    {
        var a = Eighths(5, 3, 4);
        var b = Eighths(6, 4, 2);
        a.RequiresGrad = true;
        b.RequiresGrad = true;
        Tensor y;
        using (Autograd.Autocast(DType.BFloat16))
        {
            y = Tensor.Mm(a, b);
            Assert.Equal("MmBackward", y.GradFn);
            y.Sum().Backward();     // inside the scope: the backward does not autocast
        }
        Assert.Equal(DType.Float32, a.Grad!.DType);
        Assert.Equal(DType.Float32, b.Grad!.DType);
        // d sum(a b) / da = ones · bᵀ, exact here.
        Assert.Equal(Tensor.Mm(Tensor.Ones(3, 2), b.Detach().Transpose(0, 1)).ToFloatArray(), a.Grad.ToFloatArray());
        Assert.Equal(Tensor.Mm(a.Detach().Transpose(0, 1), Tensor.Ones(3, 2)).ToFloatArray(), b.Grad.ToFloatArray());
    }

    [Fact]
    public void LinearGradientsAreTheBFloat16ProductsWidened()
    {
        var x = Eighths(7, 5, 6);
        var w = Eighths(8, 3, 6);
        var bias = Eighths(9, 3);
        w.RequiresGrad = true;
        bias.RequiresGrad = true;
        x.RequiresGrad = true;
        using (Autograd.Autocast(DType.BFloat16))
        {
            var y = F.Linear(x, w, bias);
            Assert.Equal("AddmmBackward", y.GradFn);
            (y * Tensor.Full(new[] { 5, 3 }, 0.5f)).Sum().Backward();
        }
        var g = Tensor.Full(new[] { 5, 3 }, 0.5f);
        Assert.Equal(DType.Float32, w.Grad!.DType);
        Assert.Equal(Tensor.Mm(g, w.Detach()).ToFloatArray(), x.Grad!.ToFloatArray());
        Assert.Equal(Tensor.Mm(g.Transpose(0, 1), x.Detach()).ToFloatArray(), w.Grad.ToFloatArray());
        Assert.Equal(new[] { 2.5f, 2.5f, 2.5f }, bias.Grad!.ToFloatArray());
    }

    [Fact]
    public void TheFashionCnnTrainsUnderAutocastWithFloat32Gradients()
    {
        Tensor.ManualSeed(3);
        var model = new Sequential(
            new Conv2d(1, 4, 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(4 * 4 * 4, 10));
        var images = Tensor.Randn(6, 1, 8, 8);
        var labels = Tensor.FromArray(new long[] { 1, 2, 3, 4, 5, 6 }, 6);
        Tensor logits, loss;
        using (Autograd.Autocast(DType.BFloat16))
        {
            logits = model.Forward(images);
            loss = F.CrossEntropy(logits, labels);
            // The Sequential's unfused layers, one by one, give the same logits.
            Tensor manual = images;
            foreach (var layer in model.Children()) manual = ((ITensorModule)layer).Forward(manual);
            Assert.Equal(manual.ToFloatArray(), logits.ToFloatArray());
        }
        Assert.Equal(DType.BFloat16, logits.DType);
        Assert.Equal(DType.Float32, loss.DType);
        loss.Backward();
        foreach (var (name, p) in model.NamedParameters())
        {
            Assert.Equal(DType.Float32, p.DType);
            Assert.True(p.Grad is { DType: DType.Float32 }, name);
            Assert.Contains(p.Grad!.ToFloatArray(), v => v != 0);
        }
    }
}
