using System.Text.Json;
using ShapeSafe.NN;

namespace ShapeSafe.Optim;

/// <summary>
/// A parameter group of <see cref="Adam"/> or <see cref="AdamW"/>. Options left null take the optimizer's values
/// when the group is given to it (so an <see cref="AdamW"/> group without a weight decay gets AdamW's 1e-2).
/// </summary>
public sealed class AdamParamGroup : ParamGroup
{
    (double, double)? _betas;
    double? _eps, _weightDecay;
    bool? _amsgrad, _maximize;

    /// <summary>A group over <paramref name="parameters"/>; null options take the optimizer's.</summary>
    public AdamParamGroup(IEnumerable<Parameter> parameters, double? lr = null, (double Beta1, double Beta2)? betas = null, double? eps = null,
        double? weightDecay = null, bool? amsgrad = null, bool? maximize = null)
        : base(parameters, lr)
    {
        _betas = betas;
        _eps = eps;
        _weightDecay = weightDecay;
        _amsgrad = amsgrad;
        _maximize = maximize;
    }

    /// <summary>The decay rates of the first and second moment averages (<c>group['betas']</c>).</summary>
    public (double Beta1, double Beta2) Betas { get => _betas ?? throw Unset(nameof(Betas)); set => _betas = value; }

    /// <summary>The term added to the denominator for numerical stability (<c>group['eps']</c>).</summary>
    public double Eps { get => _eps ?? throw Unset(nameof(Eps)); set => _eps = value; }

    /// <summary>Weight decay (<c>group['weight_decay']</c>): an L2 penalty for Adam, decoupled decay for AdamW.</summary>
    public double WeightDecay { get => _weightDecay ?? throw Unset(nameof(WeightDecay)); set => _weightDecay = value; }

    /// <summary>Whether to use the AMSGrad variant (<c>group['amsgrad']</c>).</summary>
    public bool Amsgrad { get => _amsgrad ?? throw Unset(nameof(Amsgrad)); set => _amsgrad = value; }

    /// <summary>Whether to maximize the objective instead of minimizing it (<c>group['maximize']</c>).</summary>
    public bool Maximize { get => _maximize ?? throw Unset(nameof(Maximize)); set => _maximize = value; }

    private protected override void FillOptionsFrom(ParamGroup defaults)
    {
        var d = (AdamParamGroup)defaults;
        _betas ??= d.Betas;
        _eps ??= d.Eps;
        _weightDecay ??= d.WeightDecay;
        _amsgrad ??= d.Amsgrad;
        _maximize ??= d.Maximize;
    }

    // PyTorch's Adam.__init__ checks (lr is checked by the base), in its order.
    private protected override void ValidateOptions()
    {
        var (beta1, beta2) = Betas;
        if (!(0.0 <= Eps)) throw new ArgumentException($"Invalid epsilon value: {Format(Eps)}");
        if (!(0.0 <= beta1 && beta1 < 1.0)) throw new ArgumentException($"Invalid beta parameter at index 0: {Format(beta1)}");
        if (!(0.0 <= beta2 && beta2 < 1.0)) throw new ArgumentException($"Invalid beta parameter at index 1: {Format(beta2)}");
        if (!(0.0 <= WeightDecay)) throw new ArgumentException($"Invalid weight_decay value: {Format(WeightDecay)}");
    }

    private protected override void WriteOwnOptions(Utf8JsonWriter json)
    {
        json.WriteStartArray("betas");
        ParamGroupJson.WriteNumberValue(json, Betas.Beta1);
        ParamGroupJson.WriteNumberValue(json, Betas.Beta2);
        json.WriteEndArray();
        ParamGroupJson.WriteNumber(json, "eps", Eps);
        ParamGroupJson.WriteNumber(json, "weight_decay", WeightDecay);
        json.WriteBoolean("amsgrad", Amsgrad);
        json.WriteBoolean("maximize", Maximize);
    }

    private protected override void ReadOwnOptions(JsonElement json, string where, List<string> errors)
    {
        if (!json.TryGetProperty("betas", out var betas))
            errors.Add($"{where} has no 'betas'.");
        else if (ParamGroupJson.ReadNumbers(betas, where + " 'betas'", errors) is { } values)
        {
            if (values.Length == 2) _betas = (values[0], values[1]);
            else errors.Add($"{where}: 'betas' has {values.Length} values, expected 2.");
        }
        _eps = ParamGroupJson.ReadNumber(json, "eps", where, errors);
        _weightDecay = ParamGroupJson.ReadNumber(json, "weight_decay", where, errors);
        _amsgrad = ParamGroupJson.ReadBool(json, "amsgrad", false, where, errors);
        _maximize = ParamGroupJson.ReadBool(json, "maximize", false, where, errors);
    }

    private protected override void CopyOwnOptionsFrom(ParamGroup source)
    {
        var s = (AdamParamGroup)source;
        (_betas, _eps, _weightDecay, _amsgrad, _maximize) = (s._betas, s._eps, s._weightDecay, s._amsgrad, s._maximize);
    }

    private protected override ParamGroup CreateEmpty() => new AdamParamGroup(Array.Empty<Parameter>());
}
