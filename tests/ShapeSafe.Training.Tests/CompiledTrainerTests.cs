using ShapeSafe;
using ShapeSafe.Data;
using ShapeSafe.NN;
using ShapeSafe.Optim;
using ShapeSafe.Training;

namespace ShapeSafe.Training.Tests;

/// <summary>A model whose Forward the generator compiles: the trainer's <c>Compile</c> option trains through its graph.</summary>
[Module]
public sealed partial class TrainerMlp : Module, ITensorModule
{
    readonly Linear _hidden = new(8, 16);
    readonly Linear _output = new(16, 3);

    public Tensor Forward(Tensor x) => _output.Forward(F.Relu(_hidden.Forward(x)));
}

/// <summary>The same loop on a compiled model: one option changes, and the results are the eager run's bits.</summary>
public sealed class CompiledTrainerTests
{
    static TensorDataset Data(int n, long seed)
    {
        var g = new Generator(seed);
        return new TensorDataset(Tensor.Randn(new[] { n, 8 }, g), Tensor.Randint(0, 3, new[] { n }, g));
    }

    static Tensor Loss(Tensor output, Tensor target) => F.CrossEntropy(output, target);

    static Trainer Fit(bool compile, int replicas = 1)
    {
        Tensor.ManualSeed(7);
        var model = new TrainerMlp();
        var optimizer = new Adam(model.Parameters(), lr: 1e-2);
        var trainer = new Trainer(model, optimizer, Loss, new TrainerOptions
        {
            Epochs = 3,
            Compile = compile,
            Scheduler = new CosineAnnealingLR(optimizer, tMax: 3),
            GradientClipMaxNorm = 1.0,
            GradientAccumulationSteps = 2,
            Progress = ProgressMode.None,
            Replicas = replicas,
            CreateReplica = () => new TrainerMlp(),
        });
        // 100 training samples in batches of 16 and 30 validation samples in batches of 8: two shapes each.
        trainer.Fit(new DataLoader(Data(100, 1), batchSize: 16, shuffle: true, generator: new Generator(3)),
            new DataLoader(Data(30, 2), batchSize: 8));
        return trainer;
    }

    static void AssertSameRun(Trainer expected, Trainer actual)
    {
        foreach (var ((name, p), (_, q)) in expected.Model.NamedParameters().Zip(actual.Model.NamedParameters()))
            Assert.True(p.ToFloatArray().SequenceEqual(q.ToFloatArray()), $"parameter {name} differs");
        Assert.Equal(expected.History.Count, actual.History.Count);
        for (int i = 0; i < expected.History.Count; i++)
            foreach (var key in new[] { "train_loss", "train_accuracy", "valid_loss", "valid_accuracy", "lr" })
                Assert.Equal(BitConverter.DoubleToInt64Bits(expected.History[i][key]), BitConverter.DoubleToInt64Bits(actual.History[i][key]));
    }

    [Fact]
    public void A_compiled_model_trains_to_the_eager_runs_bits()
    {
        var eager = Fit(compile: false);
        var compiled = Fit(compile: true);
        AssertSameRun(eager, compiled);

        Assert.Null(eager.CompiledModel);
        var graph = compiled.CompiledModel!;
        Assert.True(graph.IsCompiled);
        Assert.Same(compiled.Model, graph.Module);
        // Training batches of 16 and 4, validation batches of 8 and 6 (in eval mode): four plans, no eager call.
        Assert.Equal(4, graph.PlannedShapes);
        Assert.Equal(0, graph.EagerCalls);
    }

    [Fact]
    public void Data_parallel_replicas_run_compiled_graphs_too()
    {
        var eager = Fit(compile: false, replicas: 2);
        var compiled = Fit(compile: true, replicas: 2);
        Assert.IsType<DataParallelStrategy>(compiled.Strategy);
        AssertSameRun(eager, compiled);
        // The model's own graph ran only validation (the replicas ran the training shards): eval batches of 8 and 6.
        Assert.Equal(2, compiled.CompiledModel!.PlannedShapes);
    }

    [Fact]
    public void Compile_needs_a_generated_graph_and_no_forward_of_its_own()
    {
        var sequential = new Sequential(new Linear(8, 3));
        var error = Assert.Throws<ArgumentException>(() => new Trainer(sequential, new Sgd(sequential.Parameters(), lr: 0.1), Loss,
            new TrainerOptions { Compile = true }));
        Assert.StartsWith("Trainer: Compile needs a [Module] partial class with a Forward(Tensor) for the generator to compile; Sequential is not one", error.Message);

        var model = new TrainerMlp();
        error = Assert.Throws<ArgumentException>(() => new Trainer(model, new Sgd(model.Parameters(), lr: 0.1), Loss,
            new TrainerOptions { Compile = true, Forward = (m, x) => ((TrainerMlp)m).Forward(x) }));
        Assert.StartsWith("Trainer: Compile runs the model's compiled Forward(Tensor) and cannot be combined with TrainerOptions.Forward", error.Message);
    }
}
