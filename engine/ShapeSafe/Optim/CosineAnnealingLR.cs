namespace ShapeSafe.Optim;

/// <summary>
/// Cosine annealing from each group's initial learning rate down to <see cref="EtaMin"/> over <see cref="TMax"/>
/// epochs, and back up over the next <see cref="TMax"/> (<c>torch.optim.lr_scheduler.CosineAnnealingLR</c>).
/// </summary>
/// <remarks>
/// Steps use PyTorch's recursive (chainable) <c>get_lr</c>, not the closed form
/// <c>eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2</c>: each new learning rate is the current one
/// scaled by <c>(1 + cos(pi * epoch / T_max)) / (1 + cos(pi * (epoch - 1) / T_max))</c> around <c>eta_min</c>, with
/// PyTorch's special case one epoch after each minimum. The two agree to rounding while nothing else changes the rate.
/// </remarks>
public sealed class CosineAnnealingLR : LRScheduler
{
    /// <summary>Attaches to <paramref name="optimizer"/> and takes the initial step (epoch 0, learning rates unchanged).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tMax"/> is not positive (PyTorch fails later, dividing by zero).</exception>
    public CosineAnnealingLR(Optimizer optimizer, int tMax, double etaMin = 0)
        : base(optimizer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tMax, 1);
        TMax = tMax;
        EtaMin = etaMin;
        InitialStep();
    }

    /// <summary>The number of epochs from the initial learning rate to the minimum (<c>T_max</c>).</summary>
    public int TMax { get; private set; }

    /// <summary>The minimum learning rate (<c>eta_min</c>).</summary>
    public double EtaMin { get; private set; }

    // PyTorch's CosineAnnealingLR.get_lr, branch for branch, with its evaluation order.
    private protected override double[] GetLr()
    {
        var lrs = CurrentLrs();
        if (IsInitial) return lrs;
        var baseLrs = BaseLrs;
        if (StepCount == 1 && LastEpoch > 0)
        {
            for (int i = 0; i < lrs.Length; i++)
                lrs[i] = EtaMin + (baseLrs[i] - EtaMin) * (1 + Math.Cos(LastEpoch * Math.PI / TMax)) / 2;
        }
        else if ((LastEpoch - 1 - TMax) % (2 * TMax) == 0)
        {
            for (int i = 0; i < lrs.Length; i++)
                lrs[i] = lrs[i] + (baseLrs[i] - EtaMin) * (1 - Math.Cos(Math.PI / TMax)) / 2;
        }
        else
        {
            for (int i = 0; i < lrs.Length; i++)
            {
                lrs[i] = (1 + Math.Cos(Math.PI * LastEpoch / TMax))
                    / (1 + Math.Cos(Math.PI * (LastEpoch - 1) / TMax))
                    * (lrs[i] - EtaMin) + EtaMin;
            }
        }
        return lrs;
    }

    private protected override void WriteSettings(Dictionary<string, string> state)
    {
        state["T_max"] = TMax.ToString(System.Globalization.CultureInfo.InvariantCulture);
        state["eta_min"] = FormatDouble(EtaMin);
    }

    private protected override Action ReadSettings(IReadOnlyDictionary<string, string> state, List<string> errors)
    {
        int? tMax = ReadInt(state, "T_max", errors);
        double etaMin = ReadDouble(state, "eta_min", errors);
        if (tMax < 1) errors.Add($"'T_max' must be positive, got {tMax}.");
        return () => (TMax, EtaMin) = (tMax!.Value, etaMin);
    }
}
