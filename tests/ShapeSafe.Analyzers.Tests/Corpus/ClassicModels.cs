// Clean ports of well-known architectures, sized as their papers or reference implementations size them:
// nothing here may be reported. Inputs carry [Shape] as a user would write them, so the analyzer infers through.
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus.Models;

/// <summary>ResNet-50's Bottleneck (He et al. 2016; torchvision's v1.5, stride on the 3x3): layer2's first block, 256 to 512 channels at stride 2.</summary>
public sealed class Bottleneck : Module
{
    readonly Conv2d _conv1 = new Conv2d(256, 128, 1, bias: false);
    readonly BatchNorm2d _bn1 = new BatchNorm2d(128);
    readonly Conv2d _conv2 = new Conv2d(128, 128, 3, stride: 2, padding: 1, bias: false);
    readonly BatchNorm2d _bn2 = new BatchNorm2d(128);
    readonly Conv2d _conv3 = new Conv2d(128, 128 * 4, 1, bias: false);
    readonly BatchNorm2d _bn3 = new BatchNorm2d(128 * 4);
    readonly Sequential _downsample = new Sequential(new Conv2d(256, 512, 1, stride: 2, bias: false), new BatchNorm2d(512));

    [return: Shape("N, 512, 28, 28")]
    public Tensor Forward([Shape("N, 256, 56, 56")] Tensor x)
    {
        var identity = _downsample.Forward(x);
        var @out = F.Relu(_bn1.Forward(_conv1.Forward(x)));
        @out = F.Relu(_bn2.Forward(_conv2.Forward(@out)));
        @out = _bn3.Forward(_conv3.Forward(@out));
        return F.Relu(@out + identity);
    }
}

/// <summary>MobileNetV2's inverted residual (Sandler et al. 2018): 24 channels expanded 6x, a depthwise 3x3, projected back, added to the input.</summary>
public sealed class InvertedResidual : Module
{
    readonly Conv2d _expand = new Conv2d(24, 24 * 6, 1, bias: false);
    readonly BatchNorm2d _bn1 = new BatchNorm2d(144);
    readonly Conv2d _depthwise = new Conv2d(144, 144, 3, stride: 1, padding: 1, groups: 144, bias: false);
    readonly BatchNorm2d _bn2 = new BatchNorm2d(144);
    readonly Conv2d _project = new Conv2d(144, 24, 1, bias: false);
    readonly BatchNorm2d _bn3 = new BatchNorm2d(24);

    [return: Shape("N, 24, 56, 56")]
    public Tensor Forward([Shape("N, 24, 56, 56")] Tensor x)
    {
        var h = _bn1.Forward(_expand.Forward(x)).Clamp(0, 6);        // ReLU6
        h = _bn2.Forward(_depthwise.Forward(h)).Clamp(0, 6);
        h = _bn3.Forward(_project.Forward(h));
        return x + h;
    }
}

/// <summary>A Squeeze-and-Excitation block (Hu et al. 2018), reduction 16 on 256 channels.</summary>
public sealed class SqueezeExcitation : Module
{
    readonly AdaptiveAvgPool2d _squeeze = new AdaptiveAvgPool2d(1);
    readonly Linear _fc1 = new Linear(256, 256 / 16);
    readonly Linear _fc2 = new Linear(256 / 16, 256);

    [return: Shape("N, 256, H, W")]
    public Tensor Forward([Shape("N, 256, H, W")] Tensor x)
    {
        int b = x.Size(0), c = x.Size(1);
        var y = _squeeze.Forward(x).View(b, c);                       // [N, 256]
        y = F.Sigmoid(_fc2.Forward(F.Relu(_fc1.Forward(y))));
        return x * y.View(b, c, 1, 1);
    }
}

