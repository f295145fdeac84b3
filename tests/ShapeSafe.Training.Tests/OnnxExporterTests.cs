using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ShapeSafe;
using ShapeSafe.NN;
using ShapeSafe.Onnx;

namespace ShapeSafe.Training.Tests;

/// <summary>Exported models run in ONNX Runtime and agree with ShapeSafe's forward to 1e-5 (relative).</summary>
public sealed class OnnxExporterTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("onnx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Models() => new(Build.Keys);

    static readonly Dictionary<string, (Func<Module> Model, int[] Input)> Build = new()
    {
        ["linear"] = (() => new Linear(6, 4), [3, 6]),
        ["linear-no-bias-3d"] = (() => new Linear(6, 4, bias: false), [3, 2, 6]),
        ["linear-relu-fused"] = (() => new Sequential(new Linear(6, 5), new ReLU()), [3, 6]),
        ["linear-gelu-fused"] = (() => new Sequential(new Linear(6, 5), new GELU()), [3, 6]),
        ["activations"] = (() => new Sequential(new Sigmoid(), new Linear(6, 6), new Tanh(), new Linear(6, 6), new LeakyReLU(0.2)), [4, 6]),
        ["conv"] = (() => new Conv2d(3, 4, 3, stride: 2, padding: 1), [2, 3, 9, 9]),
        ["conv-relu-fused"] = (() => new Sequential(new Conv2d(2, 4, 3), new ReLU()), [2, 2, 8, 8]),
        ["maxpool"] = (() => new MaxPool2d(2), [2, 3, 8, 8]),
        ["avgpool"] = (() => new AvgPool2d(3, stride: 2, padding: 1), [2, 3, 9, 9]),
        ["flatten-dropout"] = (() => new Sequential(new Dropout(0.5), new Flatten(), new Linear(48, 3)), [2, 3, 4, 4]),
        ["mlp"] = (() => new Sequential(new Flatten(), new Linear(28 * 28, 256), new ReLU(), new Linear(256, 10)), [5, 1, 28, 28]),
        ["cnn"] = (() => new Sequential(
            new Conv2d(1, 16, 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Conv2d(16, 32, 3, padding: 1), new ReLU(), new MaxPool2d(2),
            new Flatten(), new Linear(32 * 7 * 7, 10)), [4, 1, 28, 28]),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Exported_model_matches_the_eager_forward_in_onnx_runtime(string name)
    {
        Tensor.ManualSeed(42);
        var (create, shape) = Build[name];
        var model = create();
        var sample = Tensor.Randn(shape, new Generator(1));
        string path = Path.Combine(_dir, name + ".onnx");
        OnnxExporter.Export(model, [sample], path);

        // A different batch size than the sample's: dim 0 is dynamic.
        var batchShape = (int[])shape.Clone();
        batchShape[0] += 3;
        var x = Tensor.Randn(batchShape, new Generator(2));
        model.Eval();
        Tensor expected;
        using (Autograd.NoGrad()) expected = ((ITensorModule)model).Forward(x);

        using var session = new InferenceSession(path);
        var input = new DenseTensor<float>(x.ToFloatArray(), batchShape);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
        var output = results.Single();
        Assert.Equal("output", output.Name);
        var actual = output.AsTensor<float>();
        Assert.Equal(expected.Shape.ToArray(), actual.Dimensions.ToArray());
        var want = expected.ToFloatArray();
        var got = actual.ToArray();
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= 1e-5 * Math.Max(1, Math.Abs(want[i])), $"{name}[{i}]: onnx {got[i]} vs {want[i]}");
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
    public void An_op_that_cannot_be_exported_is_named()
    {
        var model = new Softmaxed();
        var e = Assert.Throws<NotSupportedException>(() =>
            OnnxExporter.Export(model, [Tensor.Randn(new[] { 2, 4 }, new Generator(0))], Path.Combine(_dir, "softmax.onnx")));
        Assert.Contains("SoftmaxBackward", e.Message);
        Assert.Contains("Linear", e.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "softmax.onnx")));
    }

    static bool ContainsAscii(byte[] haystack, string needle) =>
        haystack.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(needle)) >= 0;
}

/// <summary>A softmax before a layer: an op with no ONNX export here.</summary>
[Module]
public sealed partial class Softmaxed : Module, ITensorModule
{
    readonly Linear _fc = new(4, 3);

    public Tensor Forward(Tensor x) => _fc.Forward(x.Softmax(1));
}
