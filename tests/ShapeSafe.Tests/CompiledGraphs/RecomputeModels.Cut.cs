using ShapeSafe.NN;

namespace ShapeSafe.Tests.CompiledGraphs;

/// <summary>Models where the minimum cut saves strictly less than keeping only values the backward reads would (<see cref="CompileOptions.Recompute"/>).</summary>
public static partial class CompiledModels
{
    /// <summary>
    /// <c>fc(gelu(gelu(gate(x) + x)))</c>: the gate's column [N, 1], read by no backward, is saved, and the broadcast
    /// sum and both GELUs, [N, 8] each, are recomputed from it and the argument. <c>x</c> is [N, 8].
    /// </summary>
    [Module]
    public sealed partial class GatedSum : Module
    {
        readonly Linear _gate = new(8, 1, generator: new Generator(46));
        readonly Linear _fc = new(8, 3, generator: new Generator(47));

        public Tensor Forward([Shape("N, 8")] Tensor x) => _fc.Forward(F.Gelu(F.Gelu(_gate.Forward(x) + x)));
    }

    /// <summary>
    /// <c>fc2((m·2)·(m - 3))</c> with <c>m = fc1(x)</c>: m, read by no backward, is saved once instead of its two
    /// uses, which the product's backward reads; both and the product are recomputed. <c>x</c> is [N, 8].
    /// </summary>
    [Module]
    public sealed partial class TwoUses : Module
    {
        readonly Linear _fc1 = new(8, 16, generator: new Generator(48));
        readonly Linear _fc2 = new(16, 3, generator: new Generator(49));

        public Tensor Forward([Shape("N, 8")] Tensor x)
        {
            var m = _fc1.Forward(x);
            return _fc2.Forward((m * 2) * (m - 3));
        }
    }
}
