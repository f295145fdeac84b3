namespace ShapeSafe;

/// <summary>
/// Gradient modes and functional gradients (seed section 7). Modes follow the logical flow of the code, as an
/// <see cref="AsyncLocal{T}"/> does: code after an <c>await</c> inside a <c>using (Autograd.NoGrad())</c> still runs
/// without gradients, whichever thread resumes it, and neither the thread that started the method nor later work on
/// either thread is affected. Without <c>await</c> this is PyTorch's thread-local behaviour. A thread or task started
/// inside a scope inherits its modes (the engine's own worker threads start with the defaults); see docs/autograd.md.
/// </summary>
public static partial class Autograd
{
    // The modes as flags (GradDisabled | Inference); 0, the default, is what a flow that never set them reads. An
    // AsyncLocal write costs an allocation, so a scope writes only when it changes the modes; reading is cheap, and
    // only ops on tensors that require grad ask (the tiny-op path without gradients never does).
    const int GradDisabled = 1, Inference = 2;
    static readonly AsyncLocal<int> s_modes = new();

    /// <summary>Whether ops in this flow of control record the graph for backward.</summary>
    public static bool IsGradEnabled => (s_modes.Value & GradDisabled) == 0;

    /// <summary>Whether this flow of control is inside <see cref="InferenceMode"/>.</summary>
    public static bool IsInferenceModeEnabled => (s_modes.Value & Inference) != 0;

    /// <summary>Disables gradient recording until the returned scope is disposed (<c>with torch.no_grad():</c>).</summary>
    public static IDisposable NoGrad() => SetGradEnabled(false);

    /// <summary>Enables gradient recording until the returned scope is disposed (<c>with torch.enable_grad():</c>).</summary>
    public static IDisposable EnableGrad() => SetGradEnabled(true);

    /// <summary>
    /// Sets gradient recording now; disposing the returned scope restores the earlier mode. Works both as a
    /// function call (<c>torch.set_grad_enabled(False)</c>) and in a <c>using</c> (the context-manager form).
    /// </summary>
    public static IDisposable SetGradEnabled(bool enabled)
    {
        int modes = s_modes.Value;
        Set(modes, enabled ? modes & ~GradDisabled : modes | GradDisabled);
        return new StateScope(s_modes, modes);
    }

    /// <summary>
    /// Inference mode: no graph is recorded (like <see cref="NoGrad"/>) until the scope is disposed.
    /// <c>InferenceMode(false)</c> leaves the modes as they are.
    /// </summary>
    public static IDisposable InferenceMode(bool enabled = true)
    {
        int modes = s_modes.Value;
        if (enabled) Set(modes, modes | Inference | GradDisabled);
        return new StateScope(s_modes, modes);
    }

    /// <summary>
    /// The gradients of the sum of <paramref name="outputs"/> (each weighted by its <paramref name="gradOutputs"/>
    /// entry, or ones for a scalar) with respect to <paramref name="inputs"/>, without touching any
    /// <see cref="Tensor.Grad"/>. An input the outputs do not depend on gets null when <paramref name="allowUnused"/>,
    /// else an error.
    /// </summary>
    public static Tensor?[] Grad(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> inputs,
        IReadOnlyList<Tensor>? gradOutputs = null, bool retainGraph = false, bool allowUnused = false)
    {
        var seeds = BackwardEngine.Seeds(outputs, gradOutputs, "Grad");
        var captured = BackwardEngine.Run(seeds, inputs, retainGraph);
        for (int i = 0; i < inputs.Count; i++)
        {
            if (!inputs[i].RequiresGrad)
                throw new InvalidOperationException($"Autograd.Grad: input {i} (shape {Rules.Format(inputs[i].Sizes)}) does not require grad");
            if (captured![i] is null && !allowUnused)
                throw new InvalidOperationException($"Autograd.Grad: input {i} (shape {Rules.Format(inputs[i].Sizes)}) was not used in the graph of the outputs; pass allowUnused: true to get null");
        }
        return captured!;
    }

    static void Set(int current, int modes) => Set(s_modes, current, modes);

    // An AsyncLocal write costs an allocation: write only on a change.
    static void Set(AsyncLocal<int> state, int current, int value)
    {
        if (value != current) state.Value = value;
    }

    /// <summary>
    /// Restores one per-flow state (the grad modes, or autocast's) to its value where the scope was made; disposing it a
    /// second time does nothing.
    /// </summary>
    sealed class StateScope(AsyncLocal<int> state, int outer) : IDisposable
    {
        bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            Set(state, state.Value, outer);
        }
    }
}
