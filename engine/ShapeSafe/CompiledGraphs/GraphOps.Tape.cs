namespace ShapeSafe.CompiledGraphs;

// The backward of a composite step that runs an eager layer on a tape of its own (the recurrent layers, the spatial
// and normalization layers, F.Pad and F.Interpolate): the tape is run once, from the step's outputs back to the leaves
// it started from, and each gradient is written into the buffer the generated backward hands for it.
public static partial class GraphOps
{
    /// <summary>A gradient a step's tape hands back: the leaf it starts from, the buffer it goes to, and whether it is added to a gradient that arrived first.</summary>
    readonly record struct TapeTarget(Tensor Leaf, Tensor Target, bool Accumulate);

    /// <summary>
    /// Adds a target for each parameter gradient asked for (<paramref name="gradParameters"/>, one per parameter, a
    /// null one not computed); a frozen parameter's buffer is zeroed, as it takes no gradient.
    /// </summary>
    static void AddParameterTargets(List<TapeTarget> targets, string op, Tensor[] parameters, Tensor?[] gradParameters)
    {
        if (gradParameters.Length != parameters.Length)
            throw new ArgumentException($"{op}: {gradParameters.Length} parameter gradients for {parameters.Length} parameters", nameof(gradParameters));
        for (int i = 0; i < parameters.Length; i++)
            if (gradParameters[i] is { } target && parameters[i].RequiresGrad) targets.Add(new(parameters[i], target, false));
            else if (gradParameters[i] is { } frozen) frozen.FloatData.AsSpan(frozen.Offset, frozen.Count).Clear();
    }

    /// <summary>
    /// Runs the tape from <paramref name="outputs"/>, seeded with <paramref name="seeds"/>, back to every target's leaf,
    /// and writes each gradient into its target (added where it accumulates). A target the tape does not reach, or
    /// every target when there is nothing to seed, gets zeros, unless it accumulates.
    /// </summary>
    static void RunTape(IReadOnlyList<Tensor> outputs, IReadOnlyList<Tensor> seeds, List<TapeTarget> targets)
    {
        var grads = outputs.Count == 0 || targets.Count == 0
            ? new Tensor?[targets.Count]
            : Autograd.Grad(outputs, targets.Select(t => t.Leaf).ToList(), seeds, allowUnused: true);
        for (int i = 0; i < targets.Count; i++)
        {
            var (_, target, accumulate) = targets[i];
            if (grads[i] is { } grad)
            {
                var contiguous = Contiguous(grad);
                if (accumulate) AddInPlace(target, contiguous);
                else Copy(contiguous, target);
            }
            else if (!accumulate)
            {
                target.FloatData.AsSpan(target.Offset, target.Count).Clear();
            }
        }
    }
}
