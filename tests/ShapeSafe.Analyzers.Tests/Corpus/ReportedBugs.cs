// Shape bugs from public reports, ported to ShapeSafe's API line for line where the API allows.
// Each carries its source address and the error PyTorch raised there.
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus.Reported;

// https://androidkt.com/fix-runtimeerror-mat1-and-mat2-shapes-cannot-be-multiplied/
// RuntimeError: mat1 and mat2 shapes cannot be multiplied (2x1568 and 1050x10)
public sealed class MnistCnn : Module
{
    readonly Sequential _conv1 = new Sequential(new Conv2d(1, 16, 5, stride: 1, padding: 2), new ReLU(), new MaxPool2d(2));
    readonly Sequential _conv2 = new Sequential(new Conv2d(16, 32, 5, stride: 1, padding: 2), new ReLU(), new MaxPool2d(2));
    readonly Linear _out = new Linear(1050, 10);

    public Tensor Forward([Shape("B, 1, 28, 28")] Tensor x)
    {
        x = _conv1.Forward(x);
        x = _conv2.Forward(x);
        x = x.View(x.Size(0), -1);   // [B, 32*7*7] = [B, 1568]
        return _out.Forward(x); // BUG: SS0008
    }
}

// http://www.kouhan.cn/en/article/00050409 (a CNN trained with MSE loss on class scores)
// RuntimeError: The size of tensor a (133) must match the size of tensor b (10) at non-singleton dimension 1
public static class MseOnClassScores
{
    public static Tensor Step([Shape("B, 133")] Tensor output, [Shape("B, 10")] Tensor target)
    {
        var criterion = new MSELoss();
        return criterion.Forward(output, target); // BUG: SS0005
    }
}

// https://discuss.pytorch.org/t/how-exactly-should-i-understand-the-cross-entropy-loss-function/61183
// CBOW: output [vocab] against a one-hot target [vocab].
// RuntimeError: Dimension out of range (expected to be in range of [-1, 0], but got 1)
public static class CbowLoss
{
    public static Tensor Step([Shape("V")] Tensor output, [Shape("V")] Tensor oneHot)
    {
        var criterion = new CrossEntropyLoss();
        return criterion.Forward(output, oneHot); // BUG: SS0005
    }
}

// https://github.com/lukemelas/PyTorch-Pretrained-ViT/issues/26 (examples/imagenet/main.py, accuracy)
// and https://github.com/open-mmlab/mmpretrain/pull/104: correct[:k].view(-1) on the transposed top-k predictions.
// RuntimeError: view size is not compatible with input tensor's size and stride (at least one dimension spans
// across two contiguous subspaces). Use .reshape(...) instead.
public static class TopKAccuracy
{
    public static Tensor Correct([Shape("B, 5")] Tensor topIndices, int k)
    {
        var pred = topIndices.Transpose(0, 1);             // pred.t(): [5, B]
        var correctK = pred.Narrow(0, 0, 5).View(-1); // BUG: SS0001
        var fixedK = pred.Narrow(0, 0, 5).Reshape(-1);  // k = 5 fails; k = 1 keeps a single row, which views fine
        return fixedK;
    }
}

// https://runebook.dev/en/docs/pytorch/generated/torch.nn.crossentropyloss: one-hot targets given to CrossEntropyLoss
// (ShapeSafe's CrossEntropyLoss takes class indices, so the [N, C] target is refused as in PyTorch before 1.10:
// RuntimeError: 1D target tensor expected, multi-target not supported)
public static class OneHotTargets
{
    public static Tensor Step([Shape("N, 3")] Tensor logits, [Shape("N, 3")] Tensor oneHot) =>
        F.CrossEntropy(logits, oneHot); // BUG: SS0005
}
