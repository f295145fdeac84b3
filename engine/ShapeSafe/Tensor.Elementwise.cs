using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Elementwise;
using ShapeSafe.Tracing;

namespace ShapeSafe;

// Element-wise arithmetic with broadcasting, unary functions and in-place updates. Dtypes promote as PyTorch's
// result_type (Tensor.DTypes.cs): Int64 with Int64 stays Int64 (except true division), a float scalar makes an
// integer tensor Float32, Float64 computes in double, BFloat16 in float32 rounded once. Shapes come from the shared
// broadcast rule; kernels live in Kernels/Elementwise. Comparisons returning Bool are in Tensor.Logical.cs.
//
// Autograd: every Float32 op records a node when MustRecord(...) holds, after the forward and before any other
// allocation, so the no-grad path costs a few field reads. The recording lives in separate methods because a lambda
// that captures a parameter makes C# allocate its closure on entry to the method that declares the parameter.
// The gradient math is in Gradients/ElementwiseGradient.cs.
public partial class Tensor
{
    // ---- Operators -------------------------------------------------------------------------------------------

    /// <summary>Element-wise sum with broadcasting.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator +(Tensor a, Tensor b) => Add(a, b);

    /// <summary>Adds a float scalar (an Int64 tensor gives Float32).</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator +(Tensor a, float b) => a.Add(b);

    /// <summary>Adds a float scalar (an Int64 tensor gives Float32).</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator +(float a, Tensor b) => b.Add(a);

    /// <summary>Adds an integer scalar (an Int64 tensor stays Int64).</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator +(Tensor a, long b) => a.Add(b);

    /// <summary>Adds an integer scalar (an Int64 tensor stays Int64).</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator +(long a, Tensor b) => b.Add(a);

    /// <summary>Element-wise difference with broadcasting.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator -(Tensor a, Tensor b) => Sub(a, b);

    /// <summary>Subtracts a float scalar.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator -(Tensor a, float b) => a.Sub(b);

    /// <summary><c>a - t</c> for a float scalar <paramref name="a"/>.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator -(float a, Tensor b) => ScalarOp(b, a, true, Kind.Sub);

    /// <summary>Subtracts an integer scalar.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator -(Tensor a, long b) => a.Sub(b);

    /// <summary><c>a - t</c> for an integer scalar <paramref name="a"/>.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator -(long a, Tensor b) => ScalarOp(b, a, true, Kind.Sub);

    /// <summary>Element-wise product with broadcasting.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator *(Tensor a, Tensor b) => Mul(a, b);

    /// <summary>Multiplies by a float scalar.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator *(Tensor a, float b) => a.Mul(b);

    /// <summary>Multiplies by a float scalar.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator *(float a, Tensor b) => b.Mul(a);

    /// <summary>Multiplies by an integer scalar.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator *(Tensor a, long b) => a.Mul(b);

    /// <summary>Multiplies by an integer scalar.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator *(long a, Tensor b) => b.Mul(a);

    /// <summary>True division with broadcasting: always Float32, even for two Int64 tensors (PyTorch's <c>/</c>).</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator /(Tensor a, Tensor b) => Div(a, b);

    /// <summary>Divides by a float scalar.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator /(Tensor a, float b) => a.Div(b);

    /// <summary><c>a / t</c> for a float scalar <paramref name="a"/>.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator /(float a, Tensor b) => ScalarOp(b, a, true, Kind.Div);

    /// <summary>Divides by an integer scalar (true division: Float32).</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator /(Tensor a, long b) => a.Div(b);

    /// <summary><c>a / t</c> for an integer scalar <paramref name="a"/> (true division: Float32).</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator /(long a, Tensor b) => ScalarOp(b, a, true, Kind.Div);

    /// <summary>Adds a double scalar: a floating tensor keeps its dtype (the scalar is rounded to float for Float32), an integer or Bool one gives Float32.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator +(Tensor a, double b) => a.Add(b);

    /// <summary>Adds a double scalar (see the tensor-first form).</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator +(double a, Tensor b) => b.Add(a);

    /// <summary>Subtracts a double scalar: a floating tensor keeps its dtype (the scalar is rounded to float for Float32), an integer or Bool one gives Float32.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator -(Tensor a, double b) => a.Sub(b);

    /// <summary><c>a - t</c> for a double scalar <paramref name="a"/>.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator -(double a, Tensor b) => ScalarOp(b, a, true, Kind.Sub);

    /// <summary>Multiplies by a double scalar: a floating tensor keeps its dtype (the scalar is rounded to float for Float32), an integer or Bool one gives Float32.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator *(Tensor a, double b) => a.Mul(b);

    /// <summary>Multiplies by a double scalar (see the tensor-first form).</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator *(double a, Tensor b) => b.Mul(a);

    /// <summary>Divides by a double scalar: a floating tensor keeps its dtype (the scalar is rounded to float for Float32), an integer or Bool one gives Float32.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator /(Tensor a, double b) => a.Div(b);

    /// <summary><c>a / t</c> for a double scalar <paramref name="a"/>.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator /(double a, Tensor b) => ScalarOp(b, a, true, Kind.Div);

    /// <summary>Negation (keeps the dtype).</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator -(Tensor a) => a.Neg();

    // ---- Named binary ops ------------------------------------------------------------------------------------

    /// <summary><c>torch.add(a, b)</c>: element-wise sum with broadcasting.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor Add(Tensor a, Tensor b) => BinaryOp(a, b, Kind.Add, "Add");

    /// <summary><c>torch.sub(a, b)</c>.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor Sub(Tensor a, Tensor b) => BinaryOp(a, b, Kind.Sub, "Sub");

    /// <summary><c>torch.mul(a, b)</c>.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor Mul(Tensor a, Tensor b) => BinaryOp(a, b, Kind.Mul, "Mul");

    /// <summary><c>torch.div(a, b)</c>: true division, always Float32.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor Div(Tensor a, Tensor b) => BinaryOp(a, b, Kind.Div, "Div");

