namespace ShapeSafe.Shapes;

/// <summary>
/// Symbolic sizes for the analyzers: every rule of the shape rules runs over <see cref="Dim"/> with this
/// domain. Names stand for unknown integers ≥ 1. Answers are sound: True and False hold for every
/// assignment of the names (respecting the exact quotients the dims state), with one deliberate
/// exception from API.md: two different plain names are reported not equal, so code that only works
/// when <c>B</c> equals <c>T</c> is flagged. Inside a <see cref="GenericNames"/> scope, every equality over names
/// that is not an identity is answered False (a name is any size the caller chooses) and recorded.
/// </summary>
public readonly struct SymbolicDims : IDimDomain<Dim>
{
    /// <inheritdoc/>
    public Dim Constant(long value) => Dim.Of(value);

    /// <inheritdoc/>
    public bool TryGetConstant(Dim dim, out long value) => dim.TryGetConstant(out value);

    /// <summary>
    /// True when the normal forms are equal. False when the difference is a nonzero constant or provably
    /// nonzero (<c>B + T</c> vs <c>B</c>, <c>B</c> vs <c>0</c>), or when both are distinct plain names
    /// (the naming policy). Unknown otherwise: <c>B*T</c> vs <c>64</c>, <c>B</c> vs <c>4</c>.
    /// </summary>
    public Truth Equal(Dim a, Dim b)
    {
        if (a.Equals(b)) return Truth.True;
        // Two different integer constants small enough that their difference cannot overflow: no difference to build
        // (the most common comparison, a size against 1 or 0).
        const long half = 1L << 61;
        if (a.TryGetConstant(out long x) && b.TryGetConstant(out long y) && x > -half && x < half && y > -half && y < half) return Truth.False;
        var difference = a - b;
        if (difference.IsZero) return Truth.True;
        if (difference.TryGetRational(out _)) return Truth.False;
        if (a.IsPlainName && b.IsPlainName)
        {
            if (GenericNames.Active) GenericNames.Record(a, b);
            return Truth.False;
        }
        if (DimBounds.Sign(difference) == ProvenSign.Positive || DimBounds.Sign(-difference) == ProvenSign.Positive)
            return Truth.False;
        if (GenericNames.Active && !difference.HasOpaqueAtom)
        {
            // Names are sizes the caller chooses freely: a relation between them that is not an identity holds only
            // for special values, so the generic answer is no, and the rule records what it would have needed.
            GenericNames.Record(a, b);
            return Truth.False;
        }
        return Truth.Unknown;
    }

    /// <summary>True when b − a is provably &gt; 0, False when a − b is provably ≥ 0, Unknown otherwise.</summary>
    public Truth Less(Dim a, Dim b)
    {
        var gap = b - a;
        var sign = DimBounds.Sign(gap);
        if (sign == ProvenSign.Positive) return Truth.True;
        if (DimBounds.Sign(a - b) != ProvenSign.Unknown) return Truth.False;
        if (GenericNames.Active && sign == ProvenSign.NonNegative && !gap.HasOpaqueAtom)
        {
            // b ≥ a always, so a < b fails only when they are equal (1 < T but for T = 1): a special value of the names.
            GenericNames.Record(a, b);
            return Truth.True;
        }
        return Truth.Unknown;
    }

    /// <inheritdoc/>
    public Dim Multiply(Dim a, Dim b) => a * b;

    /// <inheritdoc/>
    public Dim Add(Dim a, Dim b) => a + b;

    /// <inheritdoc/>
    public Dim Subtract(Dim a, Dim b) => a - b;

    /// <summary>
    /// True with the quotient when b divides a in the normal form: a monomial or constant divisor that
    /// leaves no new denominator, an equal dim (quotient 1), or a sum that is a factor of a. The quotients
    /// a already states count: <c>(D/H)*T</c> divided by <c>T</c> is <c>D/H</c>, while <c>D</c> divided by
    /// <c>H</c> is Unknown. False only when both are constants (or b is 0); the quotient is
    /// <see cref="Dim.Zero"/> unless the answer is True.
    /// </summary>
    public Truth TryDivideExact(Dim a, Dim b, out Dim quotient) => Dim.TryDivideProvably(a, b, out quotient);

    /// <inheritdoc cref="Dim.FloorDivide"/>
    public Dim FloorDivide(Dim a, Dim b) => Dim.FloorDivide(a, b);

    /// <inheritdoc/>
    public string Format(Dim dim) => dim.ToString();
}
