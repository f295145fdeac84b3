using System.Numerics;
using ShapeSafe.Kernels.Strided;

namespace ShapeSafe.Kernels.Elementwise;

/// <summary>A comparison of two values of one type (IEEE rules: every comparison with NaN is false but !=).</summary>
internal interface IComparison<T>
{
    bool Apply(T x, T y);
}

internal readonly struct EqComparison<T> : IComparison<T> where T : INumber<T> { public bool Apply(T x, T y) => x == y; }

internal readonly struct NeComparison<T> : IComparison<T> where T : INumber<T> { public bool Apply(T x, T y) => x != y; }

internal readonly struct LtComparison<T> : IComparison<T> where T : INumber<T> { public bool Apply(T x, T y) => x < y; }

internal readonly struct LeComparison<T> : IComparison<T> where T : INumber<T> { public bool Apply(T x, T y) => x <= y; }

internal readonly struct GtComparison<T> : IComparison<T> where T : INumber<T> { public bool Apply(T x, T y) => x > y; }

internal readonly struct GeComparison<T> : IComparison<T> where T : INumber<T> { public bool Apply(T x, T y) => x >= y; }

/// <summary>
/// Comparisons with broadcasting into a Bool tensor, and the three-operand select behind <c>Where</c>. Written
/// here because TensorPrimitives has no compare-to-mask or select over spans of bool.
/// </summary>
internal static class ComparisonKernel
{
    /// <summary><c>cmp(a, b)</c> into a new contiguous Bool tensor; a and b have dtype <typeparamref name="T"/>.</summary>
    public static Tensor Compare<T, TCmp>(Tensor a, Tensor b, string name) where TCmp : struct, IComparison<T>
    {
        var outSizes = a.Sizes.AsSpan().SequenceEqual(b.Sizes) ? (int[])a.Sizes.Clone() : Rules.Broadcast(a.Sizes, b.Sizes, name);
        var output = Tensor.Uninitialized(DType.Bool, outSizes, name);
        if (output.Count == 0) return output;
        var run = new CompareRun<T, TCmp>
        {
            Out = output.BoolData, A = ElementwiseKernel.Data<T>(a), B = ElementwiseKernel.Data<T>(b),
        };
        BroadcastIterator.Run(ref run, outSizes, output.StrideArray, 0,
            ElementwiseLayout.BroadcastStrides(a.Sizes, a.StrideArray, outSizes), a.Offset,
            ElementwiseLayout.BroadcastStrides(b.Sizes, b.StrideArray, outSizes), b.Offset);
        return output;
    }

    /// <summary>
    /// <c>condition ? x : y</c> into a new contiguous tensor of <paramref name="outSizes"/>; <paramref name="condition"/>
    /// is a contiguous Bool tensor of that shape, x and y have dtype <typeparamref name="T"/> and broadcast to it.
    /// </summary>
    public static Tensor Select<T>(Tensor condition, Tensor x, Tensor y, int[] outSizes)
    {
        var output = Tensor.Uninitialized(Tensor.DTypeOf<T>(), outSizes, "Where");
        if (output.Count == 0) return output;
        var run = new SelectRun<T>
        {
            Out = ElementwiseKernel.Data<T>(output), Condition = condition.BoolData, ConditionOffset = condition.Offset,
            X = ElementwiseKernel.Data<T>(x), Y = ElementwiseKernel.Data<T>(y),
        };
        // The output is contiguous, so its offset is each element's row-major index: the condition's index too.
        BroadcastIterator.Run(ref run, outSizes, output.StrideArray, 0,
            ElementwiseLayout.BroadcastStrides(x.Sizes, x.StrideArray, outSizes), x.Offset,
            ElementwiseLayout.BroadcastStrides(y.Sizes, y.StrideArray, outSizes), y.Offset);
        return output;
    }

    struct CompareRun<T, TCmp> : IRunKernel where TCmp : struct, IComparison<T>
    {
        public bool[] Out;
        public T[] A, B;

        public void Run(int count, int o0, int s0, int o1, int s1, int o2, int s2)
        {
            var cmp = default(TCmp);
            for (int i = 0; i < count; i++, o0 += s0, o1 += s1, o2 += s2) Out[o0] = cmp.Apply(A[o1], B[o2]);
        }
    }

    struct SelectRun<T> : IRunKernel
    {
        public T[] Out, X, Y;
        public bool[] Condition;
        public int ConditionOffset;

        public void Run(int count, int o0, int s0, int o1, int s1, int o2, int s2)
        {
            for (int i = 0; i < count; i++, o0 += s0, o1 += s1, o2 += s2)
                Out[o0] = Condition[ConditionOffset + o0] ? X[o1] : Y[o2];
        }
    }
}
