using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchSharp;
using ShapeSafe.NN;
using S = ShapeSafe;
using T = TorchSharp.torch;
using Rnn = ShapeSafe.NN.Utils.Rnn;
using TRnn = TorchSharp.torch.nn.utils.rnn;

namespace ShapeSafe.Conformance;

/// <summary>
/// The part-of-speech tagger of PyTorch's "Sequence models and LSTM networks" tutorial, batched: word embeddings, a
/// bidirectional LSTM over the packed batch of sentences, a linear layer to the tag space and a log-softmax over the
/// tags. PyTorch's state-dict names: <c>word_embeddings.weight</c>, <c>lstm.weight_ih_l0</c>, ..., <c>hidden2tag.weight</c>.
/// </summary>
[Module]
public sealed partial class LstmTagger : Module
{
    [StateName("word_embeddings")]
    readonly Embedding _wordEmbeddings;

    [StateName("lstm")]
    readonly LSTM _lstm;

    [StateName("hidden2tag")]
    readonly Linear _hidden2tag;

    /// <summary>Creates the tagger with PyTorch's default initialization of each layer.</summary>
    public LstmTagger(int embeddingDim, int hiddenDim, int vocabSize, int tagsetSize, S.Generator? generator = null)
    {
        _wordEmbeddings = new Embedding(vocabSize, embeddingDim, generator: generator);
        _lstm = new LSTM(embeddingDim, hiddenDim, bidirectional: true, generator: generator);
        _hidden2tag = new Linear(2 * hiddenDim, tagsetSize, generator: generator);
    }

    /// <summary>
    /// The tag log-probabilities of a padded batch of sentences: <paramref name="sentences"/> [T, N] word indices
    /// (Int64) with each sentence's <paramref name="lengths"/> (in any order), giving [T, N, tags]; the steps past
    /// a sentence's end hold the scores of a zero LSTM output.
    /// </summary>
    public S.Tensor Forward(S.Tensor sentences, S.Tensor lengths)
    {
        var embeds = _wordEmbeddings.Forward(sentences);
        var (output, _) = _lstm.Forward(Rnn.PackPaddedSequence(embeds, lengths, enforceSorted: false));
        var (padded, _) = Rnn.PadPackedSequence(output);
        return F.LogSoftmax(_hidden2tag.Forward(padded), -1);
    }
}

/// <summary>The same tagger in TorchSharp; its fields' names give the same state-dict names.</summary>
sealed class TorchTagger : T.nn.Module
{
#pragma warning disable IDE1006, SA1300 // PyTorch's attribute names, which TorchSharp registers as they are spelled.
    readonly TorchSharp.Modules.Embedding word_embeddings;
    readonly TorchSharp.Modules.LSTM lstm;
    readonly TorchSharp.Modules.Linear hidden2tag;
#pragma warning restore IDE1006, SA1300

    public TorchTagger(int embeddingDim, int hiddenDim, int vocabSize, int tagsetSize) : base("LSTMTagger")
    {
        word_embeddings = T.nn.Embedding(vocabSize, embeddingDim);
        lstm = T.nn.LSTM(embeddingDim, hiddenDim, bidirectional: true);
        hidden2tag = T.nn.Linear(2 * hiddenDim, tagsetSize);
        RegisterComponents();
    }

    public T.Tensor Forward(T.Tensor sentences, T.Tensor lengths)
    {
        var embeds = word_embeddings.forward(sentences);
        var (output, _, _) = lstm.call(TRnn.pack_padded_sequence(embeds, lengths, false, false), null);
        var (padded, _) = TRnn.pad_packed_sequence(output, false, 0.0, null);
        return T.nn.functional.log_softmax(hidden2tag.forward(padded), -1);
    }
}

/// <summary>The tagger beside TorchSharp's, and a checkpoint written from TorchSharp's state dict loaded into ours.</summary>
static class TaggerCases
{
    const int Embedding = 6, Hidden = 5, Vocab = 11, Tags = 4;

    // Four sentences of lengths 5, 2, 4, 3 (unsorted), padded with word 0 to [T=5, N=4].
    static readonly long[] s_lengths = { 5, 2, 4, 3 };

    static readonly long[] s_words =
    {
        3, 7, 1, 2,
        9, 4, 5, 8,
        1, 0, 6, 10,
        2, 0, 3, 0,
        4, 0, 0, 0,
    };