    /// <summary><c>torch.pow(a, b)</c>: element-wise power with broadcasting (Int64 ** Int64 stays Int64).</summary>
    [ShapeContract("Broadcast")]
    public static Tensor Pow(Tensor a, Tensor b) => BinaryOp(a, b, Kind.Pow, "Pow");

    /// <summary><c>torch.pow(scalar, exponent)</c>: a float base raised to each element.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor Pow(float a, Tensor exponent) => ScalarOp(exponent, a, true, Kind.Pow);

    /// <summary><c>torch.pow(scalar, exponent)</c> with a double base (exact for a Float64 exponent).</summary>
    [ShapeContract("Broadcast")]
    public static Tensor Pow(double a, Tensor exponent) => ScalarOp(exponent, a, true, Kind.Pow);

    /// <summary><c>torch.maximum(a, b)</c>: element-wise maximum with broadcasting; NaN propagates.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor Maximum(Tensor a, Tensor b) => BinaryOp(a, b, Kind.Max, "Maximum");

    /// <summary><c>torch.minimum(a, b)</c>: element-wise minimum with broadcasting; NaN propagates.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor Minimum(Tensor a, Tensor b) => BinaryOp(a, b, Kind.Min, "Minimum");

    /// <summary><c>this + other</c> with broadcasting.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Add(Tensor other) => Add(this, other);

    /// <summary><c>this + alpha * other</c> (PyTorch's <c>add(other, alpha=...)</c>). Int64 tensors need a whole-number alpha.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Add(Tensor other, float alpha)
    {
        if (alpha == 1f) return Add(this, other);
        var shape = Rules.Broadcast(Sizes, other.Sizes, "Add");
        var dtype = DType == DType.Int64 && other.DType == DType.Int64 ? DType.Int64 : DType.Float32;
        if (dtype == DType.Int64 && !IsWhole(alpha))
            throw new ArgumentException($"Add: for integral input tensors, argument alpha must not be a floating point number (alpha {alpha})", nameof(alpha));
        var result = Zeros(shape, dtype).CopyFrom(this).AddInPlaceBroadcasting(other, alpha, "Add");
        return MustRecord(this, other) ? RecordAddScaled(result, this, other, alpha) : result;
    }

    /// <summary><c>this + scalar</c>.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Add(float scalar) => ScalarOp(this, scalar, false, Kind.Add);

    /// <summary><c>this + scalar</c> (Int64 stays Int64).</summary>
    [ShapeContract("Broadcast")]
    public Tensor Add(long scalar) => ScalarOp(this, scalar, false, Kind.Add);

    /// <summary><c>this + scalar</c> for a double scalar (exact for Float64; rounded to float for Float32 and BFloat16, as ATen's opmath).</summary>
    [ShapeContract("Broadcast")]
    public Tensor Add(double scalar) => ScalarOp(this, scalar, false, Kind.Add);

    /// <summary><c>this - other</c> with broadcasting.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Sub(Tensor other) => Sub(this, other);

    /// <summary><c>this - scalar</c>.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Sub(float scalar) => ScalarOp(this, scalar, false, Kind.Sub);

    /// <summary><c>this - scalar</c> (Int64 stays Int64).</summary>
    [ShapeContract("Broadcast")]
    public Tensor Sub(long scalar) => ScalarOp(this, scalar, false, Kind.Sub);

    /// <summary><c>this - scalar</c> for a double scalar (exact for Float64; rounded to float for Float32 and BFloat16, as ATen's opmath).</summary>
    [ShapeContract("Broadcast")]
    public Tensor Sub(double scalar) => ScalarOp(this, scalar, false, Kind.Sub);

    /// <summary><c>this * other</c> with broadcasting.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Mul(Tensor other) => Mul(this, other);

    /// <summary><c>this * scalar</c>.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Mul(float scalar) => ScalarOp(this, scalar, false, Kind.Mul);

    /// <summary><c>this * scalar</c> (Int64 stays Int64).</summary>
    [ShapeContract("Broadcast")]
    public Tensor Mul(long scalar) => ScalarOp(this, scalar, false, Kind.Mul);

    /// <summary><c>this * scalar</c> for a double scalar (exact for Float64; rounded to float for Float32 and BFloat16, as ATen's opmath).</summary>
    [ShapeContract("Broadcast")]
    public Tensor Mul(double scalar) => ScalarOp(this, scalar, false, Kind.Mul);

    /// <summary><c>this / other</c> (true division) with broadcasting.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Div(Tensor other) => Div(this, other);

    /// <summary><c>this / scalar</c> (true division).</summary>
    [ShapeContract("Broadcast")]
    public Tensor Div(float scalar) => ScalarOp(this, scalar, false, Kind.Div);

    /// <summary><c>this / scalar</c> (true division: Float32).</summary>
    [ShapeContract("Broadcast")]
    public Tensor Div(long scalar) => ScalarOp(this, scalar, false, Kind.Div);

    /// <summary><c>this / scalar</c> for a double scalar (exact for Float64; rounded to float for Float32 and BFloat16, as ATen's opmath).</summary>
    [ShapeContract("Broadcast")]
    public Tensor Div(double scalar) => ScalarOp(this, scalar, false, Kind.Div);

    /// <summary>Element-wise power with a broadcast exponent tensor.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Pow(Tensor exponent) => Pow(this, exponent);

    /// <summary>
    /// <c>this ** exponent</c> for a float exponent (Int64 input gives Float32). Exponents 2, 3, 0.5, -0.5, -1, -2
    /// take ATen's exact shortcuts (<c>x*x</c>, sqrt, ...).
    /// </summary>
    [ShapeContract("Broadcast")]
    public Tensor Pow(float exponent)
    {
        if (OpTrace.Recording) return OpTrace.Run("PowScalar", [this], () => Pow(exponent), ("scalar", (double)exponent), ("scalarFirst", false));
        if (DType == DType.Int64) return FloatUnary(new PowScalarOp(exponent));
        var result = DType switch
        {
            DType.Float64 => ElementwiseKernel.Unary<double, DoubleUnaryOp>(this, new DoubleUnaryOp(DoubleFunction.Pow, exponent)),
            DType.BFloat16 => RoundedToBFloat16(ElementwiseKernel.Unary<float, PowScalarOp>(As(DType.Float32), new PowScalarOp(exponent))),
            _ => ElementwiseKernel.Unary<float, PowScalarOp>(this, new PowScalarOp(exponent)),
        };
        return MustRecord(this) ? RecordPowScalar(result, exponent) : result;
    }

