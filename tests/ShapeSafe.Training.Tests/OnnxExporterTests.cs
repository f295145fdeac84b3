using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ShapeSafe;
using ShapeSafe.NN;
using ShapeSafe.Onnx;
using Xunit.Abstractions;

namespace ShapeSafe.Training.Tests;

/// <summary>Exported models run in ONNX Runtime and agree with ShapeSafe's forward to 1e-5 (relative).</summary>
public sealed class OnnxExporterTests(ITestOutputHelper output) : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("onnx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// A model to export: how to build it, its inputs for a batch size, its forward (null: <c>Forward(Tensor)</c>),
    /// and which dim of the inputs and outputs is the batch (0, or 1 for sequence-first layers).
    /// </summary>
    sealed record Case(Func<Module> Model, Func<int, Generator, Tensor[]> Inputs, Func<Module, Tensor[], Tensor[]>? Forward = null, int BatchDim = 0);

    static Case One(Func<Module> model, params int[] shape) => new(model, (n, g) => [Tensor.Randn(WithBatch(shape, n, 0), g)]);

    // batchDim -1: the first input and output are batch-first, the others (recurrent states) [layers, N, hidden].
    static Case Seq(Func<Module> model, Func<Module, Tensor[], Tensor[]> forward, int batchDim, params int[][] shapes) =>
        new(model, (n, g) => shapes.Select((s, i) => Tensor.Randn(WithBatch(s, n, BatchDimOf(batchDim, i)), g)).ToArray(), forward, batchDim);

    static int BatchDimOf(int batchDim, int index) => batchDim == -1 ? (index == 0 ? 0 : 1) : batchDim;

    static int[] WithBatch(int[] shape, int batch, int dim)
    {
        var s = (int[])shape.Clone();
        if (s.Length > dim) s[dim] = batch;
        return s;
    }

    static readonly Dictionary<string, Case> Cases = new()
    {
        ["linear"] = One(() => new Linear(6, 4), 3, 6),
        ["linear-no-bias-3d"] = One(() => new Linear(6, 4, bias: false), 3, 2, 6),
        ["linear-relu-fused"] = One(() => new Sequential(new Linear(6, 5), new ReLU()), 3, 6),
        ["linear-gelu-fused"] = One(() => new Sequential(new Linear(6, 5), new GELU()), 3, 6),
        ["activations"] = One(() => new Sequential(new Sigmoid(), new Linear(6, 6), new Tanh(), new Linear(6, 6), new LeakyReLU(0.2)), 4, 6),
        ["newer-activations"] = One(() => new Sequential(new Linear(6, 6), new SiLU(), new Linear(6, 6), new Mish(), new Linear(6, 6), new Hardswish(),
            new Linear(6, 6), new GELU("tanh"), new Linear(6, 6), new GELU()), 4, 6),
        ["softplus"] = One(() => new Softplus(), 4, 6),
        ["softplus-beta-threshold"] = One(() => new Softplus(beta: 2, threshold: 1), 4, 6),
        ["softmax-logsoftmax"] = One(() => new Sequential(new Linear(6, 5), new Softmax(1), new Linear(5, 4), new LogSoftmax(-1)), 3, 6),
        ["conv"] = One(() => new Conv2d(3, 4, 3, stride: 2, padding: 1), 2, 3, 9, 9),
        ["conv-relu-fused"] = One(() => new Sequential(new Conv2d(2, 4, 3), new ReLU()), 2, 2, 8, 8),
        ["conv1d"] = One(() => new Conv1d(3, 4, 3, stride: 2, padding: 1), 2, 3, 10),
        ["conv-transpose2d"] = One(() => new ConvTranspose2d(3, 2, 3, stride: 2, padding: 1, outputPadding: 1), 2, 3, 5, 5),
        ["maxpool"] = One(() => new MaxPool2d(2), 2, 3, 8, 8),
        ["avgpool"] = One(() => new AvgPool2d(3, stride: 2, padding: 1), 2, 3, 9, 9),
        ["adaptive-avgpool"] = One(() => new AdaptiveAvgPool2d((2, 3)), 2, 3, 4, 6),
        ["adaptive-avgpool-global"] = One(() => new AdaptiveAvgPool2d(1), 2, 3, 5, 7),
        ["batchnorm1d"] = One(() => Warmed(new Sequential(new Linear(6, 5), new BatchNorm1d(5)), [8, 6]), 3, 6),
        ["batchnorm1d-3d"] = One(() => Warmed(new BatchNorm1d(4), [8, 4, 7]), 3, 4, 7),
        ["batchnorm2d"] = One(() => Warmed(new Sequential(new Conv2d(2, 3, 3), new BatchNorm2d(3)), [4, 2, 6, 6]), 2, 2, 6, 6),
        ["batchnorm2d-no-affine"] = One(() => Warmed(new BatchNorm2d(3, affine: false), [4, 3, 5, 5]), 2, 3, 5, 5),
        ["layernorm"] = One(() => Randomized(new LayerNorm(6)), 3, 4, 6),
        ["layernorm-2d-no-affine"] = One(() => new LayerNorm([4, 6], elementwiseAffine: false), 3, 4, 6),
        ["groupnorm"] = One(() => Randomized(new GroupNorm(2, 6)), 2, 6, 4, 4),
        ["embedding"] = new(() => new Embedding(10, 4), (n, g) => [Tensor.Randint(0, 10, [n, 5], g)]),
        ["upsample-nearest-scale"] = One(() => new Upsample(2.0), 2, 2, 4, 3),
        ["upsample-nearest-size"] = One(() => new Upsample(size: (7, 5)), 2, 2, 4, 3),
        ["upsample-bilinear-scale"] = One(() => new Upsample(2.0, "bilinear"), 2, 2, 4, 3),
        ["upsample-bilinear-align-corners"] = One(() => new Upsample(size: (7, 5), mode: "bilinear", alignCorners: true), 2, 2, 4, 3),
        ["pad-constant"] = Seq(() => new Identity(), (m, xs) => [F.Pad(xs[0], [1, 2, 0, 3], value: 0.5)], 0, [2, 3, 4, 5]),
        ["pad-reflect"] = Seq(() => new Identity(), (m, xs) => [F.Pad(xs[0], [2, 1, 1, 2], "reflect")], 0, [2, 3, 4, 5]),
        ["pad-replicate"] = Seq(() => new Identity(), (m, xs) => [F.Pad(xs[0], [2, 1], "replicate")], 0, [2, 3, 5]),
        ["pad-circular"] = Seq(() => new Identity(), (m, xs) => [F.Pad(xs[0], [1, 2, 2, 1], "circular")], 0, [2, 3, 4, 5]),
        ["pixel-shuffle"] = One(() => new PixelShuffle(2), 2, 8, 3, 3),
        ["flatten-dropout"] = One(() => new Sequential(new Dropout(0.5), new Flatten(), new Linear(48, 3)), 2, 3, 4, 4),
        ["tensor-arithmetic"] = Seq(() => new Arithmetic(), (m, xs) => [((Arithmetic)m).Forward(xs[0], xs[1])], 0, [3, 4, 6], [3, 6]),
        ["rnn-tanh"] = Seq(() => new RNN(5, 7), (m, xs) => Outputs(((RNN)m).Forward(xs[0])), 1, [4, 3, 5]),
        ["rnn-relu-2-layers-h0"] = Seq(() => new RNN(5, 7, numLayers: 2, nonlinearity: "relu"), (m, xs) => Outputs(((RNN)m).Forward(xs[0], xs[1])), 1,
            [4, 3, 5], [2, 3, 7]),
        ["lstm"] = Seq(() => new LSTM(5, 7), (m, xs) => Outputs(((LSTM)m).Forward(xs[0])), 1, [4, 3, 5]),
        ["lstm-batch-first-bidirectional-2-layers-h0-c0"] = Seq(() => new LSTM(5, 6, numLayers: 2, batchFirst: true, bidirectional: true),
            (m, xs) => Outputs(((LSTM)m).Forward(xs[0], (xs[1], xs[2]))), -1, [3, 4, 5], [4, 3, 6], [4, 3, 6]),
        ["lstm-no-bias"] = Seq(() => new LSTM(5, 7, bias: false), (m, xs) => Outputs(((LSTM)m).Forward(xs[0])), 1, [4, 3, 5]),
        ["gru"] = Seq(() => new GRU(5, 7), (m, xs) => Outputs(((GRU)m).Forward(xs[0])), 1, [4, 3, 5]),
        ["gru-batch-first-bidirectional-h0"] = Seq(() => new GRU(5, 6, numLayers: 2, batchFirst: true, bidirectional: true),
            (m, xs) => Outputs(((GRU)m).Forward(xs[0], xs[1])), -1, [3, 4, 5], [4, 3, 6]),
        ["multihead-attention-weights"] = Seq(() => new MultiheadAttention(8, 2, batchFirst: true),
            (m, xs) => AttentionOutputs(((MultiheadAttention)m).Forward(xs[0], xs[0], xs[0])), 0, [3, 5, 8]),
        ["multihead-attention-cross-per-head"] = Seq(() => Randomized(new MultiheadAttention(8, 4)),
            (m, xs) => AttentionOutputs(((MultiheadAttention)m).Forward(xs[0], xs[1], xs[1], averageAttnWeights: false)), 1, [5, 3, 8], [6, 3, 8]),
        ["multihead-attention-causal-mask"] = Seq(() => Randomized(new MultiheadAttention(8, 2, batchFirst: true)),
            (m, xs) => [((MultiheadAttention)m).Forward(xs[0], xs[0], xs[0], needWeights: false, attnMask: Transformer.GenerateSquareSubsequentMask(5)).Output],
            0, [3, 5, 8]),
        ["multihead-attention-key-padding"] = new(() => Randomized(new MultiheadAttention(8, 2, batchFirst: true)), (n, g) =>
            [Tensor.Randn([n, 5, 8], g), PaddingMask(n, 5)],
            (m, xs) => AttentionOutputs(((MultiheadAttention)m).Forward(xs[0], xs[0], xs[0], keyPaddingMask: xs[1]))),
        ["transformer-encoder-layer"] = One(() => Randomized(new TransformerEncoderLayer(8, 2, dimFeedforward: 16, batchFirst: true)), 3, 5, 8),
        ["transformer-encoder-layer-norm-first-gelu"] = One(() => Randomized(new TransformerEncoderLayer(8, 2, dimFeedforward: 16, activation: "gelu",
            batchFirst: true, normFirst: true)), 3, 5, 8),
        ["transformer-encoder-seq-first-mask"] = Seq(() => Randomized(new TransformerEncoder(new TransformerEncoderLayer(8, 2, dimFeedforward: 16), 2, new LayerNorm(8))),
            (m, xs) => [((TransformerEncoder)m).Forward(xs[0], Transformer.GenerateSquareSubsequentMask(5))], 1, [5, 3, 8]),
        ["transformer-decoder-layer"] = Seq(() => Randomized(new TransformerDecoderLayer(8, 2, dimFeedforward: 16, batchFirst: true)),
            (m, xs) => [((TransformerDecoderLayer)m).Forward(xs[0], xs[1], tgtMask: Transformer.GenerateSquareSubsequentMask(4))], 0, [3, 4, 8], [3, 6, 8]),
        ["transformer"] = Seq(() => Randomized(new Transformer(8, 2, numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 16)),
            (m, xs) => [((Transformer)m).Forward(xs[0], xs[1], tgtMask: Transformer.GenerateSquareSubsequentMask(4))], 1, [6, 3, 8], [4, 3, 8]),
        ["dropout2d"] = One(() => new Sequential(new Dropout2d(0.5), new Conv2d(3, 2, 1)), 2, 3, 4, 4),
        ["mlp"] = One(() => new Sequential(new Flatten(), new Linear(28 * 28, 256), new ReLU(), new Linear(256, 10)), 5, 1, 28, 28),
        ["cnn"] = One(() => new Sequential(
            new Conv2d(1, 16, 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Conv2d(16, 32, 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(32 * 7 * 7, 10)), 4, 1, 28, 28),
        ["lstm-classifier"] = new(() => new LstmClassifier(), (n, g) => [Tensor.Randint(0, 20, [n, 6], g)]),
        ["transformer-classifier"] = One(() => Randomized(new TransformerClassifier()), 3, 7, 6),
    };

    public static TheoryData<string> Models() => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(Models))]
    public void Exported_model_matches_the_eager_forward_in_onnx_runtime(string name)
    {
        Tensor.ManualSeed(42);
        var c = Cases[name];
        var model = c.Model();
        var sample = c.Inputs(2, new Generator(1));
        var inputNames = sample.Select((_, i) => sample.Length == 1 ? "input" : $"input_{i}").ToArray();
        var options = new OnnxExportOptions { ForwardOutputs = c.Forward };
        if (c.Forward is not null || c.BatchDim != 0)
        {
            // Every input and output is free in its batch dim (dim 1 for the sequence-first layers' inputs and outputs;
            // the recurrent states of a batch-first layer are [layers, N, hidden] too).
            var outputs = (c.Forward ?? ((m, xs) => [((ITensorModule)m).Forward(xs[0])]))(model, sample.Select(s => s.Clone()).ToArray());
            var axes = new Dictionary<string, IReadOnlyDictionary<int, string>>();
            for (int i = 0; i < sample.Length; i++) axes[inputNames[i]] = Free(BatchDimOf(c.BatchDim, i), sample[i]);
            for (int i = 0; i < outputs.Length; i++) axes[$"output_{i}"] = Free(BatchDimOf(c.BatchDim, i), outputs[i]);
            options.DynamicAxes = axes;
            options.ForwardOutputs ??= (m, xs) => [((ITensorModule)m).Forward(xs[0])];
        }
        string path = Path.Combine(_dir, name + ".onnx");
        OnnxExporter.Export(model, sample, path, options);

        // A different batch size than the sample's: the batch dim is free.
        var x = c.Inputs(5, new Generator(2));
        model.Eval();
        var forward = options.ForwardOutputs ?? ((m, xs) => [((ITensorModule)m).Forward(xs[0])]);
        Tensor[] expected;
        using (Autograd.NoGrad()) expected = forward(model, x);

        using var session = new InferenceSession(path);
        var feeds = x.Select((t, i) => t.DType == DType.Int64
            ? NamedOnnxValue.CreateFromTensor(inputNames[i], new DenseTensor<long>(t.ToInt64Array(), t.Shape.ToArray()))
            : NamedOnnxValue.CreateFromTensor(inputNames[i], new DenseTensor<float>(t.ToFloatArray(), t.Shape.ToArray()))).ToList();
        using var results = session.Run(feeds);
        Assert.Equal(expected.Length, results.Count);
        double worst = 0;
        for (int o = 0; o < expected.Length; o++)
        {
            var result = results.ElementAt(o);
            Assert.Equal(expected.Length == 1 && c.Forward is null && c.BatchDim == 0 ? "output" : $"output_{o}", result.Name);
            var actual = result.AsTensor<float>();
            Assert.Equal(expected[o].Shape.ToArray(), actual.Dimensions.ToArray());
            var want = expected[o].ToFloatArray();
            var got = actual.ToArray();
            for (int i = 0; i < want.Length; i++)
            {
                double error = Math.Abs(got[i] - want[i]) / Math.Max(1, Math.Abs(want[i]));
                worst = Math.Max(worst, error);
                Assert.True(error <= 1e-5, $"{name} output {o}[{i}]: onnx {got[i]} vs {want[i]}");
            }
        }
        output.WriteLine($"| {name} | {worst:0.0e+0} |");
    }

    static Dictionary<int, string> Free(int dim, Tensor t) => t.Rank > dim ? new() { [dim] = "batch" } : new();

    static Tensor[] Outputs((Tensor Output, Tensor Hidden) r) => [r.Output, r.Hidden];

    static Tensor[] Outputs((Tensor Output, (Tensor H, Tensor C) State) r) => [r.Output, r.State.H, r.State.C];

    static Tensor[] AttentionOutputs((Tensor Output, Tensor? Weights) r) => r.Weights is null ? [r.Output] : [r.Output, r.Weights];

    // Key padding: -inf on the last key of every other sample (never a whole row).
    static Tensor PaddingMask(int batch, int keys)
    {
        var mask = new float[batch * keys];
        for (int n = 0; n < batch; n += 2) mask[n * keys + keys - 1] = float.NegativeInfinity;
        return Tensor.FromArray(mask, batch, keys);
    }

    /// <summary>Running statistics from a few training passes, and random affine parameters.</summary>
    static Module Warmed(Module model, int[] shape)
    {
        Randomized(model);
        model.Train();
        using (Autograd.NoGrad())
            for (int i = 0; i < 3; i++)
                ((ITensorModule)model).Forward(Tensor.Randn(shape, new Generator(10 + i)) * 2f + 1f);
        return model;
    }

    /// <summary>Every parameter drawn anew, so ones and zeros (norm weights, attention biases) do not hide a wrong export.</summary>
    static T Randomized<T>(T model) where T : Module
    {
        var g = new Generator(7);
        using (Autograd.NoGrad())
            foreach (var p in model.Parameters())
                p.CopyFrom(Tensor.Randn(p.Shape.ToArray(), g) * 0.5f + (p.Rank == 1 ? 1f : 0f));
        return model;
    }

    [Fact]
    public void Weights_are_initializers_under_their_state_dict_names_and_the_training_mode_is_restored()
    {
        var model = new Sequential(new Linear(4, 3), new ReLU(), new Linear(3, 2));
        string path = Path.Combine(_dir, "names.onnx");
        OnnxExporter.Export(model, [Tensor.Randn(new[] { 2, 4 }, new Generator(0))], path);
        Assert.True(model.Training);
        using var session = new InferenceSession(path);
        Assert.Equal(new[] { "input" }, session.InputMetadata.Keys);
        Assert.Equal(-1, session.InputMetadata["input"].Dimensions[0]);
        Assert.Equal(4, session.InputMetadata["input"].Dimensions[1]);
        var bytes = File.ReadAllBytes(path);
        foreach (var state in new[] { "0.weight", "0.bias", "2.weight", "2.bias" })
            Assert.True(ContainsAscii(bytes, state), state);
    }

    [Fact]
    public void A_compiled_graph_exports_its_modules_forward_and_runs_in_onnx_runtime()
    {
        Tensor.ManualSeed(3);
        var model = Randomized(new TrainerMlp());
        var compiled = model.Compile();
        string fromGraph = Path.Combine(_dir, "compiled.onnx"), fromModule = Path.Combine(_dir, "eager.onnx");
        OnnxExporter.Export(compiled, [Tensor.Randn(new[] { 2, 8 }, new Generator(0))], fromGraph);
        OnnxExporter.Export(model, [Tensor.Randn(new[] { 2, 8 }, new Generator(0))], fromModule);
        // The graph was captured from the module's Forward: the same ops, weights and names.
        Assert.Equal(File.ReadAllBytes(fromModule), File.ReadAllBytes(fromGraph));

        var x = Tensor.Randn(new[] { 5, 8 }, new Generator(2));
        model.Eval();
        float[] expected;
        using (Autograd.NoGrad()) expected = compiled.Forward(x).ToFloatArray();
        Assert.Equal(1, compiled.PlannedShapes); // the export's recorded pass ran eagerly; this call ran the graph
        using var session = new InferenceSession(fromGraph);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(x.ToFloatArray(), new[] { 5, 8 }))]);
        var actual = results.Single().AsTensor<float>().ToArray();
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"output[{i}]: onnx {actual[i]} vs {expected[i]}");
    }

    [Fact]
    public void Without_a_dynamic_batch_every_dim_is_fixed_and_dynamic_axes_name_the_free_dims()
    {
        var lstm = new LSTM(3, 4);
        string fixedPath = Path.Combine(_dir, "fixed.onnx"), freePath = Path.Combine(_dir, "free.onnx");
        var sample = Tensor.Randn(new[] { 5, 2, 3 }, new Generator(0));
        OnnxExporter.Export(lstm, [sample], fixedPath, new OnnxExportOptions { DynamicBatch = false, Forward = (m, xs) => ((LSTM)m).Forward(xs[0]).Output });
        using (var session = new InferenceSession(fixedPath))
            Assert.Equal(new[] { 5, 2, 3 }, session.InputMetadata["input"].Dimensions);
        OnnxExporter.Export(lstm, [sample], freePath, new OnnxExportOptions
        {
            Forward = (m, xs) => ((LSTM)m).Forward(xs[0]).Output,
            DynamicAxes = new Dictionary<string, IReadOnlyDictionary<int, string>>
            {
                ["input"] = new Dictionary<int, string> { [0] = "time", [1] = "batch" },
                ["output"] = new Dictionary<int, string> { [0] = "time", [1] = "batch" },
            },
        });
        using (var session = new InferenceSession(freePath))
        {
            Assert.Equal(new[] { -1, -1, 3 }, session.InputMetadata["input"].Dimensions);
            Assert.Equal(new[] { "time", "batch", "" }, session.InputMetadata["input"].SymbolicDimensions);
            Assert.Equal(new[] { -1, -1, 4 }, session.OutputMetadata["output"].Dimensions);
        }
        var e = Assert.Throws<ArgumentException>(() => OnnxExporter.Export(lstm, [sample], freePath, new OnnxExportOptions
        {
            Forward = (m, xs) => ((LSTM)m).Forward(xs[0]).Output,
            DynamicAxes = new Dictionary<string, IReadOnlyDictionary<int, string>> { ["input"] = new Dictionary<int, string> { [3] = "x" } },
        }));
        Assert.Equal("OnnxExporter: dynamic axis 3 of 'input' is outside its 3 dims (Parameter 'options')", e.Message);
    }

    [Fact]
    public void A_recurrent_layer_with_a_longer_sequence_than_the_sample_runs_in_onnx_runtime()
    {
        var gru = new GRU(3, 4, batchFirst: true);
        string path = Path.Combine(_dir, "gru.onnx");
        var axes = new Dictionary<int, string> { [0] = "batch", [1] = "time" };
        OnnxExporter.Export(gru, [Tensor.Randn(new[] { 2, 5, 3 }, new Generator(0))], path, new OnnxExportOptions
        {
            Forward = (m, xs) => ((GRU)m).Forward(xs[0]).Output,
            DynamicAxes = new Dictionary<string, IReadOnlyDictionary<int, string>> { ["input"] = axes, ["output"] = axes },
        });
        var x = Tensor.Randn(new[] { 3, 9, 3 }, new Generator(1));
        Tensor expected;
        using (Autograd.NoGrad()) expected = gru.Forward(x).Output;
        using var session = new InferenceSession(path);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor<float>(x.ToFloatArray(), [3, 9, 3]))]);
        var got = results.Single().AsTensor<float>().ToArray();
        var want = expected.ToFloatArray();
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++) Assert.True(Math.Abs(got[i] - want[i]) <= 1e-5 * Math.Max(1, Math.Abs(want[i])), $"[{i}] {got[i]} vs {want[i]}");
    }

    [Fact]
    public void An_op_that_cannot_be_exported_is_named()
    {
        var model = new Varianced();
        var e = Assert.Throws<NotSupportedException>(() =>
            OnnxExporter.Export(model, [Tensor.Randn(new[] { 2, 4 }, new Generator(0))], Path.Combine(_dir, "var.onnx")));
        Assert.StartsWith("OnnxExporter: Linear reads a tensor [2, 1] made by an op that cannot be exported to ONNX: VarBackward (exportable: the layers Linear,", e.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "var.onnx")));
    }

    [Fact]
    public void Layers_that_onnx_cannot_express_are_refused_with_the_op_and_shapes()
    {
        var uneven = Assert.Throws<NotSupportedException>(() =>
            OnnxExporter.Export(new AdaptiveAvgPool2d((3, 3)), [Tensor.Randn(new[] { 1, 2, 5, 7 }, new Generator(0))], Path.Combine(_dir, "a.onnx")));
        Assert.Equal("OnnxExporter: AdaptiveAvgPool2d on [1, 2, 5, 7] cannot be exported to ONNX: the windows of an output of 3x3 over 5x7 differ in size, " +
            "and ONNX's AveragePool has one window size", uneven.Message);

        var batchStats = Assert.Throws<NotSupportedException>(() =>
            OnnxExporter.Export(new BatchNorm1d(3, trackRunningStats: false), [Tensor.Randn(new[] { 4, 3 }, new Generator(0))], Path.Combine(_dir, "b.onnx")));
        Assert.Equal("OnnxExporter: BatchNorm on [4, 3], [3], [3] cannot be exported to ONNX: it normalizes by the batch's statistics (training mode, or " +
            "track_running_stats=False); export in eval mode with running statistics", batchStats.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "a.onnx")));
        Assert.False(File.Exists(Path.Combine(_dir, "b.onnx")));
    }

    static bool ContainsAscii(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(needle)) >= 0;
}

