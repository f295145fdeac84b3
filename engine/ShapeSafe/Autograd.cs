namespace ShapeSafe;

/// <summary>
/// Gradient modes and functional gradients (seed section 7). Modes are per thread, as in PyTorch:
/// work sent to another thread starts with gradients enabled and inference mode off.
/// </summary>
public static class Autograd
{
    [ThreadStatic] static bool t_gradDisabled;
    [ThreadStatic] static bool t_inference;

    /// <summary>Whether ops on this thread record the graph for backward.</summary>
    public static bool IsGradEnabled => !t_gradDisabled;

    /// <summary>Whether this thread is inside <see cref="InferenceMode"/>.</summary>
    public static bool IsInferenceModeEnabled => t_inference;

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
        var scope = new ModeScope(t_gradDisabled, t_inference);
        t_gradDisabled = !enabled;
        return scope;
    }

    /// <summary>
    /// Inference mode: no graph is recorded (like <see cref="NoGrad"/>) until the scope is disposed.
    /// <c>InferenceMode(false)</c> leaves the modes as they are.
    /// </summary>
    public static IDisposable InferenceMode(bool enabled = true)
    {
        var scope = new ModeScope(t_gradDisabled, t_inference);
        if (enabled)
        {
            t_inference = true;
            t_gradDisabled = true;
        }
        return scope;
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

    sealed class ModeScope : IDisposable
    {
        readonly bool _gradDisabled;
        readonly bool _inference;
        bool _disposed;

        public ModeScope(bool gradDisabled, bool inference)
        {
            _gradDisabled = gradDisabled;
            _inference = inference;
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            t_gradDisabled = _gradDisabled;
            t_inference = _inference;
        }
    }
}
