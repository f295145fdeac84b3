using ShapeSafe;
using ShapeSafe.Data;
using ShapeSafe.NN;
using ShapeSafe.Optim;
using ShapeSafe.Training;

namespace ShapeSafe.Training.Tests;

/// <summary>A model whose GELU outputs a compiled backward can recompute (<see cref="CompileOptions.Recompute"/>).</summary>
[Module]
public sealed partial class TrainerGeluMlp : Module, ITensorModule
{
    readonly Linear _hidden = new(8, 16);
    readonly Linear _output = new(16, 3);

    public Tensor Forward(Tensor x) => _output.Forward(F.Gelu(_hidden.Forward(x)));
}

/// <summary><see cref="TrainerOptions.CompileOptions"/> reaches every graph the trainer compiles, and recomputing changes no bit.</summary>
public sealed class RecomputingTrainerTests
{
    static Trainer Fit(CompileOptions? options, int replicas)
    {
        Tensor.ManualSeed(8);
        var model = new TrainerGeluMlp();
        var trainer = new Trainer(model, new Sgd(model.Parameters(), lr: 0.05, momentum: 0.9), (y, t) => F.CrossEntropy(y, t), new TrainerOptions
        {
            Epochs = 2,
            Compile = options is not null,
            CompileOptions = options,
            Progress = ProgressMode.None,
            Replicas = replicas,
            CreateReplica = () => new TrainerGeluMlp(),
        });
        var g = new Generator(4);
        var data = new TensorDataset(Tensor.Randn(new[] { 40, 8 }, g), Tensor.Randint(0, 3, new[] { 40 }, g));
        trainer.Fit(new DataLoader(data, batchSize: 16), new DataLoader(data, batchSize: 20));
        return trainer;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_recomputing_graph_trains_to_the_eager_runs_bits(int replicas)
    {
        var eager = Fit(options: null, replicas);
        var recomputing = Fit(new CompileOptions { Recompute = RecomputeMode.MinCut }, replicas);
        Assert.Equal(RecomputeMode.MinCut, recomputing.CompiledModel!.Options.Recompute);
        Assert.True(recomputing.CompiledModel.IsCompiled);
        foreach (var ((name, p), (_, q)) in eager.Model.NamedParameters().Zip(recomputing.Model.NamedParameters()))
            Assert.True(p.ToFloatArray().SequenceEqual(q.ToFloatArray()), $"parameter {name} differs");
        for (int i = 0; i < eager.History.Count; i++)
            Assert.Equal(BitConverter.DoubleToInt64Bits(eager.History[i]["train_loss"]), BitConverter.DoubleToInt64Bits(recomputing.History[i]["train_loss"]));
    }
}