/// <summary>A variance before a layer: an op with no ONNX export here.</summary>
[Module]
public sealed partial class Varianced : Module, ITensorModule
{
    readonly Linear _fc = new(1, 3);

    public Tensor Forward(Tensor x) => _fc.Forward(x.Var(1, keepDim: true));
}

/// <summary>Tensor arithmetic in a custom forward: broadcasting, scalars, matrix products, views, reductions, concatenation.</summary>
[Module]
public sealed partial class Arithmetic : Module
{
    readonly Linear _fc = new(6, 6);

    public Tensor Forward(Tensor x, Tensor y)
    {
        var a = _fc.Forward(x) + y.Unsqueeze(1);                               // [N, 4, 6] + [N, 1, 6]
        var b = (a - x) * 0.5f + 1f - (2f - a) / 3f + 2f / (a.Sigmoid() + 1f);  // scalar ops on both sides
        var c = b * y.View(-1, 1, 6) / (x.Exp() + 1f) - (b * b + 1f).Sqrt().Neg().Relu() + b.Pow(2f) * 0.1f;
        var scores = Tensor.Matmul(c, c.Transpose(1, 2)).Softmax(-1);      // [N, 4, 4]
        var mixed = scores.Matmul(c).Permute(0, 2, 1);                      // [N, 6, 4]
        var joined = Tensor.Cat([mixed, mixed.Mean(2, keepDim: true), mixed.Sum(1, keepDim: true).Expand(-1, 6, 4)], 2); // [N, 6, 9]
        var flat = joined.Reshape(joined.Size(0), -1);                        // [N, 54]
        return Tensor.Cat([flat, flat[.., 1..3], flat.Select(1, -1).Unsqueeze(1), x.Squeeze(1).Sum(1).Mean(1, keepDim: true),
            (x * x + 1f).Log().Sum(new[] { 1, 2 }).Unsqueeze(-1)], 1);
    }
}

/// <summary>Token ids → embedding → LSTM → the last step's hidden state → classes.</summary>
[Module]
public sealed partial class LstmClassifier : Module, ITensorModule
{
    readonly Embedding _embedding = new(20, 8);
    readonly LSTM _lstm = new(8, 16, numLayers: 2, batchFirst: true);
    readonly Linear _head = new(16, 3);

    public Tensor Forward(Tensor tokens)
    {
        var (output, _) = _lstm.Forward(_embedding.Forward(tokens));
        return _head.Forward(output.Select(1, -1));
    }
}

/// <summary>Features → projection → two encoder layers → mean over the sequence → classes.</summary>
[Module]
public sealed partial class TransformerClassifier : Module, ITensorModule
{
    readonly Linear _embed = new(6, 8);
    readonly TransformerEncoder _encoder = new(new TransformerEncoderLayer(8, 2, dimFeedforward: 16, batchFirst: true), 2);
    readonly Linear _head = new(8, 4);

    public Tensor Forward(Tensor x) => _head.Forward(_encoder.Forward(_embed.Forward(x)).Mean(1));
}