/// <summary>The DCGAN generator (Radford et al. 2015, the PyTorch DCGAN tutorial: nz 100, ngf 64, 3 channels): a latent vector to a 64x64 image.</summary>
public sealed class DcganGenerator : Module
{
    readonly Sequential _main = new Sequential(
        new ConvTranspose2d(100, 64 * 8, 4, 1, 0, bias: false), new BatchNorm2d(64 * 8), new ReLU(),
        new ConvTranspose2d(64 * 8, 64 * 4, 4, 2, 1, bias: false), new BatchNorm2d(64 * 4), new ReLU(),
        new ConvTranspose2d(64 * 4, 64 * 2, 4, 2, 1, bias: false), new BatchNorm2d(64 * 2), new ReLU(),
        new ConvTranspose2d(64 * 2, 64, 4, 2, 1, bias: false), new BatchNorm2d(64), new ReLU(),
        new ConvTranspose2d(64, 3, 4, 2, 1, bias: false), new Tanh());

    [return: Shape("N, 3, 64, 64")]
    public Tensor Forward([Shape("N, 100, 1, 1")] Tensor z) => _main.Forward(z);
}

/// <summary>The DCGAN discriminator (the same tutorial, ndf 64): a 64x64 image to one probability per sample.</summary>
public sealed class DcganDiscriminator : Module
{
    readonly Sequential _main = new Sequential(
        new Conv2d(3, 64, 4, 2, 1, bias: false), new LeakyReLU(0.2),
        new Conv2d(64, 64 * 2, 4, 2, 1, bias: false), new BatchNorm2d(64 * 2), new LeakyReLU(0.2),
        new Conv2d(64 * 2, 64 * 4, 4, 2, 1, bias: false), new BatchNorm2d(64 * 4), new LeakyReLU(0.2),
        new Conv2d(64 * 4, 64 * 8, 4, 2, 1, bias: false), new BatchNorm2d(64 * 8), new LeakyReLU(0.2),
        new Conv2d(64 * 8, 1, 4, 1, 0, bias: false), new Sigmoid());

    [return: Shape("N")]
    public Tensor Forward([Shape("N, 3, 64, 64")] Tensor image) => _main.Forward(image).View(-1);

    public Tensor Loss([Shape("N, 3, 64, 64")] Tensor real, [Shape("N")] Tensor labels) =>
        F.BinaryCrossEntropy(Forward(real), labels);
}

/// <summary>TextCNN (Kim 2014, CNN-static): 300-d embeddings, 100 filters each of widths 3, 4 and 5, max-over-time pooling, dropout, two classes.</summary>
public sealed class TextCnn : Module
{
    readonly Embedding _embed = new Embedding(20000, 300);
    readonly Conv2d _conv3 = new Conv2d(1, 100, (3, 300));
    readonly Conv2d _conv4 = new Conv2d(1, 100, (4, 300));
    readonly Conv2d _conv5 = new Conv2d(1, 100, (5, 300));
    readonly Dropout _dropout = new Dropout(0.5);
    readonly Linear _fc = new Linear(3 * 100, 2);

    [return: Shape("B, 2")]
    public Tensor Forward([Shape("B, 50")] Tensor tokens)
    {
        var x = _embed.Forward(tokens).Unsqueeze(1);                  // [B, 1, 50, 300]
        var (p3, _) = F.Relu(_conv3.Forward(x).Squeeze(3)).Max(2);    // [B, 100]
        var (p4, _) = F.Relu(_conv4.Forward(x).Squeeze(3)).Max(2);
        var (p5, _) = F.Relu(_conv5.Forward(x).Squeeze(3)).Max(2);
        var features = _dropout.Forward(Tensor.Cat(new[] { p3, p4, p5 }, 1));   // [B, 300]
        return _fc.Forward(features);
    }
}

/// <summary>
/// Seq2seq with Bahdanau attention (Bahdanau et al. 2015, after bentrevett's pytorch-seq2seq tutorial 3): a bidirectional
/// GRU encoder, additive attention over its outputs, and one decoder step.
/// </summary>
public sealed class BahdanauSeq2Seq : Module
{
    readonly Embedding _srcEmbed = new Embedding(7855, 256);
    readonly GRU _encoder = new GRU(256, 512, bidirectional: true);
    readonly Linear _encoderFc = new Linear(512 * 2, 512);
    readonly Linear _attn = new Linear(512 * 2 + 512, 512);
    readonly Linear _v = new Linear(512, 1, bias: false);
    readonly Embedding _trgEmbed = new Embedding(5893, 256);
    readonly GRU _decoder = new GRU(512 * 2 + 256, 512);
    readonly Linear _fcOut = new Linear(512 * 2 + 512 + 256, 5893);

