namespace ShapeSafe.Shapes
{
    /// <summary>
    /// The arithmetic a shape rule needs from its dims. Every rule in the shape rules
    /// is written once against this interface and runs over concrete sizes (<see cref="ConcreteDims"/>, in
    /// the engine, on every op) and over symbolic sizes (symbolic dims, in the analyzers).
    /// Implementations are empty structs, so the JIT specializes each rule for them and the
    /// concrete instantiation is as fast as hand-written integer code.
    /// </summary>
    public interface IDimDomain<T>
    {
        /// <summary>The dim holding <paramref name="value"/>.</summary>
        T Constant(long value);

        /// <summary>True with the value when <paramref name="dim"/> is a known constant.</summary>
        bool TryGetConstant(T dim, out long value);

        /// <summary>Whether two dims are equal. Symbolic names that differ count as different (see API.md).</summary>
        Truth Equal(T a, T b);

        /// <summary>Whether <paramref name="a"/> &lt; <paramref name="b"/>.</summary>
        Truth Less(T a, T b);

        /// <summary>a × b.</summary>
        T Multiply(T a, T b);

        /// <summary>a + b.</summary>
        T Add(T a, T b);

        /// <summary>a − b.</summary>
        T Subtract(T a, T b);

        /// <summary>
        /// a / b when it is provably exact; False when provably not exact; Unknown otherwise.
        /// The quotient is set only on True.
        /// </summary>
        Truth TryDivideExact(T a, T b, out T quotient);

        /// <summary>a / b rounded toward negative infinity (as ATen's div_rtn for output sizes).</summary>
        T FloorDivide(T a, T b);

        /// <summary>How the dim is printed inside error messages (<c>64</c>, <c>B*T</c>).</summary>
        string Format(T dim);
    }
}
