// Recurrent-layer shape bugs from public reports, ported to ShapeSafe's API; the source and PyTorch's error beside each.
using ShapeSafe;
using ShapeSafe.NN;

namespace Corpus.Reported;

// https://github.com/ngarneau/understanding-pytorch-batching-lstm/issues/1
// The hidden state is built for two layers while the LSTM has one.
// RuntimeError: Expected hidden[0] size (1, 32, 32), got (2, 32, 32)
public sealed class BatchingLstm : Module
{
    readonly LSTM _lstm = new LSTM(16, 32);

    public Tensor Forward([Shape("T, 32, 16")] Tensor packed, [Shape("2, 32, 32")] Tensor h0, [Shape("2, 32, 32")] Tensor c0)
    {
        var (output, (ht, ct)) = _lstm.Forward(packed, (h0, c0)); // BUG: SS0008
        return output;
    }
}

// https://github.com/GBLin5566/toward-controlled-generation-of-text-pytorch/issues/10
// The initial state keeps the batch size it was made for (40) while a batch of 128 arrives.
// RuntimeError: Expected hidden[0] size (1, 128, 302), got (1, 40, 302)
public sealed class TextGenerator : Module
{
    readonly GRU _encoder = new GRU(300, 302);

    public Tensor Encode([Shape("T, 128, 300")] Tensor embedded, [Shape("1, 40, 302")] Tensor hidden)
    {
        var (output, last) = _encoder.Forward(embedded, hidden); // BUG: SS0008
        return last;
    }
}

// https://github.com/pytorch/pytorch/issues/3851 (fixed by the check of https://github.com/pytorch/pytorch/pull/3925)
// batch_first = True makes the batch dim 0 of the input, so h0 [2, 3, 20] no longer fits an input [5, 3, 10].
// RuntimeError: inconsistent tensor size, expected r_ [5 x 25], t [5 x 25] and src [2 x 25] ... (now: Expected hidden size (2, 5, 20), got (2, 3, 20))
public static class BatchFirstRnn
{
    public static Tensor Run([Shape("5, 3, 10")] Tensor input, [Shape("2, 3, 20")] Tensor h0)
    {
        var rnn = new GRU(10, 20, numLayers: 2, batchFirst: true);
        var (output, hn) = rnn.Forward(input, h0); // BUG: SS0008
        return output;
    }
}

// https://github.com/pytorch/pytorch/issues/19675: with batch_first = True the final hidden state is still
// [layers, batch, hidden], not [batch, layers, hidden]; code that takes h_n[:, -1] as one row per sample gets
// one row in all, and the loss against a batch of labels fails.
// ValueError: Expected input batch_size (1) to match target batch_size (60).
public sealed class SentimentHead : Module
{
    readonly LSTM _lstm = new LSTM(256, 512, batchFirst: true);
    readonly Linear _fc = new Linear(512, 2);
    readonly CrossEntropyLoss _loss = new CrossEntropyLoss();

    public Tensor Loss([Shape("B, 8, 256")] Tensor input, [Shape("B")] Tensor labels)
    {
        var (_, (finalHidden, _)) = _lstm.Forward(input);     // [1, B, 512]
        var perSample = finalHidden.Select(1, -1);             // meant [B, 512]; is [1, 512]
        return _loss.Forward(_fc.Forward(perSample), labels); // BUG: SS0005
    }
}
