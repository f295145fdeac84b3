using ShapeSafe.NN;
using ShapeSafe.Optim;
using ShapeSafe.Parallel;
using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.ParallelTraining;

/// <summary>
/// <see cref="DataParallel{TModule}"/>: the averaged shard gradients are the whole batch's gradient, a step is
/// bitwise the same for any thread count, training follows plain training, and bad batches, losses and replicas
/// are refused with messages that say what is wrong.
/// </summary>
[Collection(nameof(DataParallelTests))] // changes the thread count; draws only from its own generators
public class DataParallelTests
{
    sealed class Net : Module, ITensorModule
    {
        // An explicit generator, so the test neither reads nor moves the default one other tests seed.
        public Net(Generator generator)
        {
            Body = RegisterModule("body", new Sequential(new Linear(6, 8, generator: generator), new ReLU(), new Linear(8, 3, generator: generator)));
            Norm = RegisterModule("norm", new BatchNorm1dLike());
        }

        public Sequential Body { get; }
        public BatchNorm1dLike Norm { get; }

        public Tensor Forward(Tensor x) => Norm.Forward(Body.Forward(x));
    }

    // A module with a buffer that training updates, to follow how buffers travel.
    sealed class BatchNorm1dLike : Module, ITensorModule
    {
        public BatchNorm1dLike() => Count = RegisterBuffer("count", Tensor.Zeros(1))!;

        public Tensor Count { get; }

        public Tensor Forward(Tensor x)
        {
            if (Training)
                using (ShapeSafe.Autograd.NoGrad()) Count.AddInPlace(1f);
            return x;
        }
    }

    static readonly CrossEntropyLoss Loss = new();

    static Tensor MeanLoss(Net net, Tensor[] shard) => Loss.Forward(net.Forward(shard[0]), shard[1]);

    static (Tensor X, Tensor Y) Batch(int samples, int seed)
    {
        var generator = new Generator(seed);
        return (Tensor.Randn(new[] { samples, 6 }, generator), Tensor.Randint(0, 3, new[] { samples }, generator));
    }

    static Net Model(int seed) => new(new Generator(seed));

    static Net Replica() => new(new Generator(0));

    static float[][] Grads(Module m) => m.Parameters().Select(p => p.Grad!.ToFloatArray()).ToArray();

    [Theory]
    [InlineData(2, 10)]
    [InlineData(3, 10)]  // uneven shards: 4, 3, 3
    [InlineData(4, 3)]   // fewer samples than replicas: three shards of one
    public void Averaged_shard_gradients_are_the_whole_batch_gradient(int replicas, int samples)
    {
        var (x, y) = Batch(samples, 1);
        var plain = Model(7);
        var loss = MeanLoss(plain, [x, y]);
        loss.Backward();

        var model = Model(7);
        var parallel = new DataParallel<Net>(model, Replica, replicas);
        float value = parallel.ForwardBackward([x, y], MeanLoss);

        Assert.Equal(loss.Item(), value, 5);
        var expected = Grads(plain);
        var actual = Grads(model);
        for (int p = 0; p < expected.Length; p++)
        {
            for (int i = 0; i < expected[p].Length; i++)
                Assert.True(Math.Abs(expected[p][i] - actual[p][i]) <= 1e-5 + 1e-4 * Math.Abs(expected[p][i]),
                    $"parameter {p} element {i}: whole batch {expected[p][i]}, data parallel {actual[p][i]}");
        }
    }

    [Fact]
    public void One_replica_is_bitwise_plain_training()
    {
        var (x, y) = Batch(8, 2);
        var plain = Model(3);
        MeanLoss(plain, [x, y]).Backward();
        var model = Model(3);
        new DataParallel<Net>(model, Replica, replicas: 1).ForwardBackward([x, y], MeanLoss);
        Assert.Equal(Grads(plain), Grads(model));
    }