    /// <summary>
    /// <c>this ** exponent</c> for an integer exponent: Int64 stays Int64 (a negative exponent throws, as in
    /// PyTorch); Float32 as <see cref="Pow(float)"/>.
    /// </summary>
    [ShapeContract("Broadcast")]
    public Tensor Pow(long exponent)
    {
        if (IsFloating(DType)) return Pow((float)exponent);
        if (exponent < 0)
            throw new ArgumentException($"Pow: Integers to negative integer powers are not allowed (exponent {exponent} for an Int64 tensor of shape {Rules.Format(Sizes)})", nameof(exponent));
        return ElementwiseKernel.Unary<long, PowScalarInt64Op>(this, new PowScalarInt64Op(exponent));
    }

    /// <summary>Element-wise maximum with <paramref name="other"/> (broadcasting).</summary>
    [ShapeContract("Broadcast")]
    public Tensor Maximum(Tensor other) => Maximum(this, other);

    /// <summary>Element-wise minimum with <paramref name="other"/> (broadcasting).</summary>
    [ShapeContract("Broadcast")]
    public Tensor Minimum(Tensor other) => Minimum(this, other);

    // ---- Unary functions -------------------------------------------------------------------------------------

    /// <summary><c>-x</c> (keeps the dtype).</summary>
    [ShapeContract("SameShape")]
    public Tensor Neg()
    {
        if (OpTrace.Recording) return OpTrace.Run("Neg", [this], Neg);
        if (DType == DType.Int64) return ElementwiseKernel.Unary<long, NegOp<long>>(this, default);
        if (DType == DType.Bool)
            throw new ArgumentException($"Neg: negation, the `-` operator, on a Bool tensor is not supported (shape {Rules.Format(Sizes)}); use LogicalNot instead");
        var result = DType switch
        {
            DType.Float64 => ElementwiseKernel.Unary<double, NegOp<double>>(this, default),
            DType.BFloat16 => RoundedToBFloat16(ElementwiseKernel.Unary<float, NegOp<float>>(As(DType.Float32), default)),
            _ => ElementwiseKernel.Unary<float, NegOp<float>>(this, default),
        };
        return MustRecord(this) ? RecordUnary(result, "NegBackward", ElementwiseGradient.Neg) : result;
    }

    /// <summary><c>|x|</c> (keeps the dtype).</summary>
    [ShapeContract("SameShape")]
    public Tensor Abs()
    {
        if (DType == DType.Int64) return ElementwiseKernel.Unary<long, AbsInt64Op>(this, default);
        var result = DType == DType.Float32 ? ElementwiseKernel.Unary<float, AbsOp>(this, default) : FloatUnary(new AbsOp());
        return MustRecord(this) ? RecordUnary(result, "AbsBackward", this, ElementwiseGradient.Abs) : result;
    }

    /// <summary><c>max(x, 0)</c> (keeps the dtype; NaN stays NaN).</summary>
    [ShapeContract("SameShape")]
    public Tensor Relu() => OpTrace.Active ? OpTrace.Run("Relu", [this], ReluCore) : ReluCore();

    Tensor ReluCore()
    {
        if (DType == DType.Int64) return ElementwiseKernel.Unary<long, ReluOp<long>>(this, default);
        var result = DType switch
        {
            DType.Float64 => ElementwiseKernel.Unary<double, ReluOp<double>>(this, default),
            DType.BFloat16 => RoundedToBFloat16(ElementwiseKernel.Unary<float, ReluOp<float>>(As(DType.Float32), default)),
            _ => ElementwiseKernel.Unary<float, ReluOp<float>>(this, default),
        };
        return MustRecord(this) ? RecordUnary(result, "ReluBackward", result, ElementwiseGradient.Relu) : result;
    }

    /// <summary><c>x * x</c> (keeps the dtype, as PyTorch's <c>square</c>, which records as <c>pow(x, 2)</c>: "PowBackward").</summary>
    [ShapeContract("SameShape")]
    public Tensor Square()
    {
        if (DType == DType.Int64) return ElementwiseKernel.Unary<long, SquareOp<long>>(this, default);
        var result = DType switch
        {
            DType.Float64 => ElementwiseKernel.Unary<double, SquareOp<double>>(this, default),
            DType.BFloat16 => RoundedToBFloat16(ElementwiseKernel.Unary<float, SquareOp<float>>(As(DType.Float32), default)),
            _ => ElementwiseKernel.Unary<float, SquareOp<float>>(this, default),
        };
        return MustRecord(this) ? RecordUnary(result, "PowBackward", this, ElementwiseGradient.Square) : result;
    }

    /// <summary>
    /// Clamps to [<paramref name="min"/>, <paramref name="max"/>] (either may be null, not both). As in PyTorch,
    /// <c>max</c> wins when <c>min &gt; max</c> and NaN propagates. An Int64 tensor stays Int64 when the bounds are
    /// whole numbers (PyTorch's <c>clamp(1, 3)</c>) and becomes Float32 otherwise (<c>clamp(1.5)</c>).
    /// </summary>
    [ShapeContract("SameShape")]
    public Tensor Clamp(float? min = null, float? max = null)
    {
        if (min is null && max is null)
            throw new ArgumentException("Clamp: at least one of 'min' or 'max' must not be null");
        if (DType == DType.Int64 && IsWhole(min) && IsWhole(max))
            return ElementwiseKernel.Unary<long, ClampOp<long>>(this, new ClampOp<long>((long?)min, (long?)max));
        var op = new ClampOp<float>(min, max);
        if (DType == DType.Int64) return FloatUnary(op);
        var result = ElementwiseKernel.Unary<float, ClampOp<float>>(this, op);
        return MustRecord(this) ? RecordClamp(result, min, max) : result;
    }

