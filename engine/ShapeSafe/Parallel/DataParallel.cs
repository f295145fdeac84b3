using System.Numerics.Tensors;
using ShapeSafe.Kernels.Parallel;
using ShapeSafe.NN;

namespace ShapeSafe.Parallel;

/// <summary>
/// Data-parallel training on the threads of this process, the single-process form of PyTorch's
/// <c>DistributedDataParallel</c>: each step cuts the batch along dim 0 into one shard per replica, every replica
/// runs its forward and backward on its shard at the same time on its own thread, and the replicas' gradients are
/// averaged, weighted by shard size, into the model's parameters.
/// </summary>
/// <remarks>
/// <para>When the loss is a mean over samples, the averaged gradient is the full batch's gradient (up to float
/// rounding), so an optimizer over <see cref="Module"/>'s parameters trains as it would on the whole batch. Shards
/// are as even as possible (the first <c>N mod R</c> get one sample more); the weighted sum runs over the replicas
/// in order, and each replica runs its kernels on one thread, so a step gives the same bits for any thread count.</para>
/// <para>Before each step the replicas receive the model's parameter and buffer values and training mode; after it,
/// the model's buffers (batch-norm running statistics) take replica 0's, as DistributedDataParallel broadcasts rank
/// 0's buffers. Replicas draw random numbers (dropout) from the shared, locked generators in an order that depends
/// on scheduling, so a model with dropout is not reproducible run to run in this mode.</para>
/// <para>Speed: replicas replace intra-op parallelism (each runs single-threaded), which pays for models whose
/// kernels are too small to split well across cores.</para>
/// </remarks>
/// <typeparam name="TModule">The model's type.</typeparam>
public sealed class DataParallel<TModule> where TModule : Module
{
    private readonly TModule[] _replicas;
    private readonly Parameter[] _parameters;
    private readonly Parameter[][] _replicaParameters;
    private readonly Tensor[] _buffers;
    private readonly Tensor[][] _replicaBuffers;
    // Each replica's compiled graph, once a compiled ForwardBackward has made it.
    private readonly object?[] _graphs;

