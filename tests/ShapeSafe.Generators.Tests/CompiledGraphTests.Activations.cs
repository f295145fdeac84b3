using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using ShapeSafe.NN;
using static ShapeSafe.Generators.Tests.Verify;
using Assembly = System.Reflection.Assembly;

namespace ShapeSafe.Generators.Tests;

// The activation and small layers: GELU (exact and tanh), SiLU, Mish, Softplus, Hardswish and LeakyReLU as children,
// their F. functions and tensor methods, Identity, Dropout2d and PixelShuffle. The generated code is compiled and
// loaded here, and each model is run against the same model run eagerly: outputs and every gradient (parameters and
// the float input) bit for bit, in training and eval mode, for two batch sizes in one process, with and without
// recomputation.
public partial class CompiledGraphTests
{
    const string ActivationModels = """
        using ShapeSafe;
        using ShapeSafe.NN;
        namespace Acts;

        [Module]
        public partial class GeluMlp : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(1));
            readonly GELU _exact = new();
            readonly Linear _fc2 = new(8, 8, generator: new Generator(2));
            readonly GELU _tanh = new("tanh");
            readonly Linear _fc3 = new(8, 4, generator: new Generator(3));
            public Tensor Forward(Tensor x) => _fc3.Forward(F.Gelu(_tanh.Forward(_fc2.Forward(_exact.Forward(_fc1.Forward(x)))), approximate: "tanh"));
        }

        [Module]
        public partial class SiluMish : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(4));
            readonly SiLU _silu = new();
            readonly Mish _mish = new();
            readonly Linear _fc2 = new(8, 4, generator: new Generator(5));
            public Tensor Forward(Tensor x)
            {
                var h = _mish.Forward(_silu.Forward(_fc1.Forward(x) * 3));
                return _fc2.Forward(F.Mish(F.Silu(h)));
            }
        }

        [Module]
        public partial class Softplusses : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(6));
            readonly Softplus _sharp = new(beta: 2, threshold: 1.5);
            readonly Softplus _plain = new();
            readonly Linear _fc2 = new(8, 4, generator: new Generator(7));
            public Tensor Forward(Tensor x)
            {
                var h = _fc1.Forward(x) * 4;
                var a = _sharp.Forward(h) + _plain.Forward(h);
                return _fc2.Forward(F.Softplus(a, beta: 0.5, threshold: 3) - F.Softplus(h));
            }
        }

        [Module]
        public partial class Hardswishes : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(8));
            readonly Hardswish _act = new();
            readonly Linear _fc2 = new(8, 4, generator: new Generator(9));
            public Tensor Forward(Tensor x) => _fc2.Forward(F.Hardswish(_act.Forward(_fc1.Forward(x) * 8) - 1));
        }

        [Module]
        public partial class Leaky : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(10));
            readonly LeakyReLU _steep = new(0.2);
            readonly LeakyReLU _default = new();
            readonly Linear _fc2 = new(8, 4, generator: new Generator(11));
            public Tensor Forward(Tensor x)
            {
                var h = _default.Forward(_steep.Forward(_fc1.Forward(x)));
                return _fc2.Forward(F.LeakyRelu(h, 0.05) + h.LeakyRelu(0.3f));
            }
        }

        [Module]
        public partial class Identities : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(12));
            readonly Identity _skip = new();
            readonly Linear _fc2 = new(8, 4, generator: new Generator(13));
            public Tensor Forward(Tensor x) => _fc2.Forward(_skip.Forward(F.Relu(_fc1.Forward(_skip.Forward(x)))));
        }

        [Module]
        public partial class Shuffle : Module
        {
            readonly Conv2d _conv1 = new(3, 8, 3, padding: 1, generator: new Generator(14));
            readonly PixelShuffle _shuffle = new(2);
            readonly Conv2d _conv2 = new(2, 4, 3, padding: 1, generator: new Generator(15));
            public Tensor Forward(Tensor x) => F.PixelShuffle(_conv2.Forward(_shuffle.Forward(_conv1.Forward(x))), 2);
        }

        [Module]
        public partial class ChannelDrop : Module
        {
            readonly Conv2d _conv1 = new(3, 6, 3, padding: 1, generator: new Generator(16));
            readonly Dropout2d _drop = new(0.5, generator: new Generator(17));
            readonly Conv2d _conv2 = new(6, 4, 1, generator: new Generator(18));
            public Tensor Forward(Tensor x) => _conv2.Forward(F.Silu(_drop.Forward(_conv1.Forward(x))));
        }

        [Module]
        public partial class SequenceDrop : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(19));
            readonly Dropout2d _drop = new(0.25, generator: new Generator(20));
            readonly Linear _fc2 = new(8, 3, generator: new Generator(21));
            public Tensor Forward(Tensor x) => _fc2.Forward(_drop.Forward(_fc1.Forward(x)));
        }
        """;

