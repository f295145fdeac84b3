// A dense autoencoder for 28x28 images, and a convolutional decoder head.
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus;

public sealed class Autoencoder : Module
{
    readonly Sequential _encoder;
    readonly Sequential _decoder;

    public Autoencoder([Dim("Z")] int latent)
    {
        _encoder = new Sequential(new Linear(784, 256), new ReLU(), new Linear(256, latent));
        _decoder = new Sequential(new Linear(latent, 256), new ReLU(), new Linear(256, 784), new Sigmoid());
    }

    [return: Shape("B, Z")]
    public Tensor Encode([Shape("B, 1, 28, 28")] Tensor images) => _encoder.Forward(images.View(images.Size(0), -1));

    [return: Shape("B, 1, 28, 28")]
    public Tensor Reconstruct([Shape("B, 1, 28, 28")] Tensor images)
    {
        var z = Encode(images);
        return _decoder.Forward(z).View(images.Size(0), 1, 28, 28);
    }

    [return: Shape("B, 1, 28, 28")]
    public Tensor Broken([Shape("B, 1, 28, 28")] Tensor images)
    {
        var z = Encode(images);
        var pixels = _decoder.Forward(z);
        var bad = pixels.Reshape(images.Size(0), 1, 28, 29); // BUG: SS0004
        return pixels; // BUG: SS0007
    }

    public Tensor Interpolate([Shape("B, 1, 28, 28")] Tensor a, [Shape("B, 1, 28, 28")] Tensor b, [Shape("B, 784")] Tensor flat)
    {
        var pair = Tensor.Stack(new[] { Encode(a), Encode(b) }, 0);
        var mixed = Tensor.Stack(new[] { a, flat }, 0); // BUG: SS0003
        return pair.Mean(0);
    }

    public Tensor Unflattened([Shape("B, 1, 28, 28")] Tensor images) => _encoder.Forward(images); // BUG: SS0008

    public Tensor Latent([Shape("B, 1, 28, 28")] Tensor images) => _decoder.Forward(images); // BUG: SS0008 (only when Z is 28)
}
