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
/// one flat buffer and the group's communication thread all-reduces it while the backward goes on with earlier
/// layers.
/// Buckets start in the same order on every rank. After the last bucket, the backward waits for the all-reduces and
/// writes sum / <see cref="ProcessGroup.WorldSize"/> into each parameter's <c>Grad</c>.</para>
/// <para>Every parameter that requires grad must get a gradient in each synchronized backward (PyTorch's default
/// <c>find_unused_parameters=False</c>): otherwise the next forward throws, naming the parameters that got none. With
/// <c>findUnusedParameters</c> the parameters that a forward's outputs do not reach count as ready with a zero
/// gradient; a parameter that no rank used keeps its <c>Grad</c> as it was. Inside <see cref="NoSync"/> the gradients only accumulate locally; the first
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

    /// <summary>
    /// Gradients of at least this many bytes are all-reduced where they lie, as messages of their bucket, instead of
    /// being copied into the bucket's flat buffer and back: for them the copies cost more than a message.
    /// </summary>
    internal const long DirectBytes = 64L * 1024;

    readonly ProcessGroup _group;
    readonly Parameter[] _parameters;
    readonly string[] _names;
    readonly Dictionary<Tensor, int> _indexOf;
    readonly Bucket[] _buckets;
    // Each parameter's bucket and offset in the bucket's flat buffer; -1 for a gradient all-reduced where it lies.
    readonly (int Bucket, int Offset)[] _slots;
    readonly Tensor[] _buffers;
    readonly bool _broadcastBuffers;
    readonly bool _findUnusedParameters;
    // Per parameter, in this pass: marked ready (its gradient is in its bucket), and whether the backward gave it one.
    readonly bool[] _ready;
    // With findUnusedParameters: 1 where this rank used the parameter, all-reduced after the buckets into how many ranks did.
    readonly float[] _usedBy;
    readonly float* _usedByPointer;
    int[] _unused = Array.Empty<int>();
    bool _unusedMarked;
    PendingAllReduce? _usedInFlight;
    int _noSyncDepth;
    bool _syncThisPass;
    int _readyCount;
    int _nextToLaunch;
    long _exposedTicks;
    long _copyTimestamps;
    long _averageTicks;
    int _completedBeforeBackwardEnd;

    /// <summary>Wraps <paramref name="module"/>; every rank must construct it with the same architecture.</summary>
    /// <param name="module">The model; give its parameters to the optimizer.</param>
    /// <param name="group">The job's process group (<see cref="ProcessGroup.Init"/>).</param>
    /// <param name="bucketCapBytes">The size of every bucket but the first (PyTorch's <c>bucket_cap_mb</c>).</param>
    /// <param name="broadcastBuffers">Broadcast rank 0's buffers at every forward.</param>
    /// <param name="findUnusedParameters">
    /// Find, after each forward, the parameters its outputs do not depend on and count them as ready, so a backward
    /// that gives them no gradient still averages the others (PyTorch's <c>find_unused_parameters</c>). It walks the
    /// autograd graph at every forward and all-reduces one flag per parameter, so leave it off when every parameter
    /// always takes part in the loss.
    /// </param>
    /// <exception cref="DistributedException">The ranks' models have different parameters.</exception>
    public DistributedDataParallel(TModule module, ProcessGroup group, long bucketCapBytes = DefaultBucketCapBytes, bool broadcastBuffers = true, bool findUnusedParameters = false)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(group);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bucketCapBytes);
        Module = module;
        _group = group;
        _broadcastBuffers = broadcastBuffers;
        _findUnusedParameters = findUnusedParameters;
        var named = module.NamedParameters().Where(p => p.Parameter.RequiresGrad).ToArray();
        _parameters = named.Select(p => p.Parameter).ToArray();
        _names = named.Select(p => p.Name).ToArray();
        _indexOf = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        for (int p = 0; p < _parameters.Length; p++) _indexOf[_parameters[p]] = p;
        _buffers = module.Buffers().ToArray();
        _ready = new bool[_parameters.Length];
        _usedBy = GC.AllocateArray<float>(_parameters.Length, pinned: true);
        _usedByPointer = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_usedBy));

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
                if (_parameters[p].NumEl * sizeof(float) >= DirectBytes)
                {
                    _slots[p] = (b, -1);
                    continue;
                }
                _slots[p] = (b, offset);
                offset += checked((int)_parameters[p].NumEl);
            }
            _buckets[b] = new Bucket(buckets[b].ToArray(), buckets[b].Where(p => _slots[p].Offset < 0).ToArray(), offset);
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

    /// <summary>How long the gradient hooks of the last synchronized backward took to copy gradients into the buckets.</summary>
    public TimeSpan LastBucketCopyTime => Stopwatch.GetElapsedTime(0, _copyTimestamps);

    /// <summary>How long the last synchronized backward took to write the averaged buckets into the gradients.</summary>
    public TimeSpan LastAverageTime => TimeSpan.FromTicks(_averageTicks);

    /// <summary>
    /// How many buckets of the last synchronized backward had finished their all-reduce before the backward produced
    /// its last gradient: those were hidden behind the backward entirely.
    /// </summary>
    public int LastBucketsDoneBeforeBackwardEnd => _completedBeforeBackwardEnd;

    /// <summary>Runs the module (it must implement <see cref="ITensorModule"/>) on <paramref name="input"/>.</summary>
    /// <exception cref="InvalidOperationException">The module takes other inputs: use <see cref="Forward{T}(Func{TModule, T})"/>.</exception>
    public Tensor Forward(Tensor input)
    {
        if (Module is not ITensorModule tensorModule)
            throw new InvalidOperationException($"DistributedDataParallel: {typeof(TModule).Name} does not take one tensor (ITensorModule); call Forward(m => m.Forward(...)) instead");
        BeforeForward();
        var output = tensorModule.Forward(input);
        AfterForward(output);
        return output;
    }

    /// <summary>
    /// Runs <paramref name="forward"/> on the module, after the per-step preparation (buffer broadcast). With
    /// <c>findUnusedParameters</c> the graph is searched from the tensors in the result: a <see cref="Tensor"/>, a
    /// tuple of them, or a sequence of them.
    /// </summary>
    public T Forward<T>(Func<TModule, T> forward)
    {
        ArgumentNullException.ThrowIfNull(forward);
        BeforeForward();
        var output = forward(Module);
        AfterForward(output);
        return output;
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
        bool sync = Autograd.IsGradEnabled && _noSyncDepth == 0 && _group.IsDistributed;
        // PyTorch's ensure_prior_reduction_finished: a backward that marked some parameters ready but not all.
        if (_syncThisPass && _readyCount > 0)
        {
            var missing = DrainUnfinishedReduction();
            if (sync) ThrowUnfinishedReduction(missing);
        }
        if (_broadcastBuffers && _buffers.Length > 0 && _group.WorldSize > 1)
            using (Autograd.NoGrad()) Coalesced.Broadcast(_group, _buffers);
        _syncThisPass = sync;
        _copyTimestamps = 0;
        _nextToLaunch = 0;
        _readyCount = 0;
        _unusedMarked = false;
        _unused = Array.Empty<int>();
        Array.Clear(_ready);
        Array.Clear(_usedBy);
        foreach (var bucket in _buckets) bucket.Reset();
    }

    /// <summary>Waits for the buckets that did start (on every rank alike), so none is reused while MPI writes it; returns the parameters that never got ready.</summary>
    int[] DrainUnfinishedReduction()
    {
        for (int b = 0; b < _nextToLaunch; b++) _buckets[b].InFlight?.Wait("DistributedDataParallel gradient all-reduce", _group.Rank, _group.Timeout);
        foreach (var bucket in _buckets) bucket.Release();
        _syncThisPass = false;
        _readyCount = 0;
        return Enumerable.Range(0, _parameters.Length).Where(p => !_ready[p]).ToArray();
    }

    void ThrowUnfinishedReduction(int[] missing)
    {
        var advice = _findUnusedParameters
            ? "Since findUnusedParameters is enabled, this likely means that not all forward outputs participate in computing loss. You can fix this by making sure all forward outputs participate in calculating loss."
            : "You can enable unused parameter detection by passing findUnusedParameters: true to DistributedDataParallel, and by making sure all forward outputs participate in calculating loss.";
        throw new DistributedException(
            "DistributedDataParallel: expected to have finished reduction in the prior iteration before starting a new one. " +
            "This error indicates that your module has parameters that were not used in producing loss. " + advice +
            $"\nParameters which did not receive grad for rank {_group.Rank}: {string.Join(", ", missing.Select(p => _names[p]))}" +
            $"\nParameter indices which did not receive grad for rank {_group.Rank}: {string.Join(" ", missing)}");
    }

    void AfterForward(object? output)
    {
        if (!_syncThisPass || !_findUnusedParameters) return;
        // PyTorch's prepare_for_backward: every parameter the outputs' graph does not reach gets no gradient.
        var reached = new bool[_parameters.Length];
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Tensor>();
        foreach (var t in OutputTensors(output)) stack.Push(t);
        while (stack.Count > 0)
        {
            var t = stack.Pop();
            if (t.GradNode is not { } node)
            {
                if (_indexOf.TryGetValue(t, out int p)) reached[p] = true;
                continue;
            }
            if (!seen.Add(node)) continue;
            foreach (var input in node.Inputs)
                if (input is not null) stack.Push(input);
        }
        _unused = Enumerable.Range(0, _parameters.Length).Where(p => !reached[p]).ToArray();
    }

    static IEnumerable<Tensor> OutputTensors(object? output)
    {
        switch (output)
        {
            case Tensor t:
                yield return t;
                break;
            case System.Runtime.CompilerServices.ITuple tuple:
                for (int i = 0; i < tuple.Length; i++)
                    foreach (var t in OutputTensors(tuple[i])) yield return t;
                break;
            case System.Collections.IEnumerable items:
                foreach (var item in items)
                    foreach (var t in OutputTensors(item)) yield return t;
                break;
        }
    }

    void OnGradientReady(int parameter)
    {
        if (!_syncThisPass) return;
        // PyTorch marks the unused parameters at the first hook of the backward, so a forward without a backward launches nothing.
        if (!_unusedMarked)
        {
            _unusedMarked = true;
            foreach (var p in _unused) MarkReady(p, used: false);
        }
        MarkReady(parameter, used: true);
    }

    void MarkReady(int parameter, bool used)
    {
        if (_ready[parameter])
            throw new DistributedException(
                $"DistributedDataParallel: expected to mark a variable ready only once, but parameter {parameter} ({_names[parameter]}) was marked twice in this backward: " +
                "it got a gradient after it was counted as unused, or the graph was run backward twice (retainGraph) before the next forward");
        _ready[parameter] = true;
        _readyCount++;
        if (used) _usedBy[parameter] = 1;
        long started = Stopwatch.GetTimestamp();
        var (b, offset) = _slots[parameter];
        var bucket = _buckets[b];
        // An unused parameter contributes what it holds: a gradient accumulated under NoSync, or zeros.
        var grad = _parameters[parameter].GradUnexposed;
        if (offset < 0)
        {
            bucket.Carry(parameter, grad is { IsContiguous: true } ? grad : grad?.Contiguous() ?? Tensor.ZerosLike(_parameters[parameter].Detach()));
        }
        else
        {
            var slot = bucket.Buffer.AsSpan(offset, checked((int)_parameters[parameter].NumEl));
            if (grad is not null)
            {
                var source = grad.IsContiguous ? grad : grad.Contiguous();
                source.FloatData.AsSpan(source.Offset, source.Count).CopyTo(slot);
            }
            else
            {
                slot.Clear();
            }
        }
        _copyTimestamps += Stopwatch.GetTimestamp() - started;
        bucket.Waiting--;
        // Start buckets in index order, so every rank starts the same all-reduces in the same order.
        while (_nextToLaunch < _buckets.Length && _buckets[_nextToLaunch].Waiting == 0)
        {
            var next = _buckets[_nextToLaunch++];
            next.InFlight = _group.StartAllReduce(next.Segments());
        }
        if (_nextToLaunch == _buckets.Length)
        {
            if (_findUnusedParameters) _usedInFlight = _group.StartAllReduce(new[] { ((nint)_usedByPointer, _usedBy.Length) });
            Finish();
        }
    }

    void Finish()
    {
        const string collective = "DistributedDataParallel gradient all-reduce";
        _completedBeforeBackwardEnd = _buckets.Count(b => b.InFlight!.IsCompleted);
        var clock = Stopwatch.StartNew();
        foreach (var bucket in _buckets)
            bucket.InFlight!.Wait(collective, _group.Rank, _group.Timeout);
        _usedInFlight?.Wait(collective, _group.Rank, _group.Timeout);
        _exposedTicks = clock.Elapsed.Ticks;
        clock.Restart();
        float scale = _group.WorldSize;
        foreach (var bucket in _buckets)
        {
            foreach (var p in bucket.Parameters)
            {
                // PyTorch leaves the gradient of a parameter that no rank used as it was.
                if (_findUnusedParameters && _usedBy[p] == 0) continue;
                var parameter = _parameters[p];
                if (bucket.Carried(p) is { } carried)
                {
                    var data = carried.FloatData.AsSpan(carried.Offset, carried.Count);
                    System.Numerics.Tensors.TensorPrimitives.Divide(data, scale, data);
                    if (!ReferenceEquals(carried, parameter.GradUnexposed)) parameter.Grad = carried;
                    continue;
                }
                var sum = bucket.Buffer.AsSpan(_slots[p].Offset, checked((int)parameter.NumEl));
                // Divide straight into the gradient: one pass over the bucket instead of dividing, then copying.
                if (parameter.GradUnexposed is { IsContiguous: true } grad)
                {
                    System.Numerics.Tensors.TensorPrimitives.Divide(sum, scale, grad.FloatData.AsSpan(grad.Offset, grad.Count));
                }
                else
                {
                    var averaged = new float[sum.Length];
                    System.Numerics.Tensors.TensorPrimitives.Divide(sum, scale, averaged);
                    parameter.Grad = Tensor.FromArray(averaged, parameter.Sizes.ToArray());
                }
            }
            bucket.Release();
        }
        _averageTicks = clock.Elapsed.Ticks;
        _usedInFlight = null;
        _syncThisPass = false;
        _readyCount = 0;
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
        readonly int[] _direct;
        readonly Tensor?[] _carried;
        readonly GCHandle[] _pins;

        public Bucket(int[] parameters, int[] direct, int packedLength)
        {
            Parameters = parameters;
            _direct = direct;
            _carried = new Tensor?[direct.Length];
            _pins = new GCHandle[direct.Length];
            // On the pinned object heap: MPI reads and writes it while the backward goes on.
            Buffer = GC.AllocateArray<float>(packedLength, pinned: true);
        }

        public int[] Parameters { get; }

        /// <summary>The small gradients of the bucket, end to end.</summary>
        public float[] Buffer { get; }

        public int Waiting { get; set; }

        public PendingAllReduce? InFlight { get; set; }

        /// <summary>Holds <paramref name="gradient"/> (contiguous) of a large parameter pinned, for MPI to sum in place.</summary>
        public void Carry(int parameter, Tensor gradient)
        {
            int i = Array.IndexOf(_direct, parameter);
            _carried[i] = gradient;
            _pins[i] = GCHandle.Alloc(gradient.FloatData, GCHandleType.Pinned);
        }

        /// <summary>The gradient carried for <paramref name="parameter"/> this pass, or null when it sits in the buffer.</summary>
        public Tensor? Carried(int parameter)
        {
            int i = Array.IndexOf(_direct, parameter);
            return i < 0 ? null : _carried[i];
        }

        /// <summary>The messages of the bucket's all-reduce: the buffer of small gradients, then each large one.</summary>
        public (nint Data, int Count)[] Segments()
        {
            var segments = new List<(nint, int)>(_direct.Length + 1);
            if (Buffer.Length > 0)
                segments.Add(((nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Buffer)), Buffer.Length));
            for (int i = 0; i < _direct.Length; i++)
                segments.Add((_pins[i].AddrOfPinnedObject() + _carried[i]!.Offset * sizeof(float), _carried[i]!.Count));
            return segments.ToArray();
        }

        public void Reset()
        {
            Waiting = Parameters.Length;
            Release();
        }

        /// <summary>Unpins the carried gradients once MPI is done with them.</summary>
        public void Release()
        {
            InFlight = null;
            for (int i = 0; i < _direct.Length; i++)
            {
                if (_pins[i].IsAllocated) _pins[i].Free();
                _carried[i] = null;
            }
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
