using ShapeSafe.NN;
using ShapeSafe.Optim;

namespace ShapeSafe.Distributed.Tests;

/// <summary>Without mpirun the same program runs alone: a world of one whose collectives are their one-rank definitions.</summary>
public class WorldOfOneTests
{
    [Fact]
    public void Collectives_of_one_rank_leave_the_values()
    {
        var group = ProcessGroup.Init();
        Assert.Equal((0, 1, 0, false), (group.Rank, group.WorldSize, group.LocalRank, group.IsDistributed));
        var t = Tensor.FromArray(new[] { 1f, 2f, 3f }, 3);
        group.AllReduce(t, ReduceOp.Average);
        group.Broadcast(t);
        group.Barrier();
        Assert.Equal(new[] { 1f, 2f, 3f }, t.ToFloatArray());
        var gathered = group.AllGather(t);
        Assert.Equal(new[] { 1, 3 }, gathered.Shape);
        Assert.Equal(new[] { 3 }, group.ReduceScatter(t).Shape);
        Assert.Throws<ArgumentException>(() => group.AllReduce(Tensor.Ones(2, 3).Transpose(0, 1)));
        Assert.Throws<ArgumentException>(() => group.AllReduce(Tensor.Arange(3L), ReduceOp.Average));
    }

    [Fact]
    public void Post_accumulate_grad_hooks_run_once_after_the_whole_gradient_of_a_pass()
    {
        var w = new Parameter(Tensor.FromArray(new[] { 2f }, 1));
        var seen = new List<float>();
        using var hook = w.RegisterPostAccumulateGradHook(p => seen.Add(p.Grad!.Item()));
        // w is used twice: the hook sees the sum of both paths, once.
        ((w * 3f) + (w * w)).Sum().Backward();
        Assert.Equal(new[] { 7f }, seen);
        ((w * 3f).Sum()).Backward();
        Assert.Equal(new[] { 7f, 10f }, seen);
        hook.Dispose();
        ((w * 3f).Sum()).Backward();
        Assert.Equal(2, seen.Count);
        Assert.Throws<InvalidOperationException>(() => (w * 2f).RegisterPostAccumulateGradHook(_ => { }));
    }

    sealed class Net : Module, ITensorModule
    {
        public Net() => Body = RegisterModule("body", new Linear(3, 2, generator: new Generator(3)));

        public Linear Body { get; }

        public Tensor Forward(Tensor x) => Body.Forward(x);
    }

    [Fact]
    public void Ddp_and_zero_of_one_rank_train_like_the_plain_model()
    {
        var group = ProcessGroup.Init();
        var plain = new Net();
        var model = new Net();
        var ddp = new DistributedDataParallel<Net>(model, group);
        var zero = new ZeroRedundancyOptimizer(model.Parameters(), ps => new Adam(ps, 0.1), group, stage: 2);
        var optimizer = new Adam(plain.Parameters(), 0.1);
        var x = Tensor.Randn(new[] { 4, 3 }, new Generator(1));
        for (int step = 0; step < 2; step++)
        {
            zero.ZeroGrad();
            ddp.Forward(x).Sum().Backward();
            zero.Step();
            optimizer.ZeroGrad();
            plain.Forward(x).Sum().Backward();
            optimizer.Step();
        }
        Assert.Equal(plain.Body.Weight.ToFloatArray(), model.Body.Weight.ToFloatArray());
        Assert.Equal(optimizer.StateDict().Tensors.Keys, zero.StateDict().Tensors.Keys);
    }
}
