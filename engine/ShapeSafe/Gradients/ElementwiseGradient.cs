using System.Numerics;
using System.Runtime.InteropServices;
using ShapeSafe.Kernels.Memory;
using ShapeSafe.Kernels.Elementwise;

namespace ShapeSafe.Gradients;

/// <summary>
/// The backward of every element-wise op, as plain functions of the output's gradient and the tensors the op
/// saved (PyTorch's <c>derivatives.yaml</c> formulas). Eager autograd binds them in a node; generated compiled
/// graphs call them directly. They run with gradients disabled (the backward engine's scope), so they use
/// ordinary tensor ops. Binary ops return one gradient per input (null where <c>needA</c>/<c>needB</c> is false),
/// already summed back over broadcast dims to that input's shape.
/// </summary>
internal static class ElementwiseGradient
{
    // ---- Binary --------------------------------------------------------------------------------------------------

    /// <summary><c>a + alpha·b</c>: dA = g, dB = alpha·g.</summary>
    public static Tensor?[] Add(Tensor grad, int[] aSizes, int[] bSizes, bool needA, bool needB, float alpha = 1f) => new[]
    {
        needA ? GradientKernels.SumToShape(grad, aSizes) : null,
        needB ? GradientKernels.SumToShape(alpha == 1f ? grad : grad * alpha, bSizes) : null,
    };

    /// <summary><c>a - b</c>: dA = g, dB = -g.</summary>
    public static Tensor?[] Sub(Tensor grad, int[] aSizes, int[] bSizes, bool needA, bool needB) => new[]
    {
        needA ? GradientKernels.SumToShape(grad, aSizes) : null,
        needB ? (grad.DType == DType.Float32 && grad.IsContiguous ? Subtrahend(grad, bSizes) : GradientKernels.SumToShape(-grad, bSizes)) : null,
    };

    static Tensor Subtrahend(Tensor grad, int[] shape)
    {
        var target = Tensor.Uninitialized(DType.Float32, (int[])shape.Clone());
        SubtrahendInto(grad, target);
        return target;
    }

    /// <summary><c>a · b</c>: dA = g·b, dB = g·a.</summary>
    public static Tensor?[] Mul(Tensor grad, Tensor a, Tensor b, bool needA, bool needB) => IsFloat32(grad, a, b)
        ? new[]
        {
            needA ? Into(grad, a.Sizes, Rules.Broadcast(grad.Sizes, b.Sizes, "Mul"), (g, scratch, target) => FactorInto(g, b, scratch, target)) : null,
            needB ? Into(grad, b.Sizes, Rules.Broadcast(grad.Sizes, a.Sizes, "Mul"), (g, scratch, target) => FactorInto(g, a, scratch, target)) : null,
        }
        : new[]
        {
            needA ? GradientKernels.SumToShape(grad * b, a.Sizes) : null,
            needB ? GradientKernels.SumToShape(grad * a, b.Sizes) : null,
        };

    /// <summary><c>a / b</c>: dA = g / b, dB = -g·a / b².</summary>
    public static Tensor?[] Div(Tensor grad, Tensor a, Tensor b, bool needA, bool needB) => IsFloat32(grad, a, b)
        ? new[]
        {
            needA ? Into(grad, a.Sizes, Rules.Broadcast(grad.Sizes, b.Sizes, "Div"), (g, scratch, target) => DividendInto(g, b, scratch, target)) : null,
            needB ? Into(grad, b.Sizes, Rules.Broadcast(Rules.Broadcast(grad.Sizes, a.Sizes, "Div"), b.Sizes, "Div"),
                (g, scratch, target) => DivisorInto(g, a, b, scratch, target)) : null,
        }
        : new[]
        {
            needA ? GradientKernels.SumToShape(grad / b, a.Sizes) : null,
            needB ? GradientKernels.SumToShape(-grad * a / (b * b), b.Sizes) : null,
        };

    // The Float32 gradients of a broadcasting difference, product and quotient, written into buffers the caller
    // owns: eager autograd allocates them (Into), compiled graphs pass their planned buffers. Each forms the
    // gradient at the output's shape, in the scratch when the operand was broadcast, and sums it back to the
    // operand's shape; an operand of the output's shape is written directly, as SumToShape hands it on.

    /// <summary>A difference's second operand: -g summed to <paramref name="target"/>'s shape.</summary>
    public static void SubtrahendInto(Tensor grad, Tensor target) => GradientKernels.SumToShapeInto(grad, target, negate: true);

