namespace ShapeSafe.Kernels.Elementwise;

/// <summary>The Float64 forms of the engine's floating unary functions.</summary>
internal enum DoubleFunction { Exp, Log, Sqrt, Rsqrt, Sin, Cos, Tanh, Sigmoid, Abs, Pow }

/// <summary>
/// A floating unary function over doubles, by <c>System.Math</c> (correctly rounded or within an ulp, as glibc's
/// double functions ATen calls). One struct with a switch instead of one per function: the Float32 ops keep
/// their own structs, and this maps each of them to its double twin.
/// </summary>
internal readonly struct DoubleUnaryOp(DoubleFunction function, double exponent = 0) : IUnaryOp<double>
{
    public double Apply(double x) => function switch
    {
        DoubleFunction.Exp => Math.Exp(x),
        DoubleFunction.Log => Math.Log(x),
        DoubleFunction.Sqrt => Math.Sqrt(x),
        DoubleFunction.Rsqrt => 1.0 / Math.Sqrt(x),
        DoubleFunction.Sin => Math.Sin(x),
        DoubleFunction.Cos => Math.Cos(x),
        DoubleFunction.Tanh => Math.Tanh(x),
        DoubleFunction.Sigmoid => 1.0 / (1.0 + Math.Exp(-x)),
        DoubleFunction.Abs => Math.Abs(x),
        _ => exponent switch
        {
            2.0 => x * x,
            3.0 => x * x * x,
            0.5 => Math.Sqrt(x),
            -0.5 => 1.0 / Math.Sqrt(x),
            -1.0 => 1.0 / x,
            -2.0 => 1.0 / (x * x),
            _ => Math.Pow(x, exponent),
        },
    };

    public void Apply(ReadOnlySpan<double> x, Span<double> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = Apply(x[i]);
    }

    /// <summary>The double twin of a Float32 op, or null when the op has none (it is Float32-only).</summary>
    public static DoubleUnaryOp? For<TOp>() => typeof(TOp).Name switch
    {
        nameof(ExpOp) => new(DoubleFunction.Exp),
        nameof(LogOp) => new(DoubleFunction.Log),
        nameof(SqrtOp) => new(DoubleFunction.Sqrt),
        nameof(RsqrtOp) => new(DoubleFunction.Rsqrt),
        nameof(SinOp) => new(DoubleFunction.Sin),
        nameof(CosOp) => new(DoubleFunction.Cos),
        nameof(TanhOp) => new(DoubleFunction.Tanh),
        nameof(SigmoidOp) => new(DoubleFunction.Sigmoid),
        nameof(AbsOp) => new(DoubleFunction.Abs),
        _ => null,
    };
}
