namespace ShapeSafe.Optim;

/// <summary>
/// An optimizer's state (<c>optimizer.state_dict()</c>) in a form safetensors stores as is: named tensors plus a
/// string-to-string metadata map. Save one with <c>Safetensors.Save(path, sd.Tensors, sd.Metadata)</c> (or
/// <see cref="Optimizer.Save"/>) and read it back with <c>Safetensors.Load(path, out metadata)</c>.
/// </summary>
/// <remarks>
/// <para>Tensors: <c>state.{index}.{name}</c>, where <c>index</c> numbers the optimizer's parameters from 0 across
/// all groups in order (PyTorch's numbering) and <c>name</c> is PyTorch's state key: <c>momentum_buffer</c> for
/// <see cref="Sgd"/>; <c>step</c> (a Float32 scalar, as in PyTorch), <c>exp_avg</c>, <c>exp_avg_sq</c> and, with
/// AMSGrad, <c>max_exp_avg_sq</c> for <see cref="Adam"/> and <see cref="AdamW"/>; <c>step</c>, <c>square_avg</c> and, with
/// momentum or centering, <c>momentum_buffer</c> and <c>grad_avg</c> for <see cref="Rmsprop"/>; <c>step</c> and
/// <c>sum</c> for <see cref="Adagrad"/>. A parameter that has no state yet (it never had a gradient; Adagrad's have
/// state from the start) has no entries.</para>
/// <para>Metadata: <c>format</c> = <c>"shapesafe.optim"</c>, <c>version</c> = <c>"1"</c>, <c>optimizer</c> = the
/// class name (<c>"Sgd"</c>, <c>"Adam"</c>, <c>"AdamW"</c>, <c>"Rmsprop"</c>, <c>"Adagrad"</c>), and <c>param_groups</c> = a JSON array with one object
/// per group: its hyperparameters under PyTorch's keys (<c>lr</c>, <c>initial_lr</c> once a scheduler set it,
/// <c>momentum</c>, <c>dampening</c>, <c>weight_decay</c>, <c>nesterov</c>, <c>maximize</c>; or <c>betas</c>,
/// <c>eps</c>, <c>weight_decay</c>, <c>amsgrad</c>, <c>maximize</c>; or RMSprop's <c>momentum</c>, <c>alpha</c>,
/// <c>eps</c>, <c>centered</c>, <c>weight_decay</c>, <c>maximize</c>; or Adagrad's <c>lr_decay</c>, <c>eps</c>,
/// <c>weight_decay</c>, <c>initial_accumulator_value</c>, <c>maximize</c>) and <c>params</c>, the indices of its
/// parameters. For example
/// <c>[{"lr":0.001,"betas":[0.9,0.999],"eps":1E-08,"weight_decay":0,"amsgrad":false,"maximize":false,"params":[0,1]}]</c>.
/// Doubles are written in round-trip form, so a reloaded optimizer continues bit for bit.</para>
/// <para>The tensors returned by <see cref="Optimizer.StateDict"/> share storage with the optimizer's live state
/// (as PyTorch's do, and as <c>Module.StateDict</c>'s do); <see cref="Optimizer.LoadStateDict"/> copies.</para>
/// </remarks>
public sealed class OptimizerStateDict
{
    /// <summary>The value of the <c>format</c> metadata entry.</summary>
    public const string FormatName = "shapesafe.optim";

    /// <summary>The value of the <c>version</c> metadata entry this build writes and reads.</summary>
    public const string FormatVersion = "1";

    /// <summary>Wraps tensors and metadata, for example as <c>Safetensors.Load</c> returns them.</summary>
    public OptimizerStateDict(IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Tensors = tensors ?? throw new ArgumentNullException(nameof(tensors));
        Metadata = metadata ?? throw new ArgumentNullException(nameof(metadata));
    }

    /// <summary>The per-parameter state, keyed <c>state.{index}.{name}</c>.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors { get; }

    /// <summary>The format markers, the optimizer's class name and its <c>param_groups</c> JSON.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
}