    /// <summary>One factor of a product: g·<paramref name="other"/> summed to <paramref name="target"/>'s shape.</summary>
    public static void FactorInto(Tensor grad, Tensor other, Tensor scratch, Tensor target)
    {
        var product = AtOutputShape(grad, scratch, target);
        ElementwiseKernel.BinaryInto<float, MulOp<float>>(grad, other, default, product);
        SumBack(product, target);
    }

    /// <summary>A quotient's dividend: g / <paramref name="divisor"/> summed to <paramref name="target"/>'s shape.</summary>
    public static void DividendInto(Tensor grad, Tensor divisor, Tensor scratch, Tensor target)
    {
        var quotient = AtOutputShape(grad, scratch, target);
        ElementwiseKernel.BinaryInto<float, DivOp>(grad, divisor, default, quotient);
        SumBack(quotient, target);
    }

    /// <summary>
    /// A quotient's divisor: -g·a / b² summed to <paramref name="target"/>'s shape, each step rounded to float in
    /// the order the tensor expression <c>-g * a / (b * b)</c> takes.
    /// </summary>
    public static void DivisorInto(Tensor grad, Tensor dividend, Tensor divisor, Tensor scratch, Tensor target)
    {
        var result = AtOutputShape(grad, scratch, target);
        ElementwiseKernel.BinaryInto<float, NegatedProductOp>(grad, dividend, default, result);
        ElementwiseKernel.InPlace<float, DivideBySquareOp>(result, divisor, default, "Div");
        SumBack(result, target);
    }

    static bool IsFloat32(Tensor grad, Tensor a, Tensor b) => grad.DType == DType.Float32 && a.DType == DType.Float32 && b.DType == DType.Float32;

    /// <summary>A new gradient of <paramref name="shape"/> from one of the kernels above, with the scratch it needs.</summary>
    static Tensor Into(Tensor grad, int[] shape, int[] outputShape, Action<Tensor, Tensor, Tensor> kernel)
    {
        var target = Tensor.Uninitialized(DType.Float32, (int[])shape.Clone());
        bool direct = shape.AsSpan().SequenceEqual(outputShape);
        kernel(grad, direct ? target : Tensor.Uninitialized(DType.Float32, (int[])outputShape.Clone()), target);
        return target;
    }

    /// <summary>Where a gradient at the output's shape is formed: the target itself when it has that shape, else the scratch.</summary>
    static Tensor AtOutputShape(Tensor grad, Tensor scratch, Tensor target) =>
        target.Sizes.AsSpan().SequenceEqual(grad.Sizes) ? target : scratch;

    static void SumBack(Tensor atOutputShape, Tensor target)
    {
        if (!ReferenceEquals(atOutputShape, target)) GradientKernels.SumToShapeInto(atOutputShape, target, negate: false);
    }