    [return: Shape("B, 5893")]
    public Tensor Forward([Shape("S, B")] Tensor src, [Shape("B")] Tensor previousToken)
    {
        var embedded = _srcEmbed.Forward(src);                                           // [S, B, 256]
        var (encoderOutputs, hidden) = _encoder.Forward(embedded);                       // [S, B, 1024], [2, B, 512]
        var decoderHidden = F.Tanh(_encoderFc.Forward(Tensor.Cat(new[] { hidden.Select(0, -2), hidden.Select(0, -1) }, 1)));   // [B, 512]

        int srcLen = encoderOutputs.Size(0);
        var repeated = decoderHidden.Unsqueeze(1).Expand(-1, srcLen, -1);               // hidden.repeat(1, src_len, 1): [B, S, 512]
        var outputs = encoderOutputs.Permute(1, 0, 2);                                   // [B, S, 1024]
        var energy = F.Tanh(_attn.Forward(Tensor.Cat(new[] { repeated, outputs }, 2)));  // [B, S, 512]
        var a = F.Softmax(_v.Forward(energy).Squeeze(2), 1);                             // [B, S]

        var input = _trgEmbed.Forward(previousToken.Unsqueeze(0));                       // [1, B, 256]
        var weighted = Tensor.Bmm(a.Unsqueeze(1), outputs).Permute(1, 0, 2);             // [1, B, 1024]
        var (output, _) = _decoder.Forward(Tensor.Cat(new[] { input, weighted }, 2), decoderHidden.Unsqueeze(0));   // [1, B, 512]
        return _fcOut.Forward(Tensor.Cat(new[] { output.Squeeze(0), weighted.Squeeze(0), input.Squeeze(0) }, 1));
    }
}

/// <summary>A Transformer encoder layer (Vaswani et al. 2017, post-norm, d_model 512, 8 heads, feed-forward 2048), batch first, with a padding mask.</summary>
public sealed class TransformerEncoderBlock : Module
{
    readonly MultiheadAttention _selfAttn = new MultiheadAttention(512, 8, dropout: 0.1, batchFirst: true);
    readonly Linear _linear1 = new Linear(512, 2048);
    readonly Linear _linear2 = new Linear(2048, 512);
    readonly LayerNorm _norm1 = new LayerNorm(512);
    readonly LayerNorm _norm2 = new LayerNorm(512);
    readonly Dropout _dropout = new Dropout(0.1);

    [return: Shape("B, S, 512")]
    public Tensor Forward([Shape("B, S, 512")] Tensor src, [Shape("B, S")] Tensor paddingMask)
    {
        var (attended, _) = _selfAttn.Forward(src, src, src, keyPaddingMask: paddingMask);
        var x = _norm1.Forward(src + _dropout.Forward(attended));
        var ff = _linear2.Forward(_dropout.Forward(F.Relu(_linear1.Forward(x))));
        return _norm2.Forward(x + _dropout.Forward(ff));
    }
}

/// <summary>A ViT-B/16 encoder block with its class token (Dosovitskiy et al. 2021): pre-norm attention and MLP, the head on the class token.</summary>
public sealed class VitEncoder : Module
{
    readonly LayerNorm _ln1 = new LayerNorm(768);
    readonly MultiheadAttention _attn = new MultiheadAttention(768, 12, batchFirst: true);
    readonly LayerNorm _ln2 = new LayerNorm(768);
    readonly Linear _mlp1 = new Linear(768, 3072);
    readonly Linear _mlp2 = new Linear(3072, 768);
    readonly LayerNorm _norm = new LayerNorm(768);
    readonly Linear _head = new Linear(768, 1000);