    /// <summary>
    /// Wraps <paramref name="module"/> with <paramref name="replicas"/> replicas made by <paramref name="createReplica"/>
    /// (which must build the same architecture: same parameter and buffer names and shapes).
    /// </summary>
    /// <param name="module">The model whose parameters the optimizer updates and whose gradients each step fills.</param>
    /// <param name="createReplica">Builds one more instance of the model (for example <c>() =&gt; new Net()</c>); its
    /// initial values do not matter, each step copies the model's in.</param>
    /// <param name="replicas">How many replicas (threads) to use; 0 means <see cref="Tensor.GetNumThreads"/>.</param>
    public DataParallel(TModule module, Func<TModule> createReplica, int replicas = 0)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(createReplica);
        ArgumentOutOfRangeException.ThrowIfNegative(replicas);
        Module = module;
        Replicas = replicas == 0 ? Tensor.GetNumThreads() : replicas;
        var names = module.NamedParameters().ToArray();
        var bufferNames = module.NamedBuffers().ToArray();
        _parameters = names.Select(p => p.Parameter).ToArray();
        _buffers = bufferNames.Select(b => b.Buffer).ToArray();
        _replicas = new TModule[Replicas];
        _replicaParameters = new Parameter[Replicas][];
        _replicaBuffers = new Tensor[Replicas][];
        _graphs = new object?[Replicas];
        for (int r = 0; r < Replicas; r++)
        {
            var replica = createReplica() ?? throw new ArgumentException("DataParallel: createReplica returned null", nameof(createReplica));
            if (ReferenceEquals(replica, module))
                throw new ArgumentException("DataParallel: createReplica must build a new instance, not return the model itself", nameof(createReplica));
            _replicas[r] = replica;
            _replicaParameters[r] = Matching("parameter", names.Select(p => (p.Name, (Tensor)p.Parameter)).ToArray(),
                replica.NamedParameters().Select(p => (p.Name, (Tensor)p.Parameter)).ToArray()).Cast<Parameter>().ToArray();
            _replicaBuffers[r] = Matching("buffer", bufferNames, replica.NamedBuffers().ToArray());
        }
    }

    /// <summary>The wrapped model: the one to give the optimizer, save and evaluate.</summary>
    public TModule Module { get; }

    /// <summary>How many replicas (and so at most how many threads) a step uses.</summary>
    public int Replicas { get; }

    /// <summary>
    /// One data-parallel forward and backward. Every tensor of <paramref name="batch"/> is cut along dim 0 into one
    /// shard per replica (fewer when the batch is smaller than <see cref="Replicas"/>); <paramref name="loss"/>
    /// computes a replica's scalar loss from its shards and runs on several threads at once. The shard gradients,
    /// weighted by shard size, are added to the model's parameters' <c>Grad</c> (accumulating, as <c>Backward</c>
    /// does; call the optimizer's <c>ZeroGrad</c> between steps).
    /// </summary>
    /// <returns>The batch's loss: the shard losses weighted by shard size (the batch mean for a mean loss).</returns>
    /// <exception cref="ShapeException">The batch's tensors disagree on dim 0, or one has no dims or no samples.</exception>
    /// <exception cref="InvalidOperationException">The loss is not a single value.</exception>
    public float ForwardBackward(Tensor[] batch, Func<TModule, Tensor[], Tensor> loss)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(loss);
        int samples = BatchSize(batch);
        int shards = Math.Min(Replicas, samples);
        SyncReplicas(shards);

        var losses = new double[shards];
        var body = new StepBody(this, batch, samples, shards, loss, losses);
        ParallelRuntime.For(shards, body.Invoke);

        using (Autograd.NoGrad())
        {
            ReduceGradients(samples, shards);
            for (int b = 0; b < _buffers.Length; b++)
                _buffers[b].CopyFrom(_replicaBuffers[0][b]);
        }
        double total = 0;
        for (int r = 0; r < shards; r++)
            total += losses[r] * ShardWeight(r, samples, shards);
        return (float)total;
    }

    /// <summary>
    /// <see cref="ForwardBackward(Tensor[], Func{TModule, Tensor[], Tensor})"/> through each replica's compiled graph
    /// (<c>model.Compile()</c>, for a <c>[Module]</c> class): <paramref name="compile"/> runs once per replica, at its
    /// first step, and <paramref name="loss"/> gets that replica's graph, so the replicas run generated code, as the
    /// design's thread-pool data parallelism asks.
    /// </summary>
    /// <example><c>dp.ForwardBackward(batch, m =&gt; m.Compile(), (graph, xs) =&gt; F.CrossEntropy(graph.Forward(xs[0]), xs[1]))</c></example>
    public float ForwardBackward<TGraph>(Tensor[] batch, Func<TModule, TGraph> compile, Func<TGraph, Tensor[], Tensor> loss) where TGraph : class
    {
        ArgumentNullException.ThrowIfNull(compile);
        ArgumentNullException.ThrowIfNull(loss);
        return ForwardBackward(batch, (replica, shard) =>
        {
            // Each replica runs on one thread per step, so its slot is written by that thread alone.
            int r = Array.IndexOf(_replicas, replica);
            if (_graphs[r] is not TGraph graph) _graphs[r] = graph = compile(replica) ?? throw new InvalidOperationException("DataParallel: compile returned null");
            return loss(graph, shard);
        });
    }

    /// <summary>The samples [Start, Start + Length) of shard <paramref name="shard"/>: as even as possible, larger ones first.</summary>
    internal static (int Start, int Length) Shard(int shard, int samples, int shards)
    {
        int size = samples / shards, extra = samples % shards;
        return (shard * size + Math.Min(shard, extra), size + (shard < extra ? 1 : 0));
    }

    private static float ShardWeight(int shard, int samples, int shards) => (float)Shard(shard, samples, shards).Length / samples;

    private static int BatchSize(Tensor[] batch)
    {
        const string op = "DataParallel";
        if (batch.Length == 0)
            throw new ArgumentException($"{op}: the batch has no tensors", nameof(batch));
        foreach (var t in batch)
        {
            ArgumentNullException.ThrowIfNull(t, nameof(batch));
            if (t.Rank == 0 || t.Sizes[0] != batch[0].Sizes[0] || batch[0].Rank == 0)
            {
                throw new ShapeException(op, $"every tensor of the batch is cut along dim 0, so they must agree on its size; got {string.Join(", ", batch.Select(b => Rules.Format(b.Sizes)))}");
            }
        }
        if (batch[0].Sizes[0] == 0)
            throw new ShapeException(op, $"the batch has no samples (dim 0 is 0): {string.Join(", ", batch.Select(b => Rules.Format(b.Sizes)))}");
        return batch[0].Sizes[0];
    }

    // Replica tensors in the model's order, checked to have the same names and shapes.
    private static Tensor[] Matching(string kind, (string Name, Tensor Tensor)[] model, (string Name, Tensor Tensor)[] replica)
    {
        if (model.Length != replica.Length)
            throw new ArgumentException($"DataParallel: the replica has {replica.Length} {kind}s but the model has {model.Length}; createReplica must build the same architecture");
        var result = new Tensor[model.Length];
        for (int i = 0; i < model.Length; i++)
        {
            if (model[i].Name != replica[i].Name || !model[i].Tensor.Sizes.AsSpan().SequenceEqual(replica[i].Tensor.Sizes))
            {
                throw new ArgumentException($"DataParallel: the replica's {kind} {replica[i].Name} {Rules.Format(replica[i].Tensor.Sizes)} does not match the model's {model[i].Name} {Rules.Format(model[i].Tensor.Sizes)}; createReplica must build the same architecture");
            }
            result[i] = replica[i].Tensor;
        }
        return result;
    }

    // The model's values and mode into the replicas that will run.
    private void SyncReplicas(int shards)
    {
        using var _ = Autograd.NoGrad();
        for (int r = 0; r < shards; r++)
        {
            _replicas[r].Train(Module.Training);
            for (int p = 0; p < _parameters.Length; p++)
            {
                var target = _replicaParameters[r][p];
                target.CopyFrom(_parameters[p]);
                target.RequiresGrad = _parameters[p].RequiresGrad;
            }
            for (int b = 0; b < _buffers.Length; b++)
                _replicaBuffers[r][b].CopyFrom(_buffers[b]);
        }
    }

    // model.Grad (+)= Σ_r weight_r · replica_r.Grad, replicas in order, through a pooled sum that the parameter takes
    // over as Backward's own gradients are (so steady-state steps allocate no gradient memory on this thread).
    private void ReduceGradients(int samples, int shards)
    {
        for (int p = 0; p < _parameters.Length; p++)
        {
            Tensor? sum = null;
            for (int r = 0; r < shards; r++)
            {
                // GradUnexposed: reading through Grad would mark the replica's pooled gradient as shared forever.
                if (_replicaParameters[r][p].GradUnexposed is not { } grad)
                    continue;
                var values = grad.Contiguous();
                var source = values.FloatData.AsSpan(values.Offset, values.Count);
                float weight = ShardWeight(r, samples, shards);
                if (sum is null)
                {
                    sum = Tensor.BackwardGradient((int[])grad.Sizes.Clone());
                    TensorPrimitives.Multiply(source, weight, sum.FloatData.AsSpan(0, sum.Count));
                }
                else
                {
                    var target = sum.FloatData.AsSpan(0, sum.Count);
                    TensorPrimitives.MultiplyAdd(source, weight, target, target);
                }
            }
            if (sum is not null)
                _parameters[p].AccumulateGrad(sum);
        }
    }

    private sealed class StepBody(DataParallel<TModule> owner, Tensor[] batch, int samples, int shards,
        Func<TModule, Tensor[], Tensor> loss, double[] losses)
    {
        public void Invoke(int r)
        {
            // Last step's gradients go back to this thread's buffer pool, where this backward will find them.
            foreach (var parameter in owner._replicaParameters[r])
                parameter.Grad = null;
            var (start, length) = Shard(r, samples, shards);
            var shard = new Tensor[batch.Length];
            for (int i = 0; i < batch.Length; i++)
                shard[i] = batch[i].Narrow(0, start, length);
            // Grad mode is per thread, and a training step needs it on whichever thread runs this shard.
            using var _ = Autograd.EnableGrad();
            var value = loss(owner._replicas[r], shard);
            if (value.NumEl != 1)
                throw new InvalidOperationException($"DataParallel: the loss must be a single value, got shape {Rules.Format(value.Sizes)}");
            value.Backward();
            losses[r] = value.Item();
        }
    }
}
