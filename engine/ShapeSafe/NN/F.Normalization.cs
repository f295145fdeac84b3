using ShapeSafe.Tracing;

namespace ShapeSafe.NN;

// Group normalization, composed from the engine's reductions and element-wise ops (their gradients compose too).
public static partial class F
{
    /// <summary>
    /// <c>F.group_norm</c>: input [N, C, *] with its channels split into <paramref name="numGroups"/> groups; each
    /// sample's group is normalized by its own mean and (biased) variance, then scaled by <paramref name="weight"/>
    /// and shifted by <paramref name="bias"/> per channel: <c>(x - mean) / sqrt(var + eps)·weight + bias</c>.
    /// </summary>
    /// <exception cref="ShapeException">The input has fewer than 2 dims, C does not divide by the groups, or weight/bias are not [C].</exception>
    [ShapeContract("SameShape")]
    public static Tensor GroupNorm(Tensor input, int numGroups, Tensor? weight = null, Tensor? bias = null, double eps = 1e-5)
    {
        const string op = "GroupNorm";
        if (OpTrace.Recording) return OpTrace.Run(op, [input, weight, bias], () => GroupNorm(input, numGroups, weight, bias, eps), ("numGroups", numGroups), ("eps", eps));
        ArgumentNullException.ThrowIfNull(input);
        RequireFloat(op, input, "input");
        if (input.Rank < 2)
            throw new ShapeException(op, $"Expected at least 2 dimensions for input tensor but received {input.Rank} (shape {Rules.Format(input.Sizes)})");
        int n = input.Sizes[0], c = input.Sizes[1];
        if (numGroups <= 0 || c % numGroups != 0)
            throw new ShapeException(op, $"Expected number of channels in input to be divisible by num_groups, but got input of shape {Rules.Format(input.Sizes)} and num_groups={numGroups}");
        foreach (var (t, name) in new[] { (weight, "weight"), (bias, "bias") })
        {
            if (t is null) continue;
            RequireFloat(op, t, name);
            if (t.Rank != 1 || t.Sizes[0] != c)
                throw new ShapeException(op, $"Expected {name} to be a vector of size equal to the number of channels in input, but got {name} of shape {Rules.Format(t.Sizes)} and input of shape {Rules.Format(input.Sizes)}");
        }

        var grouped = input.Reshape(n, numGroups, -1);
        var mean = grouped.Mean(2, keepDim: true);
        var variance = grouped.Var(2, correction: 0.0, keepDim: true);
        var normalized = ((grouped - mean) * (variance + (float)eps).Rsqrt()).Reshape(input.Sizes);
        if (weight is null && bias is null) return normalized;
        // weight and bias broadcast as [C, 1, ..., 1] against [N, C, *].
        var perChannel = new int[input.Rank - 1];
        Array.Fill(perChannel, 1);
        perChannel[0] = c;
        if (weight is not null) normalized *= weight.Reshape(perChannel);
        if (bias is not null) normalized += bias.Reshape(perChannel);
        return normalized;
    }
}