    [Fact]
    public void A_step_is_bitwise_the_same_for_any_thread_count()
    {
        var (x, y) = Batch(64, 4);
        float[][] Run(int threads) => Threads.With(threads, () =>
        {
            var model = Model(5);
            new DataParallel<Net>(model, Replica, replicas: 2).ForwardBackward([x, y], MeanLoss);
            return Grads(model);
        });
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(3));
    }

    [Fact]
    public void Training_follows_plain_training_and_gradients_accumulate()
    {
        var plain = Model(11);
        var model = Model(11);
        var parallel = new DataParallel<Net>(model, Replica, replicas: 2);
        var plainOptimizer = new Sgd(plain.Parameters(), lr: 0.1, momentum: 0.9);
        var optimizer = new Sgd(model.Parameters(), lr: 0.1, momentum: 0.9);
        for (int step = 0; step < 5; step++)
        {
            var (x, y) = Batch(12, 100 + step);
            plainOptimizer.ZeroGrad();
            optimizer.ZeroGrad();
            MeanLoss(plain, [x, y]).Backward();
            parallel.ForwardBackward([x, y], MeanLoss);
            plainOptimizer.Step();
            optimizer.Step();
        }
        var expected = plain.Parameters().Select(p => p.ToFloatArray()).ToArray();
        var actual = model.Parameters().Select(p => p.ToFloatArray()).ToArray();
        for (int p = 0; p < expected.Length; p++)
            for (int i = 0; i < expected[p].Length; i++)
                Assert.True(Math.Abs(expected[p][i] - actual[p][i]) <= 1e-4, $"parameter {p} element {i}: {expected[p][i]} vs {actual[p][i]}");

        // Without ZeroGrad a second step adds to the gradients, as Backward does.
        var (x2, y2) = Batch(12, 9);
        optimizer.ZeroGrad();
        parallel.ForwardBackward([x2, y2], MeanLoss);
        var once = Grads(model);
        parallel.ForwardBackward([x2, y2], MeanLoss);
        var twice = Grads(model);
        for (int p = 0; p < once.Length; p++)
            for (int i = 0; i < once[p].Length; i++)
                Assert.Equal(2 * once[p][i], twice[p][i], 5);
    }

    [Fact]
    public void Buffers_come_back_from_replica_zero_and_the_training_mode_goes_out()
    {
        var model = Model(1);
        var parallel = new DataParallel<Net>(model, Replica, replicas: 2);
        var (x, y) = Batch(4, 1);
        parallel.ForwardBackward([x, y], MeanLoss);
        parallel.ForwardBackward([x, y], MeanLoss);
        // Each step, replica 0 starts from the model's count and adds one.
        Assert.Equal(2f, model.Norm.Count.Item());

        model.Eval();
        parallel.ForwardBackward([x, y], MeanLoss);
        Assert.Equal(2f, model.Norm.Count.Item());
    }

    [Fact]
    public void Bad_batches_losses_and_replicas_are_refused()
    {
        var model = Model(1);
        var parallel = new DataParallel<Net>(model, Replica, replicas: 2);
        var mismatch = Assert.Throws<ShapeException>(() => parallel.ForwardBackward([Tensor.Zeros(4, 6), Tensor.Zeros(new[] { 5 }, DType.Int64)], MeanLoss));
        Assert.Contains("DataParallel", mismatch.Message);
        Assert.Contains("[4, 6], [5]", mismatch.Message);
        var empty = Assert.Throws<ShapeException>(() => parallel.ForwardBackward([Tensor.Zeros(0, 6), Tensor.Zeros(new[] { 0 }, DType.Int64)], MeanLoss));
        Assert.Contains("no samples", empty.Message);

        var vector = Assert.Throws<InvalidOperationException>(() => parallel.ForwardBackward([Tensor.Zeros(4, 6)], (net, s) => net.Forward(s[0])));
        Assert.Contains("the loss must be a single value, got shape [2, 3]", vector.Message);

        var other = Assert.Throws<ArgumentException>(() => new DataParallel<Module>(model, () => new Sequential(new Linear(6, 8, generator: new Generator(1))), 2));
        Assert.Contains("createReplica must build the same architecture", other.Message);
        Assert.Throws<ArgumentException>(() => new DataParallel<Net>(model, () => model, 2));
    }

    [Fact]
    public void Shards_are_as_even_as_possible_larger_first()
    {
        Assert.Equal([(0, 4), (4, 3), (7, 3)], Enumerable.Range(0, 3).Select(s => DataParallel<Net>.Shard(s, 10, 3)));
        Assert.Equal([(0, 32), (32, 32)], Enumerable.Range(0, 2).Select(s => DataParallel<Net>.Shard(s, 64, 2)));
    }
}
