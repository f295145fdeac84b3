using ShapeSafe.NN;

namespace ShapeSafe.Tests.CompiledGraphs;

public static partial class CompiledModels
{
    /// <summary>Issue 10's LSTM classifier: token embeddings, a two-layer batch-first LSTM, its last step, a linear head.</summary>
    [Module]
    public sealed partial class LstmClassifier : Module
    {
        readonly Embedding _tokens;
        readonly LSTM _lstm;
        readonly Linear _head;

        public LstmClassifier(Generator generator)
        {
            _tokens = new Embedding(20, 8, generator: generator);
            _lstm = new LSTM(8, 16, numLayers: 2, batchFirst: true, dropout: 0.3, generator: generator);
            _head = new Linear(16, 5, generator: generator);
        }

        public Tensor Forward(Tensor tokens)
        {
            var (output, (h, c)) = _lstm.Forward(_tokens.Forward(tokens));
            return _head.Forward(output.Select(1, -1));
        }
    }

    /// <summary>A GRU tagger: a tag for every step of a sequence-first input.</summary>
    [Module]
    public sealed partial class GruTagger : Module
    {
        readonly GRU _gru;
        readonly Linear _tags;

        public GruTagger(Generator generator)
        {
            _gru = new GRU(6, 12, numLayers: 2, dropout: 0.4, generator: generator);
            _tags = new Linear(12, 7, generator: generator);
        }

        public Tensor Forward(Tensor x)
        {
            var (output, _) = _gru.Forward(x);
            return _tags.Forward(output);
        }
    }

    /// <summary>A bidirectional LSTM from initial states passed in: its last step's output, and its last layer's final h and c.</summary>
    [Module]
    public sealed partial class BiLstmWithState : Module
    {
        readonly LSTM _lstm;
        readonly Linear _head;
        readonly Linear _stateHead;

        public BiLstmWithState(Generator generator)
        {
            _lstm = new LSTM(5, 9, numLayers: 2, dropout: 0.25, bidirectional: true, generator: generator);
            _head = new Linear(18, 4, generator: generator);
            _stateHead = new Linear(9, 4, generator: generator);
        }

        public Tensor Forward(Tensor x, Tensor h0, Tensor c0)
        {
            var (output, (h, c)) = _lstm.Forward(x, (h0, c0));
            return _head.Forward(output.Select(0, -1)) + _stateHead.Forward(h[-1] + c[-1]);
        }
    }

    /// <summary>A batch-first ReLU RNN without biases from an initial state; only its final hidden state is read.</summary>
    [Module]
    public sealed partial class ReluRnn : Module
    {
        readonly RNN _rnn;
        readonly Linear _head;

        public ReluRnn(Generator generator)
        {
            _rnn = new RNN(6, 10, numLayers: 2, nonlinearity: "relu", bias: false, batchFirst: true, dropout: 0.2, generator: generator);
            _head = new Linear(10, 3, generator: generator);
        }

        public Tensor Forward(Tensor x, Tensor h0) => _head.Forward(_rnn.Forward(x, h0).Hidden[-1]);
    }

    /// <summary>An LSTM with a projection: three steps of its output narrowed out, and its last layer's final h.</summary>
    [Module]
    public sealed partial class ProjectedLstm : Module
    {
        readonly LSTM _lstm;
        readonly Linear _head;

        public ProjectedLstm(Generator generator)
        {
            _lstm = new LSTM(8, 16, numLayers: 2, dropout: 0.2, projSize: 6, generator: generator);
            _head = new Linear(6, 4, generator: generator);
        }

        public Tensor Forward(Tensor x)
        {
            var (output, (h, _)) = _lstm.Forward(x);
            return _head.Forward(output.Narrow(0, 1, 3)) + _head.Forward(h[-1]);
        }
    }

    /// <summary>One LSTM called twice, read through .State.H and .Output: in training, each call draws masks of its own.</summary>
    [Module]
    public sealed partial class LstmCalledTwice : Module
    {
        readonly LSTM _lstm;
        readonly Linear _head;

        public LstmCalledTwice(Generator generator)
        {
            _lstm = new LSTM(8, 16, numLayers: 2, dropout: 0.2, projSize: 6, generator: generator);
            _head = new Linear(6, 4, generator: generator);
        }

        public Tensor Forward(Tensor x) => _head.Forward(_lstm.Forward(x).State.H.Select(0, -1) + _lstm.Forward(x).Output.Select(0, -1));
    }
}