    [return: Shape("B, 1000")]
    public Tensor Forward([Shape("B, 196, 768")] Tensor patches, [Shape("1, 1, 768")] Tensor classToken, [Shape("1, 197, 768")] Tensor positions)
    {
        var x = Tensor.Cat(new[] { classToken.Expand(patches.Size(0), -1, -1), patches }, 1) + positions;   // [B, 197, 768]
        var h = _ln1.Forward(x);
        var (attended, _) = _attn.Forward(h, h, h);
        x = x + attended;
        x = x + _mlp2.Forward(F.Gelu(_mlp1.Forward(_ln2.Forward(x))));
        return _head.Forward(_norm.Forward(x).Select(1, 0));
    }
}

/// <summary>
/// The VQ-VAE vector quantizer (van den Oord et al. 2017): 512 codes of 64 dims, nearest code by squared distance,
/// straight-through gradient. The codebook (an nn.Embedding's weight in the reference code) comes in annotated.
/// </summary>
public sealed class VectorQuantizer : Module
{
    [return: Shape("B, 64, H, W")]
    public Tensor Forward([Shape("B, 64, H, W")] Tensor z, [Shape("512, 64")] Tensor codebook)
    {
        int b = z.Size(0), h = z.Size(2), w = z.Size(3);
        var flat = z.Permute(0, 2, 3, 1).Contiguous().View(-1, 64);                     // [B*H*W, 64]
        var distances = flat.Pow(2f).Sum(1, keepDim: true) + codebook.Pow(2f).Sum(1)
            - flat.Matmul(codebook.Transpose(0, 1)) * 2f;                                // [B*H*W, 512]
        var indices = distances.Argmin(1);                                               // [B*H*W]
        var quantized = F.Embedding(indices, codebook).View(b, h, w, 64).Permute(0, 3, 1, 2);
        return z + (quantized - z).Detach();
    }
}

/// <summary>PointNet's input transform T-Net (Qi et al. 2017): shared per-point MLP 64-128-1024, max pool, FC 512-256-9, plus identity, applied by Bmm.</summary>
public sealed class PointNetTNet : Module
{
    readonly Conv1d _conv1 = new Conv1d(3, 64, 1);
    readonly Conv1d _conv2 = new Conv1d(64, 128, 1);
    readonly Conv1d _conv3 = new Conv1d(128, 1024, 1);
    readonly BatchNorm1d _bn1 = new BatchNorm1d(64);
    readonly BatchNorm1d _bn2 = new BatchNorm1d(128);
    readonly BatchNorm1d _bn3 = new BatchNorm1d(1024);
    readonly Linear _fc1 = new Linear(1024, 512);
    readonly Linear _fc2 = new Linear(512, 256);
    readonly Linear _fc3 = new Linear(256, 9);

    [return: Shape("B, 3, N")]
    public Tensor Forward([Shape("B, 3, N")] Tensor points)
    {
        var x = F.Relu(_bn1.Forward(_conv1.Forward(points)));
        x = F.Relu(_bn2.Forward(_conv2.Forward(x)));
        x = F.Relu(_bn3.Forward(_conv3.Forward(x)));                                     // [B, 1024, N]
        var (pooled, _) = x.Max(2);                                                      // [B, 1024]
        var t = _fc3.Forward(F.Relu(_fc2.Forward(F.Relu(_fc1.Forward(pooled)))));        // [B, 9]
        var transform = (t + Tensor.Eye(3).View(1, 9)).View(-1, 3, 3);                   // [B, 3, 3]
        return Tensor.Bmm(points.Transpose(2, 1), transform).Transpose(2, 1);
    }
}

/// <summary>The Siamese network for one-shot recognition (Koch et al. 2015): a shared CNN on 105x105 pairs, the L1 distance of the 4096-d codes, one logit.</summary>
public sealed class SiameseNet : Module
{
    readonly Sequential _conv = new Sequential(
        new Conv2d(1, 64, 10), new ReLU(), new MaxPool2d(2),
        new Conv2d(64, 128, 7), new ReLU(), new MaxPool2d(2),
        new Conv2d(128, 128, 4), new ReLU(), new MaxPool2d(2),
        new Conv2d(128, 256, 4), new ReLU());
    readonly Linear _embed = new Linear(256 * 6 * 6, 4096);
    readonly Linear _out = new Linear(4096, 1);

