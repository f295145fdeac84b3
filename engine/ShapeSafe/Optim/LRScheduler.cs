using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ShapeSafe.Optim;

/// <summary>
/// Base of the learning-rate schedulers (<c>torch.optim.lr_scheduler.LRScheduler</c>). Creating one records each
/// group's <see cref="ParamGroup.InitialLr"/> (when not already set), takes those as <see cref="BaseLrs"/> and takes
/// the initial step to epoch 0. Each <see cref="Step"/> then advances <see cref="LastEpoch"/> and writes the new
/// learning rates into the optimizer's groups. Call it after the optimizer's <c>Step()</c>.
/// </summary>
/// <remarks>
/// Schedulers here are PyTorch's chainable form: <c>Step</c> computes each learning rate from the group's current
/// one (PyTorch's <c>get_lr</c>), not from a closed formula, so two schedulers on one optimizer compose as in PyTorch.
/// There is no <c>last_epoch</c> constructor argument: resume with <see cref="LoadStateDict"/>.
/// </remarks>
public abstract class LRScheduler
{
    double[] _baseLrs = Array.Empty<double>();
    double[] _lastLr = Array.Empty<double>();

    /// <summary>Attaches to <paramref name="optimizer"/>; the subclass finishes with <see cref="InitialStep"/>.</summary>
    private protected LRScheduler(Optimizer optimizer)
    {
        Optimizer = optimizer ?? throw new ArgumentNullException(nameof(optimizer));
    }

    /// <summary>The optimizer whose learning rates this scheduler sets.</summary>
    public Optimizer Optimizer { get; }

    /// <summary>The index of the last epoch stepped to (<c>last_epoch</c>): 0 after construction.</summary>
    public int LastEpoch { get; private set; } = -1;

    /// <summary>Each group's learning rate at the start (<c>base_lrs</c>, from <c>initial_lr</c>).</summary>
    public IReadOnlyList<double> BaseLrs => _baseLrs;

    /// <summary>How many times the scheduler has stepped, the initial step included (PyTorch's <c>_step_count</c>).</summary>
    private protected int StepCount { get; private set; }

    /// <summary>True while the constructor's initial step runs (PyTorch's <c>_is_initial</c>).</summary>
    private protected bool IsInitial { get; private set; }

    /// <summary>The learning rates the last step wrote, one per group (<c>get_last_lr()</c>).</summary>
    public IReadOnlyList<double> GetLastLr() => (double[])_lastLr.Clone();

    /// <summary>Advances to the next epoch and sets each group's learning rate (<c>step()</c>).</summary>
    /// <exception cref="InvalidOperationException">The optimizer's number of groups changed since the scheduler was created.</exception>
    public void Step()
    {
        var groups = Optimizer.ParamGroups;
        if (groups.Count != _baseLrs.Length)
            throw new InvalidOperationException($"{Name}.Step: the optimizer has {groups.Count} parameter groups, but the scheduler was set up for {_baseLrs.Length}");
        StepCount++;
        LastEpoch++;
        var values = GetLr();
        for (int i = 0; i < groups.Count; i++) groups[i].Lr = values[i];
        _lastLr = groups.Select(g => g.Lr).ToArray();
    }

