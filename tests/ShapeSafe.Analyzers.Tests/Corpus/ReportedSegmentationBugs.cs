// Segmentation-loss shape bugs from public reports, ported to ShapeSafe's API; the source and PyTorch's error beside each.
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus.Reported;

// https://github.com/UsamaI000/CamVid-Segmentation-Pytorch/issues/2: one-hot masks [N, 12, H, W] given to CrossEntropyLoss.
// RuntimeError: 1only batches of spatial targets supported (3D tensors) but got targets of size: : [16, 12, 256, 256]
public static class CamVidLoss
{
    public static Tensor Step([Shape("16, 12, 256, 256")] Tensor logits, [Shape("16, 12, 256, 256")] Tensor masks) =>
        new CrossEntropyLoss().Forward(logits, masks); // BUG: SS0005
}

// https://github.com/sinAshish/Multi-Scale-Attention/issues/16: with batch size 1 the target lost its batch dim.
// ValueError: Expected input batch_size (1) to match target batch_size (256).
public static class MultiScaleAttentionLoss
{
    public static Tensor Step([Shape("1, 5, 256, 256")] Tensor outputs0, [Shape("256, 256")] Tensor segmentationClass) =>
        F.CrossEntropy(outputs0, segmentationClass); // BUG: SS0005
}

// https://github.com/milesial/Pytorch-UNet/issues/164: RGB masks [1, 3, 256, 256] against a one-class prediction.
// ValueError: Target size (torch.Size([1, 3, 256, 256])) must be the same as input size (torch.Size([1, 1, 256, 256]))
public static class UNetBinaryLoss
{
    public static Tensor Step([Shape("1, 1, 256, 256")] Tensor masksPred, [Shape("1, 3, 256, 256")] Tensor trueMasks)
    {
        var criterion = new BCEWithLogitsLoss();
        return criterion.Forward(masksPred, trueMasks); // BUG: SS0005
    }
}

// https://github.com/milesial/Pytorch-UNet/issues/79: 3-channel masks against 7 classes with BCELoss (PyTorch warned,
// then failed; ShapeSafe refuses to broadcast a loss's target).
// UserWarning: Using a target size (torch.Size([1, 3, 224, 224])) that is different to the input size (torch.Size([1, 7, 224, 224])) is deprecated.
public static class UNetMultiClassLoss
{
    public static Tensor Step([Shape("1, 7, 224, 224")] Tensor masksPred, [Shape("1, 3, 224, 224")] Tensor trueMasks) =>
        F.BinaryCrossEntropy(F.Sigmoid(masksPred), trueMasks); // BUG: SS0005
}
