using System.Globalization;
using System.Runtime.CompilerServices;

namespace ShapeSafe.Shapes
{
    /// <summary>Plain integer sizes (a tensor never holds more than int.MaxValue elements): the engine's fast path. Every answer is True or False.</summary>
    public readonly struct ConcreteDims : IDimDomain<int>
    {
        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Constant(long value) => checked((int)value);

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryGetConstant(int dim, out long value)
        {
            value = dim;
            return true;
        }

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Truth Equal(int a, int b) => a == b ? Truth.True : Truth.False;

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Truth Less(int a, int b) => a < b ? Truth.True : Truth.False;

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Multiply(int a, int b) => checked(a * b);

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Add(int a, int b) => checked(a + b);

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Subtract(int a, int b) => checked(a - b);

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Truth TryDivideExact(int a, int b, out int quotient)
        {
            if (b != 0 && a % b == 0)
            {
                quotient = a / b;
                return Truth.True;
            }
            quotient = 0;
            return Truth.False;
        }

        /// <inheritdoc/>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int FloorDivide(int a, int b)
        {
            // Rounds toward negative infinity (C# '/' truncates): a window that does not fit gives a size <= 0.
            int q = a / b;
            return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
        }

        /// <inheritdoc/>
        public string Format(int dim) => dim.ToString(CultureInfo.InvariantCulture);
    }
}