    /// <summary>
    /// The scheduler's state (<c>state_dict()</c>) as strings, ready to be safetensors metadata: <c>type</c> (the
    /// class name), <c>last_epoch</c>, <c>_step_count</c>, <c>base_lrs</c> and <c>_last_lr</c> (JSON arrays), and
    /// the scheduler's own settings under PyTorch's names (<c>step_size</c> and <c>gamma</c>; <c>T_max</c> and
    /// <c>eta_min</c>). Doubles are in round-trip form.
    /// </summary>
    public IReadOnlyDictionary<string, string> StateDict()
    {
        var state = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["type"] = Name,
            ["last_epoch"] = LastEpoch.ToString(CultureInfo.InvariantCulture),
            ["_step_count"] = StepCount.ToString(CultureInfo.InvariantCulture),
            ["base_lrs"] = JsonArray(_baseLrs),
            ["_last_lr"] = JsonArray(_lastLr),
        };
        WriteSettings(state);
        return state;
    }

    /// <summary>
    /// Restores a state from <see cref="StateDict"/> (<c>load_state_dict()</c>), settings included, as PyTorch
    /// does. Everything is checked first: on any error the scheduler is unchanged. The optimizer's learning rates
    /// are not touched (load the optimizer's own state for those).
    /// </summary>
    /// <exception cref="ArgumentException">A key is missing or malformed, the type differs, or the number of learning rates differs from the optimizer's groups.</exception>
    public void LoadStateDict(IReadOnlyDictionary<string, string> stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        var errors = new List<string>();
        if (!stateDict.TryGetValue("type", out var type) || type != Name)
            errors.Add($"the state dict is for scheduler {(type is null ? "(none)" : "\"" + type + "\"")}, not \"{Name}\".");
        int? lastEpoch = ReadInt(stateDict, "last_epoch", errors);
        int? stepCount = ReadInt(stateDict, "_step_count", errors);
        var baseLrs = ReadDoubles(stateDict, "base_lrs", errors);
        var lastLr = ReadDoubles(stateDict, "_last_lr", errors);
        int groups = Optimizer.ParamGroups.Count;
        if (baseLrs is not null && baseLrs.Length != groups)
            errors.Add($"'base_lrs' has {baseLrs.Length} values, the optimizer has {groups} parameter groups.");
        if (lastLr is not null && lastLr.Length != groups)
            errors.Add($"'_last_lr' has {lastLr.Length} values, the optimizer has {groups} parameter groups.");
        var apply = ReadSettings(stateDict, errors);
        if (errors.Count > 0)
        {
            var message = new StringBuilder($"Error(s) in loading state_dict for {Name}:");
            foreach (var e in errors) message.Append("\n\t").Append(e);
            throw new ArgumentException(message.ToString(), nameof(stateDict));
        }
        LastEpoch = lastEpoch!.Value;
        StepCount = stepCount!.Value;
        _baseLrs = baseLrs!;
        _lastLr = lastLr!;
        apply();
    }

    /// <summary>
    /// Records <c>initial_lr</c> and <see cref="BaseLrs"/> and steps to epoch 0 (PyTorch's <c>__init__</c> tail and
    /// <c>_initial_step</c>). Subclasses call it last in their constructor, once their settings are in place.
    /// </summary>
    private protected void InitialStep()
    {
        foreach (var group in Optimizer.ParamGroups)
            group.InitialLr ??= group.Lr;
        _baseLrs = Optimizer.ParamGroups.Select(g => g.InitialLr!.Value).ToArray();
        LastEpoch = -1;
        StepCount = 0;
        IsInitial = true;
        try
        {
            Step();
        }
        finally
        {
            IsInitial = false;
        }
    }

    /// <summary>The learning rates for <see cref="LastEpoch"/>, one per group (PyTorch's <c>get_lr()</c>).</summary>
    private protected abstract double[] GetLr();

    /// <summary>The groups' current learning rates.</summary>
    private protected double[] CurrentLrs() => Optimizer.ParamGroups.Select(g => g.Lr).ToArray();

    /// <summary>Adds the subclass's settings to a state dict.</summary>
    private protected abstract void WriteSettings(Dictionary<string, string> state);

    /// <summary>Reads the subclass's settings; returns the action that applies them (run only when nothing failed).</summary>
    private protected abstract Action ReadSettings(IReadOnlyDictionary<string, string> state, List<string> errors);

    /// <summary>The name recorded in state dicts and used in messages.</summary>
    private protected string Name => GetType().Name;

    private protected static string FormatDouble(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>An integer entry, or null (with an error) when it is missing or malformed.</summary>
    private protected static int? ReadInt(IReadOnlyDictionary<string, string> state, string key, List<string> errors)
    {
        if (!state.TryGetValue(key, out var text)) errors.Add($"Missing key in state_dict: \"{key}\".");
        else if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)) return value;
        else errors.Add($"'{key}' is not an integer (\"{text}\").");
        return null;
    }

    private protected static double ReadDouble(IReadOnlyDictionary<string, string> state, string key, List<string> errors)
    {
        if (!state.TryGetValue(key, out var text)) errors.Add($"Missing key in state_dict: \"{key}\".");
        else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)) return value;
        else errors.Add($"'{key}' is not a number (\"{text}\").");
        return double.NaN;
    }

    static double[]? ReadDoubles(IReadOnlyDictionary<string, string> state, string key, List<string> errors)
    {
        if (!state.TryGetValue(key, out var text))
        {
            errors.Add($"Missing key in state_dict: \"{key}\".");
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(text);
            return ParamGroupJson.ReadNumbers(document.RootElement, $"'{key}'", errors);
        }
        catch (JsonException e)
        {
            errors.Add($"'{key}' is not valid JSON: {e.Message}");
            return null;
        }
    }

    static string JsonArray(double[] values)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var v in values) ParamGroupJson.WriteNumberValue(json, v);
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
