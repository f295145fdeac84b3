using System.Collections.Immutable;
using Assembly = System.Reflection.Assembly;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using ShapeSafe.NN;

namespace ShapeSafe.Generators.Tests;

/// <summary>
/// Graphs of a split <c>Forward</c> that read more than two tensors from the statements before them: three, four and
/// five inputs (past the guard's fixed overloads), each graph one autograd node that hands every input its gradient.
/// The generated code is compiled and loaded, and each module is run against the same module run eagerly: outputs and
/// every parameter and input gradient bit for bit, in training and eval mode, for two batch sizes in one process, and
/// under NoGrad.
/// </summary>
public class CompiledSplitMultiTests
{
    const string Models = """
        using ShapeSafe;
        using ShapeSafe.NN;
        namespace SplitMulti;

        [Module]
        public partial class ThreeInputs : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(21));
            readonly Linear _fc2 = new(8, 4, generator: new Generator(22));
            public Tensor Forward(Tensor x)
            {
                var h = F.Relu(_fc1.Forward(x));
                var s = h.Sin();
                var c = h.Cos();
                return _fc2.Forward(h * s + c);
            }
        }

        [Module]
        public partial class FourInputs : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(23));
            readonly Linear _fc2 = new(8, 4, generator: new Generator(24));
            readonly Linear _fc3 = new(6, 4, generator: new Generator(25));
            public Tensor Forward(Tensor x)
            {
                var h = F.Tanh(_fc1.Forward(x));
                var s = h.Cos();
                var c = h.Sin();
                return _fc2.Forward(h * s - c) + _fc3.Forward(x);
            }
        }

        [Module]
        public partial class FiveInputs : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(26));
            readonly Linear _fc2 = new(8, 4, generator: new Generator(27));
            readonly Linear _fc3 = new(6, 4, generator: new Generator(28));
            public Tensor Forward(Tensor x, Tensor y)
            {
                var h = F.Sigmoid(_fc1.Forward(x));
                var s = h.Sin();
                var c = h.Cos();
                return _fc2.Forward(h * s + c * y) + _fc3.Forward(x);
            }
        }
        """;

