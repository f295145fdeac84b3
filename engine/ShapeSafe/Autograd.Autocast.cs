namespace ShapeSafe;

// Automatic mixed precision (torch.autocast("cpu", dtype=torch.bfloat16)). The state is per flow of control, like
// the grad modes: one AsyncLocal int, 0 when no scope ever set it (disabled, dtype BFloat16). Ops read it through
// AutocastPolicy; only the ops on PyTorch's CPU lists ask (see docs/mixed-precision.md).
public static partial class Autograd
{
    // Bit 0: enabled. The dtype is always BFloat16 (the one lower-precision dtype the engine has), so no more bits.
    const int AutocastOn = 1;
    static readonly AsyncLocal<int> s_autocast = new();

    /// <summary>Whether ops in this flow of control autocast (<c>torch.is_autocast_enabled("cpu")</c>).</summary>
    public static bool IsAutocastEnabled => s_autocast.Value == AutocastOn;

    /// <summary>
    /// The lower-precision dtype autocast casts to (<c>torch.get_autocast_dtype("cpu")</c>): BFloat16, the CPU default,
    /// also outside any scope.
    /// </summary>
    public static DType AutocastDType => DType.BFloat16;

    /// <summary>
    /// Mixed precision until the returned scope is disposed (<c>with torch.autocast("cpu", dtype=torch.bfloat16):</c>):
    /// matrix products, linear layers and convolutions cast their Float32 operands to <paramref name="dtype"/> and return
    /// results of that dtype computed with float32 accumulation; losses cast BFloat16 inputs to Float32; other ops run in
    /// their inputs' dtypes. <c>enabled: false</c> turns autocast off inside an enabled region. Disposing the scope
    /// restores the outer state. The exact op lists are in docs/mixed-precision.md.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="dtype"/> is not BFloat16 (PyTorch warns and disables autocast).</exception>
    public static IDisposable Autocast(DType dtype = DType.BFloat16, bool enabled = true)
    {
        if (dtype != DType.BFloat16)
            throw new ArgumentException($"Autocast: CPU autocast supports dtype BFloat16 only, got {dtype}", nameof(dtype));
        int outer = s_autocast.Value;
        Set(s_autocast, outer, enabled ? AutocastOn : 0);
        return new StateScope(s_autocast, outer);
    }
}
