using Microsoft.CodeAnalysis;
using static ShapeSafe.Generators.Tests.Verify;

namespace ShapeSafe.Generators.Tests;

/// <summary>Generic <c>[Module]</c> classes get a compiled graph too, generic with the class; a child typed by a type parameter is a graph break.</summary>
public class CompiledGenericTests
{
    static string[] Lines(string text) => text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

    [Fact]
    public void A_generic_class_gets_a_graph_generic_with_it_and_inlines_into_a_parent()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            public enum Color { Red, Green, Blue }
            [Module]
            public partial class Classifier<TLabel> : Module where TLabel : struct, System.Enum
            {
                readonly Linear _fc1 = new(8, 16);
                readonly Linear _fc2 = new(16, System.Enum.GetValues<TLabel>().Length);
                public Tensor Forward(Tensor x) => _fc2.Forward(Training ? F.Relu(_fc1.Forward(x)) : _fc1.Forward(x).Tanh());
                public TLabel Predict(Tensor x) => System.Enum.GetValues<TLabel>()[(int)Forward(x).Argmax(0).ItemInt64()];
            }
            [Module]
            public partial class Net : Module
            {
                readonly Classifier<Color> _head = new();
                public Tensor Forward(Tensor x) => _head.Forward(x);
            }
            """);
        var generic = Lines(files["Demo.Classifier`1.g.cs"]);
        Assert.Contains("partial class Classifier<TLabel> : global::ShapeSafe.NN.ICompilableModule", generic);
        Assert.Contains("public sealed class Compiled : global::ShapeSafe.NN.CompiledModule<Classifier<TLabel>>, global::ShapeSafe.NN.ITensorModule", generic);
        Assert.Contains("abstract class Variant : global::ShapeSafe.NN.CompiledModule<Classifier<TLabel>>", generic);
        Assert.Contains("global::ShapeSafe.CompiledGraphs.GraphOps.Linear(xData, _fc1.Weight, _fc1.Bias, global::ShapeSafe.CompiledGraphs.FusedActivation.Relu, b.Fc1);", generic);
        // The parent inlines the constructed child, its Training being the parent's.
        var parent = Lines(files["Demo.Net.g.cs"]);
        Assert.Contains("_head = Bind<global::Demo.Classifier<global::Demo.Color>>(\"head\");", parent);
        Assert.Contains("if (_head.Training != training)", parent);
        Assert.Contains("_head_fc1 = Bind<global::ShapeSafe.NN.Linear>(\"head.fc1\");", parent);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public Task SS2009_for_a_child_whose_type_is_a_type_parameter() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Wrapper<TLayer> : Module where TLayer : Linear
        {
            readonly TLayer _layer;
            public Wrapper(TLayer layer) => _layer = layer;
            public Tensor Forward(Tensor x) => {|#0:_layer|}.Forward(x);
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Wrapper", "line 8: _layer's type is the type parameter TLayer (a graph is compiled for a child's exact type)"));

    [Fact]
    public Task SS2009_for_an_inlined_generic_childs_child_typed_by_its_type_parameter() => Diagnostics(
        // Outer<T> compiles on its own; inlined as Outer<int>, its child Inner<T> names a T the parent does not have.
        """
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Inner<T> : Module where T : struct
        {
            readonly Linear _fc = new(4, 4);
            public Tensor Forward(Tensor x) => _fc.Forward(x);
        }
        [Module]
        public partial class Outer<T> : Module where T : struct
        {
            readonly Inner<T> _inner = new();
            public Tensor Forward(Tensor x) => {|#0:_inner.Forward(x)|};
        }
        [Module]
        public partial class Net : Module
        {
            readonly Outer<int> _outer = new();
            public Tensor Forward(Tensor x) => _outer.Forward(x);
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 13: the child outer.inner's type depends on T, a type parameter of an inlined generic class, which the graph cannot name"));
}
