// Sequence-model and reduction bugs from public reports, ported to ShapeSafe's API; the source and PyTorch's
// error beside each.
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus.Reported;

// https://github.com/xiaojunxu/SQLNet/issues/59: SQLNet's question encoder is built for N_word = 300 (GloVe 300d)
// while the embeddings fed to it are 100-dimensional.
// RuntimeError: input.size(-1) must be equal to input_size. Expected 300, got 100
public sealed class SqlNetQuestionEncoder : Module
{
    readonly LSTM _lstm = new LSTM(300, 100 / 2, numLayers: 2, batchFirst: true, dropout: 0.3, bidirectional: true);

    public Tensor Forward([Shape("B, T, 100")] Tensor xEmb)
    {
        var (hidden, _) = _lstm.Forward(xEmb); // BUG: SS0008
        return hidden;
    }
}

// https://github.com/ljynlp/W2NER/issues/23: W2NER's BiLSTM encoder sized for a 1024-d BERT-large while a 768-d
// BERT-base is loaded ("the BERT dimension does not line up with the other modules", the maintainer answers).
// RuntimeError: input.size(-1) must be equal to input_size. Expected 1024, got 768
public sealed class W2NerEncoder : Module
{
    readonly LSTM _encoder = new LSTM(1024, 512 / 2, numLayers: 1, batchFirst: true, bidirectional: true);

    public Tensor Forward([Shape("B, L, 768")] Tensor bertEmbs)
    {
        var (wordReps, _) = _encoder.Forward(bertEmbs); // BUG: SS0008
        return wordReps;
    }
}

// https://github.com/pytorch/pytorch/issues/2406: torch.max(score_maps.view(n, n_scales, -1), 2) lost its reduced
// dim once keepdim defaulted to False (PyTorch 0.2), so the following squeeze(2) is out of range.
// RuntimeError: dimension out of range (expected to be in range of [-2, 1], but got 2)
public static class ScaleScoreMax
{
    public static Tensor BestScore([Shape("N, S, H, W")] Tensor scoreMaps)
    {
        int n = scoreMaps.Size(0), nScales = scoreMaps.Size(1);
        var (values, _) = scoreMaps.View(n, nScales, -1).Max(2);   // [N, S]
        return values.Squeeze(2); // BUG: SS0006
    }
}

// https://github.com/junyanz/pytorch-CycleGAN-and-pix2pix/issues/566: pix2pix's unet_256 (every level a
// Conv2d(k=4, s=2, p=1) down and ConvTranspose2d(k=4, s=2, p=1) up, the skip by torch.cat([x, self.model(x)], 1))
// trained on 360x360 crops: six halvings leave 5x5 (360, 180, 90, 45, 22, 11, 5), two more 2 and 1, and the way
// up doubles 1 to 2 and 2 to 4, which no longer matches the 5x5 skip. Here the two innermost levels, ngf * 8 = 512.
// RuntimeError: invalid argument 0: Sizes of tensors must match except in dimension 1. Got 4 and 5 in dimension 2
public sealed class UnetSkipInnerLevels : Module
{
    readonly Conv2d _downConv = new Conv2d(512, 512, 4, stride: 2, padding: 1, bias: false);
    readonly BatchNorm2d _downNorm = new BatchNorm2d(512);
    readonly Conv2d _innerDownConv = new Conv2d(512, 512, 4, stride: 2, padding: 1, bias: false);
    readonly ConvTranspose2d _innerUpConv = new ConvTranspose2d(512, 512, 4, stride: 2, padding: 1, bias: false);
    readonly BatchNorm2d _innerUpNorm = new BatchNorm2d(512);
    readonly ConvTranspose2d _upConv = new ConvTranspose2d(1024, 512, 4, stride: 2, padding: 1, bias: false);
    readonly BatchNorm2d _upNorm = new BatchNorm2d(512);

    public Tensor Forward([Shape("1, 512, 5, 5")] Tensor x)
    {
        var down = _downNorm.Forward(_downConv.Forward(F.LeakyRelu(x, 0.2)));                   // [1, 512, 2, 2]
        var innerDown = _innerDownConv.Forward(F.LeakyRelu(down, 0.2));                         // [1, 512, 1, 1]
        var innerUp = _innerUpNorm.Forward(_innerUpConv.Forward(F.Relu(innerDown)));            // [1, 512, 2, 2]
        var inner = Tensor.Cat(new[] { down, innerUp }, 1);                                      // [1, 1024, 2, 2]
        var up = _upNorm.Forward(_upConv.Forward(F.Relu(inner)));                               // [1, 512, 4, 4]
        return Tensor.Cat(new[] { x, up }, 1); // BUG: SS0003
    }
}
