using System.Text.Json;
using ShapeSafe.NN;

namespace ShapeSafe.Optim;

/// <summary>
/// A parameter group of <see cref="Sgd"/>. Options left null take the optimizer's values when the group is given
/// to it, as PyTorch fills a group dict from the optimizer's <c>defaults</c>.
/// </summary>
public sealed class SgdParamGroup : ParamGroup
{
    double? _momentum, _dampening, _weightDecay;
    bool? _nesterov, _maximize;

    /// <summary>A group over <paramref name="parameters"/>; null options take the optimizer's.</summary>
    public SgdParamGroup(IEnumerable<Parameter> parameters, double? lr = null, double? momentum = null, double? dampening = null,
        double? weightDecay = null, bool? nesterov = null, bool? maximize = null)
        : base(parameters, lr)
    {
        _momentum = momentum;
        _dampening = dampening;
        _weightDecay = weightDecay;
        _nesterov = nesterov;
        _maximize = maximize;
    }

    /// <summary>The momentum factor (<c>group['momentum']</c>); 0 turns momentum off.</summary>
    public double Momentum { get => _momentum ?? throw Unset(nameof(Momentum)); set => _momentum = value; }

    /// <summary>Dampening for momentum (<c>group['dampening']</c>), applied from the second step on.</summary>
    public double Dampening { get => _dampening ?? throw Unset(nameof(Dampening)); set => _dampening = value; }

    /// <summary>L2 penalty added to the gradient (<c>group['weight_decay']</c>).</summary>
    public double WeightDecay { get => _weightDecay ?? throw Unset(nameof(WeightDecay)); set => _weightDecay = value; }

    /// <summary>Whether to use Nesterov momentum (<c>group['nesterov']</c>).</summary>
    public bool Nesterov { get => _nesterov ?? throw Unset(nameof(Nesterov)); set => _nesterov = value; }

    /// <summary>Whether to maximize the objective instead of minimizing it (<c>group['maximize']</c>).</summary>
    public bool Maximize { get => _maximize ?? throw Unset(nameof(Maximize)); set => _maximize = value; }

    private protected override void FillOptionsFrom(ParamGroup defaults)
    {
        var d = (SgdParamGroup)defaults;
        _momentum ??= d.Momentum;
        _dampening ??= d.Dampening;
        _weightDecay ??= d.WeightDecay;
        _nesterov ??= d.Nesterov;
        _maximize ??= d.Maximize;
    }

    // PyTorch's SGD.__init__ checks, in its order.
    private protected override void ValidateOptions()
    {
        if (Momentum < 0.0) throw new ArgumentException($"Invalid momentum value: {Format(Momentum)}");
        if (WeightDecay < 0.0) throw new ArgumentException($"Invalid weight_decay value: {Format(WeightDecay)}");
        if (Nesterov && (Momentum <= 0 || Dampening != 0))
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening");
    }

    private protected override void WriteOwnOptions(Utf8JsonWriter json)
    {
        ParamGroupJson.WriteNumber(json, "momentum", Momentum);
        ParamGroupJson.WriteNumber(json, "dampening", Dampening);
        ParamGroupJson.WriteNumber(json, "weight_decay", WeightDecay);
        json.WriteBoolean("nesterov", Nesterov);
        json.WriteBoolean("maximize", Maximize);
    }

    private protected override void ReadOwnOptions(JsonElement json, string where, List<string> errors)
    {
        _momentum = ParamGroupJson.ReadNumber(json, "momentum", where, errors);
        _dampening = ParamGroupJson.ReadNumber(json, "dampening", where, errors);
        _weightDecay = ParamGroupJson.ReadNumber(json, "weight_decay", where, errors);
        _nesterov = ParamGroupJson.ReadBool(json, "nesterov", false, where, errors);
        _maximize = ParamGroupJson.ReadBool(json, "maximize", false, where, errors);
    }

    private protected override void CopyOwnOptionsFrom(ParamGroup source)
    {
        var s = (SgdParamGroup)source;
        (_momentum, _dampening, _weightDecay, _nesterov, _maximize) = (s._momentum, s._dampening, s._weightDecay, s._nesterov, s._maximize);
    }

    private protected override ParamGroup CreateEmpty() => new SgdParamGroup(Array.Empty<Parameter>());
}