    static readonly Lazy<(IReadOnlyDictionary<string, string> Files, Compilation Output, Assembly Assembly)> Built = new(() =>
    {
        var (files, output) = GeneratorHarness.Run(Models);
        using var stream = new MemoryStream();
        var emitted = output.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics));
        stream.Position = 0;
        var assembly = new AssemblyLoadContext("CompiledSplitMultiTests", isCollectible: true).LoadFromStream(stream);
        return (files, output, assembly);
    });

    static string[] Lines(string text) => text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

    static string File(string name) => Built.Value.Files["SplitMulti." + name + ".g.cs"];

    static Module New(string name) => (Module)Activator.CreateInstance(Built.Value.Assembly.GetType("SplitMulti." + name, throwOnError: true)!)!;

    static CompiledModule Compile(Module module) =>
        (CompiledModule)module.GetType().GetMethod("Compile")!.Invoke(module, new object?[] { null })!;

    /// <summary>The <c>Forward(Tensor, ...)</c> of a module or of its compiled graphs, called through reflection.</summary>
    static Func<Tensor[], Tensor> ForwardOf(object target, int inputs)
    {
        var forward = target.GetType().GetMethod("Forward", Enumerable.Repeat(typeof(Tensor), inputs).ToArray())!;
        return xs => (Tensor)forward.Invoke(target, xs.Cast<object>().ToArray())!;
    }

    /// <summary>The 1-based line of <paramref name="statement"/> in the class <paramref name="type"/> of <see cref="Models"/>.</summary>
    static int LineOf(string type, string statement)
    {
        int start = Models.IndexOf("class " + type + " ", StringComparison.Ordinal);
        int at = Models.IndexOf(statement, start, StringComparison.Ordinal);
        Assert.True(start >= 0 && at >= 0, statement);
        return Models.Take(at).Count(c => c == '\n') + 1;
    }

    static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}[{i}]: eager {expected[i]:R}, split {actual[i]:R} (expected bitwise equality)");
        }
    }

    static (float[] Output, Dictionary<string, float[]> Grads, float[][] InputGrads) Step(Module model, Func<Tensor[], Tensor> forward, Tensor[] inputs)
    {
        model.ZeroGrad();
        foreach (var x in inputs) x.Grad = null;
        var y = forward(inputs);
        var weights = Tensor.Arange(y.NumEl).Reshape(y.Shape.ToArray()).Mul(0.01f).Sin();
        y.Mul(weights).Sum().Backward();
        var grads = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToFloatArray());
        return (y.Detach().ToFloatArray(), grads, inputs.Select(x => x.Grad!.ToFloatArray()).ToArray());
    }

    /// <summary>
    /// Train, eval, train, ... with batch sizes 5 and 3 through one compiled module: each call's output, every
    /// parameter's gradient and every input's equal eager mode's bit for bit; then the same under NoGrad.
    /// </summary>
    static CompiledModule AssertMatchesEager(string name, params int[] features)
    {
        var eager = New(name);
        var twin = New(name);
        var compiled = Compile(twin);
        Assert.True(compiled.IsCompiled);
        var eagerForward = ForwardOf(eager, features.Length);
        var compiledForward = ForwardOf(compiled, features.Length);
        Tensor[] Inputs(int batch, int seed) =>
            features.Select((f, i) => Tensor.Randn(new[] { batch, f }, new Generator(seed * 13 + i))).ToArray();
        var calls = new[] { (true, 5), (false, 5), (true, 3), (false, 3), (true, 5) };
        foreach (var (training, batch) in calls)
        {
            eager.Train(training);
            twin.Train(training);
            var data = Inputs(batch, batch * 7 + (training ? 1 : 0));
            var x1 = data.Select(d => { var c = d.Clone(); c.RequiresGrad = true; return c; }).ToArray();
            var x2 = data.Select(d => { var c = d.Clone(); c.RequiresGrad = true; return c; }).ToArray();
            var (y1, g1, dx1) = Step(eager, eagerForward, x1);
            var (y2, g2, dx2) = Step(twin, compiledForward, x2);
            string where = $"{name} {(training ? "train" : "eval")} batch {batch}";
            AssertBitwise(y1, y2, where + " output");
            Assert.Equal(g1.Keys, g2.Keys);
            foreach (var (parameter, grad) in g1) AssertBitwise(grad, g2[parameter], where + " grad of " + parameter);
            for (int i = 0; i < dx1.Length; i++) AssertBitwise(dx1[i], dx2[i], where + " grad of input " + i);
        }
        Assert.Equal(0, compiled.EagerCalls);
        // Two graphs, each with a plan per batch size and mode.
        Assert.Equal(8, compiled.PlannedShapes);

        var inputs = Inputs(4, 99);
        foreach (var x in inputs) x.RequiresGrad = true;
        using (Autograd.NoGrad())
        {
            var expected = eagerForward(inputs);
            var actual = compiledForward(inputs);
            Assert.False(actual.RequiresGrad);
            Assert.Null(actual.GradFn);
            AssertBitwise(expected.ToFloatArray(), actual.ToFloatArray(), name + " no-grad output");
        }
        Assert.Equal("CompiledFunctionBackward", compiledForward(inputs).GradFn);
        return compiled;
    }

    static async Task<List<(string Id, int Line, string Message)>> Reported()
    {
        var input = GeneratorHarness.Compile(("Models.cs", Models));
        var diagnostics = await input.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new ModuleDeclarationAnalyzer())).GetAnalyzerDiagnosticsAsync();
        return diagnostics.Select(d => (d.Id, d.Location.GetLineSpan().StartLinePosition.Line + 1, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(d => d.Item2).ToList();
    }

    [Fact]
    public void The_generated_code_compiles_without_warnings()
    {
        Assert.Empty(GeneratorHarness.Problems(Built.Value.Output));
    }

    [Fact]
    public async Task Only_the_breaks_are_reported_and_no_graph_runs_eagerly_for_its_inputs()
    {
        string Break(string type, string statement, string op)
        {
            int line = LineOf(type, statement);
            return $"{type}.Forward is compiled as 2 graphs: line {line}: a call to Tensor.{op}, which the generator does not compile; the graph is split there, and line {line} runs eagerly";
        }
        var expected = new List<(string, int, string)>
        {
            ("SS2013", LineOf("ThreeInputs", "var s = h.Sin();"), Break("ThreeInputs", "var s = h.Sin();", "Sin")),
            ("SS2013", LineOf("ThreeInputs", "var c = h.Cos();"), Break("ThreeInputs", "var c = h.Cos();", "Cos")),
            ("SS2013", LineOf("FourInputs", "var s = h.Cos();"), Break("FourInputs", "var s = h.Cos();", "Cos")),
            ("SS2013", LineOf("FourInputs", "var c = h.Sin();"), Break("FourInputs", "var c = h.Sin();", "Sin")),
            ("SS2013", LineOf("FiveInputs", "var s = h.Sin();"), Break("FiveInputs", "var s = h.Sin();", "Sin")),
            ("SS2013", LineOf("FiveInputs", "var c = h.Cos();"), Break("FiveInputs", "var c = h.Cos();", "Cos")),
        };
        Assert.Equal(expected, await Reported());
    }

    [Fact]
    public void A_graph_of_three_inputs_takes_two_eager_values_and_the_first_graphs_output()
    {
        var lines = Lines(File("ThreeInputs"));
        Assert.Contains("var h = graphs.Fc1Relu.Forward(x);", lines);
        Assert.Contains("var s = h.Sin();", lines);
        Assert.Contains("var c = h.Cos();", lines);
        Assert.Contains("return graphs.MulAddFc2.Forward(h, s, c);", lines);
        Assert.Contains("if (PlanFor<Plan>(GuardInput(h), GuardInput(s), GuardInput(c)) is not { } plan) return Module.MulAddFc2Eager(h, s, c);", lines);
        Assert.Contains("return Record(output, \"CompiledFunctionBackward\", new global::ShapeSafe.Tensor?[] { h, s, c, _fc2.Weight, _fc2.Bias }, b.Backward, b.Released);", lines);
        Assert.Contains("global::ShapeSafe.Tensor MulAddFc2Eager(global::ShapeSafe.Tensor h, global::ShapeSafe.Tensor s, global::ShapeSafe.Tensor c)", lines);
        AssertMatchesEager("ThreeInputs", 6);
    }

    [Fact]
    public void A_graph_of_four_inputs_reads_forwards_parameter_before_the_locals()
    {
        var lines = Lines(File("FourInputs"));
        Assert.Contains("var h = graphs.Fc1Tanh.Forward(x);", lines);
        Assert.Contains("return graphs.Fc2Fc3.Forward(x, h, s, c);", lines);
        Assert.Contains("if (PlanFor<Plan>(GuardInput(x), GuardInput(h), GuardInput(s), GuardInput(c)) is not { } plan) return Module.Fc2Fc3Eager(x, h, s, c);", lines);
        Assert.Contains("return Record(output, \"CompiledFunctionBackward\", new global::ShapeSafe.Tensor?[] { x, h, s, c, _fc2.Weight, _fc2.Bias, _fc3.Weight, _fc3.Bias }, b.Backward, b.Released);", lines);
        AssertMatchesEager("FourInputs", 6);
    }

    [Fact]
    public void A_graph_of_five_inputs_is_guarded_by_the_any_input_overload()
    {
        var lines = Lines(File("FiveInputs"));
        Assert.Contains("var h = graphs.Fc1Sigmoid.Forward(x);", lines);
        Assert.Contains("return graphs.Fc2Fc3.Forward(x, y, h, s, c);", lines);
        Assert.Contains("if (PlanFor<Plan>([GuardInput(x), GuardInput(y), GuardInput(h), GuardInput(s), GuardInput(c)]) is not { } plan) return Module.Fc2Fc3Eager(x, y, h, s, c);", lines);
        AssertMatchesEager("FiveInputs", 6, 8);
    }
}
