using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using ShapeSafe.NN;
using static ShapeSafe.Generators.Tests.Verify;
using Assembly = System.Reflection.Assembly;

namespace ShapeSafe.Generators.Tests;

// The activations' options that change their math are written into the generated code, so an option the generator
// cannot read at build time is a graph break: each reason below, as SS2009 gives it for a module that then runs
// eagerly, and as SS2013 gives it for a Forward that splits around it. The models with such options are compiled,
// loaded and run against eager mode: a module that breaks as a whole returns eager mode's bits, and one that splits
// compiles the rest and still returns eager mode's bits.
public partial class CompiledGraphTests
{
    [Fact]
    public Task SS2009_for_a_gelu_whose_approximate_is_not_known_at_build_time() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly GELU _gelu;
            public Net(string approximate) => _gelu = new GELU(approximate);
            public Tensor Forward(Tensor x) => {|#0:_gelu.Forward(x)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 8: GELU gelu's approximate is not known at build time (the graph picks its kernels by it: create it in its member's initializer or the constructor with a constant \"none\" or \"tanh\")"));

    [Fact]
    public Task SS2009_for_a_softplus_whose_beta_is_not_known_at_build_time() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Softplus _act;
            public Net(double beta) => _act = new Softplus(beta);
            public Tensor Forward(Tensor x) => {|#0:_act.Forward(x)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 8: Softplus act's beta is not known at build time (the graph writes it into its code: create it in its member's initializer or the constructor with a constant beta)"));

    [Fact]
    public Task SS2009_for_a_softplus_whose_threshold_alone_is_not_known_at_build_time() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Softplus _act;
            public Net(double threshold) => _act = new Softplus(beta: 2, threshold: threshold);
            public Tensor Forward(Tensor x) => {|#0:_act.Forward(x)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 8: Softplus act's threshold is not known at build time (the graph writes it into its code: create it in its member's initializer or the constructor with a constant threshold)"));

    [Fact]
    public Task SS2009_for_a_leaky_relu_whose_slope_is_not_known_at_build_time() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly LeakyReLU _act;
            public Net(double slope) => _act = new LeakyReLU(slope);
            public Tensor Forward(Tensor x) => {|#0:_act.Forward(x)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 8: LeakyReLU act's negativeSlope is not known at build time (the graph writes it into its code: create it in its member's initializer or the constructor with a constant negativeSlope)"));

    [Fact]
    public Task SS2009_for_f_gelu_whose_approximate_is_not_a_constant() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            string _approximate = "tanh";
            public Tensor Forward(Tensor x) => {|#0:F.Gelu(x, approximate: _approximate)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 7: F.Gelu's approximate is not a constant \"none\" or \"tanh\" (the graph picks its kernels by it)"));

    [Fact]
    public Task SS2009_for_f_pixel_shuffle_whose_factor_is_not_a_constant() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            int _factor = 2;
            public Tensor Forward(Tensor x) => {|#0:F.PixelShuffle(x, _factor)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 7: F.PixelShuffle's upscaleFactor is not a constant (the graph writes the call's options into its code)"));

    [Fact]
    public Task SS2009_for_f_softplus_whose_beta_is_not_a_constant() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            double _beta = 2;
            public Tensor Forward(Tensor x) => {|#0:F.Softplus(x, _beta)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 7: F.Softplus's beta is not a constant (the graph writes it into its code)"));

    [Fact]
    public Task SS2009_for_a_tensor_leaky_relu_whose_slope_is_not_a_constant() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            float _slope = 0.1f;
            public Tensor Forward(Tensor x) => {|#0:x.LeakyRelu(_slope)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 7: Tensor.LeakyRelu's negativeSlope is not a constant (the graph writes it into its code)"));

    [Fact]
    public Task SS2013_names_the_activation_option_where_forward_splits_around_it() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Linear _fc1 = new(6, 8);
            readonly LeakyReLU _act;
            readonly Linear _fc2 = new(8, 4);
            public Net(double slope) => _act = new LeakyReLU(slope);
            public Tensor Forward(Tensor x)
            {
                var h = _fc1.Forward(x);
                var a = {|#0:_act.Forward(h)|};
                return _fc2.Forward(a);
            }
        }
        """,
        Diagnostic("SS2013", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "2 graphs", "line 13: LeakyReLU act's negativeSlope is not known at build time (the graph writes it into its code: "
                + "create it in its member's initializer or the constructor with a constant negativeSlope); the graph is split there, and line 13 runs eagerly"));

    const string ActivationBreakModels = """
        using ShapeSafe;
        using ShapeSafe.NN;
        namespace ActBreaks;

        // Breaks as a whole (SS2009): the slope is a constructor argument.
        [Module]
        public partial class WholeLeaky : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(1));
            readonly LeakyReLU _act;
            readonly Linear _fc2 = new(8, 4, generator: new Generator(2));
            public WholeLeaky() : this(0.2) { }
            public WholeLeaky(double slope) => _act = new LeakyReLU(slope);
            public Tensor Forward(Tensor x) => _fc2.Forward(_act.Forward(_fc1.Forward(x)));
        }

        // Splits around the Softplus (SS2013): the linear layers compile as two graphs.
        [Module]
        public partial class SplitSoftplus : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(3));
            readonly Softplus _act;
            readonly Linear _fc2 = new(8, 4, generator: new Generator(4));
            public SplitSoftplus() : this(0.5) { }
            public SplitSoftplus(double beta) => _act = new Softplus(beta, threshold: 3);
            public Tensor Forward(Tensor x)
            {
                var h = _fc1.Forward(x) * 4;
                var a = _act.Forward(h);
                return _fc2.Forward(a);
            }
        }
        """;

    static readonly Lazy<(IReadOnlyDictionary<string, string> Files, Compilation Output, Assembly Assembly)> BuiltActivationBreaks = new(() =>
    {
        var (files, output) = GeneratorHarness.Run(ActivationBreakModels);
        using var stream = new MemoryStream();
        var emitted = output.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        stream.Position = 0;
        var assembly = new AssemblyLoadContext("CompiledActivationBreakTests", isCollectible: true).LoadFromStream(stream);
        return (files, output, assembly);
    });

    [Theory]
    [InlineData("WholeLeaky", false)]
    [InlineData("SplitSoftplus", true)]
    public void A_module_with_an_option_not_known_at_build_time_returns_eager_modes_bits(string name, bool splits)
    {
        Assert.Empty(GeneratorHarness.Problems(BuiltActivationBreaks.Value.Output));
        var lines = Lines(BuiltActivationBreaks.Value.Files["ActBreaks." + name + ".g.cs"]);
        Assert.Contains(splits ? "public override bool IsCompiled => true;" : "public override bool IsCompiled => false;", lines);
        var type = BuiltActivationBreaks.Value.Assembly.GetType("ActBreaks." + name, throwOnError: true)!;
        var eager = (Module)Activator.CreateInstance(type)!;
        var twin = (Module)Activator.CreateInstance(type)!;
        var compiled = (CompiledModule)twin.GetType().GetMethod("Compile", new[] { typeof(CompileOptions) })!.Invoke(twin, new object?[] { new CompileOptions() })!;
        Assert.Equal(splits, compiled.IsCompiled);
        var forward = (ITensorModule)compiled;
        var eagerForward = type.GetMethod("Forward", new[] { typeof(Tensor) })!;
        foreach (var (training, batch) in new[] { (true, 5), (false, 5), (true, 3), (false, 3) })
        {
            eager.Train(training);
            twin.Train(training);
            var data = Tensor.Randn(new[] { batch, 6 }, new Generator(batch * 11 + (training ? 1 : 0)));
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
    }
}