    static readonly Lazy<(IReadOnlyDictionary<string, string> Files, Compilation Output, Assembly Assembly)> BuiltActivations = new(() =>
    {
        var (files, output) = GeneratorHarness.Run(ActivationModels);
        using var stream = new MemoryStream();
        var emitted = output.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        stream.Position = 0;
        var assembly = new AssemblyLoadContext("CompiledActivationTests", isCollectible: true).LoadFromStream(stream);
        return (files, output, assembly);
    });

    static string[] ActivationLines(string model) => Lines(BuiltActivations.Value.Files["Acts." + model + ".g.cs"]);

    static Module NewActivationModel(string name) =>
        (Module)Activator.CreateInstance(BuiltActivations.Value.Assembly.GetType("Acts." + name, throwOnError: true)!)!;

    /// <summary>The input of a model: [B, 6] rows for the MLPs, [B, 3, 4, 4] images for the convolutions, [B, 4, 6] sequences.</summary>
    static int[] ActivationInput(string name, int batch) => name switch
    {
        "Shuffle" or "ChannelDrop" => new[] { batch, 3, 4, 4 },
        "SequenceDrop" => new[] { batch, 4, 6 },
        _ => new[] { batch, 6 },
    };

    static (float[] Output, Dictionary<string, float[]> Grads, float[] InputGrad) ActivationStep(Module model, Func<Tensor, Tensor> forward, Tensor x)
    {
        model.ZeroGrad();
        x.Grad = null;
        var y = forward(x);
        var weights = Tensor.Arange(y.NumEl).Reshape(y.Shape.ToArray()).Mul(0.01f).Sin();
        y.Mul(weights).Sum().Backward();
        var grads = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToFloatArray());
        return (y.Detach().ToFloatArray(), grads, x.Grad!.ToFloatArray());
    }

    static void AssertSameBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}[{i}]: eager {expected[i]:R}, compiled {actual[i]:R} (expected bitwise equality)");
        }
    }

    /// <summary>
    /// Train, eval, train, ... with two batch sizes in one process (the guard plans each): each call's output and every
    /// gradient equal eager mode's bit for bit. Returns the compiled module.
    /// </summary>
    static CompiledModule AssertActivationModelMatchesEager(string name, RecomputeMode recompute = RecomputeMode.None)
    {
        var eager = NewActivationModel(name);
        var twin = NewActivationModel(name);
        var compiled = (CompiledModule)twin.GetType().GetMethod("Compile")!.Invoke(twin, new object?[] { new CompileOptions { Recompute = recompute } })!;
        Assert.True(compiled.IsCompiled);
        var forward = (ITensorModule)compiled;
        var eagerForward = eager.GetType().GetMethod("Forward", new[] { typeof(Tensor) })!;
        var calls = new[] { (true, 5), (false, 5), (true, 3), (false, 3), (true, 5), (true, 3) };
        foreach (var (training, batch) in calls)
        {
            eager.Train(training);
            twin.Train(training);
            var data = Tensor.Randn(ActivationInput(name, batch), new Generator(batch * 7 + (training ? 1 : 0)));
            var (x1, x2) = (data.Clone(), data.Clone());
            x1.RequiresGrad = true;
            x2.RequiresGrad = true;
            var (y1, g1, dx1) = ActivationStep(eager, x => (Tensor)eagerForward.Invoke(eager, new object[] { x })!, x1);
            var (y2, g2, dx2) = ActivationStep(twin, forward.Forward, x2);
            string where = $"{name} {(training ? "train" : "eval")} batch {batch}";
            AssertSameBits(y1, y2, where + " output");
            Assert.Equal(g1.Keys, g2.Keys);
            foreach (var (parameter, grad) in g1) AssertSameBits(grad, g2[parameter], where + " grad of " + parameter);
            AssertSameBits(dx1, dx2, where + " grad of the input");
        }
        // Both batch sizes in both modes were planned, and no call ran eagerly.
        Assert.Equal(4, compiled.PlannedShapes);
        Assert.Equal(0, compiled.EagerCalls);
        return compiled;
    }

    [Fact]
    public void The_activation_models_generated_code_compiles_without_warnings()
    {
        Assert.Empty(GeneratorHarness.Problems(BuiltActivations.Value.Output));
    }

    [Theory]
    [InlineData("GeluMlp")]
    [InlineData("SiluMish")]
    [InlineData("Softplusses")]
    [InlineData("Hardswishes")]
    [InlineData("Leaky")]
    [InlineData("Identities")]
    [InlineData("Shuffle")]
    [InlineData("ChannelDrop")]
    [InlineData("SequenceDrop")]
    public void Outputs_and_every_gradient_are_eager_modes_bit_for_bit(string model)
    {
        AssertActivationModelMatchesEager(model);
        AssertActivationModelMatchesEager(model, RecomputeMode.MinCut);
    }
}
