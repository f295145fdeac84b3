namespace ShapeSafe.Tracing;

/// <summary>One op seen by a tracer: its name, its tensor inputs (null for an absent optional one), outputs and settings.</summary>
/// <param name="Name">The op: a layer-level one (<c>Linear</c>, <c>Conv2d</c>, <c>LayerNorm</c>, <c>LSTM</c>,
/// <c>MultiheadAttention</c>, ...), an activation, or a tensor op (<c>Add</c>, <c>MulScalar</c>, <c>Matmul</c>,
/// <c>Reshape</c>, <c>Transpose</c>, <c>Cat</c>, <c>Softmax</c>, <c>Sum</c>, ...).</param>
/// <param name="Inputs">The tensors it read, in the op's order (for layers: input, weight, bias).</param>
/// <param name="Outputs">The tensors it returned (one for most ops; a recurrent layer's output and final states).</param>
/// <param name="Attributes">Its settings by name (ints, doubles, bools, strings and int arrays).</param>
public sealed record TracedOp(string Name, IReadOnlyList<Tensor?> Inputs, IReadOnlyList<Tensor> Outputs, IReadOnlyDictionary<string, object> Attributes)
{
    /// <summary>The (first) tensor the op returned.</summary>
    public Tensor Output => Outputs[0];
}

/// <summary>Receives the ops run on this thread while a trace is active (see <see cref="OpTrace.Begin"/>).</summary>
public interface IOpTracer
{
    /// <summary>Called after each traced op returns. Ops run inside another traced op (its parts) are not reported.</summary>
    void Record(TracedOp op);
}

/// <summary>
/// A tracing hook at the op level, for exporters (ONNX) that record one eager forward pass: the layer-level ops
/// (linear, convolution, pooling, normalization, recurrent, attention, activations, fused or not) and the tensor ops
/// (arithmetic, matrix products, views, reductions, softmax, concatenation) report themselves to the thread's tracer.
/// Ops with no hook are not reported; a tracer finds them as tensors it never saw produced (their <c>GradFn</c>
/// names them when the pass runs with gradients). Off, the hook costs one thread-static read per op.
/// </summary>
public static class OpTrace
{
    [ThreadStatic] static IOpTracer? t_tracer;
    [ThreadStatic] static int t_depth;

    /// <summary>Starts reporting this thread's ops to <paramref name="tracer"/> until the returned scope is disposed.</summary>
    /// <exception cref="InvalidOperationException">A trace is already active on this thread.</exception>
    public static IDisposable Begin(IOpTracer tracer)
    {
        ArgumentNullException.ThrowIfNull(tracer);
        if (t_tracer is not null) throw new InvalidOperationException("OpTrace.Begin: a trace is already active on this thread");
        t_tracer = tracer;
        t_depth = 0;
        return new Scope();
    }

    internal static bool Active => t_tracer is not null;

    /// <summary>
    /// True when a trace is active and no reported op is running: an op that is to be reported calls itself again
    /// through <see cref="Run"/> (which it then runs plainly, as a part), so its body needs no second entry point.
    /// </summary>
    internal static bool Recording => t_tracer is not null && t_depth == 0;

    /// <summary>Runs <paramref name="body"/>; reports it unless it runs inside another reported op.</summary>
    internal static Tensor Run(string name, Tensor?[] inputs, Func<Tensor> body, params (string Name, object Value)[] attributes) =>
        RunMany(name, inputs, () => [body()], attributes)[0];

    /// <summary>Runs an op of several outputs; reports it unless it runs inside another reported op.</summary>
    internal static Tensor[] RunMany(string name, Tensor?[] inputs, Func<Tensor[]> body, params (string Name, object Value)[] attributes)
    {
        t_depth++;
        Tensor[] outputs;
        try
        {
            outputs = body();
        }
        finally
        {
            t_depth--;
        }
        if (t_depth == 0 && t_tracer is { } tracer)
            tracer.Record(new TracedOp(name, inputs, outputs, attributes.ToDictionary(a => a.Name, a => a.Value, StringComparer.Ordinal)));
        return outputs;
    }

    sealed class Scope : IDisposable
    {
        public void Dispose() => t_tracer = null;
    }
}
