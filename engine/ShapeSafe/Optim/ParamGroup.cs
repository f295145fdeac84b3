using System.Text.Json;
using ShapeSafe.NN;

namespace ShapeSafe.Optim;

/// <summary>
/// One of an optimizer's parameter groups (an entry of PyTorch's <c>optimizer.param_groups</c>): a list of
/// parameters and the hyperparameters used to update them. Each optimizer has its own group type
/// (<see cref="SgdParamGroup"/>, <see cref="AdamParamGroup"/>) carrying its options.
/// </summary>
/// <remarks>
/// As in PyTorch, a group passed to an optimizer may leave options unset; the optimizer fills them in from its
/// own arguments (PyTorch's <c>defaults</c>) when it adopts the group. Reading an option that is still unset (a
/// group not yet given to an optimizer) throws <see cref="InvalidOperationException"/>. Options may be changed at
/// any time, as schedulers change <see cref="Lr"/>; as in PyTorch, such later changes are not re-validated.
/// </remarks>
public abstract class ParamGroup
{
    double? _lr;

    /// <summary>Creates a group over <paramref name="parameters"/> (materialized once, in order).</summary>
    /// <param name="parameters">The parameters this group updates.</param>
    /// <param name="lr">The learning rate, or null to take the optimizer's.</param>
    protected ParamGroup(IEnumerable<Parameter> parameters, double? lr)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var list = new List<Parameter>();
        foreach (var p in parameters)
        {
            if (p is null)
                throw new ArgumentException("optimizer can only optimize Tensors, but one of the params is null", nameof(parameters));
            list.Add(p);
        }
        Parameters = list.AsReadOnly();
        _lr = lr;
    }

    /// <summary>The parameters this group updates, in order.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>The learning rate (<c>group['lr']</c>); learning-rate schedulers set it.</summary>
    public double Lr
    {
        get => _lr ?? throw Unset(nameof(Lr));
        set => _lr = value;
    }

    /// <summary>
    /// The learning rate a scheduler started from (<c>group['initial_lr']</c>): set by the first scheduler
    /// attached to the optimizer, null before. Saved and loaded with the optimizer's state.
    /// </summary>
    public double? InitialLr { get; set; }

    /// <summary>Fills the options left unset from <paramref name="defaults"/> (a group of the same type, fully set).</summary>
    internal void FillFrom(ParamGroup defaults)
    {
        _lr ??= defaults.Lr;
        FillOptionsFrom(defaults);
    }

    /// <summary>Throws <see cref="ArgumentException"/>, with PyTorch's message, when an option is out of range.</summary>
    internal void Validate()
    {
        if (Lr < 0.0) throw new ArgumentException($"Invalid learning rate: {Format(Lr)}");
        ValidateOptions();
    }

    /// <summary>Writes this group's options (not its parameters) as JSON properties.</summary>
    internal void WriteOptions(Utf8JsonWriter json)
    {
        ParamGroupJson.WriteNumber(json, "lr", Lr);
        if (InitialLr is { } initial) ParamGroupJson.WriteNumber(json, "initial_lr", initial);
        WriteOwnOptions(json);
    }

    /// <summary>
    /// A group of the same type over no parameters whose options are read from <paramref name="json"/>;
    /// problems are added to <paramref name="errors"/> (the result is then meaningless).
    /// </summary>
    internal ParamGroup ReadOptions(JsonElement json, string where, List<string> errors)
    {
        var read = CreateEmpty();
        read._lr = ParamGroupJson.ReadNumber(json, "lr", where, errors);
        read.InitialLr = json.TryGetProperty("initial_lr", out _) ? ParamGroupJson.ReadNumber(json, "initial_lr", where, errors) : null;
        read.ReadOwnOptions(json, where, errors);
        return read;
    }

    /// <summary>Copies every option (including <see cref="InitialLr"/>) from <paramref name="source"/>, a group of the same type.</summary>
    internal void CopyOptionsFrom(ParamGroup source)
    {
        _lr = source._lr;
        InitialLr = source.InitialLr;
        CopyOwnOptionsFrom(source);
    }

    /// <summary>Fills this type's unset options from <paramref name="defaults"/>.</summary>
    private protected abstract void FillOptionsFrom(ParamGroup defaults);

    /// <summary>Checks this type's options.</summary>
    private protected abstract void ValidateOptions();

    /// <summary>Writes this type's options.</summary>
    private protected abstract void WriteOwnOptions(Utf8JsonWriter json);

    /// <summary>Reads this type's options into this (empty) group.</summary>
    private protected abstract void ReadOwnOptions(JsonElement json, string where, List<string> errors);

    /// <summary>Copies this type's options.</summary>
    private protected abstract void CopyOwnOptionsFrom(ParamGroup source);

    /// <summary>A group of this type over no parameters with no options set.</summary>
    private protected abstract ParamGroup CreateEmpty();

    private protected static InvalidOperationException Unset(string option) =>
        new($"the parameter group's {option} is not set yet: it takes the optimizer's value when the group is given to an optimizer");

    /// <summary>A double as Python prints it in ValueError messages (round-trip form).</summary>
    private protected static string Format(double value) => value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
}