    /// <summary><c>e^x</c> (Float32; Int64 input is promoted).</summary>
    [ShapeContract("SameShape")]
    public Tensor Exp() => OpTrace.Recording ? OpTrace.Run("Exp", [this], Exp) : FloatUnary(new ExpOp(), "ExpBackward", saveResult: true, ElementwiseGradient.Exp);

    /// <summary>Natural logarithm (Float32; log of a negative is NaN, of 0 is -inf).</summary>
    [ShapeContract("SameShape")]
    public Tensor Log() => OpTrace.Recording ? OpTrace.Run("Log", [this], Log) : FloatUnary(new LogOp(), "LogBackward", saveResult: false, ElementwiseGradient.Log);

    /// <summary>Square root (Float32).</summary>
    [ShapeContract("SameShape")]
    public Tensor Sqrt() => OpTrace.Recording ? OpTrace.Run("Sqrt", [this], Sqrt) : FloatUnary(new SqrtOp(), "SqrtBackward", saveResult: true, ElementwiseGradient.Sqrt);

    /// <summary><c>1 / sqrt(x)</c> (Float32).</summary>
    [ShapeContract("SameShape")]
    public Tensor Rsqrt() => FloatUnary(new RsqrtOp(), "RsqrtBackward", saveResult: true, ElementwiseGradient.Rsqrt);

    /// <summary>Sine (Float32).</summary>
    [ShapeContract("SameShape")]
    public Tensor Sin() => FloatUnary(new SinOp(), "SinBackward", saveResult: false, ElementwiseGradient.Sin);

    /// <summary>Cosine (Float32).</summary>
    [ShapeContract("SameShape")]
    public Tensor Cos() => FloatUnary(new CosOp(), "CosBackward", saveResult: false, ElementwiseGradient.Cos);

    /// <summary>Hyperbolic tangent (Float32).</summary>
    [ShapeContract("SameShape")]
    public Tensor Tanh() => OpTrace.Active ? OpTrace.Run("Tanh", [this], TanhCore) : TanhCore();

    Tensor TanhCore() => FloatUnary(new TanhOp(), "TanhBackward", saveResult: true, ElementwiseGradient.Tanh);

    /// <summary>Logistic sigmoid <c>1 / (1 + e^-x)</c> (Float32); saturates to 0 and 1 without NaN.</summary>
    [ShapeContract("SameShape")]
    public Tensor Sigmoid() => OpTrace.Active ? OpTrace.Run("Sigmoid", [this], SigmoidCore) : SigmoidCore();

    Tensor SigmoidCore() => FloatUnary(new SigmoidOp(), "SigmoidBackward", saveResult: true, ElementwiseGradient.Sigmoid);

    /// <summary>Exact GELU <c>x · Φ(x)</c> (the erf form, PyTorch's default <c>approximate='none'</c>). Float32 and Float64.</summary>
    [ShapeContract("SameShape")]
    public Tensor Gelu()
    {
        if (OpTrace.Recording) return OpTrace.Run("Gelu", [this], Gelu);
        if (DType == DType.Float64) return GeluFloat64();
        var result = ElementwiseKernel.Unary<float, GeluOp>(FloatOnly("Gelu"), default);
        return MustRecord(this) ? RecordUnary(result, "GeluBackward", this, ElementwiseGradient.Gelu) : result;
    }

    /// <summary>
    /// Float64 GELU in double throughout; its backward multiplies the gradient by the derivative <c>Φ(x) + x·φ(x)</c>
    /// (a Float64 multiply, recorded as "GeluBackward"). Apart from the Float32 op, which keeps its fused float kernels.
    /// </summary>
    Tensor GeluFloat64()
    {
        var result = ElementwiseKernel.Unary<double, GeluDoubleOp>(this, default);
        if (!MustRecord(this)) return result;
        var input = Detach();
        return RecordUnary(result, "GeluBackward", g => g * ElementwiseKernel.Unary<double, GeluDerivativeDoubleOp>(input, default));
    }

    /// <summary><c>x &gt; 0 ? x : negativeSlope * x</c>. Float32 only, as in PyTorch.</summary>
    [ShapeContract("SameShape")]
    public Tensor LeakyRelu(float negativeSlope = 0.01f) => OpTrace.Active
        ? OpTrace.Run("LeakyRelu", [this], () => LeakyReluCore(negativeSlope), ("negativeSlope", (double)negativeSlope))
        : LeakyReluCore(negativeSlope);

    Tensor LeakyReluCore(float negativeSlope)
    {
        var result = ElementwiseKernel.Unary<float, LeakyReluOp>(FloatOnly("LeakyRelu"), new LeakyReluOp(negativeSlope));
        return MustRecord(this) ? RecordLeakyRelu(result, negativeSlope) : result;
    }

    // ---- In place ----------------------------------------------------------------------------------------------
    // PyTorch's add_, mul_, fill_, ...: they write through this tensor's strides, so on a view they change the base.
    // Each returns this tensor. Writing into a layout where two indices share an element (an Expand result) throws,
    // as in PyTorch, except for fills. The result dtype must be this tensor's: adding Float32 into Int64 throws.
    //
    // In-place ops are not recorded for autograd. While gradients are enabled they refuse a leaf that requires grad
    // (PyTorch's error), a tensor computed by a recorded op (PyTorch would rebase its graph onto the in-place op;
    // ShapeSafe does not, so it refuses rather than compute wrong gradients), and an operand that requires grad (the
    // write would silently drop its gradient). Inside Autograd.NoGrad() they all work: optimizers and initializers
    // update parameters that way.

    /// <summary><c>this += alpha * other</c>, <paramref name="other"/> broadcast to this shape (PyTorch's <c>add_</c>).</summary>
    public Tensor AddInPlace(Tensor other, float alpha = 1f)
    {
        CheckInPlaceAutograd("AddInPlace", other);
        return AddInPlaceBroadcasting(other, alpha, "AddInPlace");
    }

    /// <summary><c>this -= alpha * other</c> (PyTorch's <c>sub_</c>).</summary>
    public Tensor SubInPlace(Tensor other, float alpha = 1f)
    {
        CheckInPlaceAutograd("SubInPlace", other);
        return AddInPlaceBroadcasting(other, -alpha, "SubInPlace");
    }

