using System.Text.Json;
using ShapeSafe.NN;

namespace ShapeSafe.Optim;

/// <summary>
/// A parameter group of <see cref="Rmsprop"/>. Options left null take the optimizer's values when the group is
/// given to it, as PyTorch fills a group dict from the optimizer's <c>defaults</c>.
/// </summary>
public sealed class RmspropParamGroup : ParamGroup
{
    double? _alpha, _eps, _weightDecay, _momentum;
    bool? _centered, _maximize;

    /// <summary>A group over <paramref name="parameters"/>; null options take the optimizer's.</summary>
    public RmspropParamGroup(IEnumerable<Parameter> parameters, double? lr = null, double? alpha = null, double? eps = null,
        double? weightDecay = null, double? momentum = null, bool? centered = null, bool? maximize = null)
        : base(parameters, lr)
    {
        _alpha = alpha;
        _eps = eps;
        _weightDecay = weightDecay;
        _momentum = momentum;
        _centered = centered;
        _maximize = maximize;
    }

    /// <summary>The smoothing constant of the squared-gradient average (<c>group['alpha']</c>).</summary>
    public double Alpha { get => _alpha ?? throw Unset(nameof(Alpha)); set => _alpha = value; }

    /// <summary>The term added to the denominator for numerical stability (<c>group['eps']</c>).</summary>
    public double Eps { get => _eps ?? throw Unset(nameof(Eps)); set => _eps = value; }

    /// <summary>L2 penalty added to the gradient (<c>group['weight_decay']</c>).</summary>
    public double WeightDecay { get => _weightDecay ?? throw Unset(nameof(WeightDecay)); set => _weightDecay = value; }

    /// <summary>The momentum factor (<c>group['momentum']</c>); 0 turns momentum off.</summary>
    public double Momentum { get => _momentum ?? throw Unset(nameof(Momentum)); set => _momentum = value; }

    /// <summary>Whether to normalize by the estimated variance of the gradient (<c>group['centered']</c>).</summary>
    public bool Centered { get => _centered ?? throw Unset(nameof(Centered)); set => _centered = value; }

    /// <summary>Whether to maximize the objective instead of minimizing it (<c>group['maximize']</c>).</summary>
    public bool Maximize { get => _maximize ?? throw Unset(nameof(Maximize)); set => _maximize = value; }

    private protected override void FillOptionsFrom(ParamGroup defaults)
    {
        var d = (RmspropParamGroup)defaults;
        _alpha ??= d.Alpha;
        _eps ??= d.Eps;
        _weightDecay ??= d.WeightDecay;
        _momentum ??= d.Momentum;
        _centered ??= d.Centered;
        _maximize ??= d.Maximize;
    }

    // PyTorch's RMSprop.__init__ checks (lr is checked by the base), in its order.
    private protected override void ValidateOptions()
    {
        if (!(0.0 <= Eps)) throw new ArgumentException($"Invalid epsilon value: {Format(Eps)}");
        if (!(0.0 <= Momentum)) throw new ArgumentException($"Invalid momentum value: {Format(Momentum)}");
        if (!(0.0 <= WeightDecay)) throw new ArgumentException($"Invalid weight_decay value: {Format(WeightDecay)}");
        if (!(0.0 <= Alpha)) throw new ArgumentException($"Invalid alpha value: {Format(Alpha)}");
    }

    private protected override void WriteOwnOptions(Utf8JsonWriter json)
    {
        ParamGroupJson.WriteNumber(json, "momentum", Momentum);
        ParamGroupJson.WriteNumber(json, "alpha", Alpha);
        ParamGroupJson.WriteNumber(json, "eps", Eps);
        json.WriteBoolean("centered", Centered);
        ParamGroupJson.WriteNumber(json, "weight_decay", WeightDecay);
        json.WriteBoolean("maximize", Maximize);
    }

    private protected override void ReadOwnOptions(JsonElement json, string where, List<string> errors)
    {
        // PyTorch's __setstate__ defaults momentum to 0 and centered and maximize to False when absent.
        _momentum = json.TryGetProperty("momentum", out _) ? ParamGroupJson.ReadNumber(json, "momentum", where, errors) : 0;
        _alpha = ParamGroupJson.ReadNumber(json, "alpha", where, errors);
        _eps = ParamGroupJson.ReadNumber(json, "eps", where, errors);
        _centered = ParamGroupJson.ReadBool(json, "centered", false, where, errors);
        _weightDecay = ParamGroupJson.ReadNumber(json, "weight_decay", where, errors);
        _maximize = ParamGroupJson.ReadBool(json, "maximize", false, where, errors);
    }

    private protected override void CopyOwnOptionsFrom(ParamGroup source)
    {
        var s = (RmspropParamGroup)source;
        (_alpha, _eps, _weightDecay, _momentum, _centered, _maximize) = (s._alpha, s._eps, s._weightDecay, s._momentum, s._centered, s._maximize);
    }

    private protected override ParamGroup CreateEmpty() => new RmspropParamGroup(Array.Empty<Parameter>());
}
