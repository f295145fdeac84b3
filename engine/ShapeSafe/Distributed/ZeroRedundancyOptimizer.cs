using System.Globalization;
using System.Text.RegularExpressions;
using ShapeSafe.NN;
using ShapeSafe.Optim;

namespace ShapeSafe.Distributed;

/// <summary>
/// An optimizer whose state is split across the ranks (ZeRO, as in DeepSpeed and PyTorch's
/// <c>ZeroRedundancyOptimizer</c>): each rank keeps the state of only 1/N of the parameters' elements, so Adam's two
/// moments cost 2/N of the model's size per rank instead of twice its size.
/// </summary>
/// <remarks>
/// <para>The parameters, in order, are laid end to end as one flat vector, padded to a multiple of the world size and
/// cut into one equal shard per rank (DeepSpeed's flat partitioning). Each rank's inner optimizer, made by the factory
/// (any optimizer of <c>ShapeSafe.Optim</c>; they all update element by element), owns one parameter: its shard.
/// <see cref="Step"/> gives the shard its slice of the gradient, steps the inner optimizer and all-gathers the updated
/// shards into every rank's parameters.</para>
/// <para>Stage 1 shards the optimizer state only: the gradients must already be averaged, for example by
/// <see cref="DistributedDataParallel{TModule}"/>. Stage 2 also shards the gradient reduction: <see cref="Step"/>
/// reduce-scatters the ranks' local gradients, so each rank receives only its shard's averaged gradient (use the bare
/// model, or DDP inside <c>NoSync()</c>, so gradients are not all-reduced as well) and then drops the parameters'
/// gradients, keeping only its shard's: each rank holds 1/N of the gradient bytes between steps (read them with
/// <see cref="LocalGradientBytes"/>). Parameters without a gradient count as zero gradient. Construction broadcasts
/// rank 0's parameters so every rank starts alike.</para>
/// <para><see cref="ConsolidateStateDict"/> gathers the shards into the state dict that a plain optimizer of the same
/// kind over all the parameters would have (<c>state.{i}.{name}</c> with each parameter's shape), and
/// <see cref="LoadStateDict"/> takes such a dict on any world size and keeps this rank's shard of it.</para>
/// </remarks>
public sealed partial class ZeroRedundancyOptimizer
{
    readonly ProcessGroup _group;
    readonly Parameter[] _parameters;
    readonly long[] _starts;
    readonly int _shardLength;
    readonly long _shardStart;
    readonly Parameter _shard;
    readonly Optimizer _inner;
    OptimizerStateDict? _consolidated;

    /// <summary>Creates the sharded optimizer over <paramref name="parameters"/>; every rank passes the same parameters.</summary>
    /// <param name="parameters">The model's parameters (for example <c>model.Parameters()</c>).</param>
    /// <param name="optimizerFactory">Builds the inner optimizer over the parameters it is given, for example <c>ps =&gt; new Adam(ps, 1e-3)</c>.</param>
    /// <param name="group">The job's process group.</param>
    /// <param name="stage">1: shard the optimizer state; 2: shard the gradient reduction as well.</param>
    /// <exception cref="ArgumentException">No parameters, a non-contiguous parameter, or a stage other than 1 or 2.</exception>
    public ZeroRedundancyOptimizer(IEnumerable<Parameter> parameters, Func<IEnumerable<Parameter>, Optimizer> optimizerFactory, ProcessGroup group, int stage = 1)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(optimizerFactory);
        ArgumentNullException.ThrowIfNull(group);
        if (stage is not (1 or 2))
            throw new ArgumentOutOfRangeException(nameof(stage), stage, "ZeroRedundancyOptimizer: stage must be 1 (optimizer state) or 2 (optimizer state and gradients)");
        _group = group;
        Stage = stage;
        _parameters = parameters.Distinct(ReferenceEqualityComparer.Instance).Cast<Parameter>().ToArray();
        if (_parameters.Length == 0) throw new ArgumentException("ZeroRedundancyOptimizer: got an empty parameter list", nameof(parameters));
        foreach (var p in _parameters)
            if (!p.IsContiguous || p.DType != DType.Float32)
                throw new ArgumentException($"ZeroRedundancyOptimizer: parameters must be contiguous Float32 tensors (one of shape {Rules.Format(p.Sizes)} is not)", nameof(parameters));

        _starts = new long[_parameters.Length + 1];
        for (int i = 0; i < _parameters.Length; i++) _starts[i + 1] = _starts[i] + _parameters[i].NumEl;
        long total = _starts[^1];
        _shardLength = checked((int)((total + group.WorldSize - 1) / group.WorldSize));
        _shardStart = (long)_shardLength * group.Rank;