    /// <summary><c>this += value</c>.</summary>
    public Tensor AddInPlace(float value)
    {
        CheckInPlaceAutograd("AddInPlace");
        RequireFloatResult("AddInPlace");
        ElementwiseKernel.InPlaceScalar<float, AddOp<float>>(this, value, default, "AddInPlace");
        return this;
    }

    /// <summary><c>this += value</c> (Int64 stays Int64).</summary>
    public Tensor AddInPlace(long value)
    {
        if (DType == DType.Float32) return AddInPlace((float)value);
        CheckInPlaceAutograd("AddInPlace");
        ElementwiseKernel.InPlaceScalar<long, AddOp<long>>(this, value, default, "AddInPlace");
        return this;
    }

    /// <summary><c>this *= other</c>, <paramref name="other"/> broadcast to this shape (PyTorch's <c>mul_</c>).</summary>
    public Tensor MulInPlace(Tensor other)
    {
        CheckInPlaceAutograd("MulInPlace", other);
        if (DType == DType.Int64 && other.DType == DType.Int64)
            ElementwiseKernel.InPlace<long, MulOp<long>>(this, other, default, "MulInPlace");
        else
        {
            RequireFloatResult("MulInPlace");
            ElementwiseKernel.InPlace<float, MulOp<float>>(this, ToFloat(other), default, "MulInPlace");
        }
        return this;
    }

    /// <summary><c>this *= value</c>.</summary>
    public Tensor MulInPlace(float value)
    {
        CheckInPlaceAutograd("MulInPlace");
        RequireFloatResult("MulInPlace");
        ElementwiseKernel.InPlaceScalar<float, MulOp<float>>(this, value, default, "MulInPlace");
        return this;
    }

    /// <summary><c>this *= value</c> (Int64 stays Int64).</summary>
    public Tensor MulInPlace(long value)
    {
        if (DType == DType.Float32) return MulInPlace((float)value);
        CheckInPlaceAutograd("MulInPlace");
        ElementwiseKernel.InPlaceScalar<long, MulOp<long>>(this, value, default, "MulInPlace");
        return this;
    }

    /// <summary><c>this /= other</c> (true division; this tensor must be Float32).</summary>
    public Tensor DivInPlace(Tensor other)
    {
        CheckInPlaceAutograd("DivInPlace", other);
        RequireFloatResult("DivInPlace");
        ElementwiseKernel.InPlace<float, DivOp>(this, ToFloat(other), default, "DivInPlace");
        return this;
    }

    /// <summary><c>this /= value</c> (this tensor must be Float32).</summary>
    public Tensor DivInPlace(float value)
    {
        CheckInPlaceAutograd("DivInPlace");
        RequireFloatResult("DivInPlace");
        ElementwiseKernel.InPlaceScalar<float, DivOp>(this, value, default, "DivInPlace");
        return this;
    }

    /// <summary>Clamps in place (PyTorch's <c>clamp_</c>); see <see cref="Clamp"/>.</summary>
    public Tensor ClampInPlace(float? min = null, float? max = null)
    {
        if (min is null && max is null)
            throw new ArgumentException("ClampInPlace: at least one of 'min' or 'max' must not be null");
        CheckInPlaceAutograd("ClampInPlace");
        if (DType == DType.Int64)
        {
            if (!IsWhole(min) || !IsWhole(max)) RequireFloatResult("ClampInPlace");
            ElementwiseKernel.InPlaceUnary<long, ClampOp<long>>(this, new ClampOp<long>((long?)min, (long?)max), "ClampInPlace");
        }
        else
        {
            ElementwiseKernel.InPlaceUnary<float, ClampOp<float>>(this, new ClampOp<float>(min, max), "ClampInPlace");
        }
        return this;
    }

    /// <summary>
    /// Sets every element to <paramref name="value"/> (PyTorch's <c>fill_</c>; an Int64 tensor gets the value truncated).
    /// Through a view this writes into the base; expanded views are allowed, since writing one value twice is harmless.
    /// </summary>
    public Tensor FillInPlace(float value)
    {
        CheckInPlaceAutograd("FillInPlace");
        if (DType == DType.Int64)
            ElementwiseKernel.InPlaceUnary<long, FillOp<long>>(this, new FillOp<long>((long)value), "FillInPlace", allowOverlap: true);
        else
            ElementwiseKernel.InPlaceUnary<float, FillOp<float>>(this, new FillOp<float>(value), "FillInPlace", allowOverlap: true);
        return this;
    }

    /// <summary>Sets every element to zero (PyTorch's <c>zero_</c>).</summary>
    public Tensor ZeroInPlace() => FillInPlace(0f);

    /// <summary><c>this += value * t1 * t2</c> with broadcasting (PyTorch's <c>addcmul_</c>; Adam's second moment).</summary>
    public Tensor AddCMulInPlace(Tensor tensor1, Tensor tensor2, float value = 1f)
    {
        CheckInPlaceAutograd("AddCMulInPlace", tensor1, tensor2);
        RequireFloatResult("AddCMulInPlace");
        ElementwiseKernel.AddCombined(this, ToFloat(tensor1), ToFloat(tensor2), value, divide: false, "AddCMulInPlace");
        return this;
    }

    /// <summary><c>this += value * t1 / t2</c> with broadcasting (PyTorch's <c>addcdiv_</c>; Adam's update).</summary>
    public Tensor AddCDivInPlace(Tensor tensor1, Tensor tensor2, float value = 1f)
    {
        CheckInPlaceAutograd("AddCDivInPlace", tensor1, tensor2);
        RequireFloatResult("AddCDivInPlace");
        ElementwiseKernel.AddCombined(this, ToFloat(tensor1), ToFloat(tensor2), value, divide: true, "AddCDivInPlace");
        return this;
    }

    // ---- Dispatch ----------------------------------------------------------------------------------------------

    enum Kind { Add, Sub, Mul, Div, Pow, Max, Min }