    /// <summary>(-x)·y, rounded after the negation and the product as the tensor ops round.</summary>
    readonly struct NegatedProductOp : IBinaryOp<float>
    {
        public float Apply(float x, float y) => -x * y;
        public void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) { for (int i = 0; i < d.Length; i++) d[i] = -x[i] * y[i]; }
        public void Apply(ReadOnlySpan<float> x, float y, Span<float> d) { for (int i = 0; i < d.Length; i++) d[i] = -x[i] * y; }
        public void Apply(float x, ReadOnlySpan<float> y, Span<float> d) { for (int i = 0; i < d.Length; i++) d[i] = -x * y[i]; }
    }

    /// <summary>x / (y·y), the square rounded to float before the division, as <c>x / (b * b)</c> rounds it.</summary>
    readonly struct DivideBySquareOp : IBinaryOp<float>
    {
        public float Apply(float x, float y) => x / (y * y);
        public void Apply(ReadOnlySpan<float> x, ReadOnlySpan<float> y, Span<float> d) { for (int i = 0; i < d.Length; i++) d[i] = x[i] / (y[i] * y[i]); }
        public void Apply(ReadOnlySpan<float> x, float y, Span<float> d) { float square = y * y; for (int i = 0; i < d.Length; i++) d[i] = x[i] / square; }
        public void Apply(float x, ReadOnlySpan<float> y, Span<float> d) { for (int i = 0; i < d.Length; i++) d[i] = x / (y[i] * y[i]); }
    }

    /// <summary>
    /// <c>a ** b</c>: dA = g·b·a^(b-1) (0 where b = 0), dB = g·a^b·ln a (0 where a = 0 and b ≥ 0), as PyTorch's
    /// <c>pow_backward_self</c> and <c>pow_backward_exponent</c>.
    /// </summary>
    public static Tensor?[] Pow(Tensor grad, Tensor a, Tensor b, bool needA, bool needB) => new[]
    {
        needA ? GradientKernels.SumToShape(Map(grad, a, b, new PowBaseRule()), a.Sizes) : null,
        needB ? GradientKernels.SumToShape(Map(grad, a, b, new PowExponentRule()), b.Sizes) : null,
    };

    /// <summary>
    /// <c>maximum(a, b)</c>: the gradient goes to the larger input; ties split it half and half (PyTorch's
    /// <c>where(a == b, g / 2, g).masked_fill_(a &lt; b, 0)</c>, and the mirror image for b). NaN passes g to both.
    /// </summary>
    public static Tensor?[] Maximum(Tensor grad, Tensor a, Tensor b, bool needA, bool needB) => new[]
    {
        needA ? GradientKernels.SumToShape(Map(grad, a, b, new SelectedRule(takeLarger: true)), a.Sizes) : null,
        needB ? GradientKernels.SumToShape(Map(grad, b, a, new SelectedRule(takeLarger: true)), b.Sizes) : null,
    };

    /// <summary><c>minimum(a, b)</c>: the gradient goes to the smaller input; ties split it half and half.</summary>
    public static Tensor?[] Minimum(Tensor grad, Tensor a, Tensor b, bool needA, bool needB) => new[]
    {
        needA ? GradientKernels.SumToShape(Map(grad, a, b, new SelectedRule(takeLarger: false)), a.Sizes) : null,
        needB ? GradientKernels.SumToShape(Map(grad, b, a, new SelectedRule(takeLarger: false)), b.Sizes) : null,
    };

    // ---- With a scalar -------------------------------------------------------------------------------------------

    /// <summary><c>x · s</c>: g·s.</summary>
    public static Tensor MulByScalar(Tensor grad, float scalar) => grad * scalar;

    /// <summary><c>x · s</c> for a double scalar (exact for Float64 gradients): g·s.</summary>
    public static Tensor MulByScalar(Tensor grad, double scalar) => grad.Mul(scalar);

    /// <summary><c>x / s</c>: g / s.</summary>
    public static Tensor DivByScalar(Tensor grad, float scalar) => grad / scalar;

    /// <summary><c>x / s</c> for a double scalar: g / s.</summary>
    public static Tensor DivByScalar(Tensor grad, double scalar) => grad.Div(scalar);

    /// <summary><c>s / x</c>: -g·s / x², written -g·result / x so only the result and x are read.</summary>
    public static Tensor ScalarDivBy(Tensor grad, Tensor x, Tensor result) => -grad * result / x;

    /// <summary><see cref="ScalarDivBy"/> into <paramref name="target"/> (contiguous Float32 of x's shape), rounded in its order: (-g·result) / x.</summary>
    public static void ScalarDivByInto(Tensor grad, Tensor x, Tensor result, Tensor target)
    {
        ElementwiseKernel.BinaryInto<float, NegatedProductOp>(grad, result, default, target);
        ElementwiseKernel.BinaryInto<float, DivOp>(target, x, default, target);
    }

    /// <summary><c>s ** x</c>: g·s^x·ln s (0 where s = 0 and x ≥ 0).</summary>
    public static Tensor ScalarPow(Tensor grad, float scalar, Tensor exponent) =>
        Map(grad, exponent, new ScalarPowRule(scalar));

    /// <summary><c>s ** x</c> for a double scalar: as the float form; Float64 gradients get g·s^x·ln s in double.</summary>
    public static Tensor ScalarPow(Tensor grad, double scalar, Tensor exponent) => grad.DType == DType.Float64
        ? (scalar == 0
            ? grad * Tensor.Where(exponent.Ge(0.0), Tensor.Scalar(0.0), Tensor.Scalar(double.NegativeInfinity))
            : grad * Tensor.Pow(scalar, exponent) * Math.Log(scalar))
        : ScalarPow(grad, (float)scalar, exponent);

    /// <summary><c>x ** e</c> for a scalar e: g·e·x^(e-1), zeros for e = 0 (PyTorch's <c>pow_backward</c>).</summary>
    public static Tensor PowScalar(Tensor grad, Tensor x, float exponent) =>
        exponent == 0f ? Tensor.ZerosLike(x) : grad * (x.Pow(exponent - 1f) * exponent);

    // ---- Unary ---------------------------------------------------------------------------------------------------

    /// <summary><c>-x</c>: -g.</summary>
    public static Tensor Neg(Tensor grad) => -grad;

    /// <summary><c>|x|</c>: g·sgn(x), 0 at x = 0.</summary>
    public static Tensor Abs(Tensor grad, Tensor x) => grad.DType == DType.Float64
        ? grad * Tensor.Where(x.Gt(0.0), Tensor.Scalar(1.0), Tensor.Where(x.Lt(0.0), Tensor.Scalar(-1.0), x * 0.0)) // sgn: NaN stays NaN
        : MapVectorized(grad, x, new AbsRule());

    /// <summary><c>relu(x)</c> from its result y: g where y &gt; 0, else 0 (PyTorch's <c>threshold_backward</c>).</summary>
    public static Tensor Relu(Tensor grad, Tensor result) => grad.DType == DType.Float64
        ? Tensor.Where(result.Le(0.0), Tensor.Scalar(0.0), grad)
        : MapVectorized(grad, result, new ReluRule());

    /// <summary><c>leaky_relu(x)</c>: g where x &gt; 0, else g·slope.</summary>
    public static Tensor LeakyRelu(Tensor grad, Tensor x, float negativeSlope) =>
        MapVectorized(grad, x, new LeakyReluRule(negativeSlope));

    /// <summary><c>clamp(x, min, max)</c>: g where min ≤ x ≤ max (bounds included, as PyTorch), else 0.</summary>
    public static Tensor Clamp(Tensor grad, Tensor x, float? min, float? max) =>
        MapVectorized(grad, x, new ClampRule(min ?? float.NegativeInfinity, max ?? float.PositiveInfinity));

    /// <summary><c>x²</c>: 2x·g.</summary>
    public static Tensor Square(Tensor grad, Tensor x) => grad * (x * 2f);

    /// <summary><c>eˣ</c> from its result y: g·y.</summary>
    public static Tensor Exp(Tensor grad, Tensor result) => grad * result;

    /// <summary><c>ln x</c>: g / x.</summary>
    public static Tensor Log(Tensor grad, Tensor x) => grad / x;

    /// <summary><c>√x</c> from its result y: g / (2y).</summary>
    public static Tensor Sqrt(Tensor grad, Tensor result) => grad / (result * 2f);

    /// <summary><c>1/√x</c> from its result y: -0.5·g·y³.</summary>
    public static Tensor Rsqrt(Tensor grad, Tensor result) => grad * result.Pow(3f) * -0.5f;

    /// <summary><c>sin x</c>: g·cos x.</summary>
    public static Tensor Sin(Tensor grad, Tensor x) => grad * x.Cos();

    /// <summary><c>cos x</c>: -g·sin x.</summary>
    public static Tensor Cos(Tensor grad, Tensor x) => grad * -x.Sin();

    /// <summary><c>tanh x</c> from its result y: g·(1 - y²) (ATen's <c>tanh_backward</c>).</summary>
    public static Tensor Tanh(Tensor grad, Tensor result) => grad * (1f - result * result);

    /// <summary><c>σ(x)</c> from its result y: g·(1 - y)·y (ATen's <c>sigmoid_backward</c>).</summary>
    public static Tensor Sigmoid(Tensor grad, Tensor result) => grad * (1f - result) * result;

    /// <summary>Exact GELU: g·(Φ(x) + x·φ(x)), in double as the forward.</summary>
    public static Tensor Gelu(Tensor grad, Tensor x) => Map(grad, x, new GeluRule());

    /// <summary><see cref="Tanh(Tensor, Tensor)"/> on contiguous spans: d = g·(1 - y·y), rounded as the tensor form rounds.</summary>
    internal static void TanhBackward(ReadOnlySpan<float> grad, ReadOnlySpan<float> result, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = grad[i] * (1f - result[i] * result[i]);
    }

    /// <summary><see cref="Sigmoid(Tensor, Tensor)"/> on contiguous spans: d = g·(1 - y)·y.</summary>
    internal static void SigmoidBackward(ReadOnlySpan<float> grad, ReadOnlySpan<float> result, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = grad[i] * (1f - result[i]) * result[i];
    }

    /// <summary><see cref="LeakyRelu(Tensor, Tensor, float)"/> on contiguous spans, by the same vectorized rule (the destination may be the gradient).</summary>
    internal static void LeakyReluBackward(ReadOnlySpan<float> grad, ReadOnlySpan<float> x, float negativeSlope, Span<float> destination) =>
        ApplyVectorized(grad, x, destination, new LeakyReluRule(negativeSlope));

    /// <summary><see cref="Gelu(Tensor, Tensor)"/> on contiguous spans.</summary>
    internal static void GeluBackward(ReadOnlySpan<float> grad, ReadOnlySpan<float> x, Span<float> destination)
    {
        var rule = new GeluRule();
        for (int i = 0; i < destination.Length; i++) destination[i] = rule.Apply(grad[i], x[i]);
    }

    // ---- Element loops -------------------------------------------------------------------------------------------
    // TensorPrimitives has no select or compare, so the masked gradients run these loops: rule(g, s) element by
    // element over contiguous copies, with a Vector<float> path for the rules on the training hot path.

    interface IRule
    {
        float Apply(float grad, float saved);
    }

    interface IVectorRule : IRule
    {
        Vector<float> Apply(Vector<float> grad, Vector<float> saved);
    }

    interface IBinaryRule
    {
        float Apply(float grad, float x, float y);
    }

    /// <summary>
    /// rule(g, s) for a gradient and a saved tensor of its shape, into <see cref="PrivateResult"/>: the gradient
    /// itself when it is private to the backward pass, so the step allocates nothing.
    /// </summary>
    static Tensor Map<TRule>(Tensor grad, Tensor saved, TRule rule) where TRule : struct, IRule
    {
        var g = Dense(grad, grad.Sizes);
        var s = Dense(saved, grad.Sizes);
        var result = PrivateResult(grad);
        var d = result.FloatData.AsSpan(0, g.Length);
        for (int i = 0; i < d.Length; i++) d[i] = rule.Apply(g[i], s[i]);
        return result;
    }

    /// <summary>
    /// The tensor a gradient rule writes to: a gradient private to the backward pass is overwritten with the result
    /// (nothing else can read it), else the result goes to a new private tensor.
    /// </summary>
    static Tensor PrivateResult(Tensor grad) => grad.Storage.Owner == StorageOwner.Backward && grad.IsWholeStorage
        ? grad
        : Tensor.BackwardGradient((int[])grad.Sizes.Clone());

    /// <summary>rule(g, s) as <see cref="Map{TRule}(Tensor, Tensor, TRule)"/>, with a Vector&lt;float&gt; path.</summary>
    static Tensor MapVectorized<TRule>(Tensor grad, Tensor saved, TRule rule) where TRule : struct, IVectorRule
    {
        var g = Dense(grad, grad.Sizes);
        var s = Dense(saved, grad.Sizes);
        var result = PrivateResult(grad);
        ApplyVectorized(g, s, result.FloatData.AsSpan(0, g.Length), rule);
        return result;
    }

    /// <summary>
    /// ReLU's backward on spans, <c>threshold_backward(g, y, 0)</c>: g where the result y is above 0 (or NaN), else 0.
    /// For kernels that fuse it (a convolution's backward masks the gradient as it gathers it).
    /// </summary>
    internal static void ReluBackward(ReadOnlySpan<float> grad, ReadOnlySpan<float> result, Span<float> destination)
        => ApplyVectorized(grad, result, destination, new ReluRule());

    // d[i] = rule(g[i], s[i]), a vector at a time.
    static void ApplyVectorized<TRule>(ReadOnlySpan<float> g, ReadOnlySpan<float> s, Span<float> d, TRule rule) where TRule : struct, IVectorRule
    {
        ref float gRef = ref MemoryMarshal.GetReference(g);
        ref float sRef = ref MemoryMarshal.GetReference(s);
        ref float dRef = ref MemoryMarshal.GetReference(d);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= d.Length - Vector<float>.Count; i += Vector<float>.Count)
                rule.Apply(Vector.LoadUnsafe(ref gRef, (nuint)i), Vector.LoadUnsafe(ref sRef, (nuint)i)).StoreUnsafe(ref dRef, (nuint)i);
        }
        for (; i < d.Length; i++) d[i] = rule.Apply(g[i], s[i]);
    }

    /// <summary>rule(g, x, y) with x and y broadcast to the gradient's shape (the op's output shape).</summary>
    static Tensor Map<TRule>(Tensor grad, Tensor x, Tensor y, TRule rule) where TRule : struct, IBinaryRule
    {
        var result = Operands(grad, x, out var g, out var xs);
        var ys = Dense(y, grad.Sizes);
        var d = result.FloatData;
        for (int i = 0; i < d.Length; i++) d[i] = rule.Apply(g[i], xs[i], ys[i]);
        return result;
    }

    /// <summary>The gradient and a saved tensor as row-major spans of the gradient's shape; returns a tensor for the result.</summary>
    static Tensor Operands(Tensor grad, Tensor saved, out ReadOnlySpan<float> g, out ReadOnlySpan<float> s)
    {
        g = Dense(grad, grad.Sizes);
        s = Dense(saved, grad.Sizes);
        return Tensor.Uninitialized(DType.Float32, (int[])grad.Sizes.Clone());
    }

    /// <summary>The elements of <paramref name="t"/> broadcast to <paramref name="shape"/>, as Float32, in row-major order.</summary>
    static ReadOnlySpan<float> Dense(Tensor t, int[] shape)
    {
        if (t.DType != DType.Float32) t = t.ToDType(DType.Float32);
        if (!t.Sizes.AsSpan().SequenceEqual(shape)) t = t.BroadcastTo(shape);
        t = t.Contiguous();
        return t.FloatData.AsSpan(t.Offset, t.Count);
    }

    readonly struct ReluRule : IVectorRule
    {
        // threshold_backward(g, y, 0): y <= 0 ? 0 : g, so a NaN result passes the gradient on.
        public float Apply(float g, float y) => y <= 0f ? 0f : g;
        public Vector<float> Apply(Vector<float> g, Vector<float> y) =>
            Vector.ConditionalSelect(Vector.LessThanOrEqual(y, Vector<float>.Zero), Vector<float>.Zero, g);
    }

    readonly struct LeakyReluRule(float slope) : IVectorRule
    {
        public float Apply(float g, float x) => x > 0f ? g : g * slope;
        public Vector<float> Apply(Vector<float> g, Vector<float> x) =>
            Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<float>.Zero), g, g * slope);
    }

    readonly struct ClampRule(float min, float max) : IVectorRule
    {
        public float Apply(float g, float x) => x >= min && x <= max ? g : 0f;
        public Vector<float> Apply(Vector<float> g, Vector<float> x) => Vector.ConditionalSelect(
            Vector.GreaterThanOrEqual(x, new Vector<float>(min)) & Vector.LessThanOrEqual(x, new Vector<float>(max)),
            g, Vector<float>.Zero);
    }

    readonly struct AbsRule : IVectorRule
    {
        // g·sgn(x): sgn(0) = 0, and a NaN input gives NaN (x·0), as PyTorch's sgn.
        public float Apply(float g, float x) => x > 0f ? g : x < 0f ? -g : x * 0f;
        public Vector<float> Apply(Vector<float> g, Vector<float> x) => Vector.ConditionalSelect(
            Vector.GreaterThan(x, Vector<float>.Zero), g,
            Vector.ConditionalSelect(Vector.LessThan(x, Vector<float>.Zero), -g, x * Vector<float>.Zero));
    }

    readonly struct GeluRule : IRule
    {
        const double InvSqrt2 = 0.70710678118654752440, InvSqrt2Pi = 0.39894228040143267794;

        public float Apply(float g, float x)
        {
            double cdf = 0.5 * Erf.Erfc(-x * InvSqrt2);
            double pdf = Math.Exp(-0.5 * x * x) * InvSqrt2Pi;
            return (float)(g * (cdf + x * pdf));
        }
    }

    readonly struct ScalarPowRule(float scalar) : IRule
    {
        readonly float _log = MathF.Log(scalar);

        public float Apply(float g, float x) => scalar == 0f && x >= 0f ? 0f : g * MathF.Pow(scalar, x) * _log;
    }

    /// <summary>The gradient of x in max(x, y) (<c>takeLarger</c>) or min(x, y).</summary>
    readonly struct SelectedRule(bool takeLarger) : IBinaryRule
    {
        public float Apply(float g, float x, float y) =>
            (takeLarger ? x < y : x > y) ? 0f : x == y ? g * 0.5f : g;
    }

    readonly struct PowBaseRule : IBinaryRule
    {
        public float Apply(float g, float x, float y) => y == 0f ? 0f : g * y * MathF.Pow(x, y - 1f);
    }

    readonly struct PowExponentRule : IBinaryRule
    {
        public float Apply(float g, float x, float y) => x == 0f && y >= 0f ? 0f : g * MathF.Pow(x, y) * MathF.Log(x);
    }
}