    Tensor Embed([Shape("B, 1, 105, 105")] Tensor x)
    {
        var features = _conv.Forward(x);                                                 // [B, 256, 6, 6]
        return F.Sigmoid(_embed.Forward(features.View(features.Size(0), -1)));           // [B, 4096]
    }

    [return: Shape("B, 1")]
    public Tensor Forward([Shape("B, 1, 105, 105")] Tensor left, [Shape("B, 1, 105, 105")] Tensor right) =>
        _out.Forward((Embed(left) - Embed(right)).Abs());
}

/// <summary>CBAM (Woo et al. 2018) on 256 channels: channel attention from average- and max-pooled descriptors through a shared MLP, then 7x7 spatial attention.</summary>
public sealed class Cbam : Module
{
    readonly AdaptiveAvgPool2d _avgPool = new AdaptiveAvgPool2d(1);
    readonly AdaptiveMaxPool2d _maxPool = new AdaptiveMaxPool2d(1);
    readonly Sequential _mlp = new Sequential(new Conv2d(256, 256 / 16, 1, bias: false), new ReLU(), new Conv2d(256 / 16, 256, 1, bias: false));
    readonly Conv2d _spatial = new Conv2d(2, 1, 7, padding: 3, bias: false);

    [return: Shape("N, 256, H, W")]
    public Tensor Forward([Shape("N, 256, H, W")] Tensor x)
    {
        var channel = F.Sigmoid(_mlp.Forward(_avgPool.Forward(x)) + _mlp.Forward(_maxPool.Forward(x)));   // [N, 256, 1, 1]
        x = x * channel;
        var (maxMap, _) = x.Max(1, keepDim: true);
        var descriptor = Tensor.Cat(new[] { x.Mean(1, keepDim: true), maxMap }, 1);      // [N, 2, H, W]
        return x * F.Sigmoid(_spatial.Forward(descriptor));
    }
}

/// <summary>PyTorch's word_language_model (Zaremba et al. 2014 medium, tied weights after Press and Wolf 2017): 2-layer LSTM of 650, the decoder sharing the embedding matrix.</summary>
public sealed class TiedLstmLanguageModel : Module
{
    readonly Embedding _encoder = new Embedding(10000, 650);
    readonly LSTM _rnn = new LSTM(650, 650, numLayers: 2, dropout: 0.5);
    readonly Dropout _drop = new Dropout(0.5);
    readonly Tensor _decoderBias = Tensor.Zeros(10000);

    public Tensor Loss([Shape("T, B")] Tensor input, [Shape("T, B")] Tensor targets, [Shape("2, B, 650")] Tensor h0, [Shape("2, B, 650")] Tensor c0)
    {
        var emb = _drop.Forward(_encoder.Forward(input));                                // [T, B, 650]
        var (output, _) = _rnn.Forward(emb, (h0, c0));                                   // [T, B, 650]
        var decoded = F.Linear(_drop.Forward(output), _encoder.Weight, _decoderBias);    // [T, B, 10000], weights tied
        var logProbs = F.LogSoftmax(decoded.View(-1, 10000), 1);
        return F.NllLoss(logProbs, targets.View(-1));
    }
}

/// <summary>milesial's U-Net Up block (Ronneberger et al. 2015): a 2x2 transposed convolution, the skip concatenated, then DoubleConv.</summary>
public sealed class UNetUp : Module
{
    readonly ConvTranspose2d _up = new ConvTranspose2d(512, 512 / 2, 2, stride: 2);
    readonly Sequential _conv = new Sequential(
        new Conv2d(512, 256, 3, padding: 1, bias: false), new BatchNorm2d(256), new ReLU(),
        new Conv2d(256, 256, 3, padding: 1, bias: false), new BatchNorm2d(256), new ReLU());

    [return: Shape("N, 256, 64, 64")]
    public Tensor Forward([Shape("N, 512, 32, 32")] Tensor x1, [Shape("N, 256, 64, 64")] Tensor x2)
    {
        var up = _up.Forward(x1);                                                        // [N, 256, 64, 64]
        return _conv.Forward(Tensor.Cat(new[] { x2, up }, 1));
    }
}

