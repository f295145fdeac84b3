using System.Collections.Immutable;
using Assembly = System.Reflection.Assembly;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using ShapeSafe.NN;

namespace ShapeSafe.Generators.Tests;

/// <summary>
/// A <c>Forward</c> split at its graph breaks: the compiled graphs and the eager statements between them, the
/// SS2013 diagnostic of each break, and the values. The generated code is compiled and loaded here, and each split
/// module is run against the same module run eagerly: outputs and every gradient bit for bit, in training and eval
/// mode, for two batch sizes in one process, and under NoGrad.
/// </summary>
public class CompiledSplitTests
{
    const string Models = """
        using ShapeSafe;
        using ShapeSafe.NN;
        namespace Split;

        [Module]
        public partial class UnknownCall : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(1));
            readonly Linear _fc2 = new(8, 4, generator: new Generator(2));
            public Tensor Forward(Tensor x)
            {
                var h = F.Relu(_fc1.Forward(x));
                var s = h.Sin();
                return _fc2.Forward(h * s);
            }
        }

        [Module]
        public partial class ValueBranch : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(3));
            readonly Linear _fc2 = new(8, 4, generator: new Generator(4));
            public Tensor Forward(Tensor x)
            {
                var h = _fc1.Forward(x);
                if (h.Sum().Item() > 0) h = h.Relu();
                else h = h.Tanh();
                return _fc2.Forward(h) + 1;
            }
        }

        [Module]
        public partial class ReadsValue : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(5));
            readonly Linear _fc2 = new(8, 4, generator: new Generator(6));
            public float Peak;
            public Tensor Forward(Tensor x)
            {
                var h = F.Tanh(_fc1.Forward(x));
                var peak = h.Max().Item();
                Peak = peak;
                return F.Sigmoid(_fc2.Forward(h));
            }
        }

        [Module]
        public partial class SideEffects : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(7));
            readonly Linear _fc2 = new(8, 4, generator: new Generator(8));
            int _count;
            Tensor? _last;
            public int Count => _count;
            public Tensor? Last => _last;
            public Tensor Forward(Tensor x)
            {
                var h = F.Sigmoid(_fc1.Forward(x));
                _count++;
                _last = h;
                var y = _fc2.Forward(h);
                return y * 0.5;
            }
        }

        [Module]
        public partial class BreaksFirst : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(9));
            readonly Linear _fc2 = new(8, 4, generator: new Generator(10));
            int _count;
            public int Count => _count;
            public Tensor Forward(Tensor x)
            {
                _count += 2;
                var h = F.Relu(_fc1.Forward(x));
                return _fc2.Forward(h);
            }
        }

        [Module]
        public partial class BreaksLast : Module
        {
            readonly Linear _fc1 = new(6, 8, generator: new Generator(11));
            readonly Linear _fc2 = new(8, 4, generator: new Generator(12));
            public Tensor? Last;
            public Tensor Forward(Tensor x)
            {
                var y = _fc2.Forward(F.Relu(_fc1.Forward(x)));
                Last = y.Detach();
                return y;
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
        var assembly = new AssemblyLoadContext("CompiledSplitTests", isCollectible: true).LoadFromStream(stream);
        return (files, output, assembly);
    });

    static string[] Lines(string text) => text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();

    static Module New(string name) => (Module)Activator.CreateInstance(Built.Value.Assembly.GetType("Split." + name, throwOnError: true)!)!;

    static Func<Tensor, Tensor> EagerForward(Module module)
    {
        var forward = module.GetType().GetMethod("Forward", new[] { typeof(Tensor) })!;
        return x => (Tensor)forward.Invoke(module, new object[] { x })!;
    }

    static CompiledModule Compile(Module module) =>
        (CompiledModule)module.GetType().GetMethod("Compile")!.Invoke(module, new object?[] { null })!;

    /// <summary>The analyzer's diagnostics of the models as (id, line, message).</summary>
    static async Task<List<(string Id, int Line, string Message)>> Reported()
    {
        var input = GeneratorHarness.Compile(("Models.cs", Models));
        var diagnostics = await input.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new ModuleDeclarationAnalyzer())).GetAnalyzerDiagnosticsAsync();
        return diagnostics.Select(d => (d.Id, d.Location.GetLineSpan().StartLinePosition.Line + 1, d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(d => d.Item2).ToList();
    }

    static (float[] Output, Dictionary<string, float[]> Grads, float[] InputGrad) Step(Module model, Func<Tensor, Tensor> forward, Tensor x)
    {
        model.ZeroGrad();
        x.Grad = null;
        var y = forward(x);
        var weights = Tensor.Arange(y.NumEl).Reshape(y.Shape.ToArray()).Mul(0.01f).Sin();
        y.Mul(weights).Sum().Backward();
        var grads = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToFloatArray());
        return (y.Detach().ToFloatArray(), grads, x.Grad!.ToFloatArray());
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

    /// <summary>Train, eval, train, ... with two batch sizes: each call's output and every gradient equal eager mode's bit for bit.</summary>
    static CompiledModule AssertMatchesEager(string name)
    {
        var eager = New(name);
        var twin = New(name);
        var compiled = Compile(twin);
        Assert.True(compiled.IsCompiled);
        var forward = (ITensorModule)compiled;
        var calls = new[] { (true, 5), (false, 5), (true, 3), (false, 3), (true, 5) };
        foreach (var (training, batch) in calls)
        {
            eager.Train(training);
            twin.Train(training);
            var data = Tensor.Randn(new[] { batch, 6 }, new Generator(batch * 7 + (training ? 1 : 0)));
            var (x1, x2) = (data.Clone(), data.Clone());
            x1.RequiresGrad = true;
            x2.RequiresGrad = true;
            var (y1, g1, dx1) = Step(eager, EagerForward(eager), x1);
            var (y2, g2, dx2) = Step(twin, forward.Forward, x2);
            string where = $"{name} {(training ? "train" : "eval")} [{batch}, 6]";
            AssertBitwise(y1, y2, where + " output");
            Assert.Equal(g1.Keys, g2.Keys);
            foreach (var (parameter, grad) in g1) AssertBitwise(grad, g2[parameter], where + " grad of " + parameter);
            AssertBitwise(dx1, dx2, where + " grad of the input");
        }
        // Every graph planned both batch sizes in both modes; no call ran a graph's eager form.
        Assert.Equal(0, compiled.EagerCalls);
        return compiled;
    }

    static string File(string name) => Built.Value.Files["Split." + name + ".g.cs"];

    [Fact]
    public void The_generated_code_compiles_without_warnings()
    {
        Assert.Empty(GeneratorHarness.Problems(Built.Value.Output));
    }

    [Fact]
    public async Task Each_break_is_reported_with_its_line_and_reason_and_says_the_graph_is_split_there()
    {
        var reported = await Reported();
        const string Eagerly = "; the graph is split there, and line {0} runs eagerly";
        string Split(int graphs, int line, string reason) =>
            $"{{0}}.Forward is compiled as {graphs} graph{(graphs == 1 ? "" : "s")}: line {line}: {reason}" + string.Format(System.Globalization.CultureInfo.InvariantCulture, Eagerly, line);
        var expected = new List<(string, int, string)>
        {
            ("SS2013", 13, string.Format(Split(2, 13, "a call to Tensor.Sin, which the generator does not compile"), "UnknownCall")),
            ("SS2013", 26, "ValueBranch.Forward is compiled as 2 graphs: line 26: an if statement on a tensor's value (Item) (branches compile when their conditions "
                + "read only Training, constants and readonly bool, integer, enum, string, float or double fields, or compare a readonly child module field with null); "
                + "the graph is split there, and lines 26-27 run eagerly"),
            ("SS2013", 41, string.Format(Split(2, 41, "a read of a tensor's value (Item) into a local of type float"), "ReadsValue")),
            ("SS2013", 42, string.Format(Split(2, 42, "an assignment to the field Peak (a side effect on state)"), "ReadsValue")),
            ("SS2013", 59, string.Format(Split(2, 59, "an update of the field _count (a side effect on state)"), "SideEffects")),
            ("SS2013", 60, string.Format(Split(2, 60, "an assignment to the field _last (a side effect on state)"), "SideEffects")),
            ("SS2013", 75, string.Format(Split(1, 75, "an update of the field _count (a side effect on state)"), "BreaksFirst")),
            ("SS2013", 90, string.Format(Split(1, 90, "an assignment to the field Last (a side effect on state)"), "BreaksLast")),
        };
        Assert.Equal(expected, reported);
    }

    [Fact]
    public void A_value_computed_before_the_break_and_read_after_it_is_the_first_graphs_output_and_the_second_graphs_input()
    {
        var lines = Lines(File("UnknownCall"));
        Assert.Contains("global::ShapeSafe.Tensor SplitForward(Compiled graphs, global::ShapeSafe.Tensor x)", lines);
        Assert.Contains("var h = graphs.Fc1Relu.Forward(x);", lines);
        Assert.Contains("var s = h.Sin();", lines);
        Assert.Contains("return graphs.MulFc2.Forward(h, s);", lines);
        Assert.Contains("// Model0.cs(12), compiled: var h = F.Relu(_fc1.Forward(x));", lines);
        Assert.Contains("// Model0.cs(13), eager: line 13: a call to Tensor.Sin, which the generator does not compile", lines);
        // Each graph is its own node, guarded as one graph is, and its eager form runs when a guard does not hold.
        Assert.Contains("internal sealed class Fc1ReluGraph : global::ShapeSafe.NN.CompiledModule<UnknownCall>", lines);
        Assert.Contains("if (PlanFor<Plan>(x) is not { } plan) return Module.Fc1ReluEager(x);", lines);
        Assert.Contains("if (PlanFor<Plan>(h, s) is not { } plan) return Module.MulFc2Eager(h, s);", lines);
        Assert.Equal(2, lines.Count(l => l.StartsWith("return Record(output, \"CompiledFunctionBackward\"", StringComparison.Ordinal)));
        Assert.Contains("return Record(output, \"CompiledFunctionBackward\", new global::ShapeSafe.Tensor?[] { h, s, _fc2.Weight, _fc2.Bias }, b.Backward, b.Released);", lines);
        Assert.Contains("public global::ShapeSafe.Tensor Forward(global::ShapeSafe.Tensor x) => Module.SplitForward(this, x);", lines);
        Assert.Contains("global::ShapeSafe.Tensor MulFc2Eager(global::ShapeSafe.Tensor h, global::ShapeSafe.Tensor s)", lines);
        Assert.Contains("return _fc2.Forward(h * s);", lines);

        var compiled = AssertMatchesEager("UnknownCall");
        // Two graphs, each with a plan per batch size and mode.
        Assert.Equal(8, compiled.PlannedShapes);
    }

    [Fact]
    public void An_if_on_a_tensors_value_runs_eagerly_between_two_graphs()
    {
        var lines = Lines(File("ValueBranch"));
        Assert.Contains("var h = graphs.Fc1.Forward(x);", lines);
        Assert.Contains("if (h.Sum().Item() > 0) h = h.Relu();", lines);
        Assert.Contains("else h = h.Tanh();", lines);
        Assert.Contains("return graphs.Fc2Add.Forward(h);", lines);
        AssertMatchesEager("ValueBranch");
    }

    [Fact]
    public void A_read_of_a_tensors_value_and_a_field_assigned_from_it_run_eagerly()
    {
        var lines = Lines(File("ReadsValue"));
        Assert.Contains("var h = graphs.Fc1Tanh.Forward(x);", lines);
        Assert.Contains("var peak = h.Max().Item();", lines);
        Assert.Contains("Peak = peak;", lines);
        Assert.Contains("return graphs.Fc2Sigmoid.Forward(h);", lines);
        AssertMatchesEager("ReadsValue");
        var module = New("ReadsValue");
        var compiled = (ITensorModule)Compile(module);
        var x = Tensor.Randn(new[] { 2, 6 }, new Generator(40));
        var h = F.Tanh(((Linear)module.NamedModules().Single(m => m.Name == "fc1").Module).Forward(x));
        compiled.Forward(x);
        Assert.Equal(h.Max().Item(), (float)module.GetType().GetField("Peak")!.GetValue(module)!);
    }

    [Fact]
    public void Side_effects_on_fields_run_eagerly_once_per_call()
    {
        var compiled = AssertMatchesEager("SideEffects");
        var module = compiled.Module;
        Assert.Equal(5, (int)module.GetType().GetProperty("Count")!.GetValue(module)!);
        // _last is the first graph's output itself: the eager statement sees the tensor the next graph reads.
        var last = (Tensor)module.GetType().GetProperty("Last")!.GetValue(module)!;
        Assert.Equal(new[] { 5, 8 }, last.Shape.ToArray());
        Assert.Equal("CompiledFunctionBackward", last.GradFn);
        var lines = Lines(File("SideEffects"));
        Assert.Contains("_count++;", lines);
        Assert.Contains("_last = h;", lines);
        Assert.Contains("return graphs.Fc2Mul.Forward(h);", lines);
    }

    [Fact]
    public void A_break_at_the_start_or_at_the_end_leaves_one_compiled_graph()
    {
        var first = Lines(File("BreaksFirst"));
        Assert.Single(first, l => l.StartsWith("internal sealed class", StringComparison.Ordinal) && l.EndsWith("Graph : global::ShapeSafe.NN.CompiledModule<BreaksFirst>", StringComparison.Ordinal));
        Assert.Contains("_count += 2;", first);
        Assert.Contains("return graphs.Fc1ReluFc2.Forward(x);", first);
        var compiled = AssertMatchesEager("BreaksFirst");
        Assert.Equal(10, (int)compiled.Module.GetType().GetProperty("Count")!.GetValue(compiled.Module)!);

        var last = Lines(File("BreaksLast"));
        Assert.Single(last, l => l.StartsWith("internal sealed class", StringComparison.Ordinal) && l.EndsWith("Graph : global::ShapeSafe.NN.CompiledModule<BreaksLast>", StringComparison.Ordinal));
        Assert.Contains("var y = graphs.Fc1ReluFc2.Forward(x);", last);
        Assert.Contains("Last = y.Detach();", last);
        Assert.Contains("return y;", last);
        compiled = AssertMatchesEager("BreaksLast");
        Assert.Equal(4, compiled.PlannedShapes);
    }

    [Fact]
    public void Under_no_grad_a_split_module_records_no_node_and_gives_eager_modes_values()
    {
        var eager = New("UnknownCall");
        var twin = New("UnknownCall");
        var compiled = (ITensorModule)Compile(twin);
        var x = Tensor.Randn(new[] { 4, 6 }, new Generator(41));
        x.RequiresGrad = true;
        using (Autograd.NoGrad())
        {
            var expected = EagerForward(eager)(x);
            var actual = compiled.Forward(x);
            Assert.False(actual.RequiresGrad);
            Assert.Null(actual.GradFn);
            AssertBitwise(expected.ToFloatArray(), actual.ToFloatArray(), "no-grad output");
        }
        // Afterwards, the graphs record again.
        var y = compiled.Forward(x);
        Assert.Equal("CompiledFunctionBackward", y.GradFn);
    }

    [Fact]
    public void An_input_a_guard_refuses_runs_each_graphs_eager_form()
    {
        var eager = New("SideEffects");
        var twin = New("SideEffects");
        var compiled = Compile(twin);
        eager.To(DType.Float64);
        twin.To(DType.Float64);
        var x = Tensor.Randn(new[] { 3, 6 }, new Generator(42)).ToDType(DType.Float64);
        var expected = EagerForward(eager)(x);
        var actual = ((ITensorModule)compiled).Forward(x);
        Assert.Equal(DType.Float64, actual.DType);
        Assert.Equal(expected.ToDoubleArray(), actual.ToDoubleArray());
        // The first graph's guard refused the Float64 input; its eager form ran, and so the second graph's did.
        Assert.Equal(2, compiled.EagerCalls);
        Assert.Equal(1, (int)twin.GetType().GetProperty("Count")!.GetValue(twin)!);
    }
}
