using System.Globalization;
using System.Text;
using System.Text.Json;
using ShapeSafe.NN;
using ShapeSafe.Serialization;

namespace ShapeSafe.Optim;

/// <summary>
/// Base of the optimizers (<c>torch.optim.Optimizer</c>): parameter groups, per-parameter state, gradient
/// clearing, and state dicts. Updates follow PyTorch 2.x's single-tensor ("for-loop") implementations.
/// </summary>
/// <remarks>
/// The set of optimizers is closed for now: the hooks a subclass implements are not public.
/// </remarks>
public abstract class Optimizer
{
    readonly List<ParamGroup> _groups = new();
    readonly Dictionary<Parameter, OrderedDictionary<string, Tensor>> _state = new(ReferenceEqualityComparer.Instance);
    readonly ParamGroup _defaults;

    /// <summary>Validates <paramref name="defaults"/> and adopts each of <paramref name="groups"/>.</summary>
    /// <exception cref="ArgumentException">No groups, an invalid option, or a parameter listed twice.</exception>
    private protected Optimizer(IEnumerable<ParamGroup> groups, ParamGroup defaults)
    {
        ArgumentNullException.ThrowIfNull(groups);
        defaults.Validate();
        _defaults = defaults;
        var list = groups.ToList();
        if (list.Count == 0) throw new ArgumentException("optimizer got an empty parameter list", nameof(groups));
        foreach (var group in list)
            AddParamGroupCore(group);
    }

    /// <summary>The parameter groups (<c>optimizer.param_groups</c>), in order.</summary>
    public IReadOnlyList<ParamGroup> ParamGroups => _groups;

