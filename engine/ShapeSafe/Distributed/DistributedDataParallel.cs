using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ShapeSafe.NN;

namespace ShapeSafe.Distributed;

/// <summary>
/// Data-parallel training across processes (PyTorch's <c>DistributedDataParallel</c>): every rank holds a full copy of
/// the model and trains it on its own part of the data; after each backward the gradients are averaged over the
/// ranks, so the same optimizer step on every rank keeps the copies identical.
/// </summary>
/// <remarks>
/// <para>Construction broadcasts rank 0's parameters and buffers. The parameters that require grad are grouped into
/// buckets in reverse registration order (roughly the order the backward produces their gradients): the first
/// bucket holds about 1 MiB and the others about <c>bucketCapBytes</c> (25 MiB by default), as in PyTorch. Each
/// parameter has a post-accumulate-grad hook; when a bucket's last gradient is ready, its gradients are copied into
/// one flat buffer and a non-blocking all-reduce of it starts while the backward goes on with earlier layers.
/// Buckets start in the same order on every rank. After the last bucket, the backward waits for the all-reduces and
/// writes sum / <see cref="ProcessGroup.WorldSize"/> into each parameter's <c>Grad</c>.</para>
/// <para>Every parameter that requires grad must get a gradient in each synchronized backward (PyTorch's default
/// <c>find_unused_parameters=False</c>). Inside <see cref="NoSync"/> the gradients only accumulate locally; the first
/// backward after it averages the accumulated sums. Buffers (batch-norm running statistics) follow rank 0: they are
/// broadcast at the start of every <c>Forward</c> (PyTorch's <c>broadcast_buffers=True</c>).</para>
/// </remarks>
/// <typeparam name="TModule">The model's type.</typeparam>
public sealed unsafe class DistributedDataParallel<TModule> where TModule : Module
{
    /// <summary>PyTorch's default bucket size, 25 MiB.</summary>
    public const long DefaultBucketCapBytes = 25L * 1024 * 1024;

    /// <summary>PyTorch's size for the first bucket, 1 MiB, so communication starts early in the backward.</summary>
    public const long FirstBucketCapBytes = 1L * 1024 * 1024;

    readonly ProcessGroup _group;
    readonly Parameter[] _parameters;
    readonly Bucket[] _buckets;
    readonly (int Bucket, int Offset)[] _slots;
    readonly Tensor[] _buffers;
    readonly bool _broadcastBuffers;
    int _noSyncDepth;
    bool _syncThisPass;
    int _nextToLaunch;
    long _exposedTicks;

    /// <summary>Wraps <paramref name="module"/>; every rank must construct it with the same architecture.</summary>
    /// <param name="module">The model; give its parameters to the optimizer.</param>
    /// <param name="group">The job's process group (<see cref="ProcessGroup.Init"/>).</param>
    /// <param name="bucketCapBytes">The size of every bucket but the first (PyTorch's <c>bucket_cap_mb</c>).</param>
    /// <param name="broadcastBuffers">Broadcast rank 0's buffers at every forward.</param>
    /// <exception cref="DistributedException">The ranks' models have different parameters.</exception>
    public DistributedDataParallel(TModule module, ProcessGroup group, long bucketCapBytes = DefaultBucketCapBytes, bool broadcastBuffers = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(group);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketCapBytes);
        Module = module;
        _group = group;
        _broadcastBuffers = broadcastBuffers;
        _parameters = module.Parameters().Where(p => p.RequiresGrad).ToArray();
        _buffers = module.Buffers().ToArray();

        CheckSameModel();
        using (Autograd.NoGrad())
        {
            Coalesced.Broadcast(group, module.Parameters().Cast<Tensor>().ToArray());
            Coalesced.Broadcast(group, _buffers);
        }

        // Reverse registration order; a bucket closes once it reaches its cap (PyTorch's
        // compute_bucket_assignment_by_size).
        var buckets = new List<List<int>>();
        var current = new List<int>();
        long bytes = 0;
        for (int p = _parameters.Length - 1; p >= 0; p--)
        {
            current.Add(p);
            bytes += _parameters[p].NumEl * sizeof(float);
            if (bytes >= (buckets.Count == 0 ? Math.Min(FirstBucketCapBytes, bucketCapBytes) : bucketCapBytes))
            {
                buckets.Add(current);
                current = new List<int>();
                bytes = 0;
            }
        }
        if (current.Count > 0) buckets.Add(current);

