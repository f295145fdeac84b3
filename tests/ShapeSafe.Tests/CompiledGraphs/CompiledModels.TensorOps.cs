using ShapeSafe.NN;

namespace ShapeSafe.Tests.CompiledGraphs;

public static partial class CompiledModels
{
    /// <summary>A hand-written normalization and statistics: means, variances, standard deviations, maxima and minima over a dim and whole, with and without keepDim.</summary>
    [Module]
    public sealed partial class RowStatistics : Module
    {
        readonly Linear _fc1;
        readonly Linear _fc2;

        public RowStatistics(Generator generator)
        {
            _fc1 = new Linear(6, 8, generator: generator);
            _fc2 = new Linear(8, 4, generator: generator);
        }

        public Tensor Forward(Tensor x)
        {
            var h = _fc1.Forward(x);
            var centered = h - h.Mean(1, keepDim: true);
            var normed = centered * (h.Var(1, unbiased: false, keepDim: true) + 1e-5f).Rsqrt();
            var spread = h.Max(1, keepDim: true).Values - h.Min(1, keepDim: true).Values;
            var y = _fc2.Forward(normed + spread + h.Std(1, keepDim: true));
            return y * h.Mean() + y.Sum(1, keepDim: true) + h.Sum() + h.Max(dim: 1).Values.Unsqueeze(1) + h.Var(new[] { 0, 1 }, correction: 0);
        }
    }

    /// <summary>The element-wise math: Abs, Log, Sqrt, Square, Pow with integer and float exponents, Clamp on both sides and one, Exp and Rsqrt, then GELU so the min-cut has something to recompute.</summary>
    [Module]
    public sealed partial class ElementwiseMath : Module
    {
        readonly Linear _fc1;
        readonly Linear _fc2;

        public ElementwiseMath(Generator generator)
        {
            _fc1 = new Linear(6, 8, generator: generator);
            _fc2 = new Linear(8, 4, generator: generator);
        }

        public Tensor Forward(Tensor x)
        {
            var h = F.Gelu(_fc1.Forward(x) * 2);
            var p = h.Abs() + 1;
            var a = p.Log() + p.Sqrt() + h.Square() + h.Pow(3) + p.Pow(0.5f) + p.Pow(-1.5f);
            var b = h.Clamp(-0.5f, 0.5f) + h.Clamp(min: 0) + (h * 0.1f).Exp() + p.Rsqrt();
            return _fc2.Forward(F.Gelu(a * b) - h);
        }
    }

    /// <summary>A band of [B, 4, 4] values (Tril and Triu with diagonals), a sum over a dim and a mean over dims, and Expand with kept (-1) and new sizes.</summary>
    [Module]
    public sealed partial class TriangleExpand : Module
    {
        readonly Linear _fc1;
        readonly Linear _fc2;

        public TriangleExpand(Generator generator)
        {
            _fc1 = new Linear(6, 4, generator: generator);
            _fc2 = new Linear(4, 3, generator: generator);
        }

        public Tensor Forward(Tensor x)
        {
            var masked = _fc1.Forward(x).Tril(diagonal: 1).Triu(-1) * 2;
            var rows = masked.Sum(2, keepDim: true).Expand(-1, -1, 4);
            return _fc2.Forward(masked * rows).Tril() + masked.Mean(new[] { 0, 2 }).Unsqueeze(1).Expand(4, 3);
        }
    }
}
