// Clean ports of well-known model blocks: nothing here may be reported.
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus.Models;

/// <summary>A GPT-2 block (nanoGPT's CausalSelfAttention + MLP), heads merged with Contiguous().View as in the original.</summary>
public sealed class GptBlock : Module
{
    readonly LayerNorm _ln1;
    readonly LayerNorm _ln2;
    readonly Linear _qkv;
    readonly Linear _proj;
    readonly Linear _fc;
    readonly Linear _out;

    public GptBlock([Dim("C")] int embed)
    {
        _ln1 = new LayerNorm(embed);
        _ln2 = new LayerNorm(embed);
        _qkv = new Linear(embed, 3 * embed);
        _proj = new Linear(embed, embed);
        _fc = new Linear(embed, 4 * embed);
        _out = new Linear(4 * embed, embed);
    }

    [return: Shape("B, T, C")]
    public Tensor Forward([Shape("B, T, C")] Tensor x)
    {
        int b = x.Size(0), t = x.Size(1), c = x.Size(2);
        var qkv = _qkv.Forward(_ln1.Forward(x));                     // [B, T, 3*C]
        var parts = qkv.Split(c, 2);
        var q = parts[0].View(b, t, 8, c / 8).Transpose(1, 2);       // [B, 8, T, C/8]
        var k = parts[1].View(b, t, 8, c / 8).Transpose(1, 2);
        var v = parts[2].View(b, t, 8, c / 8).Transpose(1, 2);
        var att = F.Softmax(q.Matmul(k.Transpose(-2, -1)) * 0.125f, -1);
        var y = att.Matmul(v).Transpose(1, 2).Contiguous().View(b, t, c);
        x = x + _proj.Forward(y);
        return x + _out.Forward(F.Gelu(_fc.Forward(_ln2.Forward(x))));
    }
}

/// <summary>A ResNet basic block with a projection shortcut (torchvision's BasicBlock, stride 2).</summary>
public sealed class BasicBlock : Module
{
    readonly Conv2d _conv1 = new Conv2d(64, 128, 3, stride: 2, padding: 1);
    readonly BatchNorm2d _bn1 = new BatchNorm2d(128);
    readonly Conv2d _conv2 = new Conv2d(128, 128, 3, padding: 1);
    readonly BatchNorm2d _bn2 = new BatchNorm2d(128);
    readonly Conv2d _down = new Conv2d(64, 128, 1, stride: 2);

    [return: Shape("N, 128, 16, 16")]
    public Tensor Forward([Shape("N, 64, 32, 32")] Tensor x)
    {
        var h = F.Relu(_bn1.Forward(_conv1.Forward(x)));
        h = _bn2.Forward(_conv2.Forward(h));
        return F.Relu(h + _down.Forward(x));
    }
}

/// <summary>A UNet level: two convolutions, a pooled path and the skip concatenated back (the decoder side upsampled by Repeat).</summary>
public sealed class UNetLevel : Module
{
    readonly Conv2d _enc1 = new Conv2d(3, 32, 3, padding: 1);
    readonly Conv2d _enc2 = new Conv2d(32, 32, 3, padding: 1);
    readonly MaxPool2d _pool = new MaxPool2d(2);
    readonly Conv2d _mid = new Conv2d(32, 32, 3, padding: 1);
    readonly Conv2d _dec = new Conv2d(64, 32, 3, padding: 1);

    [return: Shape("N, 32, 64, 64")]
    public Tensor Forward([Shape("N, 3, 64, 64")] Tensor x)
    {
        var skip = F.Relu(_enc2.Forward(F.Relu(_enc1.Forward(x))));       // [N, 32, 64, 64]
        var low = F.Relu(_mid.Forward(_pool.Forward(skip)));              // [N, 32, 32, 32]
        var up = low.Unsqueeze(3).Unsqueeze(5).Expand(-1, -1, -1, 2, -1, 2).Reshape(low.Size(0), 32, 64, 64);
        return F.Relu(_dec.Forward(Tensor.Cat(new[] { up, skip }, 1)));
    }
}

/// <summary>A ViT patch embedding: 16×16 patches by a strided convolution, flattened to tokens, a class token prepended.</summary>
public sealed class PatchEmbedding : Module
{
    readonly Conv2d _proj = new Conv2d(3, 768, 16, stride: 16);

    [return: Shape("B, 197, 768")]
    public Tensor Forward([Shape("B, 3, 224, 224")] Tensor images, [Shape("1, 1, 768")] Tensor classToken, [Shape("1, 197, 768")] Tensor positions)
    {
        var patches = _proj.Forward(images).Flatten(2).Transpose(1, 2);   // [B, 196, 768]
        var cls = classToken.Expand(images.Size(0), -1, -1);
        return Tensor.Cat(new[] { cls, patches }, 1) + positions;
    }
}

/// <summary>A VAE on MNIST (the PyTorch examples' VAE): encoder to mean and log-variance, reparameterize, decode, BCE + KL.</summary>
public sealed class Vae : Module
{
    readonly Linear _fc1 = new Linear(784, 400);
    readonly Linear _mu = new Linear(400, 20);
    readonly Linear _logVar = new Linear(400, 20);
    readonly Linear _fc3 = new Linear(20, 400);
    readonly Linear _fc4 = new Linear(400, 784);

    public Tensor Loss([Shape("B, 1, 28, 28")] Tensor images)
    {
        var x = images.View(-1, 784);
        var h = F.Relu(_fc1.Forward(x));
        var mu = _mu.Forward(h);
        var logVar = _logVar.Forward(h);
        var z = mu + Tensor.Randn(mu.Size(0), 20) * (logVar * 0.5f).Exp();
        var recon = F.Sigmoid(_fc4.Forward(F.Relu(_fc3.Forward(z))));
        var bce = F.BinaryCrossEntropy(recon, x, reduction: Reduction.Sum);
        var kl = (1f + logVar - mu * mu - logVar.Exp()).Sum() * -0.5f;
        return bce + kl;
    }
}

/// <summary>The PyTorch tutorial's LSTM tagger, with the recurrent step written out: embeddings, a hidden state, tag scores.</summary>
public sealed class Tagger : Module
{
    readonly Embedding _embed = new Embedding(5000, 64);
    readonly Linear _input = new Linear(64, 4 * 128);
    readonly Linear _hidden = new Linear(128, 4 * 128);
    readonly Linear _tags = new Linear(128, 17);

    public Tensor Loss([Shape("T")] Tensor sentence, [Shape("T")] Tensor tags)
    {
        var words = _embed.Forward(sentence);                 // [T, 64]
        var gates = _input.Forward(words);                    // [T, 512]
        var h = Tensor.Zeros(1, 128);
        var chunks = (gates.Narrow(0, 0, 1) + _hidden.Forward(h)).Chunk(4, 1);
        var c = F.Sigmoid(chunks[0]) * F.Tanh(chunks[2]);
        h = F.Sigmoid(chunks[3]) * F.Tanh(c);
        var scores = F.LogSoftmax(_tags.Forward(h.Expand(sentence.Size(0), -1)), 1);
        return F.NllLoss(scores, tags);
    }
}