        _slots = new (int, int)[_parameters.Length];
        _buckets = new Bucket[buckets.Count];
        for (int b = 0; b < buckets.Count; b++)
        {
            int offset = 0;
            foreach (var p in buckets[b])
            {
                _slots[p] = (b, offset);
                offset += checked((int)_parameters[p].NumEl);
            }
            _buckets[b] = new Bucket(buckets[b].ToArray(), offset);
        }
        for (int p = 0; p < _parameters.Length; p++)
        {
            int index = p;
            _parameters[p].RegisterPostAccumulateGradHook(_ => OnGradientReady(index));
        }
    }

    /// <summary>The wrapped model.</summary>
    public TModule Module { get; }

    /// <summary>The parameters of each bucket as indices into <c>Module.Parameters()</c> (those that require grad), in launch order.</summary>
    public IReadOnlyList<IReadOnlyList<int>> Buckets => _buckets.Select(b => (IReadOnlyList<int>)b.Parameters).ToArray();

    /// <summary>
    /// How long the last synchronized backward waited for all-reduces after its last gradient was ready: the part of
    /// the communication the backward did not hide.
    /// </summary>
    public TimeSpan LastExposedCommunication => TimeSpan.FromTicks(_exposedTicks);

    /// <summary>Runs the module (it must implement <see cref="ITensorModule"/>) on <paramref name="input"/>.</summary>
    /// <exception cref="InvalidOperationException">The module takes other inputs: use <see cref="Forward{T}(Func{TModule, T})"/>.</exception>
    public Tensor Forward(Tensor input)
    {
        if (Module is not ITensorModule tensorModule)
            throw new InvalidOperationException($"DistributedDataParallel: {typeof(TModule).Name} does not take one tensor (ITensorModule); call Forward(m => m.Forward(...)) instead");
        BeforeForward();
        return tensorModule.Forward(input);
    }

    /// <summary>Runs <paramref name="forward"/> on the module, after the per-step preparation (buffer broadcast).</summary>
    public T Forward<T>(Func<TModule, T> forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        BeforeForward();
        return forward(Module);
    }

    /// <summary>
    /// A scope in which forwards and backwards do not average gradients (PyTorch's <c>no_sync()</c>): use it for the
    /// first micro-batches of a gradient accumulation; the backward of the first forward after it averages the sums.
    /// </summary>
    public IDisposable NoSync()
    {
        _noSyncDepth++;
        return new Scope(this);
    }

    sealed class Scope(DistributedDataParallel<TModule> owner) : IDisposable
    {
        bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            owner._noSyncDepth--;
        }
    }

    void BeforeForward()
    {
        if (_syncThisPass && _nextToLaunch > 0)
            throw new InvalidOperationException(
                "DistributedDataParallel: the previous backward did not produce a gradient for every parameter, so its gradients were never averaged " +
                $"(bucket {_nextToLaunch} of {_buckets.Length} never filled); every parameter that requires grad must take part in the loss");
        if (_broadcastBuffers && _buffers.Length > 0 && _group.WorldSize > 1)
            using (Autograd.NoGrad()) Coalesced.Broadcast(_group, _buffers);
        _syncThisPass = Autograd.IsGradEnabled && _noSyncDepth == 0 && _group.IsDistributed;
        _nextToLaunch = 0;
        foreach (var bucket in _buckets) bucket.Reset();
    }

    void OnGradientReady(int parameter)
    {
        if (!_syncThisPass) return;
        var (b, offset) = _slots[parameter];
        var bucket = _buckets[b];
        var grad = _parameters[parameter].GradUnexposed!;
        var source = grad.IsContiguous ? grad : grad.Contiguous();
        source.FloatData.AsSpan(source.Offset, source.Count).CopyTo(bucket.Buffer.AsSpan(offset));
        bucket.Waiting--;
        // Start buckets in index order, so every rank starts the same all-reduces in the same order.
        while (_nextToLaunch < _buckets.Length && _buckets[_nextToLaunch].Waiting == 0)
        {
            var next = _buckets[_nextToLaunch++];
            next.InFlight = _group.StartAllReduce(next.Pointer, next.Buffer.Length);
        }
        foreach (var other in _buckets)
            other.InFlight?.Progress();
        if (_nextToLaunch == _buckets.Length) Finish();
    }

    void Finish()
    {
        var clock = Stopwatch.StartNew();
        foreach (var bucket in _buckets)
            bucket.InFlight!.Wait("DistributedDataParallel gradient all-reduce");
        _exposedTicks = clock.Elapsed.Ticks;
        float scale = _group.WorldSize;
        foreach (var bucket in _buckets)
        {
            var data = bucket.Buffer.AsSpan();
            System.Numerics.Tensors.TensorPrimitives.Divide(data, scale, data);
            foreach (var p in bucket.Parameters)
            {
                var parameter = _parameters[p];
                var grad = parameter.GradUnexposed!;
                var averaged = data.Slice(_slots[p].Offset, checked((int)parameter.NumEl));
                if (grad.IsContiguous)
                    averaged.CopyTo(grad.FloatData.AsSpan(grad.Offset, grad.Count));
                else
                    parameter.Grad = Tensor.FromArray(averaged.ToArray(), grad.Sizes.ToArray());
            }
            bucket.InFlight = null;
        }
        _syncThisPass = false;
        _nextToLaunch = 0;
    }

    void CheckSameModel()
    {
        if (!_group.IsDistributed) return;
        // Parameter count, element count and a hash of the shapes: cheap to compare, and any difference is fatal.
        long hash = 17;
        foreach (var p in _parameters)
            foreach (var d in p.Sizes) hash = unchecked(hash * 31 + d);
        var signature = Tensor.FromArray(new[] { _parameters.Length, _parameters.Sum(p => p.NumEl), hash, _buffers.Length }, 4);
        var all = _group.AllGather(signature).ToInt64Array();
        for (int r = 1; r < _group.WorldSize; r++)
            for (int i = 0; i < 4; i++)
                if (all[r * 4 + i] != all[i])
                    throw new DistributedException(
                        $"DistributedDataParallel: rank {r}'s model differs from rank 0's: rank 0 has {all[0]} parameters ({all[1]} elements) and {all[3]} buffers, " +
                        $"rank {r} has {all[r * 4]} parameters ({all[r * 4 + 1]} elements) and {all[r * 4 + 3]} buffers{(all[r * 4 + 2] != all[2] ? ", and their shapes differ" : "")}");
    }

    sealed class Bucket
    {
        public Bucket(int[] parameters, int length)
        {
            Parameters = parameters;
            // On the pinned object heap: MPI reads and writes it while the backward goes on.
            Buffer = GC.AllocateArray<float>(length, pinned: true);
            Pointer = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Buffer));
        }

        public int[] Parameters { get; }

        public float[] Buffer { get; }

        public float* Pointer { get; }

        public int Waiting { get; set; }

        public ProcessGroup.PendingAllReduce? InFlight { get; set; }

        public void Reset()
        {
            Waiting = Parameters.Length;
            InFlight = null;
        }
    }
}

/// <summary>Collectives over many tensors at once through one flat buffer per dtype (fewer, larger messages).</summary>
internal static class Coalesced
{
    public static void Broadcast(ProcessGroup group, IReadOnlyList<Tensor> tensors, int root = 0)
    {
        if (!group.IsDistributed || tensors.Count == 0) return;
        foreach (var dtype in new[] { DType.Float32, DType.Int64 })
        {
            var members = tensors.Where(t => t.DType == dtype).ToArray();
            long total = members.Sum(t => t.NumEl);
            if (members.Length == 0) continue;
            var flat = Tensor.Zeros(new[] { checked((int)total) }, dtype);
            int offset = 0;
            foreach (var t in members)
            {
                flat.Narrow(0, offset, t.Count).CopyFrom(t.Reshape(-1));
                offset += t.Count;
            }
            group.Broadcast(flat, root);
            offset = 0;
            foreach (var t in members)
            {
                t.CopyFrom(flat.Narrow(0, offset, t.Count).View(t.Sizes));
                offset += t.Count;
            }
        }
    }
}