/// <summary>MobileNetV1's depthwise-separable convolution (Howard et al. 2017): a stride-2 depthwise 3x3 then a pointwise 1x1, 64 to 128 channels.</summary>
public sealed class DepthwiseSeparable : Module
{
    readonly Conv2d _depthwise = new Conv2d(64, 64, 3, stride: 2, padding: 1, groups: 64, bias: false);
    readonly BatchNorm2d _bn1 = new BatchNorm2d(64);
    readonly Conv2d _pointwise = new Conv2d(64, 128, 1, bias: false);
    readonly BatchNorm2d _bn2 = new BatchNorm2d(128);

    [return: Shape("N, 128, 56, 56")]
    public Tensor Forward([Shape("N, 64, 112, 112")] Tensor x)
    {
        x = F.Relu(_bn1.Forward(_depthwise.Forward(x)));
        return F.Relu(_bn2.Forward(_pointwise.Forward(x)));
    }
}

/// <summary>Wide &amp; Deep (Cheng et al. 2016): a linear model on cross features beside an MLP on embedded categorical fields and dense features, one logit.</summary>
public sealed class WideAndDeep : Module
{
    readonly Linear _wide = new Linear(1000, 1);
    readonly Embedding _app = new Embedding(5000, 32);
    readonly Embedding _device = new Embedding(300, 32);
    readonly Embedding _country = new Embedding(200, 32);
    readonly Sequential _deep = new Sequential(new Linear(3 * 32 + 13, 256), new ReLU(), new Linear(256, 128), new ReLU(), new Linear(128, 1));

    public Tensor Loss([Shape("B, 1000")] Tensor crossFeatures, [Shape("B")] Tensor app, [Shape("B")] Tensor device, [Shape("B")] Tensor country,
        [Shape("B, 13")] Tensor dense, [Shape("B, 1")] Tensor labels)
    {
        var deepInput = Tensor.Cat(new[] { _app.Forward(app), _device.Forward(device), _country.Forward(country), dense }, 1);   // [B, 109]
        var logit = _wide.Forward(crossFeatures) + _deep.Forward(deepInput);             // [B, 1]
        return F.BinaryCrossEntropyWithLogits(logit, labels);
    }
}

/// <summary>A DenseNet-BC dense block of two layers and its transition (Huang et al. 2017): growth 32, bottleneck 4x, each layer's output concatenated.</summary>
public sealed class DenseBlock : Module
{
    readonly BatchNorm2d _norm1a = new BatchNorm2d(64);
    readonly Conv2d _conv1a = new Conv2d(64, 4 * 32, 1, bias: false);
    readonly BatchNorm2d _norm2a = new BatchNorm2d(128);
    readonly Conv2d _conv2a = new Conv2d(4 * 32, 32, 3, padding: 1, bias: false);
    readonly BatchNorm2d _norm1b = new BatchNorm2d(96);
    readonly Conv2d _conv1b = new Conv2d(96, 4 * 32, 1, bias: false);
    readonly BatchNorm2d _norm2b = new BatchNorm2d(128);
    readonly Conv2d _conv2b = new Conv2d(4 * 32, 32, 3, padding: 1, bias: false);
    readonly BatchNorm2d _transitionNorm = new BatchNorm2d(128);
    readonly Conv2d _transitionConv = new Conv2d(128, 64, 1, bias: false);
    readonly AvgPool2d _transitionPool = new AvgPool2d(2, stride: 2);

    [return: Shape("N, 64, 28, 28")]
    public Tensor Forward([Shape("N, 64, 56, 56")] Tensor x)
    {
        var newA = _conv2a.Forward(F.Relu(_norm2a.Forward(_conv1a.Forward(F.Relu(_norm1a.Forward(x))))));   // [N, 32, 56, 56]
        x = Tensor.Cat(new[] { x, newA }, 1);                                                              // [N, 96, 56, 56]
        var newB = _conv2b.Forward(F.Relu(_norm2b.Forward(_conv1b.Forward(F.Relu(_norm1b.Forward(x))))));
        x = Tensor.Cat(new[] { x, newB }, 1);                                                              // [N, 128, 56, 56]
        return _transitionPool.Forward(_transitionConv.Forward(F.Relu(_transitionNorm.Forward(x))));
    }
}