    static Tensor BinaryOp(Tensor a, Tensor b, Kind kind, string name)
    {
        if (OpTrace.Recording) return OpTrace.Run(name, [a, b], () => BinaryOp(a, b, kind, name));
        var result = BinaryForward(a, b, kind, name);
        return MustRecord(a, b) ? RecordBinary(result, a, b, kind) : result;
    }

    static Tensor BinaryForward(Tensor a, Tensor b, Kind kind, string name)
    {
        if (a.DType == DType.Float32 && b.DType == DType.Float32) return Float32Binary(a, b, kind, name);
        var dtype = ResultType(a, b);
        // True division of integers (or bools) gives the default float dtype.
        if (kind == Kind.Div && !IsFloating(dtype)) dtype = DType.Float32;
        if (dtype == DType.Bool && kind == Kind.Sub)
            throw new ArgumentException($"{name}: subtraction, the `-` operator, with two Bool tensors is not supported (shapes {Rules.Format(a.Sizes)} and {Rules.Format(b.Sizes)}); use LogicalXor instead");
        if (a.DType != dtype || b.DType != dtype)
        {
            // Check shapes before converting, so a mismatch is reported before any work.
            if (!a.Sizes.AsSpan().SequenceEqual(b.Sizes)) Rules.Broadcast(a.Sizes, b.Sizes, name);
            a = a.As(dtype);
            b = b.As(dtype);
        }
        return dtype switch
        {
            DType.Float32 => Float32Binary(a, b, kind, name),
            DType.Float64 => Float64Binary(a, b, kind, name),
            DType.BFloat16 => RoundedToBFloat16(Float32Binary(a.As(DType.Float32), b.As(DType.Float32), kind, name)),
            DType.Int64 => kind switch
            {
                Kind.Add => ElementwiseKernel.Binary<long, AddOp<long>>(a, b, default, name),
                Kind.Sub => ElementwiseKernel.Binary<long, SubOp<long>>(a, b, default, name),
                Kind.Mul => ElementwiseKernel.Binary<long, MulOp<long>>(a, b, default, name),
                Kind.Pow => ElementwiseKernel.Binary<long, PowInt64Op>(a, b, default, name),
                Kind.Max => ElementwiseKernel.Binary<long, MaximumOp<long>>(a, b, default, name),
                _ => ElementwiseKernel.Binary<long, MinimumOp<long>>(a, b, default, name),
            },
            // Bool arithmetic is logic: + and maximum are "or", * and minimum are "and", x ** y is x or not y.
            _ => kind switch
            {
                Kind.Add or Kind.Max => ElementwiseKernel.Binary<bool, LogicalOrOp>(a, b, default, name),
                Kind.Mul or Kind.Min => ElementwiseKernel.Binary<bool, LogicalAndOp>(a, b, default, name),
                _ => ElementwiseKernel.Binary<bool, BoolPowOp>(a, b, default, name),
            },
        };
    }

    static Tensor Float32Binary(Tensor a, Tensor b, Kind kind, string name) => kind switch
    {
        Kind.Add => ElementwiseKernel.Binary<float, AddOp<float>>(a, b, default, name),
        Kind.Sub => ElementwiseKernel.Binary<float, SubOp<float>>(a, b, default, name),
        Kind.Mul => ElementwiseKernel.Binary<float, MulOp<float>>(a, b, default, name),
        Kind.Div => ElementwiseKernel.Binary<float, DivOp>(a, b, default, name),
        Kind.Pow => ElementwiseKernel.Binary<float, PowOp>(a, b, default, name),
        Kind.Max => ElementwiseKernel.Binary<float, MaximumOp<float>>(a, b, default, name),
        _ => ElementwiseKernel.Binary<float, MinimumOp<float>>(a, b, default, name),
    };

    static Tensor Float64Binary(Tensor a, Tensor b, Kind kind, string name) => kind switch
    {
        Kind.Add => ElementwiseKernel.Binary<double, AddOp<double>>(a, b, default, name),
        Kind.Sub => ElementwiseKernel.Binary<double, SubOp<double>>(a, b, default, name),
        Kind.Mul => ElementwiseKernel.Binary<double, MulOp<double>>(a, b, default, name),
        Kind.Div => ElementwiseKernel.Binary<double, FloatingDivOp<double>>(a, b, default, name),
        Kind.Pow => ElementwiseKernel.Binary<double, FloatingPowOp<double>>(a, b, default, name),
        Kind.Max => ElementwiseKernel.Binary<double, MaximumOp<double>>(a, b, default, name),
        _ => ElementwiseKernel.Binary<double, MinimumOp<double>>(a, b, default, name),
    };

    static Tensor ScalarOp(Tensor t, long scalar, bool scalarFirst, Kind kind)
    {
        if (t.DType != DType.Int64 && t.DType != DType.Bool || kind == Kind.Div)
            return ScalarOp(t, (double)scalar, scalarFirst, kind);
        // A Bool tensor with an integer scalar is Int64 (PyTorch's category rule).
        t = t.As(DType.Int64);
        return kind switch
        {
            Kind.Add => ElementwiseKernel.BinaryScalar<long, AddOp<long>>(t, scalar, scalarFirst, default),
            Kind.Sub => ElementwiseKernel.BinaryScalar<long, SubOp<long>>(t, scalar, scalarFirst, default),
            Kind.Mul => ElementwiseKernel.BinaryScalar<long, MulOp<long>>(t, scalar, scalarFirst, default),
            Kind.Pow => ElementwiseKernel.BinaryScalar<long, PowInt64Op>(t, scalar, scalarFirst, default),
            Kind.Max => ElementwiseKernel.BinaryScalar<long, MaximumOp<long>>(t, scalar, scalarFirst, default),
            _ => ElementwiseKernel.BinaryScalar<long, MinimumOp<long>>(t, scalar, scalarFirst, default),
        };
    }

    static Tensor ScalarOp(Tensor t, float scalar, bool scalarFirst, Kind kind) => ScalarOp(t, (double)scalar, scalarFirst, kind);

