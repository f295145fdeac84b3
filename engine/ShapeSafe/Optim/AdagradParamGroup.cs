using System.Text.Json;
using ShapeSafe.NN;

namespace ShapeSafe.Optim;

/// <summary>
/// A parameter group of <see cref="Adagrad"/>. Options left null take the optimizer's values when the group is
/// given to it, as PyTorch fills a group dict from the optimizer's <c>defaults</c>.
/// </summary>
public sealed class AdagradParamGroup : ParamGroup
{
    double? _lrDecay, _weightDecay, _initialAccumulatorValue, _eps;
    bool? _maximize;

    /// <summary>A group over <paramref name="parameters"/>; null options take the optimizer's.</summary>
    public AdagradParamGroup(IEnumerable<Parameter> parameters, double? lr = null, double? lrDecay = null, double? weightDecay = null,
        double? initialAccumulatorValue = null, double? eps = null, bool? maximize = null)
        : base(parameters, lr)
    {
        _lrDecay = lrDecay;
        _weightDecay = weightDecay;
        _initialAccumulatorValue = initialAccumulatorValue;
        _eps = eps;
        _maximize = maximize;
    }

    /// <summary>Learning-rate decay (<c>group['lr_decay']</c>): step t uses <c>lr / (1 + (t - 1) * lr_decay)</c>.</summary>
    public double LrDecay { get => _lrDecay ?? throw Unset(nameof(LrDecay)); set => _lrDecay = value; }

    /// <summary>L2 penalty added to the gradient (<c>group['weight_decay']</c>).</summary>
    public double WeightDecay { get => _weightDecay ?? throw Unset(nameof(WeightDecay)); set => _weightDecay = value; }

    /// <summary>The starting value of the sum of squared gradients (<c>group['initial_accumulator_value']</c>).</summary>
    public double InitialAccumulatorValue { get => _initialAccumulatorValue ?? throw Unset(nameof(InitialAccumulatorValue)); set => _initialAccumulatorValue = value; }

    /// <summary>The term added to the denominator for numerical stability (<c>group['eps']</c>).</summary>
    public double Eps { get => _eps ?? throw Unset(nameof(Eps)); set => _eps = value; }

    /// <summary>Whether to maximize the objective instead of minimizing it (<c>group['maximize']</c>).</summary>
    public bool Maximize { get => _maximize ?? throw Unset(nameof(Maximize)); set => _maximize = value; }

    private protected override void FillOptionsFrom(ParamGroup defaults)
    {
        var d = (AdagradParamGroup)defaults;
        _lrDecay ??= d.LrDecay;
        _weightDecay ??= d.WeightDecay;
        _initialAccumulatorValue ??= d.InitialAccumulatorValue;
        _eps ??= d.Eps;
        _maximize ??= d.Maximize;
    }

    // PyTorch's Adagrad.__init__ checks (lr is checked by the base), in its order.
    private protected override void ValidateOptions()
    {
        if (!(0.0 <= LrDecay)) throw new ArgumentException($"Invalid lr_decay value: {Format(LrDecay)}");
        if (!(0.0 <= WeightDecay)) throw new ArgumentException($"Invalid weight_decay value: {Format(WeightDecay)}");
        if (!(0.0 <= InitialAccumulatorValue))
            throw new ArgumentException($"Invalid initial_accumulator_value value: {Format(InitialAccumulatorValue)}");
        if (!(0.0 <= Eps)) throw new ArgumentException($"Invalid epsilon value: {Format(Eps)}");
    }

    private protected override void WriteOwnOptions(Utf8JsonWriter json)
    {
        ParamGroupJson.WriteNumber(json, "lr_decay", LrDecay);
        ParamGroupJson.WriteNumber(json, "eps", Eps);
        ParamGroupJson.WriteNumber(json, "weight_decay", WeightDecay);
        ParamGroupJson.WriteNumber(json, "initial_accumulator_value", InitialAccumulatorValue);
        json.WriteBoolean("maximize", Maximize);
    }

    private protected override void ReadOwnOptions(JsonElement json, string where, List<string> errors)
    {
        _lrDecay = ParamGroupJson.ReadNumber(json, "lr_decay", where, errors);
        _eps = ParamGroupJson.ReadNumber(json, "eps", where, errors);
        _weightDecay = ParamGroupJson.ReadNumber(json, "weight_decay", where, errors);
        _initialAccumulatorValue = ParamGroupJson.ReadNumber(json, "initial_accumulator_value", where, errors);
        _maximize = ParamGroupJson.ReadBool(json, "maximize", false, where, errors);
    }

    private protected override void CopyOwnOptionsFrom(ParamGroup source)
    {
        var s = (AdagradParamGroup)source;
        (_lrDecay, _weightDecay, _initialAccumulatorValue, _eps, _maximize) = (s._lrDecay, s._weightDecay, s._initialAccumulatorValue, s._eps, s._maximize);
    }

    private protected override ParamGroup CreateEmpty() => new AdagradParamGroup(Array.Empty<Parameter>());
}
