namespace ShapeSafe;

// Autocast's two casts (ATen's cached_cast): an op on the lower-precision list casts its floating operands other than
// Float64 to BFloat16 (reusing the region's cached copy of a Float32 weight, see Autograd.CastToAutocastDType), an op on
// the float32 list casts them to Float32 (never cached). Both casts are ToDType, so gradients flow back
// to the operands in their own dtypes. Ops not on a list never call these. See docs/mixed-precision.md.
public partial class Tensor
{
    /// <summary>Under autocast, <paramref name="t"/> in BFloat16 when it is Float32; otherwise <paramref name="t"/> itself.</summary>
    internal static Tensor AutocastLower(Tensor t) => t.DType == DType.Float32 ? Autograd.CastToAutocastDType(t) : t;

    /// <summary><see cref="AutocastLower(Tensor)"/> for an optional operand.</summary>
    internal static Tensor? AutocastLowerOptional(Tensor? t) => t is null ? null : AutocastLower(t);

    /// <summary>Under autocast, <paramref name="t"/> in Float32 when it is BFloat16; otherwise <paramref name="t"/> itself.</summary>
    internal static Tensor AutocastFloat32(Tensor t) => t.DType == DType.BFloat16 ? t.ToDType(DType.Float32) : t;

    /// <summary>
    /// A Float32-only op run for BFloat16 operands as ATen's CPU kernels run them: widened to float32 (exact),
    /// computed, the result rounded to BFloat16 once. The widening and the rounding are ToDType, so the op's own
    /// backward runs in float32 and the gradients are rounded once on their way back.
    /// </summary>
    internal static Tensor ThroughFloat32(Tensor input, Func<Tensor, Tensor> op) =>
        ThroughFloat32(input, null, null, (x, _, _) => op(x));

    /// <summary><see cref="ThroughFloat32(Tensor, Func{Tensor, Tensor})"/> for an op of up to three operands (autocast is off inside).</summary>
    internal static Tensor ThroughFloat32(Tensor a, Tensor? b, Tensor? c, Func<Tensor, Tensor?, Tensor?, Tensor> op)
    {
        Tensor result;
        using (Autograd.AutocastDisabled())
            result = op(AutocastFloat32(a), b is null ? null : AutocastFloat32(b), c is null ? null : AutocastFloat32(c));
        return result.ToDType(DType.BFloat16);
    }

    /// <summary>Whether a convolution's operands are all BFloat16 (the bias may be absent).</summary>
    internal static bool AllBFloat16(Tensor a, Tensor b, Tensor? c) =>
        a.DType == DType.BFloat16 && b.DType == DType.BFloat16 && (c is null || c.DType == DType.BFloat16);
}