    /// <summary>
    /// <c>t op scalar</c> for a floating scalar: the tensor's dtype when it is floating, else Float32. The scalar is
    /// taken in the tensor's compute type, as ATen's opmath: float for Float32 and BFloat16, double for Float64.
    /// </summary>
    static Tensor ScalarOp(Tensor t, double scalar, bool scalarFirst, Kind kind)
    {
        if (OpTrace.Recording)
            return OpTrace.Run(kind + "Scalar", [t], () => ScalarOp(t, scalar, scalarFirst, kind), ("scalar", (double)scalar), ("scalarFirst", scalarFirst));
        Tensor result = t.DType switch
        {
            DType.Float64 => ScalarForward(t, scalar, scalarFirst, kind),
            DType.BFloat16 => RoundedToBFloat16(ScalarForward(t.As(DType.Float32), (float)scalar, scalarFirst, kind)),
            _ => ScalarForward(t.As(DType.Float32), (float)scalar, scalarFirst, kind),
        };
        return MustRecord(t) ? RecordScalar(result, t, scalar, scalarFirst, kind) : result;
    }

    static Tensor ScalarForward(Tensor t, float scalar, bool scalarFirst, Kind kind) => kind switch
    {
        Kind.Add => ElementwiseKernel.BinaryScalar<float, AddOp<float>>(t, scalar, scalarFirst, default),
        Kind.Sub => ElementwiseKernel.BinaryScalar<float, SubOp<float>>(t, scalar, scalarFirst, default),
        Kind.Mul => ElementwiseKernel.BinaryScalar<float, MulOp<float>>(t, scalar, scalarFirst, default),
        Kind.Div => ElementwiseKernel.BinaryScalar<float, DivOp>(t, scalar, scalarFirst, default),
        Kind.Pow => ElementwiseKernel.BinaryScalar<float, PowOp>(t, scalar, scalarFirst, default),
        Kind.Max => ElementwiseKernel.BinaryScalar<float, MaximumOp<float>>(t, scalar, scalarFirst, default),
        _ => ElementwiseKernel.BinaryScalar<float, MinimumOp<float>>(t, scalar, scalarFirst, default),
    };

    static Tensor ScalarForward(Tensor t, double scalar, bool scalarFirst, Kind kind) => kind switch
    {
        Kind.Add => ElementwiseKernel.BinaryScalar<double, AddOp<double>>(t, scalar, scalarFirst, default),
        Kind.Sub => ElementwiseKernel.BinaryScalar<double, SubOp<double>>(t, scalar, scalarFirst, default),
        Kind.Mul => ElementwiseKernel.BinaryScalar<double, MulOp<double>>(t, scalar, scalarFirst, default),
        Kind.Div => ElementwiseKernel.BinaryScalar<double, FloatingDivOp<double>>(t, scalar, scalarFirst, default),
        Kind.Pow => ElementwiseKernel.BinaryScalar<double, FloatingPowOp<double>>(t, scalar, scalarFirst, default),
        Kind.Max => ElementwiseKernel.BinaryScalar<double, MaximumOp<double>>(t, scalar, scalarFirst, default),
        _ => ElementwiseKernel.BinaryScalar<double, MinimumOp<double>>(t, scalar, scalarFirst, default),
    };

    // ---- Autograd recording ------------------------------------------------------------------------------------
    // Names are PyTorch's grad_fn names without the version digit. Only these methods create closures, so the
    // no-grad path allocates nothing for autograd.

    static Tensor RecordBinary(Tensor result, Tensor a, Tensor b, Kind kind)
    {
        bool needA = a.RequiresGrad, needB = b.RequiresGrad;
        var inputs = new Tensor?[] { a, b };
        return kind switch
        {
            Kind.Add => result.Recorded("AddBackward", inputs, g => ElementwiseGradient.Add(g, a.Sizes, b.Sizes, needA, needB)),
            Kind.Sub => result.Recorded("SubBackward", inputs, g => ElementwiseGradient.Sub(g, a.Sizes, b.Sizes, needA, needB)),
            Kind.Mul => result.Recorded("MulBackward", inputs, g => ElementwiseGradient.Mul(g, a, b, needA, needB)),
            Kind.Div => result.Recorded("DivBackward", inputs, g => ElementwiseGradient.Div(g, a, b, needA, needB)),
            Kind.Pow => result.Recorded("PowBackward", inputs, g => ElementwiseGradient.Pow(g, a, b, needA, needB)),
            Kind.Max => result.Recorded("MaximumBackward", inputs, g => ElementwiseGradient.Maximum(g, a, b, needA, needB)),
            _ => result.Recorded("MinimumBackward", inputs, g => ElementwiseGradient.Minimum(g, a, b, needA, needB)),
        };
    }

    static Tensor RecordAddScaled(Tensor result, Tensor a, Tensor b, float alpha)
    {
        bool needA = a.RequiresGrad, needB = b.RequiresGrad;
        return result.Recorded("AddBackward", new Tensor?[] { a, b }, g => ElementwiseGradient.Add(g, a.Sizes, b.Sizes, needA, needB, alpha));
    }

    /// <summary>
    /// <c>t op scalar</c> or <c>scalar op t</c>. PyTorch names <c>s - t</c> "RsubBackward"; it computes <c>s / t</c> as
    /// <c>t.reciprocal() * s</c> (two nodes), which records here as one "DivBackward".
    /// </summary>
    static Tensor RecordScalar(Tensor result, Tensor t, double scalar, bool scalarFirst, Kind kind) => kind switch
    {
        Kind.Add => t.RecordUnary(result, "AddBackward", static g => g),
        Kind.Sub when scalarFirst => t.RecordUnary(result, "RsubBackward", ElementwiseGradient.Neg),
        Kind.Sub => t.RecordUnary(result, "SubBackward", static g => g),
        Kind.Mul => t.RecordUnary(result, "MulBackward", g => ElementwiseGradient.MulByScalar(g, scalar)),
        Kind.Div when scalarFirst => t.RecordUnary(result, "DivBackward", t, (g, x) => ElementwiseGradient.ScalarDivBy(g, x, result)),
        Kind.Div => t.RecordUnary(result, "DivBackward", g => ElementwiseGradient.DivByScalar(g, scalar)),
        Kind.Pow when scalarFirst => t.RecordUnary(result, "PowBackward", t, (g, x) => ElementwiseGradient.ScalarPow(g, scalar, x)),
        // t ** s goes through Pow(float); no public op takes maximum/minimum with a scalar.
        _ => throw new System.Diagnostics.UnreachableException($"no public op applies {kind} to a tensor and a scalar this way"),
    };