    static S.Tensor OurWords() => S.Tensor.FromArray(s_words, 5, 4);

    static T.Tensor TheirWords() => T.tensor(s_words, new long[] { 5, 4 });

    static S.Tensor OurLengths() => S.Tensor.FromArray(s_lengths, 4);

    static T.Tensor TheirLengths() => T.tensor(s_lengths, new long[] { 4 });

    public static IEnumerable<Case> All()
    {
        var ours = new LstmTagger(Embedding, Hidden, Vocab, Tags, new S.Generator(31));
        var theirs = new TorchTagger(Embedding, Hidden, Vocab, Tags);
        yield return new Case
        {
            Name = "LSTM tagger packed forward and gradients",
            Shapes = [],
            Tolerance = 1e-4,
            Parameters = () =>
            {
                var named = theirs.named_parameters().ToDictionary(p => p.name, p => (T.Tensor)p.parameter);
                var mine = ours.NamedParameters().ToArray();
                if (!mine.Select(p => p.Name).SequenceEqual(named.Keys))
                    throw new InvalidOperationException($"state-dict names differ: [{string.Join(", ", mine.Select(p => p.Name))}] vs [{string.Join(", ", named.Keys)}]");
                return (mine.Select(p => (S.Tensor)p.Parameter).ToArray(), mine.Select(p => named[p.Name]).ToArray());
            },
            Ours = _ => ours.Forward(OurWords(), OurLengths()),
            Theirs = _ => theirs.Forward(TheirWords(), TheirLengths()),
        };

        // A checkpoint of TorchSharp's freshly initialized tagger, written as safetensors from its state dict, then
        // loaded by name into a ShapeSafe tagger of other weights: the loaded state is bit for bit TorchSharp's
        // (tolerance 0), and the forwards agree.
        var source = new TorchTagger(Embedding, Hidden, Vocab, Tags);
        var loaded = new LstmTagger(Embedding, Hidden, Vocab, Tags, new S.Generator(99));
        string path = Path.Combine(Path.GetTempPath(), $"shapesafe-tagger-{Environment.ProcessId}.safetensors");
        bool written = false;
        void Load()
        {
            if (written) return;
            WriteSafetensors(path, source.state_dict());
            var (missing, unexpected) = loaded.Load(path);
            if (missing.Count + unexpected.Count > 0)
                throw new InvalidOperationException($"missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", unexpected)}]");
            File.Delete(path);
            written = true;
        }
        yield return new Case
        {
            Name = "LSTM tagger safetensors state from TorchSharp",
            Shapes = [],
            NoGrad = true,
            Tolerance = 0,
            Ours = _ =>
            {
                Load();
                return S.Tensor.Cat(loaded.StateDict().Values.Select(t => t.Reshape(-1)));
            },
            Theirs = _ => T.cat(loaded.StateDict().Keys.Select(k => source.state_dict()[k].reshape(-1)).ToList(), 0),
        };
        yield return new Case
        {
            Name = "LSTM tagger loaded from safetensors forward",
            Shapes = [],
            NoGrad = true,
            Tolerance = 1e-4,
            Ours = _ =>
            {
                Load();
                return loaded.Forward(OurWords(), OurLengths());
            },
            Theirs = _ => source.Forward(TheirWords(), TheirLengths()),
        };
    }

    /// <summary>
    /// A safetensors file of float32 tensors: the header's length as 8 little-endian bytes, the JSON header (each
    /// name's dtype, shape and data offsets, padded with spaces to a multiple of 8 bytes), then the raw data in order.
    /// </summary>
    static void WriteSafetensors(string path, Dictionary<string, T.Tensor> state)
    {
        var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, tensor) in state)
        {
            var values = tensor.detach().contiguous().to_type(T.ScalarType.Float32).data<float>().ToArray();
            var bytes = new byte[values.Length * 4];
            for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
            header[name] = new Dictionary<string, object> { ["dtype"] = "F32", ["shape"] = tensor.shape, ["data_offsets"] = new[] { offset, offset + bytes.Length } };
            offset += bytes.Length;
            blobs.Add(bytes);
        }
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int padded = (json.Length + 7) / 8 * 8;
        using var file = File.Create(path);
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        file.Write(length);
        file.Write(json);
        for (int i = json.Length; i < padded; i++) file.WriteByte((byte)' ');
        foreach (var b in blobs) file.Write(b);
    }
}