    /// <summary>
    /// This optimizer's state for <paramref name="parameter"/> (<c>optimizer.state[p]</c>): the live tensors by
    /// PyTorch's key names; empty before the parameter's first update.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor> GetState(Parameter parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        return _state.TryGetValue(parameter, out var state)
            ? new System.Collections.ObjectModel.ReadOnlyDictionary<string, Tensor>(state)
            : System.Collections.ObjectModel.ReadOnlyDictionary<string, Tensor>.Empty;
    }

    /// <summary>
    /// Clears the gradients of every parameter (<c>zero_grad()</c>): sets them to null by default, as PyTorch does
    /// since 2.0; with <paramref name="setToNone"/> false, zeroes them in place instead.
    /// </summary>
    public void ZeroGrad(bool setToNone = true)
    {
        foreach (var group in _groups)
        {
            foreach (var p in group.Parameters)
            {
                if (p.GradUnexposed is null) continue;
                if (setToNone)
                {
                    p.Grad = null;
                    continue;
                }
                // PyTorch detaches a gradient that has a graph and stops a leaf gradient requiring grad, then zeroes it.
                var current = p.Grad!;
                var grad = current.IsLeaf ? current : current.Detach();
                if (grad.RequiresGrad) grad.RequiresGrad = false;
                using (Autograd.NoGrad())
                {
                    // ZeroInPlace fills Float32 tensors; a Float64 gradient is overwritten with zeros of its dtype.
                    if (grad.DType == DType.Float32) grad.ZeroInPlace();
                    else grad.CopyFrom(Tensor.Zeros(grad.Sizes, grad.DType));
                }
                p.Grad = grad;
            }
        }
    }

    /// <summary>
    /// Performs one update of every parameter that has a gradient (<c>step()</c>); parameters whose
    /// <see cref="Tensor.Grad"/> is null are skipped. Runs without recording autograd history.
    /// </summary>
    /// <exception cref="ShapeException">A gradient's shape differs from its parameter's (checked for all before any update).</exception>
    public void Step()
    {
        foreach (var group in _groups)
        {
            foreach (var p in group.Parameters)
            {
                if (p.GradUnexposed is not { } grad) continue;
                if (!grad.Sizes.AsSpan().SequenceEqual(p.Sizes))
                    throw new ShapeException("Step", $"a gradient of shape {Rules.Format(grad.Sizes)} for a parameter of shape {Rules.Format(p.Sizes)}");
                if (grad.DType != p.DType)
                    throw new ArgumentException($"Step: a gradient of dtype {grad.DType} for a {p.DType} parameter of shape {Rules.Format(p.Sizes)}");
            }
        }
        using (Autograd.NoGrad())
        {
            foreach (var group in _groups)
            {
                foreach (var p in group.Parameters)
                {
                    if (p.GradUnexposed is not { } grad) continue;
                    if (!_state.TryGetValue(p, out var state))
                    {
                        state = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
                        _state[p] = state;
                    }
                    Update(group, p, grad, state);
                    if (state.Count == 0) _state.Remove(p);
                }
            }
        }
    }

    /// <summary>
    /// The optimizer's state (<c>state_dict()</c>): its hyperparameters and per-parameter state, in the format
    /// described on <see cref="OptimizerStateDict"/>. The tensors share storage with the live state.
    /// </summary>
    public OptimizerStateDict StateDict()
    {
        var tensors = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            int index = 0;
            foreach (var group in _groups)
            {
                json.WriteStartObject();
                group.WriteOptions(json);
                json.WriteStartArray("params");
                foreach (var p in group.Parameters)
                {
                    json.WriteNumberValue(index);
                    if (_state.TryGetValue(p, out var state))
                    {
                        foreach (var (name, value) in state)
                            tensors[$"state.{index}.{name}"] = value.Detach();
                    }
                    index++;
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = OptimizerStateDict.FormatName,
            ["version"] = OptimizerStateDict.FormatVersion,
            ["optimizer"] = Name,
            ["param_groups"] = Encoding.UTF8.GetString(buffer.ToArray()),
        };
        return new OptimizerStateDict(tensors, metadata);
    }

    /// <summary>
    /// Replaces the hyperparameters and state with <paramref name="stateDict"/>'s (<c>load_state_dict()</c>);
    /// each group keeps its parameters, matched to the saved ones by position. Everything is checked first and
    /// every problem is reported: on any error the optimizer is unchanged. The state tensors are copied.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// The state dict is for another optimizer or format, the number of groups or of parameters in a group differs,
    /// a state tensor has an unknown key or a shape unlike its parameter's, required state is missing, or a
    /// hyperparameter is malformed or out of range.
    /// </exception>
    public void LoadStateDict(OptimizerStateDict stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var errors = new List<string>();
        var plan = PlanLoad(stateDict, errors);
        if (errors.Count > 0 || plan is null)
        {
            var message = new StringBuilder($"Error(s) in loading state_dict for {Name}:");
            foreach (var e in errors) message.Append("\n\t").Append(e);
            throw new ArgumentException(message.ToString(), nameof(stateDict));
        }

        var (options, states) = plan.Value;
        for (int g = 0; g < _groups.Count; g++)
            _groups[g].CopyOptionsFrom(options[g]);
        _state.Clear();
        using (Autograd.NoGrad())
        {
            foreach (var (p, entries) in states)
            {
                var copy = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
                // PyTorch's load_state_dict casts each state tensor to its parameter's dtype, except the step count,
                // which stays Float32 (_process_value_according_to_param_policy).
                foreach (var (name, value) in entries)
                    copy[name] = CopyOf(value, name == "step" ? DType.Float32 : p.DType);
                _state[p] = copy;
            }
        }
    }

    /// <summary>Writes <see cref="StateDict"/> to a safetensors file at <paramref name="path"/> (atomically).</summary>
    public void Save(string path)
    {
        var sd = StateDict();
        Safetensors.Save(path, sd.Tensors, sd.Metadata);
    }

    /// <summary>Reads a safetensors file written by <see cref="Save"/> and loads it with <see cref="LoadStateDict"/>.</summary>
    /// <exception cref="CheckpointException">The file is malformed or does not fit this optimizer (the inner exception says how); the optimizer is unchanged.</exception>
    public void Load(string path)
    {
        var tensors = Safetensors.Load(path, out var metadata);
        try
        {
            LoadStateDict(new OptimizerStateDict(tensors, metadata));
        }
        catch (ArgumentException e)
        {
            throw new CheckpointException(path, e.Message, e);
        }
    }

    /// <summary>The name recorded in state dicts and used in messages.</summary>
    private protected virtual string Name => GetType().Name;

    /// <summary>Adds a group after construction (<c>add_param_group()</c>); unset options take the optimizer's.</summary>
    private protected void AddParamGroupCore(ParamGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        if (_groups.Any(g => ReferenceEquals(g, group)))
            throw new ArgumentException("this parameter group was already added to the optimizer", nameof(group));
        group.FillFrom(_defaults);
        group.Validate();
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        foreach (var p in group.Parameters)
        {
            if (!seen.Add(p))
                throw new ArgumentException("optimizer contains a parameter group with duplicate parameters", nameof(group));
            if (p.DType is not (DType.Float32 or DType.Float64))
                throw new ArgumentException($"{Name}: optimizers update Float32 and Float64 parameters only; got a parameter of dtype {p.DType} and shape {Rules.Format(p.Sizes)}", nameof(group));
        }
        if (_groups.Any(g => g.Parameters.Any(seen.Contains)))
            throw new ArgumentException("some parameters appear in more than one parameter group", nameof(group));
        _groups.Add(group);
    }

    /// <summary>One group over <paramref name="parameters"/>, refusing an empty list as PyTorch does.</summary>
    private protected static List<Parameter> NonEmpty(IEnumerable<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var list = parameters.ToList();
        if (list.Count == 0) throw new ArgumentException("optimizer got an empty parameter list", nameof(parameters));
        return list;
    }

    /// <summary>The live state of <paramref name="parameter"/>, created empty if it has none (for optimizers that fill it eagerly, as Adagrad).</summary>
    private protected OrderedDictionary<string, Tensor> StateOf(Parameter parameter)
    {
        if (!_state.TryGetValue(parameter, out var state))
        {
            state = new OrderedDictionary<string, Tensor>(StringComparer.Ordinal);
            _state[parameter] = state;
        }
        return state;
    }

    /// <summary>Updates <paramref name="parameter"/> from <paramref name="grad"/>, reading and writing its <paramref name="state"/>.</summary>
    private protected abstract void Update(ParamGroup group, Parameter parameter, Tensor grad, OrderedDictionary<string, Tensor> state);

    /// <summary>Checks a parameter's loaded state against the loaded options of its group; adds one message per problem.</summary>
    private protected abstract void ValidateState(ParamGroup group, Parameter parameter, IReadOnlyDictionary<string, Tensor> state, string prefix, List<string> errors);

    /// <summary>Checks that <paramref name="state"/> has exactly <paramref name="required"/> (plus any of <paramref name="optional"/>), each shaped like the parameter.</summary>
    private protected static void CheckEntries(Parameter parameter, IReadOnlyDictionary<string, Tensor> state, string prefix, List<string> errors,
        IEnumerable<string> required, IEnumerable<string> optional, string? scalarKey = null)
    {
        var known = new HashSet<string>(required.Concat(optional), StringComparer.Ordinal);
        if (scalarKey is not null) known.Add(scalarKey);
        foreach (var key in required.Append(scalarKey))
        {
            if (key is not null && !state.ContainsKey(key)) errors.Add($"Missing key in state_dict: \"{prefix}{key}\".");
        }
        foreach (var (key, value) in state)
        {
            if (!known.Contains(key))
                errors.Add($"Unexpected key in state_dict: \"{prefix}{key}\".");
            else if (key == scalarKey)
            {
                if (value.NumEl != 1)
                    errors.Add($"size mismatch for {prefix}{key}: expected a scalar, got shape {Rules.Format(value.Sizes)}.");
            }
            else if (!value.Shape.SequenceEqual(parameter.Shape))
                errors.Add($"size mismatch for {prefix}{key}: copying a tensor with shape {Rules.Format(value.Sizes)} from checkpoint, the shape of the parameter is {Rules.Format(parameter.Sizes)}.");
        }
    }

    // Everything LoadStateDict checks, without changing anything: the loaded options per group and the state per parameter.
    (ParamGroup[] Options, List<(Parameter, List<(string, Tensor)>)> States)? PlanLoad(OptimizerStateDict sd, List<string> errors)
    {
        var meta = sd.Metadata;
        if (!meta.TryGetValue("format", out var format) || format != OptimizerStateDict.FormatName)
        {
            errors.Add($"not an optimizer state dict (metadata 'format' is {Quote(format)}, expected \"{OptimizerStateDict.FormatName}\").");
            return null;
        }
        if (!meta.TryGetValue("version", out var version) || version != OptimizerStateDict.FormatVersion)
        {
            errors.Add($"unsupported optimizer state dict version {Quote(version)} (this build reads \"{OptimizerStateDict.FormatVersion}\").");
            return null;
        }
        if (!meta.TryGetValue("optimizer", out var name) || name != Name)
        {
            errors.Add($"the state dict is for optimizer {Quote(name)}, not \"{Name}\".");
            return null;
        }
        if (!meta.TryGetValue("param_groups", out var groupsText))
        {
            errors.Add("metadata has no 'param_groups'.");
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(groupsText);
        }
        catch (JsonException e)
        {
            errors.Add($"'param_groups' is not valid JSON: {e.Message}");
            return null;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
            {
                errors.Add("'param_groups' is not a JSON array.");
                return null;
            }
            if (root.GetArrayLength() != _groups.Count)
            {
                errors.Add($"loaded state dict has a different number of parameter groups ({root.GetArrayLength()}, the optimizer has {_groups.Count}).");
                return null;
            }

            // PyTorch's id map: the saved indices, group by group, matched by position to this optimizer's parameters.
            var byId = new Dictionary<long, (Parameter Parameter, int Group)>();
            var options = new ParamGroup[_groups.Count];
            int g = 0;
            foreach (var saved in root.EnumerateArray())
            {
                var where = $"param_groups[{g}]";
                var current = _groups[g];
                if (saved.ValueKind != JsonValueKind.Object)
                {
                    errors.Add($"{where} is not a JSON object.");
                    g++;
                    continue;
                }
                if (!saved.TryGetProperty("params", out var ids) || ids.ValueKind != JsonValueKind.Array)
                    errors.Add($"{where} has no 'params' array.");
                else if (ids.GetArrayLength() != current.Parameters.Count)
                    errors.Add($"loaded state dict contains a parameter group that doesn't match the size of optimizer's group ({where} has {ids.GetArrayLength()} parameters, the optimizer's has {current.Parameters.Count}).");
                else
                {
                    int i = 0;
                    foreach (var id in ids.EnumerateArray())
                    {
                        if (id.ValueKind != JsonValueKind.Number || !id.TryGetInt64(out var value))
                            errors.Add($"{where}: 'params'[{i}] is not an integer ({id.GetRawText()}).");
                        else if (!byId.TryAdd(value, (current.Parameters[i], g)))
                            errors.Add($"{where}: parameter index {value} appears more than once.");
                        i++;
                    }
                }

                int before = errors.Count;
                var read = current.ReadOptions(saved, where, errors);
                if (errors.Count == before)
                {
                    try
                    {
                        read.Validate();
                    }
                    catch (ArgumentException e)
                    {
                        errors.Add($"{where}: {e.Message}");
                    }
                }
                options[g] = read;
                g++;
            }
            if (errors.Count > 0) return null;

            // State tensors: state.{id}.{name}, grouped per parameter in the order they come.
            var perParameter = new Dictionary<Parameter, List<(string, Tensor)>>(ReferenceEqualityComparer.Instance);
            var order = new List<Parameter>();
            var groupOf = new Dictionary<Parameter, int>(ReferenceEqualityComparer.Instance);
            var prefixOf = new Dictionary<Parameter, string>(ReferenceEqualityComparer.Instance);
            foreach (var (key, tensor) in sd.Tensors)
            {
                if (!TryParseKey(key, out var id, out var entry))
                {
                    errors.Add($"Unexpected key in state_dict: \"{key}\" (expected state.{{index}}.{{name}}).");
                    continue;
                }
                if (!byId.TryGetValue(id, out var target))
                {
                    errors.Add($"Unexpected key in state_dict: \"{key}\" (no parameter has index {id}).");
                    continue;
                }
                if (tensor is null)
                {
                    errors.Add($"expected a tensor for {key}, got null.");
                    continue;
                }
                if (tensor.DType is not (DType.Float32 or DType.Float64 or DType.BFloat16))
                {
                    errors.Add($"{key} is {tensor.DType}; optimizer state is floating point (Float32, Float64 or BFloat16).");
                    continue;
                }
                if (!perParameter.TryGetValue(target.Parameter, out var list))
                {
                    list = new List<(string, Tensor)>();
                    perParameter[target.Parameter] = list;
                    order.Add(target.Parameter);
                    groupOf[target.Parameter] = target.Group;
                    prefixOf[target.Parameter] = $"state.{id}.";
                }
                list.Add((entry, tensor));
            }

            var states = new List<(Parameter, List<(string, Tensor)>)>();
            foreach (var p in order)
            {
                var entries = perParameter[p];
                var view = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                foreach (var (entry, tensor) in entries) view[entry] = tensor;
                ValidateState(options[groupOf[p]], p, view, prefixOf[p], errors);
                states.Add((p, entries));
            }
            return errors.Count > 0 ? null : (options, states);
        }
    }

    static bool TryParseKey(string key, out long id, out string entry)
    {
        id = 0;
        entry = "";
        const string prefix = "state.";
        if (!key.StartsWith(prefix, StringComparison.Ordinal)) return false;
        int dot = key.IndexOf('.', prefix.Length);
        if (dot < 0 || dot == key.Length - 1) return false;
        var digits = key.AsSpan(prefix.Length, dot - prefix.Length);
        // Only plain decimal indices, as StateDict writes them (no sign, no leading zeros except "0").
        if (digits.Length == 0 || (digits.Length > 1 && digits[0] == '0')) return false;
        foreach (var c in digits)
            if (c is < '0' or > '9') return false;
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out id)) return false;
        entry = key[(dot + 1)..];
        return true;
    }

    static Tensor CopyOf(Tensor source, DType dtype)
    {
        var copy = Tensor.Zeros(source.Sizes, dtype);
        copy.CopyFrom(source);
        return copy;
    }

    static string Quote(string? value) => value is null ? "missing" : "\"" + value + "\"";
}