    Tensor RecordPowScalar(Tensor result, float exponent) =>
        RecordUnary(result, "PowBackward", this, (g, x) => ElementwiseGradient.PowScalar(g, x, exponent));

    Tensor RecordClamp(Tensor result, float? min, float? max) =>
        RecordUnary(result, "ClampBackward", this, (g, x) => ElementwiseGradient.Clamp(g, x, min, max));

    Tensor RecordLeakyRelu(Tensor result, float negativeSlope) =>
        RecordUnary(result, "LeakyReluBackward", this, (g, x) => ElementwiseGradient.LeakyRelu(g, x, negativeSlope));

    /// <summary>Records a one-input op (this tensor the input) whose gradient reads no saved tensor.</summary>
    Tensor RecordUnary(Tensor result, string name, Func<Tensor, Tensor> gradient) =>
        result.Recorded(name, new Tensor?[] { this }, g => new Tensor?[] { gradient(g) });

    /// <summary>Records a one-input op whose gradient reads one saved tensor: the input or the result, whichever the formula needs.</summary>
    Tensor RecordUnary(Tensor result, string name, Tensor saved, Func<Tensor, Tensor, Tensor> gradient) =>
        result.Recorded(name, new Tensor?[] { this }, g => new Tensor?[] { gradient(g, saved) });

    /// <summary>Refuses an in-place op that autograd cannot follow while gradients are enabled (see the in-place section).</summary>
    void CheckInPlaceAutograd(string op, Tensor? operand = null, Tensor? operand2 = null)
    {
        // Cheap fields first: the common case (nothing requires grad) never reads the thread's grad mode.
        if (!RequiresGrad && operand?.RequiresGrad != true && operand2?.RequiresGrad != true) return;
        if (!Autograd.IsGradEnabled) return;
        CheckInPlace(op);
        if (GradNode is not null)
            throw new InvalidOperationException($"{op}: this tensor (shape {Rules.Format(Sizes)}) was computed by {GradNode.Name} and requires grad; in-place ops on tensors in the autograd graph are not supported (PyTorch would rebase the graph, ShapeSafe does not). Use the out-of-place op, or Detach() first.");
        var other = operand?.RequiresGrad == true ? operand : operand2!;
        throw new InvalidOperationException($"{op}: an operand (shape {Rules.Format(other.Sizes)}) requires grad, but in-place ops are not recorded for autograd; use the out-of-place op, or wrap the update in Autograd.NoGrad().");
    }

    Tensor AddInPlaceBroadcasting(Tensor other, float alpha, string name)
    {
        if (DType == DType.Int64)
        {
            if (other.DType == DType.Float32 || !IsWhole(alpha)) RequireFloatResult(name);
            ElementwiseKernel.InPlace<long, AddScaledInt64Op>(this, other, new AddScaledInt64Op((long)alpha), name);
        }
        else if (alpha == 1f)
        {
            ElementwiseKernel.InPlace<float, AddOp<float>>(this, ToFloat(other), default, name);
        }
        else
        {
            ElementwiseKernel.InPlace<float, AddScaledOp>(this, ToFloat(other), new AddScaledOp(alpha), name);
        }
        return this;
    }

    /// <summary>
    /// A unary float function recorded for autograd; its gradient reads the input, or the result when
    /// <paramref name="saveResult"/>. (The gradient is a static method group, which C# caches: no allocation.)
    /// </summary>
    Tensor FloatUnary<TOp>(TOp op, string gradFn, bool saveResult, Func<Tensor, Tensor, Tensor> gradient) where TOp : struct, IUnaryOp<float>
    {
        var result = FloatUnary(op);
        return MustRecord(this) ? RecordUnary(result, gradFn, saveResult ? result : this, gradient) : result;
    }

    /// <summary>A unary float function; an Int64 input is converted first and the function runs in place on the copy.</summary>
    Tensor FloatUnary<TOp>(TOp op) where TOp : struct, IUnaryOp<float>
    {
        if (DType == DType.Float32) return ElementwiseKernel.Unary<float, TOp>(this, op);
        if (DType == DType.Float64)
        {
            var twin = DoubleUnaryOp.For<TOp>()
                ?? throw new ArgumentException($"{typeof(TOp).Name[..^2]}: not implemented for Float64 (shape {Rules.Format(Sizes)}); convert with ToDType(DType.Float32)");
            return ElementwiseKernel.Unary<double, DoubleUnaryOp>(this, twin);
        }
        // BFloat16: computed in float32 and rounded once, as ATen's CPU kernels do.
        if (DType == DType.BFloat16) return RoundedToBFloat16(ElementwiseKernel.Unary<float, TOp>(As(DType.Float32), op));
        var converted = ElementwiseKernel.ToFloat(this);
        ElementwiseKernel.InPlaceUnary<float, TOp>(converted, op, "ToFloat");
        return converted;
    }

    Tensor FloatOnly(string op) => DType == DType.Float32 ? this
        : DType == DType.Int64
            ? throw new ArgumentException($"{op}: not implemented for Int64 (PyTorch raises \"not implemented for 'Long'\"); convert with ToDType(DType.Float32) first (shape {Rules.Format(Sizes)})")
            : throw new ArgumentException($"{op}: not implemented for {DType} here (only Float32); convert with ToDType(DType.Float32) first (shape {Rules.Format(Sizes)})");

    void RequireFloatResult(string op)
    {
        if (DType == DType.Int64)
            throw new InvalidOperationException($"{op}: result type Float can't be cast to the desired output type Long (this tensor is Int64, shape {Rules.Format(Sizes)})");
    }

    static Tensor ToFloat(Tensor t) => t.DType == DType.Float32 ? t : ElementwiseKernel.ToFloat(t);

    static bool IsWhole(float? value) => value is not { } v || (MathF.Floor(v) == v && Math.Abs(v) < 9.2e18f);
}
