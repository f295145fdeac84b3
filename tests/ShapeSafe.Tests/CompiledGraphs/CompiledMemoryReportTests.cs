using ShapeSafe.NN;
using static ShapeSafe.Tests.CompiledGraphs.CompiledModels;

namespace ShapeSafe.Tests.CompiledGraphs;

/// <summary>
/// <see cref="CompiledModule.MemoryReport(int[][])"/>: the memory report through the base class, for a graph and for
/// a module with a graph per mode (the report of the mode's graph, named), with the bytes counted by hand.
/// </summary>
public class CompiledMemoryReportTests
{
    static readonly CompileOptions Recompute = new() { Recompute = RecomputeMode.MinCut };

    [Fact]
    public void Code_holding_a_compiled_module_gets_the_graphs_own_report()
    {
        // TwoGelu's figures as RecomputationTests counts them: [3, 8] buffers of 96 bytes, four saved, five live at
        // fc3's backward, five slots; recomputing, two saved, four live, four slots. One graph: both modes alike.
        CompiledModule saving = new TwoGelu().Compile();
        CompiledModule recomputing = new TwoGelu().Compile(Recompute);
        var expected = new CompiledMemoryReport(SavedBytes: 4 * 96, PeakBytes: 5 * 96, ArenaBytes: 5 * 96);
        Assert.Equal(expected, saving.MemoryReport([3, 4]));
        Assert.Equal(expected, saving.MemoryReport(training: false, [3, 4]));
        Assert.Equal(((TwoGelu.Compiled)saving).MemoryReport([3, 4]), saving.MemoryReport([3, 4]));
        Assert.Equal("", saving.MemoryReport([3, 4]).Variant);
        Assert.Equal(new CompiledMemoryReport(SavedBytes: 2 * 96, PeakBytes: 4 * 96, ArenaBytes: 4 * 96), recomputing.MemoryReport([3, 4]));
        Assert.Equal(0, recomputing.PlannedShapes);
    }

    [Fact]
    public void A_module_with_a_graph_per_mode_reports_the_graph_of_the_mode_asked_for_and_names_it()
    {
        // ModeSwitched at N = 5, every buffer [5, 16] (320 bytes), four forward steps (fc1, then two element-wise
        // ops, fc2) and four backward ones.
        // Training, fc1 → dropout → ReLU: only the ReLU's output is saved (its backward and fc2's read it; the
        // dropout's reads its mask). At the ReLU's backward (5) the ReLU's output and its and the dropout's gradients
        // are live; slots: fc1's output, the ReLU's, fc1's gradient; the dropout's, the ReLU's gradient; the
        // dropout's gradient.
        var training = new CompiledMemoryReport(SavedBytes: 320, PeakBytes: 960, ArenaBytes: 960) { Variant = "Variant0: Training" };
        // Eval, fc1 → tanh → ·0.5: the tanh's output (its backward reads it) and the product (fc2's) are saved; three
        // live at the product's backward (4: the two and the product's gradient), in three slots.
        var eval = new CompiledMemoryReport(SavedBytes: 640, PeakBytes: 960, ArenaBytes: 960) { Variant = "Variant1: !Training" };
        var model = new ModeSwitched();
        CompiledModule compiled = model.Compile();
        Assert.True(model.Training);
        Assert.Equal(training, compiled.MemoryReport([5, 10]));
        Assert.Equal(eval, compiled.MemoryReport(training: false, [5, 10]));
        model.Eval();
        Assert.Equal(eval, compiled.MemoryReport([5, 10]));
        Assert.Equal(training, compiled.MemoryReport(training: true, [5, 10]));
        // Recomputing, the eval graph makes the product again from the tanh's output: one saved, the same peak; the
        // product again takes a third slot at its backward, as its gradient takes the second.
        CompiledModule recomputing = new ModeSwitched().Compile(Recompute);
        Assert.Equal(training, recomputing.MemoryReport([5, 10]));
        Assert.Equal(eval with { SavedBytes = 320 }, recomputing.MemoryReport(training: false, [5, 10]));
        Assert.Equal(0, compiled.PlannedShapes + recomputing.PlannedShapes);
    }

    [Fact]
    public void The_report_needs_one_shape_per_argument_and_a_graph()
    {
        CompiledModule compiled = new TwoGelu().Compile();
        var e = Assert.Throws<ArgumentException>(() => compiled.MemoryReport([3, 4], [3, 4]));
        Assert.StartsWith("MemoryReport: TwoGelu's Forward takes 1 tensor, so it needs 1 shape; got 2", e.Message);
        var shape = Assert.Throws<ShapeException>(() => compiled.MemoryReport([3, 5]));
        Assert.Contains("[3, 5]", shape.Message);
        CompiledModule eager = new WholeEager(new Generator(5)).Compile();
        Assert.False(eager.IsCompiled);
        var none = Assert.Throws<NotSupportedException>(() => eager.MemoryReport([3, 4]));
        Assert.Equal("MemoryReport: WholeEager has no compiled graph (its Forward runs eagerly), so it has no buffer set to report", none.Message);
        CompiledModule split = new DataDependent(new Generator(5)).Compile();
        Assert.True(split.IsCompiled);
        var several = Assert.Throws<NotSupportedException>(() => split.MemoryReport([3, 4]));
        Assert.Equal("MemoryReport: DataDependent's Forward is split into graphs at its graph breaks, and the shapes a later graph gets are known only when the eager code before it runs, so there is no one buffer set to report", several.Message);
    }
}