        using (Autograd.NoGrad()) Coalesced.Broadcast(group, _parameters);
        var values = new float[_shardLength];
        ReadParameters(values);
        _shard = new Parameter(Tensor.FromArray(values, _shardLength));
        _inner = optimizerFactory(new[] { _shard }) ?? throw new ArgumentException("ZeroRedundancyOptimizer: the factory returned null", nameof(optimizerFactory));
    }

    /// <summary>1 (sharded optimizer state) or 2 (sharded optimizer state and gradient reduction).</summary>
    public int Stage { get; }

    /// <summary>The optimizer that updates this rank's shard.</summary>
    public Optimizer Inner => _inner;

    /// <summary>How many elements of the flat parameter vector this rank owns (the total divided by the world size, rounded up).</summary>
    public int ShardLength => _shardLength;

    /// <summary>The bytes of optimizer state this rank holds (its inner optimizer's state tensors).</summary>
    public long LocalStateBytes => _inner.GetState(_shard).Values.Sum(t => t.NumEl * (t.DType == DType.Float32 ? 4L : 8L));

    /// <summary>
    /// The bytes of gradient this rank holds: the parameters' <c>Grad</c>s and its shard's gradient. After a stage 2
    /// <see cref="Step"/> that is the shard's alone, 1/N of the model's gradient; stage 1 keeps the averaged gradients
    /// that DDP wrote as well.
    /// </summary>
    public long LocalGradientBytes =>
        _parameters.Sum(p => p.GradUnexposed is { } g ? g.NumEl * 4L : 0) + (_shard.GradUnexposed is { } s ? s.NumEl * 4L : 0);

    /// <summary>Clears the parameters' gradients (sets them to null, or zeroes them in place).</summary>
    public void ZeroGrad(bool setToNone = true)
    {
        using var _ = Autograd.NoGrad();
        foreach (var p in _parameters)
        {
            if (p.GradUnexposed is not { } grad) continue;
            if (setToNone) p.Grad = null;
            else grad.FloatData.AsSpan(grad.Offset, grad.Count).Clear();
        }
        _shard.Grad = null;
    }

    /// <summary>One optimizer step on every rank (a collective: every rank must call it).</summary>
    public void Step()
    {
        using var _ = Autograd.NoGrad();
        Tensor shardGrad;
        if (Stage == 1)
        {
            var slice = new float[_shardLength];
            ReadGradients(slice, _shardStart);
            shardGrad = Tensor.FromArray(slice, _shardLength);
        }
        else
        {
            var flat = new float[checked(_shardLength * _group.WorldSize)];
            ReadGradients(flat, 0);
            // Stage 2 keeps only the gradient of its own shard: the local full gradients go as soon as they are in
            // the flat buffer (DeepSpeed's gradient partitioning), and the buffer goes after the reduce-scatter.
            foreach (var p in _parameters) p.Grad = null;
            shardGrad = _group.ReduceScatter(Tensor.FromArray(flat, flat.Length), ReduceOp.Average);
        }
        // The shard follows the parameters, which the caller may have changed (a loaded checkpoint).
        ReadParameters(_shard.FloatData.AsSpan(_shard.Offset, _shardLength));
        _shard.Grad = shardGrad;
        _inner.Step();
        var gathered = _group.AllGather(_shard.Detach()).ToFloatArray();
        WriteParameters(gathered);
    }

    /// <summary>
    /// Gathers every rank's shard of the optimizer state on rank <paramref name="to"/>, where <see cref="StateDict"/>
    /// then returns it (a collective: every rank must call it).
    /// </summary>
    public void ConsolidateStateDict(int to = 0)
    {
        if ((uint)to >= (uint)_group.WorldSize)
            throw new ArgumentOutOfRangeException(nameof(to), to, $"ConsolidateStateDict: to must be a rank, 0 to {_group.WorldSize - 1}");
        var local = _inner.StateDict();
        var tensors = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        // Each state name of the shard, in the inner optimizer's order (the same on every rank).
        var perName = local.Tensors.Where(kv => kv.Key.StartsWith("state.0.", StringComparison.Ordinal))
            .Select(kv => (Name: kv.Key["state.0.".Length..], Value: kv.Value)).ToArray();
        var full = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, value) in perName)
        {
            if (IsElementwise(value))
                full[name] = _group.AllGather(value.Contiguous()).ToFloatArray();
        }
        _consolidated = null;
        if (_group.Rank != to) return;
        for (int i = 0; i < _parameters.Length; i++)
        {
            foreach (var (name, value) in perName)
            {
                if (full.TryGetValue(name, out var flat))
                {
                    var piece = new float[_parameters[i].NumEl];
                    Array.Copy(flat, _starts[i], piece, 0, piece.Length);
                    tensors[$"state.{i}.{name}"] = Tensor.FromArray(piece, _parameters[i].Sizes.ToArray());
                }
                else
                {
                    tensors[$"state.{i}.{name}"] = value.Clone();
                }
            }
        }
        var metadata = new Dictionary<string, string>(local.Metadata, StringComparer.Ordinal)
        {
            ["param_groups"] = ParamsList().Replace(local.Metadata["param_groups"],
                "\"params\":[" + string.Join(",", Enumerable.Range(0, _parameters.Length).Select(i => i.ToString(CultureInfo.InvariantCulture))) + "]", 1),
        };
        _consolidated = new OptimizerStateDict(tensors, metadata);
    }

    /// <summary>
    /// The consolidated state dict on the rank it was consolidated to: the state of a plain optimizer over all
    /// parameters. A world of one consolidates by itself.
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="ConsolidateStateDict"/> was not called for this rank since the last step.</exception>
    public OptimizerStateDict StateDict()
    {
        if (_group.WorldSize == 1) ConsolidateStateDict(0);
        return _consolidated ?? throw new InvalidOperationException(
            $"ZeroRedundancyOptimizer.StateDict: rank {_group.Rank} has no consolidated state; call ConsolidateStateDict(to: {_group.Rank}) on every rank first");
    }

    /// <summary>
    /// Loads a consolidated state dict (from <see cref="StateDict"/>, on any world size, or a plain optimizer's of the
    /// same kind over the same parameters) and keeps this rank's shard of it. Every rank calls it with the same dict.
    /// </summary>
    /// <exception cref="ArgumentException">The dict does not fit the parameters or the inner optimizer.</exception>
    public void LoadStateDict(OptimizerStateDict stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var names = new List<string>();
        foreach (var key in stateDict.Tensors.Keys)
        {
            var parts = key.Split('.', 3);
            if (parts.Length != 3 || parts[0] != "state" || !int.TryParse(parts[1], out int index) || index < 0 || index >= _parameters.Length)
                throw new ArgumentException($"ZeroRedundancyOptimizer.LoadStateDict: unexpected key {key} for {_parameters.Length} parameters", nameof(stateDict));
            if (!names.Contains(parts[2])) names.Add(parts[2]);
        }
        var tensors = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            bool elementwise = false;
            Tensor? scalar = null;
            for (int i = 0; i < _parameters.Length; i++)
                if (stateDict.Tensors.TryGetValue($"state.{i}.{name}", out var t))
                {
                    if (t.Sizes.AsSpan().SequenceEqual(_parameters[i].Sizes) && _parameters[i].Rank > 0) elementwise = true;
                    else scalar ??= t;
                }
            if (!elementwise)
            {
                tensors[$"state.0.{name}"] = scalar!;
                continue;
            }
            var shard = new float[_shardLength];
            for (int i = 0; i < _parameters.Length; i++)
            {
                if (!stateDict.Tensors.TryGetValue($"state.{i}.{name}", out var t)) continue;
                if (!t.Sizes.AsSpan().SequenceEqual(_parameters[i].Sizes))
                    throw new ArgumentException($"ZeroRedundancyOptimizer.LoadStateDict: state.{i}.{name} has shape {Rules.Format(t.Sizes)} but parameter {i} has shape {Rules.Format(_parameters[i].Sizes)}", nameof(stateDict));
                var values = t.ToFloatArray();
                Overlap(i, _shardStart, _shardLength, (from, to, count) => Array.Copy(values, from, shard, to, count));
            }
            tensors[$"state.0.{name}"] = Tensor.FromArray(shard, _shardLength);
        }
        var metadata = new Dictionary<string, string>(stateDict.Metadata, StringComparer.Ordinal);
        if (metadata.TryGetValue("param_groups", out var groups))
            metadata["param_groups"] = ParamsList().Replace(groups, "\"params\":[0]", 1);
        _inner.LoadStateDict(new OptimizerStateDict(tensors, metadata));
    }

    // ----- the flat vector -----

    static bool IsElementwise(Tensor stateTensor) => stateTensor.Rank == 1 && stateTensor.DType == DType.Float32;

    /// <summary>Calls <paramref name="copy"/>(offset in parameter i, offset in the window, count) for the part of parameter i inside [start, start + length).</summary>
    void Overlap(int i, long start, long length, Action<int, int, int> copy)
    {
        long lo = Math.Max(_starts[i], start), hi = Math.Min(_starts[i + 1], start + length);
        if (lo < hi) copy((int)(lo - _starts[i]), (int)(lo - start), (int)(hi - lo));
    }

    void ReadParameters(Span<float> shard)
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            long lo = Math.Max(_starts[i], _shardStart), hi = Math.Min(_starts[i + 1], _shardStart + _shardLength);
            if (lo < hi)
                p.FloatData.AsSpan(p.Offset + (int)(lo - _starts[i]), (int)(hi - lo)).CopyTo(shard[(int)(lo - _shardStart)..]);
        }
    }

    void ReadGradients(float[] destination, long start)
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            if (_parameters[i].GradUnexposed is not { } grad) continue;
            var g = grad.IsContiguous ? grad : grad.Contiguous();
            var data = g.FloatData;
            int offset = g.Offset;
            Overlap(i, start, destination.Length, (from, to, count) => Array.Copy(data, offset + from, destination, to, count));
        }
    }

    void WriteParameters(float[] flat)
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            flat.AsSpan((int)_starts[i], p.Count).CopyTo(p.FloatData.AsSpan(p.Offset, p.Count));
        }
    }

    [GeneratedRegex("\"params\":\\[[^\\]]*\\]")]
    private static partial Regex ParamsList();
}
